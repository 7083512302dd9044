/*
 * Unit tests for the KubeVirt CR rules (docs/rules.md#kubevirt-cr, docs/rules.md#details):
 * cluster-cpu-model, migration-timeouts, and the opt-in mutation that sets 800 / 150, whose patches
 * are applied here to prove they apply.
 */
#include "rule_fixtures.h"
#include "test_main.h"

static cJSON *chart_cr(void)
{
    return fixture_object("harvester-kubevirt-cr-from-chart.yaml", 0);
}

static cJSON *cluster_nodes(void)
{
    cJSON *objects = cJSON_CreateArray();
    add_fixture(objects, "constructed-nodes-cpu-labels.yaml");
    return objects;
}

/* Validates `cr` against `objects` (taken) under `s` (NULL: the default settings). */
static void validate_with(const cJSON *cr, cJSON *objects, const struct rule_settings *s,
                          struct verdict *out)
{
    struct rule_settings defaults = default_settings();
    struct cluster_view *view = view_over(objects);
    run_rule(rules_kubevirt_validate, cr, "harvester-system", "kubevirt", s ? s : &defaults, view,
             out);
    cv_destroy(view);
}

static void validate(const cJSON *cr, cJSON *objects, struct verdict *out)
{
    validate_with(cr, objects, NULL, out);
}

/* The case `what`: validating `cr` against the nodes allows it. */
static void allows(const char *what, const cJSON *cr)
{
    struct verdict v;
    validate(cr, cluster_nodes(), &v);
    name_failing_case(what, !v.allowed);
    assert_true(v.allowed);
    verdict_free(&v);
}

#define expect_allowed(cr) allows(HERE, cr)

/* The case `what`: validating `cr` against `objects` (taken) denies it with `message`. */
static void denies(const char *what, const cJSON *cr, cJSON *objects, const char *message)
{
    struct verdict v;
    validate(cr, objects, &v);
    name_failing_case(what, v.allowed || strcmp(v.message, message) != 0);
    assert_false(v.allowed);
    assert_string_equal(v.message, message);
    verdict_free(&v);
}

#define expect_denied(...) denies(HERE, __VA_ARGS__)

static void chart_cr_is_allowed(void **state)
{
    (void)state;
    cJSON *cr = chart_cr();
    struct verdict v;
    validate(cr, cluster_nodes(), &v);
    assert_true(v.allowed);
    assert_int_equal(v.nwarnings, 0);
    verdict_free(&v);
    cJSON_Delete(cr);
}

static void cluster_cpu_model_must_be_everywhere(void **state)
{
    (void)state;
    cJSON *cr = chart_cr();

    set_at(cr, "spec.configuration.cpuModel", cJSON_CreateString("123")); /* both nodes carry it */
    expect_allowed(cr);

    const char *named[] = {"host-model", "host-passthrough"};
    for (int i = 0; i < 2; i++) {
        set_at(cr, "spec.configuration.cpuModel", cJSON_CreateString(named[i]));
        allows(named[i], cr);
    }

    /* XYZ is node-a's host model, but no node carries cpu-model.node.kubevirt.io/XYZ. A cordoned
     * node is skipped. */
    set_at(cr, "spec.configuration.cpuModel", cJSON_CreateString("XYZ"));
    cJSON *objects = cluster_nodes();
    cJSON *cordoned = json(
        "{\"kind\":\"Node\",\"metadata\":{\"name\":\"node-0\"},\"spec\":{\"unschedulable\":true}}");
    cJSON *plain =
        json("{\"kind\":\"Node\",\"metadata\":{\"name\":\"node-c\",\"labels\":"
             "{\"cpu-model.node.kubevirt.io/XYZ\":true,\"kubevirt.io/schedulable\":\"true\"}}}");
    /* a boolean label value does not count */
    cJSON_AddItemToArray(objects, cordoned);
    cJSON_AddItemToArray(objects, plain);
    expect_denied(cr, objects,
                  "cluster CPU model XYZ is not supported by nodes: node-a, node-b, node-c");
    cJSON_Delete(cr);
}

