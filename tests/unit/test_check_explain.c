/*
 * Unit tests for server/check_explain.c: the requirements of the target pod
 * in check's report (JSON) and their text, for R taken from a source pod and
 * R rendered from the VMI, with several affinity terms, tolerations of every
 * shape, and a host model that cannot be known.
 */
#include "migration_fixture.h"
#include "server/check_explain.h"
#include "test_main.h"

#define VMI_UID "5d0e3b1c-0000-4000-8000-00000000a001"

static cJSON *vmi_on_node_a(void)
{
    return J("{'kind':'VirtualMachineInstance','metadata':{'name':'vm1','namespace':'default',"
             "'uid':'" VMI_UID "'},'spec':{'domain':{'cpu':{'model':'host-model'}}},"
             "'status':{'phase':'Running','nodeName':'node-a'}}");
}

/* The report of `vmi` in `cluster` (VMIM `vmim` may be NULL) and its text; caller frees both. */
static cJSON *explain(cJSON *cluster, cJSON *vmi, cJSON *vmim, char **text)
{
    struct migration_fixture f;
    migration_open(HERE, &f, cluster, vmi, CV_OK);
    assert_int_equal(migration_ctx_use_migration(&f.ctx, vmim), 0);
    cJSON *report = cJSON_CreateObject();
    check_explain_add(report, &f.ctx);
    size_t len = 0;
    FILE *out = open_memstream(text, &len);
    check_explain_print(report, out, false);
    fclose(out);
    migration_close(&f);
    cJSON_Delete(vmim);
    return report;
}

static void assert_contains(const char *text, const char *want)
{
    if (!strstr(text, want))
        fail_msg("missing %s in:\n%s", want, text);
}

static const cJSON *get(const cJSON *o, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(o, key);
}

/* From the source pod: each key with its origin and the step that checks it. */
static void from_source_pod(void **state)
{
    (void)state;
    cJSON *cluster = cJSON_CreateArray();
    cJSON_AddItemToArray(cluster, fixture_item("nodes-cpu-labels.json", "node-a"));
    cJSON *pod =
        fixture_item("virt-launcher-source-and-target-pods.json", "virt-launcher-vm1-x7k2p");
    set_path(pod, "spec.tolerations",
             "[{'key':'node.kubernetes.io/not-ready','operator':'Exists','effect':'NoExecute',"
             "'tolerationSeconds':300},{'key':'dedicated','value':'db','effect':'NoSchedule'},"
             "{'operator':'Exists'}]");
    cJSON_AddItemToArray(cluster, pod);
    cJSON *vmim = J("{'spec':{'addedNodeSelector':{'topology.kubernetes.io/zone':'zone-b'}}}");
    char *text;
    cJSON *report = explain(cluster, vmi_on_node_a(), vmim, &text);
    const cJSON *r = get(report, "requirements");
    assert_string_equal(cJSON_GetStringValue(get(r, "renderedFrom")), "source pod");
    assert_string_equal(cJSON_GetStringValue(get(r, "sourcePod")), "virt-launcher-vm1-x7k2p");
    assert_string_equal(cJSON_GetStringValue(get(r, "sourceNode")), "node-a");
    assert_string_equal(cJSON_GetStringValue(get(r, "hostModel")), "XYZ");
    assert_false(cJSON_IsTrue(get(r, "hostModelUnknown")));
    const cJSON *l, *zone = NULL, *vendor = NULL;
    cJSON_ArrayForEach (l, get(r, "nodeSelector")) {
        const char *key = cJSON_GetStringValue(get(l, "key"));
        if (strcmp(key, "topology.kubernetes.io/zone") == 0)
            zone = l;
        if (strcmp(key, "cpu-vendor.node.kubevirt.io/Intel") == 0)
            vendor = l;
    }
    assert_non_null(zone);
    assert_string_equal(cJSON_GetStringValue(get(zone, "from")), "VMIM");
    assert_int_equal(get(zone, "step")->valueint, 3);
    assert_non_null(vendor);
    assert_string_equal(cJSON_GetStringValue(get(vendor, "from")), "source node");
    assert_int_equal(get(vendor, "step")->valueint, 5);
    assert_string_equal(cJSON_GetStringValue(get(r, "tolerationsFrom")), "source pod");
    assert_string_equal(cJSON_GetStringValue(get(r, "nodeAffinityFrom")), "source pod");

    assert_contains(text, "Requirements of the target pod\n"
                          "  source pod virt-launcher-vm1-x7k2p, source node node-a\n"
                          "  node selector:\n");
    assert_contains(text, "    topology.kubernetes.io/zone=zone-b");
    assert_contains(text, "  VMIM\n");
    assert_contains(text, "  required node affinity (source pod):\n"
                          "    network.harvesterhci.io/mgmt In true and "
                          "node-labeller.kubevirt.io/obsolete-host-model DoesNotExist\n");
    assert_contains(text, "  tolerations (source pod):\n"
                          "    node.kubernetes.io/not-ready Exists NoExecute for 300 s\n"
                          "    dedicated Equal db NoSchedule\n"
                          "    (every key) Exists (every effect)\n");
    free(text);
    cJSON_Delete(report);
}

