/*
 * Unit tests for rules/affinity.c: Kubernetes node-selector and required
 * node-affinity semantics, and the reason naming the failing expression.
 */
#include "rule_fixtures.h"

#include "rules/affinity.h"
#include "test_main.h"

static cJSON *node(void)
{
    return J(
        "{'kind':'Node','metadata':{'name':'node-b','labels':{'zone':'east','cores':'16','gpu':'',"
        "'flag':true,'kubevirt.io/schedulable':'true'}}}");
}

/* The reason (or "match") of `terms_json` (single-quoted) against node(). */
static char *terms_result(const char *terms_json)
{
    char buf[2048];
    snprintf(buf, sizeof(buf), "{'nodeSelectorTerms':%s}", terms_json);
    cJSON *sel = J(buf), *n = node();
    char *why = NULL;
    enum match_result r = node_selector_match(sel, n, &why);
    cJSON_Delete(sel);
    cJSON_Delete(n);
    assert_int_not_equal(r, MATCH_NOMEM);
    if (r == MATCH_YES) {
        assert_null(why);
        return strdup("match");
    }
    assert_non_null(why);
    return why;
}

static void expect(const char *terms_json, const char *want)
{
    char *got = terms_result(terms_json);
    if (strcmp(got, want) != 0)
        fail_msg("%s: got %s, want %s", terms_json, got, want);
    free(got);
}

static char *expr(const char *key, const char *op, const char *values)
{
    static char buf[512];
    if (values)
        snprintf(buf, sizeof(buf),
                 "[{'matchExpressions':[{'key':'%s','operator':'%s','values':%s}]}]", key, op,
                 values);
    else
        snprintf(buf, sizeof(buf), "[{'matchExpressions':[{'key':'%s','operator':'%s'}]}]", key,
                 op);
    return buf;
}

static void operators(void **state)
{
    (void)state;
    expect(expr("zone", "In", "['west','east']"), "match");
    expect(expr("zone", "In", "['west','north']"), "(zone In west,north)");
    expect(expr("missing", "In", "['x']"), "(missing In x)");
    expect(expr("zone", "In", "[]"), "(zone In)"); /* In needs values */
    expect(expr("zone", "NotIn", "['west']"), "match");
    expect(expr("missing", "NotIn", "['west']"), "match");
    expect(expr("zone", "NotIn", "['east']"), "(zone NotIn east)");
    expect(expr("gpu", "Exists", NULL), "match");
    expect(expr("missing", "Exists", NULL), "(missing Exists)");
    expect(expr("zone", "Exists", "['east']"), "(zone Exists east)"); /* Exists takes no values */
    expect(expr("missing", "DoesNotExist", NULL), "match");
    expect(expr("zone", "DoesNotExist", NULL), "(zone DoesNotExist)");
    expect(expr("cores", "Gt", "['8']"), "match");
    expect(expr("cores", "Gt", "['16']"), "(cores Gt 16)");
    expect(expr("cores", "Lt", "['17']"), "match");
    expect(expr("cores", "Lt", "['-3']"), "(cores Lt -3)");
    expect(expr("cores", "Gt", "['8','9']"), "(cores Gt 8,9)"); /* exactly one value */
    expect(expr("cores", "Gt", "['eight']"), "(cores Gt eight)");
    expect(expr("zone", "Gt", "['1']"), "(zone Gt 1)"); /* label not an integer */
    expect(expr("missing", "Lt", "['1']"), "(missing Lt 1)");
    expect(expr("zone", "Like", "['east']"), "(zone Like east)"); /* unknown operator */
    expect(expr("zone", "In", "'east'"), "(zone In)");            /* values not an array */
    /* A boolean label value is no string: it neither equals "true" nor exists. */
    expect(expr("flag", "In", "['true']"), "(flag In true)");
    expect(expr("flag", "Exists", NULL), "(flag Exists)");
}

static void terms_and_expressions(void **state)
{
    (void)state;
    /* Expressions ANDed: the first failing one of the first term is named. */
    expect("[{'matchExpressions':[{'key':'zone','operator':'In','values':['east']},"
           "{'key':'rack','operator':'Exists'},{'key':'x','operator':'Exists'}]}]",
           "(rack Exists)");
    /* Terms ORed: a later term matching is enough. */
    expect("[{'matchExpressions':[{'key':'rack','operator':'Exists'}]},"
           "{'matchExpressions':[{'key':'zone','operator':'In','values':['east']}]}]",
           "match");
    expect("[{'matchExpressions':[{'key':'rack','operator':'Exists'}]},"
           "{'matchExpressions':[{'key':'zone','operator':'In','values':['west']}]}]",
           "(rack Exists)");
    /* Empty term: matches nothing, even beside a match-all-looking one. */
    expect("[{}]", "(empty node selector term)");
    expect("[{'matchExpressions':[]}]", "(empty node selector term)");
    expect("[{},{'matchExpressions':[{'key':'zone','operator':'Exists'}]}]", "match");
    expect("[]", "(no node selector terms)");
    /* matchFields: metadata.name with In / NotIn only, ANDed with the expressions. */
    expect(
        "[{'matchFields':[{'key':'metadata.name','operator':'In','values':['node-a','node-b']}]}]",
        "match");
    expect("[{'matchFields':[{'key':'metadata.name','operator':'In','values':['node-a']}]}]",
           "(metadata.name In node-a)");
    expect("[{'matchFields':[{'key':'metadata.uid','operator':'In','values':['node-b']}]}]",
           "(metadata.uid In node-b)");
    expect("[{'matchFields':[{'key':'metadata.name','operator':'Exists'}]}]",
           "(metadata.name Exists)");
    expect("[{'matchExpressions':[{'key':'zone','operator':'Exists'}],"
           "'matchFields':[{'key':'metadata.name','operator':'NotIn','values':['node-b']}]}]",
           "(metadata.name NotIn node-b)");
    /* Garbage never crashes and never matches. */
    expect("[5,'x',null]", "(empty node selector term)");
    expect("[{'matchExpressions':[{'key':5,'operator':'In','values':['a']}]}]", "(? In a)");
    expect("[{'matchExpressions':[{'key':'zone','operator':'In','values':[1,2]}]}]",
           "(zone In ?,?)");
}

