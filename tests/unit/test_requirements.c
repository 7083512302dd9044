/*
 * Unit tests for rules/requirements.c: the requirements R of a migration
 * target pod, derived from a launcher pod shaped as KubeVirt renders it
 * (virt-launcher-source-and-target-pods.json), or rendered from the VMI when
 * there is no source pod; the VMIM's addedNodeSelector; host-model keys; the
 * CPU vendor; and the choice of the source pod.
 */
#include "rule_fixtures.h"

#include "rules/requirements.h"
#include "test_main.h"

#define VMI_UID "5d0e3b1c-0000-4000-8000-00000000a001"

/* What the DefaultTolerationSeconds admission plugin adds to every pod, launcher pods too. */
#define DEFAULT_TOLERATIONS                                                                        \
    "[{'key':'node.kubernetes.io/not-ready','operator':'Exists','effect':'NoExecute',"             \
    "'tolerationSeconds':300},{'key':'node.kubernetes.io/unreachable','operator':'Exists',"        \
    "'effect':'NoExecute','tolerationSeconds':300}]"

static cJSON *vmi_on_node_a(const char *model)
{
    cJSON *vmi = J("{'kind':'VirtualMachineInstance','metadata':{'name':'vm1','namespace':"
                   "'default','uid':'" VMI_UID "'},'spec':{'domain':{'cpu':{}}},"
                   "'status':{'phase':'Running','nodeName':'node-a'}}");
    set_pathf(vmi, "spec.domain.cpu.model", "'%s'", model);
    return vmi;
}

static cJSON *source_pod(void)
{
    return fixture_item("virt-launcher-source-and-target-pods.json", "virt-launcher-vm1-x7k2p");
}

static cJSON *node_a(void)
{
    return fixture_item("nodes-cpu-labels.json", "node-a");
}

/* "key=value (origin)" for each label of R, joined by ", ". */
static char *labels_text(const struct requirements *r)
{
    char *out = strdup("");
    for (size_t i = 0; i < r->nlabels; i++) {
        char *next;
        assert_true(asprintf(&next, "%s%s%s=%s (%s)", out, i ? ", " : "", r->labels[i].key,
                             r->labels[i].value, req_origin_name(r->labels[i].origin)) > 0);
        free(out);
        out = next;
    }
    return out;
}

static void assert_labels(const struct requirements *r, const char *want)
{
    char *got = labels_text(r);
    if (strcmp(got, want) != 0)
        fail_msg("labels:\n got  %s\n want %s", got, want);
    free(got);
}

static void assert_json(const cJSON *got, const char *want_single_quoted)
{
    cJSON *want = J(want_single_quoted);
    if (!cJSON_Compare(got, want, true)) {
        char *g = got ? cJSON_PrintUnformatted(got) : strdup("null");
        fail_msg("got %s", g);
    }
    cJSON_Delete(want);
}

/* What R is derived from: the VMI, its source pod and source node (each may be NULL). */
struct inputs {
    cJSON *vmi, *pod, *node;
};

/* The case `what`: R of `from` for CPU mode `mode`. */
static struct requirements derived(const char *what, const struct inputs *from, const char *mode)
{
    struct requirements_input in = {
        .vmi = from->vmi, .source_pod = from->pod, .source_node = from->node, .cpu_mode = mode};
    struct requirements r;
    int rc = requirements_derive(&r, &in);
    name_failing_case(what, rc != 0);
    assert_int_equal(rc, 0);
    return r;
}

#define derive(...) derived(HERE, __VA_ARGS__)

/* Frees `r` and the inputs it was derived from. */
static void done(struct requirements *r, struct inputs *from)
{
    requirements_free(r);
    cJSON_Delete(from->vmi);
    cJSON_Delete(from->pod);
    cJSON_Delete(from->node);
}

/* The launcher pod of a host-model VM that never migrated: its selectors, affinity, then c and d.
 */