static void migration_timeouts_must_be_positive_integers(void **state)
{
    (void)state;
    const struct {
        const char *value, *got; /* got NULL = allowed */
    } cases[] = {
        {"800", NULL},
        {"1", NULL},
        {"null", NULL},
        {"9007199254740992", NULL},
        /* cJSON keeps numbers as doubles: 800.0 cannot be told from 800 once parsed. */
        {"800.0", NULL},
        {"\"800\"", "\"800\""},
        {"800.5", "800.5"},
        {"true", "true"},
        {"false", "false"},
        {"0", "0"},
        {"-5", "-5"},
        {"{}", "{}"},
        {"[150]", "[150]"},
        {"1e300", "1e+300"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *fields[] = {"completionTimeoutPerGiB", "progressTimeout"};
        for (int f = 0; f < 2; f++) {
            cJSON *cr = chart_cr();
            char path[128];
            snprintf(path, sizeof(path), "spec.configuration.migrations.%s", fields[f]);
            set_at(cr, path, json(cases[i].value));
            struct verdict v;
            validate(cr, cluster_nodes(), &v);
            if (!cases[i].got) {
                if (!v.allowed)
                    fail_msg("%s = %s denied: %s", fields[f], cases[i].value, v.message);
            } else {
                char expected[256];
                snprintf(expected, sizeof(expected),
                         "migration setting %s must be a positive integer, got %s", fields[f],
                         cases[i].got);
                assert_false(v.allowed);
                assert_string_equal(v.message, expected);
            }
            verdict_free(&v);
            cJSON_Delete(cr);
        }
    }
}

static void several_texts_are_joined(void **state)
{
    (void)state;
    cJSON *cr = chart_cr();
    set_at(cr, "spec.configuration.cpuModel", cJSON_CreateString("Skylake"));
    set_at(cr, "spec.configuration.migrations",
           json("{\"progressTimeout\":\"150\",\"completionTimeoutPerGiB\":-5}"));
    expect_denied(cr, cluster_nodes(),
                  "cluster CPU model Skylake is not supported by nodes: node-a, node-b; "
                  "migration setting completionTimeoutPerGiB must be a positive integer, got -5; "
                  "migration setting progressTimeout must be a positive integer, got \"150\"");

    /* warn mode: allowed, one warning with the same text. */
    struct rule_settings s = default_settings();
    s.migration[RULE_CLUSTER_CPU_MODEL] = MODE_WARN;
    s.migration[RULE_MIGRATION_TIMEOUTS] = MODE_OFF;
    struct verdict v;
    validate_with(cr, cluster_nodes(), &s, &v);
    assert_true(v.allowed);
    assert_int_equal(v.nwarnings, 1);
    assert_string_equal(v.warnings[0],
                        "cluster CPU model Skylake is not supported by nodes: node-a, node-b");
    verdict_free(&v);

    /* Nodes unreadable: denied, saying so. */
    rule_settings_default(&s);
    run_rule(rules_kubevirt_validate, cr, "harvester-system", "kubevirt", &s, &failing_view, &v);
    assert_false(v.allowed);
    assert_string_equal(
        v.message,
        "cannot verify migration of VM harvester-system/kubevirt: LIST: connection refused");
    verdict_free(&v);
    cJSON_Delete(cr);
}

/* ------------------------------------------------------------- mutation */

/* Applies RFC 6902 "add" ops (object members only) to `doc`; 0 or -1 when one does not apply. */
static int apply_adds(cJSON *doc, const cJSON *patch)
{
    const cJSON *op;
    cJSON_ArrayForEach (op, patch) {
        if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(op, "op")), "add") != 0)
            return -1;
        char path[512];
        snprintf(path, sizeof(path), "%s", cJSON_GetStringValue(cJSON_GetObjectItem(op, "path")));
        cJSON *parent = doc;
        char *token = path + 1, *slash;
        while ((slash = strchr(token, '/'))) {
            *slash = '\0';
            parent = cJSON_GetObjectItemCaseSensitive(parent, token);
            if (!cJSON_IsObject(parent))
                return -1;
            token = slash + 1;
        }
        if (!cJSON_IsObject(parent))
            return -1;
        cJSON_DeleteItemFromObjectCaseSensitive(parent, token);
        cJSON_AddItemToObject(parent, token, cJSON_Duplicate(cJSON_GetObjectItem(op, "value"), 1));
    }
    return 0;
}