/* No source pod: rendered from the VMI; terms ORed; no tolerations; an unknown host model. */
static void rendered_from_the_vmi(void **state)
{
    (void)state;
    cJSON *cluster = cJSON_CreateArray();
    cJSON_AddItemToArray(cluster,
                         make_node("node-a", "{'cpu-vendor.node.kubevirt.io/Intel':'true'}"));
    cJSON *vmi = vmi_on_node_a();
    set_path(vmi, "spec.affinity",
             "{'nodeAffinity':{'requiredDuringSchedulingIgnoredDuringExecution':"
             "{'nodeSelectorTerms':[{'matchExpressions':[{'key':'zone','operator':'In',"
             "'values':['a','b']}]},{'matchFields':[{'key':'metadata.name','operator':'NotIn',"
             "'values':['node-x']}]}]}}}");
    char *text;
    cJSON *report = explain(cluster, vmi, NULL, &text);
    const cJSON *r = get(report, "requirements");
    assert_string_equal(cJSON_GetStringValue(get(r, "renderedFrom")), "VMI");
    assert_null(get(r, "sourcePod"));
    assert_true(cJSON_IsTrue(get(r, "hostModelUnknown")));
    assert_null(get(r, "tolerations"));
    assert_contains(text, "  no running source pod: rendered from the VMI; source node node-a\n");
    assert_contains(text, "    kubevirt.io/schedulable=true");
    assert_contains(text,
                    "  required node affinity (VMI):\n"
                    "    zone In a,b and node-labeller.kubevirt.io/obsolete-host-model "
                    "DoesNotExist\n"
                    "    or node-labeller.kubevirt.io/obsolete-host-model DoesNotExist and field "
                    "metadata.name NotIn node-x\n");
    assert_contains(text, "  no tolerations: a node with a NoSchedule or NoExecute taint cannot "
                          "take it\n");
    assert_contains(text, "  host-model, but node node-a has no host-model-cpu.node.kubevirt.io "
                          "label: no node can take it\n");
    free(text);
    cJSON_Delete(report);
}

/* A report without requirements prints nothing; odd shapes print without crashing. */
static void odd_reports(void **state)
{
    (void)state;
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    cJSON *empty = cJSON_CreateObject();
    check_explain_print(empty, out, true);
    cJSON *odd = J("{'requirements':{'nodeSelector':[{'key':5},{}],'nodeAffinity':"
                   "{'nodeSelectorTerms':[{},{'matchExpressions':[{'values':[1]}]}]},"
                   "'tolerations':[{'tolerationSeconds':'x'},7]}}");
    check_explain_print(odd, out, true);
    fclose(out);
    assert_non_null(strstr(text, "(empty term: matches no node)"));
    assert_non_null(strstr(text, "\033[1mRequirements of the target pod\033[0m"));
    free(text);
    cJSON_Delete(empty);
    cJSON_Delete(odd);
}

TEST_MAIN(cmocka_unit_test(from_source_pod), cmocka_unit_test(rendered_from_the_vmi),
          cmocka_unit_test(odd_reports))