static void from_source_pod_host_model(void **state)
{
    (void)state;
    struct inputs in = {vmi_on_node_a("host-model"), source_pod(), node_a()};
    set_path(in.pod, "spec.tolerations", DEFAULT_TOLERATIONS);
    struct requirements r = derive(&in, "host-model");
    assert_labels(&r, "cpu-feature.node.kubevirt.io/invtsc=true (source node), "
                      "cpu-model-migration.node.kubevirt.io/XYZ=true (source node), "
                      "cpu-vendor.node.kubevirt.io/Intel=true (source node), "
                      "kubernetes.io/arch=amd64 (source pod), "
                      "kubevirt.io/schedulable=true (source pod), "
                      "machine-type.node.kubevirt.io/q35=true (source pod)");
    assert_string_equal(r.source_pod, "virt-launcher-vm1-x7k2p");
    assert_string_equal(r.source_node, "node-a");
    assert_true(r.host_model);
    assert_false(r.host_model_unknown);
    assert_false(r.host_model_from_pod);
    assert_string_equal(r.host_model_cpu, "XYZ");
    assert_int_equal(requirements_label(&r, "cpu-feature.node.kubevirt.io/invtsc")->kind,
                     REQ_HOST_MODEL_FEATURE);
    assert_int_equal(requirements_label(&r, "cpu-vendor.node.kubevirt.io/Intel")->kind, REQ_VENDOR);
    assert_int_equal(requirements_label(&r, "kubevirt.io/schedulable")->kind, REQ_SCHEDULING);
    assert_int_equal(r.affinity_origin, REQ_FROM_SOURCE_POD);
    assert_json(r.affinity,
                "{'nodeSelectorTerms':[{'matchExpressions':["
                "{'key':'network.harvesterhci.io/mgmt','operator':'In','values':['true']},"
                "{'key':'node-labeller.kubevirt.io/obsolete-host-model',"
                "'operator':'DoesNotExist'}]}]}");
    assert_int_equal(r.tolerations_origin, REQ_FROM_SOURCE_POD);
    assert_json(r.tolerations, DEFAULT_TOLERATIONS);
    done(&r, &in);
}

/*
 * The pod that is now the source was the target of an earlier migration to
 * node-b: its hostname key (from that VMIM) is not rendered again, its
 * host-model keys are copied as they are, and so is its vendor key.
 */
static void from_migrated_source_pod(void **state)
{
    (void)state;
    struct inputs in = {
        vmi_on_node_a("host-model"),
        fixture_item("virt-launcher-source-and-target-pods.json", "virt-launcher-vm1-"),
        make_node("node-a", "{'cpu-vendor.node.kubevirt.io/AMD':'true'}")};
    set_path(in.pod, "spec.nodeName", "'node-a'");
    set_path(in.pod, "status", "{'phase':'Running'}");
    set_path(in.pod, "metadata.name", "'virt-launcher-vm1-q8z4r'");
    set_path(in.pod, "spec.nodeSelector.topology~kubernetes~io/zone", "'zone-b'");
    struct requirements r = derive(&in, "host-model");
    assert_labels(&r, "cpu-feature.node.kubevirt.io/invtsc=true (source pod), "
                      "cpu-model-migration.node.kubevirt.io/XYZ=true (source pod), "
                      "cpu-vendor.node.kubevirt.io/Intel=true (source pod), "
                      "kubernetes.io/arch=amd64 (source pod), "
                      "kubevirt.io/schedulable=true (source pod), "
                      "machine-type.node.kubevirt.io/q35=true (source pod)");
    assert_true(r.host_model_from_pod);
    assert_string_equal(r.host_model_cpu, "XYZ");
    assert_null(r.tolerations);
    done(&r, &in);
}

/* Which source pod keys are carried: the VMI's own keys, arch, cpumanager, *kubevirt.io keys. */
static void source_pod_keys_rendered_from_the_vmi(void **state)
{
    (void)state;
    struct inputs in = {vmi_on_node_a("host-passthrough"), source_pod(), NULL};
    set_path(in.vmi, "spec.nodeSelector", "{'disktype':'ssd'}");
    set_path(in.pod, "spec.nodeSelector",
             "{'kubevirt.io/schedulable':'true','kubernetes.io/arch':'amd64','disktype':'ssd',"
             "'cpumanager':'true','hyperv.node.kubevirt.io/vpindex':'true',"
             "'kubernetes.io/hostname':'node-b','topology.kubernetes.io/zone':'zone-b',"
             "'example.com/kubevirt.io':'x','notkubevirt.io/x':'y',"
             "'scheduling.node.kubevirt.io/tsc-frequency-2400000000':'true'}");
    struct requirements r = derive(&in, "host-passthrough");
    assert_labels(&r, "cpumanager=true (source pod), disktype=ssd (source pod), "
                      "hyperv.node.kubevirt.io/vpindex=true (source pod), "
                      "kubernetes.io/arch=amd64 (source pod), "
                      "kubevirt.io/schedulable=true (source pod), "
                      "scheduling.node.kubevirt.io/tsc-frequency-2400000000=true (source pod)");
    assert_int_equal(requirements_label(&r, "cpumanager")->kind, REQ_CPUMANAGER);
    assert_int_equal(
        requirements_label(&r, "scheduling.node.kubevirt.io/tsc-frequency-2400000000")->kind,
        REQ_TSC);
    assert_false(r.host_model);
    done(&r, &in);
}