static void selector_map(void **state)
{
    (void)state;
    cJSON *n = node();
    char *why = NULL;
    cJSON *sel = J("{'zone':'east','kubernetes.io/hostname':'node-a'}");
    assert_int_equal(node_selector_map_match(sel, n, "kubernetes.io/hostname", &why), MATCH_YES);
    assert_int_equal(node_selector_map_match(sel, n, NULL, &why), MATCH_NO);
    assert_string_equal(why, "(kubernetes.io/hostname In node-a)");
    free(why);
    cJSON_Delete(sel);
    sel = J("{'zone':'east','flag':'true'}");
    assert_int_equal(node_selector_map_match(sel, n, NULL, &why), MATCH_NO);
    assert_string_equal(why, "(flag In true)");
    free(why);
    cJSON_Delete(sel);
    sel = J("{'cores':16}");
    assert_int_equal(node_selector_map_match(sel, n, NULL, &why), MATCH_NO);
    assert_string_equal(why, "(cores In 16)");
    free(why);
    cJSON_Delete(sel);
    assert_int_equal(node_selector_map_match(NULL, n, NULL, &why), MATCH_YES);
    /* Null or absent affinity: no constraint. */
    sel = J("null");
    assert_int_equal(node_selector_match(sel, n, &why), MATCH_YES);
    assert_int_equal(node_selector_match(NULL, n, &why), MATCH_YES);
    cJSON_Delete(sel);
    cJSON_Delete(n);
}

static void vmi_rules(void **state)
{
    (void)state;
    cJSON *n = node();
    cJSON *vmi =
        J("{'spec':{'nodeSelector':{'kubernetes.io/hostname':'node-a','zone':'east'},"
          "'affinity':{'nodeAffinity':{'requiredDuringSchedulingIgnoredDuringExecution':"
          "{'nodeSelectorTerms':[{'matchExpressions':[{'key':'cores','operator':'Lt','values':['4']"
          "}]}]},"
          "'preferredDuringSchedulingIgnoredDuringExecution':[{'weight':1,'preference':{}}]}}}}");
    char *why = NULL;
    assert_int_equal(vmi_scheduling_rules_match(vmi, n, &why), MATCH_NO);
    assert_string_equal(why, "(cores Lt 4)");
    free(why);
    cJSON_Delete(vmi);
    vmi = J("{'spec':{'affinity':{'podAntiAffinity':{}}}}");
    assert_int_equal(vmi_scheduling_rules_match(vmi, n, &why), MATCH_YES);
    cJSON_Delete(vmi);
    cJSON_Delete(n);
}

/* Kubernetes' ToleratesTaint: effect, key (empty key + Exists = all), Equal (default) vs Exists. */
static bool tolerated(const char *taint, const char *tolerations)
{
    cJSON *t = J(taint), *tl = tolerations ? J(tolerations) : NULL;
    bool r = taint_tolerated(t, tl);
    cJSON_Delete(t);
    cJSON_Delete(tl);
    return r;
}

static void taints(void **state)
{
    (void)state;
    const char *etcd = "{'key':'node-role.kubernetes.io/etcd','value':'true','effect':'NoExecute'}";
    const char *drain = "{'key':'kubevirt.io/drain','value':'draining','effect':'NoSchedule'}";
    assert_false(tolerated(etcd, NULL));
    assert_false(tolerated(etcd, "[]"));
    assert_false(tolerated(etcd, "{}"));
    assert_true(tolerated(etcd, "[{'operator':'Exists'}]"));
    assert_false(tolerated(etcd, "[{'operator':'Equal'}]"));
    assert_true(tolerated(etcd, "[{'key':'node-role.kubernetes.io/etcd','operator':'Exists'}]"));
    assert_true(tolerated(etcd, "[{'key':'node-role.kubernetes.io/etcd','value':'true'}]"));
    assert_true(tolerated(etcd, "[{'key':'node-role.kubernetes.io/etcd','operator':'Equal',"
                                "'value':'true','effect':'NoExecute'}]"));
    assert_false(tolerated(etcd, "[{'key':'node-role.kubernetes.io/etcd','value':'false'}]"));
    assert_false(tolerated(etcd, "[{'key':'node-role.kubernetes.io/etcd','operator':'Exists',"
                                 "'effect':'NoSchedule'}]"));
    assert_false(tolerated(etcd, "[{'key':'node-role.kubernetes.io/etcd','operator':'Bogus'}]"));
    assert_false(tolerated(drain, "[{'key':'node.kubernetes.io/not-ready','operator':'Exists',"
                                  "'effect':'NoExecute'}]"));
    assert_true(tolerated(drain, "[1,{'key':'node.kubernetes.io/not-ready','operator':'Exists'},"
                                 "{'key':'kubevirt.io/drain','operator':'Exists',"
                                 "'effect':'NoSchedule'}]"));
    /* a taint without a value matches Equal with an empty value */
    assert_true(tolerated("{'key':'gpu','effect':'NoSchedule'}", "[{'key':'gpu','value':''}]"));
}

TEST_MAIN(cmocka_unit_test(operators), cmocka_unit_test(terms_and_expressions),
          cmocka_unit_test(selector_map), cmocka_unit_test(vmi_rules), cmocka_unit_test(taints))