static void mutate(cJSON *cr, bool opt_in, struct verdict *out)
{
    struct rule_settings s = default_settings();
    s.default_timeouts = opt_in;
    struct cluster_view *view = view_over(cJSON_CreateArray());
    run_rule(rules_kubevirt_mutate, cr, "harvester-system", "kubevirt", &s, view, out);
    cv_destroy(view);
}

static void defaults_only_when_opted_in(void **state)
{
    (void)state;
    cJSON *cr = chart_cr();
    struct verdict v;
    mutate(cr, false, &v);
    assert_null(v.patch);
    verdict_free(&v);
    cJSON_Delete(cr);
}

static void defaults_set_and_patches_apply(void **state)
{
    (void)state;
    const struct {
        const char *cr; /* JSON, NULL = the chart CR */
        int nops;
    } cases[] = {
        {NULL, 3},
        {"{\"kind\":\"KubeVirt\",\"metadata\":{\"name\":\"kubevirt\"}}", 5},
        {"{\"kind\":\"KubeVirt\",\"spec\":null}", 5},
        {"{\"kind\":\"KubeVirt\",\"spec\":{\"configuration\":{\"migrations\":{\"progressTimeout\":"
         "60}}}}",
         1},
        {"{\"kind\":\"KubeVirt\",\"spec\":{\"configuration\":{\"migrations\":{"
         "\"completionTimeoutPerGiB\":\"x\","
         "\"progressTimeout\":60}}}}",
         0},
        {"{\"kind\":\"KubeVirt\",\"spec\":{\"configuration\":{\"migrations\":\"bad\"}}}", 0},
        {"{\"kind\":\"KubeVirt\",\"spec\":[]}", 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cJSON *cr = cases[i].cr ? json(cases[i].cr) : chart_cr();
        struct verdict v;
        mutate(cr, true, &v);
        assert_true(v.allowed);
        if (cases[i].nops == 0) {
            assert_null(v.patch);
        } else {
            assert_int_equal(cJSON_GetArraySize(v.patch), cases[i].nops);
            assert_int_equal(apply_adds(cr, v.patch), 0);
            const cJSON *m = cJSON_GetObjectItem(
                cJSON_GetObjectItem(cJSON_GetObjectItem(cr, "spec"), "configuration"),
                "migrations");
            assert_true(cJSON_IsNumber(cJSON_GetObjectItem(m, "completionTimeoutPerGiB")));
            assert_true(cJSON_IsNumber(cJSON_GetObjectItem(m, "progressTimeout")));
            /* Running again adds nothing. */
            struct verdict again;
            mutate(cr, true, &again);
            assert_null(again.patch);
            verdict_free(&again);
        }
        verdict_free(&v);
        cJSON_Delete(cr);
    }
    /* The chart CR gets exactly 800 and 150. */
    cJSON *cr = chart_cr();
    struct verdict v;
    mutate(cr, true, &v);
    char *text = cJSON_PrintUnformatted(v.patch);
    assert_string_equal(
        text, "[{\"op\":\"add\",\"path\":\"/spec/configuration/migrations\",\"value\":{}},"
              "{\"op\":\"add\",\"path\":\"/spec/configuration/migrations/"
              "completionTimeoutPerGiB\",\"value\":800},"
              "{\"op\":\"add\",\"path\":\"/spec/configuration/migrations/"
              "progressTimeout\",\"value\":150}]");
    free(text);
    verdict_free(&v);
    cJSON_Delete(cr);
}

TEST_MAIN(cmocka_unit_test(chart_cr_is_allowed),
          cmocka_unit_test(cluster_cpu_model_must_be_everywhere),
          cmocka_unit_test(migration_timeouts_must_be_positive_integers),
          cmocka_unit_test(several_texts_are_joined), cmocka_unit_test(defaults_only_when_opted_in),
          cmocka_unit_test(defaults_set_and_patches_apply))