/* After a KubeVirt update the source pod may carry the old machine type: the VMI status wins. */
static void machine_type_from_vmi_status(void **state)
{
    (void)state;
    struct inputs in = {vmi_on_node_a("123"), source_pod(), NULL};
    set_path(in.vmi, "status.machine", "{'type':'pc-q35-rhel9.4.0'}");
    struct requirements r = derive(&in, "123");
    assert_labels(&r, "kubernetes.io/arch=amd64 (source pod), "
                      "kubevirt.io/schedulable=true (source pod), "
                      "machine-type.node.kubevirt.io/pc-q35-rhel9.4.0=true (VMI)");
    assert_int_equal(requirements_label(&r, "machine-type.node.kubevirt.io/pc-q35-rhel9.4.0")->kind,
                     REQ_MACHINE_TYPE);
    done(&r, &in);
}

/* No source pod: an explicit model, its required features, dedicated CPUs, the VMI's rules. */
static void rendered_from_vmi_explicit_model(void **state)
{
    (void)state;
    struct inputs in = {vmi_on_node_a("Skylake-Server"), NULL, node_a()};
    cJSON *vmi = in.vmi;
    set_path(vmi, "spec.domain.cpu.features",
             "[{'name':'pcid'},{'name':'avx512f','policy':'require'},"
             "{'name':'vmx','policy':'forbid'},{'name':'ssbd','policy':'optional'}]");
    set_path(vmi, "spec.domain.cpu.dedicatedCpuPlacement", "true");
    set_path(vmi, "spec.nodeSelector", "{'disktype':'ssd'}");
    set_path(vmi, "spec.tolerations",
             "[{'key':'kubevirt.io/drain','operator':'Exists','effect':'NoSchedule'}]");
    set_path(vmi, "spec.affinity",
             "{'nodeAffinity':{'requiredDuringSchedulingIgnoredDuringExecution':"
             "{'nodeSelectorTerms':[{'matchExpressions':[{'key':'zone','operator':'In',"
             "'values':['a']}]}]}}}");
    set_path(vmi, "status.machine", "{'type':'q35'}");
    struct requirements r = derive(&in, "Skylake-Server");
    assert_labels(&r, "cpu-feature.node.kubevirt.io/avx512f=true (VMI), "
                      "cpu-feature.node.kubevirt.io/pcid=true (VMI), "
                      "cpu-model.node.kubevirt.io/Skylake-Server=true (VMI), "
                      "cpu-vendor.node.kubevirt.io/Intel=true (source node), "
                      "cpumanager=true (VMI), disktype=ssd (VMI), "
                      "kubevirt.io/schedulable=true (VMI), "
                      "machine-type.node.kubevirt.io/q35=true (VMI)");
    assert_int_equal(requirements_label(&r, "cpu-feature.node.kubevirt.io/pcid")->kind,
                     REQ_FEATURE);
    assert_int_equal(requirements_label(&r, "cpu-model.node.kubevirt.io/Skylake-Server")->kind,
                     REQ_CPU_MODEL);
    assert_null(r.source_pod);
    assert_int_equal(r.affinity_origin, REQ_FROM_VMI);
    assert_json(r.affinity, "{'nodeSelectorTerms':[{'matchExpressions':[{'key':'zone','operator':"
                            "'In','values':['a']}]}]}");
    assert_int_equal(r.tolerations_origin, REQ_FROM_VMI);
    assert_json(r.tolerations,
                "[{'key':'kubevirt.io/drain','operator':'Exists','effect':'NoSchedule'}]");
    done(&r, &in);
}

/* No source pod, host-model: the obsolete-host-model term joins every affinity term. */
static void rendered_from_vmi_host_model(void **state)
{
    (void)state;
    struct inputs in = {vmi_on_node_a("host-model"), NULL, node_a()};
    struct requirements r = derive(&in, "host-model");
    assert_json(r.affinity, "{'nodeSelectorTerms':[{'matchExpressions':[{'key':"
                            "'node-labeller.kubevirt.io/obsolete-host-model','operator':"
                            "'DoesNotExist'}]}]}");
    assert_labels(&r, "cpu-feature.node.kubevirt.io/invtsc=true (source node), "
                      "cpu-model-migration.node.kubevirt.io/XYZ=true (source node), "
                      "cpu-vendor.node.kubevirt.io/Intel=true (source node), "
                      "kubevirt.io/schedulable=true (VMI)");
    requirements_free(&r);

    set_path(in.vmi, "spec.affinity",
             "{'nodeAffinity':{'requiredDuringSchedulingIgnoredDuringExecution':"
             "{'nodeSelectorTerms':[{'matchExpressions':[{'key':'zone','operator':'In',"
             "'values':['a']}]},{'matchFields':[{'key':'metadata.name','operator':'In',"
             "'values':['node-b']}]}]}}}");
    r = derive(&in, "host-model");
    assert_json(r.affinity,
                "{'nodeSelectorTerms':[{'matchExpressions':[{'key':'zone','operator':'In',"
                "'values':['a']},{'key':'node-labeller.kubevirt.io/obsolete-host-model',"
                "'operator':'DoesNotExist'}]},{'matchFields':[{'key':'metadata.name','operator':"
                "'In','values':['node-b']}],'matchExpressions':[{'key':"
                "'node-labeller.kubevirt.io/obsolete-host-model','operator':'DoesNotExist'}]}]}");
    done(&r, &in);
}

/* A host-model VM whose source node has no host-model label can go nowhere. */
static void host_model_unknown(void **state)
{
    (void)state;
    struct inputs in = {vmi_on_node_a("host-model"), source_pod(),
                        make_node("node-a", "{'cpu-vendor.node.kubevirt.io/Intel':'true'}")};
    struct requirements r = derive(&in, "host-model");
    assert_true(r.host_model_unknown);
    assert_null(r.host_model_cpu);
    assert_labels(&r, "cpu-vendor.node.kubevirt.io/Intel=true (source node), "
                      "kubernetes.io/arch=amd64 (source pod), "
                      "kubevirt.io/schedulable=true (source pod), "
                      "machine-type.node.kubevirt.io/q35=true (source pod)");
    done(&r, &in);
}

/* d: only when R has no vendor key (an EVMCS VM's pod has cpu-vendor Intel already). */
static void vendor_only_when_absent(void **state)
{
    (void)state;
    struct inputs in = {vmi_on_node_a("host-passthrough"), source_pod(),
                        make_node("node-a", "{'cpu-vendor.node.kubevirt.io/AMD':'true'}")};
    set_path(in.pod, "spec.nodeSelector.cpu-vendor~node~kubevirt~io/Intel", "'true'");
    struct requirements r = derive(&in, "host-passthrough");
    assert_non_null(requirements_label(&r, "cpu-vendor.node.kubevirt.io/Intel"));
    assert_null(requirements_label(&r, "cpu-vendor.node.kubevirt.io/AMD"));
    done(&r, &in);
    /* host-passthrough too gets the vendor (KubeVirt >= 1.8 adds it for every CPU mode) */
    in = (struct inputs){vmi_on_node_a("host-passthrough"), NULL,
                         make_node("node-a", "{'cpu-vendor.node.kubevirt.io/AMD':'true'}")};
    r = derive(&in, "host-passthrough");
    assert_labels(&r, "cpu-vendor.node.kubevirt.io/AMD=true (source node), "
                      "kubevirt.io/schedulable=true (VMI)");
    assert_null(r.affinity);
    done(&r, &in);
}

/* b: every addedNodeSelector key; the rendered value wins a clash. */
static void added_node_selector(void **state)
{
    (void)state;
    struct inputs in = {vmi_on_node_a("host-passthrough"), source_pod(), NULL};
    cJSON *vmim = J("{'spec':{'vmiName':'vm1','addedNodeSelector':{'kubernetes.io/hostname':"
                    "'node-b','topology.kubernetes.io/zone':'zone-b','kubernetes.io/arch':"
                    "'arm64'}}}");
    struct requirements r = derive(&in, "host-passthrough");
    assert_int_equal(requirements_add_migration(&r, vmim), 0);
    assert_int_equal(requirements_add_migration(&r, NULL), 0);
    assert_labels(&r, "kubernetes.io/arch=amd64 (source pod), "
                      "kubernetes.io/hostname=node-b (VMIM), "
                      "kubevirt.io/schedulable=true (source pod), "
                      "machine-type.node.kubevirt.io/q35=true (source pod), "
                      "topology.kubernetes.io/zone=zone-b (VMIM)");
    done(&r, &in);
    cJSON_Delete(vmim);
}

/* The source pod: the VMI's, Running, on its node, the newest. */
static void picks_newest_running_pod_on_the_node(void **state)
{
    (void)state;
    cJSON *pods = cJSON_CreateArray();
    const char *specs[] = {
        "{'metadata':{'name':'old','creationTimestamp':'2026-01-10T08:00:00Z','labels':"
        "{'kubevirt.io/created-by':'" VMI_UID "'}},'spec':{'nodeName':'node-a'},'status':"
        "{'phase':'Running'}}",
        "{'metadata':{'name':'new','creationTimestamp':'2026-01-12T08:00:00Z','labels':"
        "{'kubevirt.io/created-by':'" VMI_UID "'}},'spec':{'nodeName':'node-a'},'status':"
        "{'phase':'Running'}}",
        "{'metadata':{'name':'done','creationTimestamp':'2026-01-13T08:00:00Z','labels':"
        "{'kubevirt.io/created-by':'" VMI_UID "'}},'spec':{'nodeName':'node-a'},'status':"
        "{'phase':'Succeeded'}}",
        "{'metadata':{'name':'target','creationTimestamp':'2026-01-14T08:00:00Z','labels':"
        "{'kubevirt.io/created-by':'" VMI_UID "'}},'spec':{'nodeName':'node-b'},'status':"
        "{'phase':'Running'}}",
        "{'metadata':{'name':'other-vm','creationTimestamp':'2026-01-15T08:00:00Z','labels':"
        "{'kubevirt.io/created-by':'x'}},'spec':{'nodeName':'node-a'},'status':"
        "{'phase':'Running'}}",
        "{'metadata':{'name':'no-time','labels':{'kubevirt.io/created-by':'" VMI_UID
        "'}},'spec':{'nodeName':'node-a'},'status':{'phase':'Running'}}",
    };
    for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++)
        cJSON_AddItemToArray(pods, J(specs[i]));
    const cJSON *pod = requirements_pick_source_pod(pods, VMI_UID, "node-a");
    assert_non_null(pod);
    assert_string_equal(meta_string(pod, "name"), "new");
    assert_null(requirements_pick_source_pod(pods, VMI_UID, "node-c"));
    assert_null(requirements_pick_source_pod(pods, NULL, "node-a"));
    assert_null(requirements_pick_source_pod(NULL, VMI_UID, "node-a"));
    cJSON_Delete(pods);
}

/* A VMI and a launcher pod with odd types everywhere. */
#define ODD_VMI                                                                                    \
    "{'spec':{'nodeSelector':[1],'tolerations':{},'affinity':{'nodeAffinity':"                     \
    "{'requiredDuringSchedulingIgnoredDuringExecution':{'nodeSelectorTerms':"                      \
    "[1,{'matchExpressions':{}}]}}},'domain':{'cpu':{'features':[1,{'name':7}]}}},"                \
    "'status':{'nodeName':5,'machine':{'type':''}}}"
#define ODD_POD                                                                                    \
    "{'spec':{'nodeSelector':{'kubevirt.io/x':5,'kubevirt.io/y':'1'},"                             \
    "'tolerations':'x','affinity':[]},'metadata':{}}"

/* Bad input never crashes: odd types everywhere give an R with what could be read. */
static void odd_input(void **state)
{
    (void)state;
    /* The pod as the source node, then the VMI as the source node. */
    struct inputs in = {J(ODD_VMI), NULL, J(ODD_POD)};
    struct requirements r = derive(&in, "host-model");
    assert_false(r.host_model_unknown); /* no source node name: nothing to judge by */
    done(&r, &in);
    in = (struct inputs){J(ODD_VMI), J(ODD_POD), J(ODD_VMI)};
    r = derive(&in, "Penryn");
    assert_labels(&r, "kubevirt.io/y=1 (source pod)");
    assert_string_equal(r.source_pod, "");
    done(&r, &in);
}

TEST_MAIN(cmocka_unit_test(from_source_pod_host_model), cmocka_unit_test(from_migrated_source_pod),
          cmocka_unit_test(source_pod_keys_rendered_from_the_vmi),
          cmocka_unit_test(machine_type_from_vmi_status),
          cmocka_unit_test(rendered_from_vmi_explicit_model),
          cmocka_unit_test(rendered_from_vmi_host_model), cmocka_unit_test(host_model_unknown),
          cmocka_unit_test(vendor_only_when_absent), cmocka_unit_test(added_node_selector),
          cmocka_unit_test(picks_newest_running_pod_on_the_node), cmocka_unit_test(odd_input))
