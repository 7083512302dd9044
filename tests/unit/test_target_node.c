/*
 * Unit tests for rules/target_node.c: every step of docs/rules.md#node-eligibility with its exact
 * text, the CPU requirement (explicit model, cluster default, host-model,
 * copied source-pod keys, host-passthrough), the target-node and no-target
 * rules, and the common CPU model list.
 *
 * The base cluster is the two Harvester nodes of nodes-cpu-labels.json
 * (node-a: host model XYZ + feature invtsc, node-b: host model ABC, both model
 * 123, both Intel) and VM default/vm1 running on node-a with its source
 * launcher pod.  Before each evaluation the source pod gets what KubeVirt
 * renders from the test's VMI (its nodeSelector, explicit model, affinity),
 * as a real launcher pod of that VMI would carry it.
 */
#include "migration_fixture.h"
#include "test_main.h"

#define VMI_UID "5d0e3b1c-0000-4000-8000-00000000a001"
#define EM_DASH "\u2014"

static cJSON *base_vmi(const char *model)
{
    cJSON *vmi = J("{'apiVersion':'kubevirt.io/v1','kind':'VirtualMachineInstance',"
                   "'metadata':{'name':'vm1','namespace':'default','uid':'" VMI_UID "'},"
                   "'spec':{'domain':{'cpu':{}},'networks':[{'name':'default','pod':{}}]},"
                   "'status':{'phase':'Running','nodeName':'node-a'}}");
    if (model)
        set_pathf(vmi, "spec.domain.cpu.model", "'%s'", model);
    return vmi;
}

/* node-a, node-b and the source launcher pod of vm1. */
static cJSON *base_cluster(void)
{
    cJSON *all = cJSON_CreateArray();
    cJSON_AddItemToArray(all, fixture_item("nodes-cpu-labels.json", "node-a"));
    cJSON_AddItemToArray(all, fixture_item("nodes-cpu-labels.json", "node-b"));
    cJSON_AddItemToArray(
        all, fixture_item("virt-launcher-source-and-target-pods.json", "virt-launcher-vm1-x7k2p"));
    return all;
}

static cJSON *find(cJSON *cluster, const char *name)
{
    cJSON *o;
    cJSON_ArrayForEach (o, cluster) {
        const char *n = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(o, "metadata"), "name"));
        if (n && strcmp(n, name) == 0)
            return o;
    }
    fail_msg("no object %s", name);
    return NULL;
}

/* A VM node like nodes-cpu-labels.json's: schedulable, amd64, q35, mgmt network, Intel. */
static cJSON *vm_node(const char *name, const char *labels_json)
{
    cJSON *node = make_node(name, labels_json);
    set_path(node, "metadata.labels.kubevirt~io/schedulable", "'true'");
    set_path(node, "metadata.labels.kubernetes~io/arch", "'amd64'");
    set_path(node, "metadata.labels.machine-type~node~kubevirt~io/q35", "'true'");
    set_path(node, "metadata.labels.network~harvesterhci~io/mgmt", "'true'");
    cJSON *labels = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(node, "metadata"), "labels");
    bool has_vendor = false;
    cJSON *l;
    cJSON_ArrayForEach (l, labels)
        has_vendor = has_vendor || strncmp(l->string, "cpu-vendor.", 11) == 0;
    if (!has_vendor)
        set_path(node, "metadata.labels.cpu-vendor~node~kubevirt~io/Intel", "'true'");
    return node;
}

/*
 * The source launcher pod of `cluster` (if any) as KubeVirt renders it for
 * `vmi`: the VMI's nodeSelector, an explicit model's key, the VMI's required
 * node affinity.
 */
static void render_source_pod(cJSON *cluster, const cJSON *vmi)
{
    cJSON *pod = NULL, *o;
    cJSON_ArrayForEach (o, cluster)
        if (strcmp(meta_string(o, "name") ? meta_string(o, "name") : "",
                   "virt-launcher-vm1-x7k2p") == 0)
            pod = o;
    if (!pod)
        return;
    cJSON *spec = cJSON_GetObjectItemCaseSensitive(pod, "spec");
    cJSON *selector = cJSON_GetObjectItemCaseSensitive(spec, "nodeSelector");
    const cJSON *vspec = cJSON_GetObjectItemCaseSensitive(vmi, "spec"), *item;
    cJSON_ArrayForEach (item, cJSON_GetObjectItemCaseSensitive(vspec, "nodeSelector")) {
        cJSON_DeleteItemFromObjectCaseSensitive(selector, item->string);
        cJSON_AddItemToObject(selector, item->string, cJSON_Duplicate(item, 1));
    }
    const char *model = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(vspec, "domain"), "cpu"),
        "model"));
    if (model && *model && strcmp(model, "host-model") != 0 &&
        strcmp(model, "host-passthrough") != 0) {
        char key[256];
        snprintf(key, sizeof(key), "cpu-model.node.kubevirt.io/%s", model);
        cJSON_AddStringToObject(selector, key, "true");
    }
    const cJSON *affinity = cJSON_GetObjectItemCaseSensitive(vspec, "affinity");
    if (affinity) {
        cJSON_DeleteItemFromObjectCaseSensitive(spec, "affinity");
        cJSON_AddItemToObject(spec, "affinity", cJSON_Duplicate(affinity, 1));
    }
}

static void remove_source_pod(cJSON *cluster)
{
    cJSON *o;
    int i = 0;
    cJSON_ArrayForEach (o, cluster) {
        if (strcmp(meta_string(o, "name") ? meta_string(o, "name") : "",
                   "virt-launcher-vm1-x7k2p") == 0) {
            cJSON_DeleteItemFromArray(cluster, i);
            return;
        }
        i++;
    }
}

/* docs/rules.md#node-eligibility for `node`: the step (0 = eligible) and reason ("" when eligible),
 * freeing `cluster` and `vmi`. */
static char *check(const char *what, cJSON *cluster, cJSON *vmi, const char *node, int *step)
{
    render_source_pod(cluster, vmi);
    struct migration_fixture f;
    migration_open(what, &f, cluster, vmi, CV_OK);
    char *reason = NULL;
    *step = target_node_check(&f.ctx, node, &reason);
    migration_close(&f);
    return reason ? reason : strdup("");
}

/* The case `what` (HERE, or a table's name for it): `node` fails at `want_step` saying `want`. */
static void reason_is(const char *what, cJSON *cluster, cJSON *vmi, const char *node, int want_step,
                      const char *want)
{
    int step;
    char *reason = check(what, cluster, vmi, node, &step);
    name_failing_case(what, strcmp(reason, want) != 0 || step != want_step);
    assert_string_equal(reason, want);
    assert_int_equal(step, want_step);
    free(reason);
}

#define assert_reason(...) reason_is(HERE, __VA_ARGS__)

/* The case `what`: node-b of the base cluster with `path` set to `value` (NULL: removed), for a VMI
 * of CPU model `model`, fails at `want_step` saying `want`. */
static void node_b_is(const char *what, const char *path, const char *value, const char *model,
                      int want_step, const char *want)
{
    cJSON *cluster = base_cluster();
    if (value)
        set_path(find(cluster, "node-b"), path, value);
    else
        drop_at(find(cluster, "node-b"), path);
    reason_is(what, cluster, base_vmi(model), "node-b", want_step, want);
}

#define assert_node_b(...) node_b_is(HERE, __VA_ARGS__)

/* The texts the target-node and no-target rules give (joined by " | "), freeing `cluster`, `vmi`,
 * `vmim`. */
static char *rule_texts(const char *what, cJSON *cluster, cJSON *vmi, cJSON *vmim)
{
    render_source_pod(cluster, vmi);
    struct migration_fixture f;
    migration_open(what, &f, cluster, vmi, CV_OK);
    struct verdict v;
    verdict_init(&v);
    rules_target_node(&f.ctx, vmim, &v);
    rules_no_target(&f.ctx, &v);
    assert_null(v.view_error);
    char *out = strdup("");
    for (size_t i = 0; i < v.nfindings; i++) {
        char *next;
        assert_true(asprintf(&next, "%s%s%s: %s", out, i ? " | " : "",
                             rule_id_name(v.findings[i].rule), v.findings[i].text) > 0);
        free(out);
        out = next;
    }
    verdict_free(&v);
    migration_close(&f);
    cJSON_Delete(vmim);
    return out;
}

static void rules_say(const char *what, cJSON *cluster, cJSON *vmi, cJSON *vmim, const char *want)
{
    char *got = rule_texts(what, cluster, vmi, vmim);
    name_failing_case(what, strcmp(got, want) != 0);
    assert_string_equal(got, want);
    free(got);
}

#define assert_rules(...) rules_say(HERE, __VA_ARGS__)

static cJSON *vmim_to(const char *node)
{
    cJSON *vmim =
        J("{'apiVersion':'kubevirt.io/v1','kind':'VirtualMachineInstanceMigration',"
          "'metadata':{'name':'vm1-8wzqd','namespace':'default'},'spec':{'vmiName':'vm1'}}");
    if (node)
        set_pathf(vmim, "spec.addedNodeSelector", "{'kubernetes.io/hostname':'%s'}", node);
    return vmim;
}

/* ------------------------------------------------------------ step 1 */

static void step1_missing_and_current_node(void **state)
{
    (void)state;
    assert_reason(base_cluster(), base_vmi("123"), "node-z", 1, "does not exist");
    assert_reason(base_cluster(), base_vmi("123"), "node-a", 1, "is the node it runs on");
    assert_reason(base_cluster(), base_vmi("123"), "node-b", 0, "");
}

/* ------------------------------------------------------------ step 2 */

static void step2_texts(void **state)
{
    (void)state;
    static const struct {
        const char *path, *value, *want;
    } cases[] = {
        {"spec.unschedulable", "true", "is cordoned"},
        {"spec.taints", "[{'key':'node.kubernetes.io/unreachable','effect':'NoExecute'}]",
         "is unreachable"},
        {"spec.taints", "[{'key':'node.kubernetes.io/unschedulable','effect':'NoSchedule'}]",
         "is cordoned"},
        {"spec.taints",
         "[{'key':'node.kubernetes.io/unschedulable','effect':'NoSchedule'},"
         "{'key':'node.kubernetes.io/unreachable','effect':'NoExecute'}]",
         "is unreachable"},
        {"metadata.annotations", "{'harvesterhci.io/maintain-status':'running'}",
         "is in maintenance mode"},
        {"metadata.annotations", "{'harvesterhci.io/drain-requested':'true'}",
         "is in maintenance mode"},
        {"metadata.labels.kubevirt~io/schedulable", "'false'",
         "does not accept VMs (kubevirt.io/schedulable=false)"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        node_b_is(cases[i].value, cases[i].path, cases[i].value, "123", 2, cases[i].want);
    /* Label values count only as strings: a boolean false is not "false", nor is it the "true"
     * the launcher pod selects. */
    assert_node_b("metadata.labels.kubevirt~io/schedulable", "false", "123", 3,
                  "does not match the VM's scheduling rules (kubevirt.io/schedulable In true)");
    /* A node without the label runs no virt-handler (a Harvester witness node). */
    assert_node_b("metadata.labels.kubevirt~io/schedulable", NULL, "123", 2,
                  "does not run VMs (no kubevirt.io/schedulable label)");
    /* ... but cordoning is named first. */
    cJSON *cluster = base_cluster();
    drop_at(find(cluster, "node-b"), "metadata.labels.kubevirt~io/schedulable");
    set_path(find(cluster, "node-b"), "spec.unschedulable", "true");
    assert_reason(cluster, base_vmi("123"), "node-b", 2, "is cordoned");
}

/* Taints with effect NoSchedule or NoExecute against the tolerations of the source pod. */
static void step2_taints(void **state)
{
    (void)state;
    static const struct {
        const char *taints, *tolerations, *want;
    } cases[] = {
        /* a witness-like etcd taint, and a taint without a value */
        {"[{'key':'node-role.kubernetes.io/etcd','value':'true','effect':'NoExecute'}]", NULL,
         "has taint node-role.kubernetes.io/etcd=true:NoExecute, which the VM does not tolerate"},
        {"[{'key':'dedicated','effect':'NoSchedule'}]", NULL,
         "has taint dedicated:NoSchedule, which the VM does not tolerate"},
        /* KubeVirt's drain taint, tolerated only when the VM says so */
        {"[{'key':'kubevirt.io/drain','value':'draining','effect':'NoSchedule'}]",
         "[{'key':'node.kubernetes.io/not-ready','operator':'Exists','effect':'NoExecute'}]",
         "has taint kubevirt.io/drain=draining:NoSchedule, which the VM does not tolerate"},
        {"[{'key':'kubevirt.io/drain','value':'draining','effect':'NoSchedule'}]",
         "[{'key':'kubevirt.io/drain','operator':'Exists','effect':'NoSchedule'}]", ""},
        /* PreferNoSchedule never keeps a pod away; the first untolerated taint is named */
        {"[{'key':'soft','effect':'PreferNoSchedule'},{'key':'a','value':'1','effect':'NoSchedule'}"
         ","
         "{'key':'b','effect':'NoExecute'}]",
         "[{'key':'a','operator':'Equal','value':'1'}]",
         "has taint b:NoExecute, which the VM does not tolerate"},
        {"[{'key':'x','effect':'NoExecute'}]", "[{'operator':'Exists'}]", ""},
        /* not-ready, as every pod tolerates it for 300 s */
        {"[{'key':'node.kubernetes.io/not-ready','effect':'NoExecute'}]",
         "[{'key':'node.kubernetes.io/not-ready','operator':'Exists','effect':'NoExecute',"
         "'tolerationSeconds':300}]",
         ""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cJSON *cluster = base_cluster();
        set_path(find(cluster, "node-b"), "spec.taints", cases[i].taints);
        if (cases[i].tolerations)
            set_path(find(cluster, "virt-launcher-vm1-x7k2p"), "spec.tolerations",
                     cases[i].tolerations);
        assert_reason(cluster, base_vmi("123"), "node-b", *cases[i].want ? 2 : 0, cases[i].want);
    }
    /* Without a source pod the VMI's tolerations are the pod's. */
    cJSON *cluster = base_cluster();
    remove_source_pod(cluster);
    set_path(find(cluster, "node-b"), "spec.taints",
             "[{'key':'kubevirt.io/drain','value':'draining','effect':'NoSchedule'}]");
    cJSON *vmi = base_vmi("123");
    set_path(vmi, "spec.tolerations", "[{'key':'kubevirt.io/drain','operator':'Exists'}]");
    assert_reason(cluster, vmi, "node-b", 0, "");
}

/* ------------------------------------------------------------ step 3 */

static void step3_node_selector_first(void **state)
{
    (void)state;
    cJSON *vmi = base_vmi("123");
    set_path(vmi, "spec.nodeSelector", "{'kubernetes.io/hostname':'node-a','zone':'east'}");
    set_path(
        vmi, "spec.affinity",
        "{'nodeAffinity':{'requiredDuringSchedulingIgnoredDuringExecution':{'nodeSelectorTerms':"
        "[{'matchExpressions':[{'key':'rack','operator':'Exists'}]}]}}}");
    assert_reason(base_cluster(), vmi, "node-b", 3,
                  "does not match the VM's scheduling rules (zone In east)");

    /* hostname is node-pinned's business, not step 3's. */
    vmi = base_vmi("123");
    set_path(vmi, "spec.nodeSelector", "{'kubernetes.io/hostname':'node-a'}");
    assert_reason(base_cluster(), vmi, "node-b", 0, "");

    /* nodeSelector matched, affinity named next. */
    cJSON *cluster = base_cluster();
    set_path(find(cluster, "node-b"), "metadata.labels.zone", "'east'");
    vmi = base_vmi("123");
    set_path(vmi, "spec.nodeSelector", "{'zone':'east'}");
    set_path(
        vmi, "spec.affinity",
        "{'nodeAffinity':{'requiredDuringSchedulingIgnoredDuringExecution':{'nodeSelectorTerms':"
        "[{'matchExpressions':[{'key':'rack','operator':'Exists'}]}]}}}");
    assert_reason(cluster, vmi, "node-b", 3,
                  "does not match the VM's scheduling rules (rack Exists)");
}

/* R is the source pod's: what an earlier migration's addedNodeSelector left on it is not. */
static void step3_source_pod_and_added_selector(void **state)
{
    (void)state;
    cJSON *cluster = base_cluster();
    set_path(find(cluster, "virt-launcher-vm1-x7k2p"), "spec.nodeSelector.kubernetes~io/hostname",
             "'node-a'");
    set_path(find(cluster, "virt-launcher-vm1-x7k2p"),
             "spec.nodeSelector.topology~kubernetes~io/zone", "'zone-a'");
    assert_reason(cluster, base_vmi("123"), "node-b", 0, "");
    /* A key KubeVirt renders (here kubernetes.io/arch) binds. */
    assert_node_b("metadata.labels.kubernetes~io/arch", "'arm64'", "123", 3,
                  "does not match the VM's scheduling rules (kubernetes.io/arch In amd64)");
    /* The source pod's affinity: KubeVirt's host-model term keeps obsolete hosts out. */
    assert_node_b("metadata.labels.node-labeller~kubevirt~io/obsolete-host-model", "'true'",
                  "host-passthrough", 3,
                  "does not match the VM's scheduling rules "
                  "(node-labeller.kubevirt.io/obsolete-host-model DoesNotExist)");

    /* addedNodeSelector: the picked target is judged against all of it ... */
    cJSON *vmim = vmim_to("node-b");
    set_path(vmim, "spec.addedNodeSelector.topology~kubernetes~io/zone", "'zone-b'");
    assert_rules(base_cluster(), base_vmi("host-passthrough"), vmim,
                 "target-node: target node \"node-b\" does not match the VM's scheduling rules "
                 "(topology.kubernetes.io/zone In zone-b)");
    /* ... the other nodes without its hostname key, with its zone. */
    cluster = base_cluster();
    cJSON_AddItemToArray(cluster, vm_node("node-c", "{'topology.kubernetes.io/zone':'zone-b'}"));
    vmim = vmim_to(NULL);
    set_path(vmim, "spec.addedNodeSelector", "{'topology.kubernetes.io/zone':'zone-c'}");
    assert_rules(cluster, base_vmi("host-passthrough"), vmim,
                 "no-target: no other node can run it: node \"node-b\" does not match the VM's "
                 "scheduling rules (topology.kubernetes.io/zone In zone-c), node \"node-c\" does "
                 "not match the VM's scheduling rules (topology.kubernetes.io/zone In zone-c)");
    /* A witness node is no candidate; picked, it is named. */
    cluster = base_cluster();
    cJSON *witness = make_node("witness", NULL);
    set_path(witness, "spec.taints",
             "[{'key':'node-role.kubernetes.io/etcd','value':'true','effect':'NoExecute'}]");
    cJSON_AddItemToArray(cluster, witness);
    set_path(find(cluster, "node-b"), "spec.unschedulable", "true");
    assert_rules(cJSON_Duplicate(cluster, 1), base_vmi("host-passthrough"), vmim_to(NULL),
                 "no-target: no other node can run it: node \"node-b\" is cordoned");
    assert_rules(cluster, base_vmi("host-passthrough"), vmim_to("witness"),
                 "target-node: target node \"witness\" does not run VMs (no "
                 "kubevirt.io/schedulable label)");
}

static cJSON *vmi_with_terms(const char *terms)
{
    cJSON *vmi = base_vmi("123");
    char buf[2048];
    snprintf(buf, sizeof(buf),
             "{'nodeAffinity':{'requiredDuringSchedulingIgnoredDuringExecution':{'"
             "nodeSelectorTerms':%s}}}",
             terms);
    set_path(vmi, "spec.affinity", buf);
    return vmi;
}

static void step3_affinity_terms(void **state)
{
    (void)state;
    /* Several terms: ORed; the first failing expression of the first term is named. */
    const char *two_terms = "[{'matchExpressions':[{'key':'network.harvesterhci.io/"
                            "mgmt','operator':'In','values':['true']},"
                            "{'key':'zone','operator':'In','values':['east','west']}]},"
                            "{'matchExpressions':[{'key':'network.harvesterhci.io/"
                            "vlan-cn','operator':'In','values':['true']}]}]";
    assert_reason(base_cluster(), vmi_with_terms(two_terms), "node-b", 0, "");
    cJSON *cluster = base_cluster();
    drop_at(find(cluster, "node-b"), "metadata.labels.network~harvesterhci~io/vlan-cn");
    assert_reason(cluster, vmi_with_terms(two_terms), "node-b", 3,
                  "does not match the VM's scheduling rules (zone In east,west)");

    /* node-b's label cores (NULL: none) against one term. */
    static const struct {
        const char *cores, *terms;
        int step;
        const char *want;
    } cases[] = {
        /* Gt / Lt, integers only. */
        {"'16'", "[{'matchExpressions':[{'key':'cores','operator':'Gt','values':['8']}]}]", 0, ""},
        {"'16'", "[{'matchExpressions':[{'key':'cores','operator':'Gt','values':['16']}]}]", 3,
         "does not match the VM's scheduling rules (cores Gt 16)"},
        {"'16'", "[{'matchExpressions':[{'key':'cores','operator':'Lt','values':['17']}]}]", 0, ""},
        {"'many'", "[{'matchExpressions':[{'key':'cores','operator':'Lt','values':['17']}]}]", 3,
         "does not match the VM's scheduling rules (cores Lt 17)"},
        /* NotIn, DoesNotExist, matchFields metadata.name. */
        {NULL,
         "[{'matchExpressions':[{'key':'cpu-model.node.kubevirt.io/"
         "123','operator':'DoesNotExist'}]}]",
         3,
         "does not match the VM's scheduling rules (cpu-model.node.kubevirt.io/123 DoesNotExist)"},
        {NULL,
         "[{'matchExpressions':[{'key':'kubernetes.io/"
         "arch','operator':'NotIn','values':['amd64']}]}]",
         3, "does not match the VM's scheduling rules (kubernetes.io/arch NotIn amd64)"},
        {NULL, "[{'matchFields':[{'key':'metadata.name','operator':'In','values':['node-b']}]}]", 0,
         ""},
        {NULL, "[{'matchFields':[{'key':'metadata.name','operator':'NotIn','values':['node-b']}]}]",
         3, "does not match the VM's scheduling rules (metadata.name NotIn node-b)"},
        /* An empty term matches nothing. */
        {NULL, "[{}]", 3, "does not match the VM's scheduling rules (empty node selector term)"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cluster = base_cluster();
        if (cases[i].cores)
            set_path(find(cluster, "node-b"), "metadata.labels.cores", cases[i].cores);
        reason_is(cases[i].terms, cluster, vmi_with_terms(cases[i].terms), "node-b", cases[i].step,
                  cases[i].want);
    }
}

/* ------------------------------------------------------------ step 4 */

static cJSON *nad(const char *name, const char *cn)
{
    cJSON *n = J("{'apiVersion':'k8s.cni.cncf.io/v1','kind':'NetworkAttachmentDefinition',"
                 "'metadata':{'namespace':'default','labels':{}}}");
    cJSON_AddStringToObject(cJSON_GetObjectItemCaseSensitive(n, "metadata"), "name", name);
    if (cn)
        cJSON_AddStringToObject(cJSON_GetObjectItemCaseSensitive(
                                    cJSON_GetObjectItemCaseSensitive(n, "metadata"), "labels"),
                                "network.harvesterhci.io/clusternetwork", cn);
    return n;
}

static void step4_cluster_networks(void **state)
{
    (void)state;
    cJSON *vmi = base_vmi("123");
    set_path(
        vmi, "spec.networks",
        "[{'name':'default','pod':{}},{'name':'nic2','multus':{'networkName':'default/vlan100'}},"
        "{'name':'nic3','multus':{'networkName':'storage'}},{'name':'nic4','multus':{'networkName':"
        "'gone'}}]");
    cJSON *cluster = base_cluster();
    cJSON_AddItemToArray(cluster, nad("vlan100", "vlan-cn"));
    cJSON_AddItemToArray(cluster, nad("storage", "storage-cn"));
    /* node-b has vlan-cn but not storage-cn; the missing NAD "gone" adds nothing. */
    assert_reason(cluster, vmi, "node-b", 4, "is not attached to cluster network storage-cn");

    vmi = base_vmi("123");
    set_path(vmi, "spec.networks", "[{'name':'nic2','multus':{'networkName':'default/vlan100'}}]");
    cluster = base_cluster();
    cJSON_AddItemToArray(cluster, nad("vlan100", "vlan-cn"));
    cJSON_AddItemToArray(cluster, vm_node("node-c", "{'cpu-model.node.kubevirt.io/123':'true'}"));
    assert_reason(cluster, vmi, "node-c", 4, "is not attached to cluster network vlan-cn");
}

/* ------------------------------------------------------------ step 5 */

static void step5_explicit_and_cluster_model(void **state)
{
    (void)state;
    assert_reason(base_cluster(), base_vmi("456"), "node-b", 5, "does not support CPU model 456");
    /* Empty model: the KubeVirt CR's cpuModel. */
    cJSON *cluster = base_cluster();
    remove_source_pod(cluster); /* rendered from the VMI, whose model is the cluster's */
    cJSON_AddItemToArray(cluster, J("{'apiVersion':'kubevirt.io/v1','kind':'KubeVirt','metadata':"
                                    "{'name':'kubevirt','namespace':'harvester-system'},"
                                    "'spec':{'configuration':{'cpuModel':'Skylake'}}}"));
    assert_reason(cluster, base_vmi(NULL), "node-b", 5, "does not support CPU model Skylake");
    cluster = base_cluster();
    cJSON_AddItemToArray(cluster, J("{'apiVersion':'kubevirt.io/v1','kind':'KubeVirt','metadata':"
                                    "{'name':'kubevirt','namespace':'harvester-system'},"
                                    "'spec':{'configuration':{'cpuModel':'123'}}}"));
    assert_reason(cluster, base_vmi(""), "node-b", 0, "");
    /* A label value must be the string "true". */
    assert_node_b("metadata.labels.cpu-model~node~kubevirt~io/123", "true", "123", 5,
                  "does not support CPU model 123");
}

static void step5_host_model(void **state)
{
    (void)state;
    /* Defaulted (no model, no KubeVirt CR) and explicit host-model alike. */
    assert_reason(base_cluster(), base_vmi(NULL), "node-b", 5,
                  "does not support host CPU model XYZ of node node-a");
    assert_reason(base_cluster(), base_vmi("host-model"), "node-b", 5,
                  "does not support host CPU model XYZ of node node-a");
    /* node-c carries XYZ but not the required feature invtsc. */
    cJSON *cluster = base_cluster();
    cJSON_AddItemToArray(cluster,
                         vm_node("node-c", "{'cpu-model-migration.node.kubevirt.io/XYZ':'true',"
                                           "'cpu-feature.node.kubevirt.io/vmx':'true'}"));
    assert_reason(cluster, base_vmi("host-model"), "node-c", 5,
                  "lacks CPU feature invtsc required by host CPU model XYZ");
    cluster = base_cluster();
    cJSON_AddItemToArray(cluster,
                         vm_node("node-c", "{'cpu-model-migration.node.kubevirt.io/XYZ':'true',"
                                           "'cpu-feature.node.kubevirt.io/invtsc':'true'}"));
    assert_reason(cluster, base_vmi("host-model"), "node-c", 0, "");
    /* host-passthrough: no CPU constraint. */
    assert_reason(base_cluster(), base_vmi("host-passthrough"), "node-b", 0, "");
    /* Unknown host model (source node without the label, or no such node): KubeVirt cannot
     * build the target pod's selector, so no node can take it. */
    cluster = base_cluster();
    drop_at(find(cluster, "node-a"), "metadata.labels.host-model-cpu~node~kubevirt~io/XYZ");
    assert_reason(cluster, base_vmi("host-model"), "node-b", 5,
                  "cannot take a host-model VM from node \"node-a\", which has no "
                  "host-model-cpu.node.kubevirt.io label");
    cJSON *vmi = base_vmi("host-model");
    set_path(vmi, "status.nodeName", "'node-gone'");
    assert_reason(base_cluster(), vmi, "node-b", 5,
                  "cannot take a host-model VM from node \"node-gone\", which has no "
                  "host-model-cpu.node.kubevirt.io label");
}

/* Step 5 by kind in the listed order, with each kind's text. */
static void step5_hardware_order_and_texts(void **state)
{
    (void)state;
    /* vendor first, even when the model is missing too */
    cJSON *cluster = base_cluster();
    cJSON_AddItemToArray(cluster, vm_node("node-amd", "{'cpu-vendor.node.kubevirt.io/AMD':'true',"
                                                      "'cpu-model.node.kubevirt.io/EPYC':'true'}"));
    assert_reason(cluster, base_vmi("456"), "node-amd", 5,
                  "has CPU vendor AMD; the VM runs on Intel");
    assert_node_b("metadata.labels.cpu-vendor~node~kubevirt~io/Intel", NULL, "host-passthrough", 5,
                  "has CPU vendor unknown; the VM runs on Intel");
    /* machine type: the source pod's q35, or VMI status.machine.type in its place */
    assert_node_b("metadata.labels.machine-type~node~kubevirt~io/q35", NULL, "123", 5,
                  "does not support machine type q35");
    cJSON *vmi = base_vmi("123");
    set_path(vmi, "status.machine", "{'type':'pc-q35-rhel9.4.0'}");
    assert_reason(base_cluster(), vmi, "node-b", 5,
                  "does not support machine type pc-q35-rhel9.4.0");
    /* rendered from the VMI: model, then its required features (sorted), cpumanager, TSC */
    cluster = base_cluster();
    remove_source_pod(cluster);
    vmi = base_vmi("123");
    set_path(
        vmi, "spec.domain.cpu.features",
        "[{'name':'vmx'},{'name':'pcid','policy':'require'},{'name':'avx','policy':'forbid'}]");
    set_path(vmi, "spec.domain.cpu.dedicatedCpuPlacement", "true");
    assert_reason(cluster, vmi, "node-b", 5, "lacks CPU feature pcid required by the VM");
    cluster = base_cluster();
    remove_source_pod(cluster);
    set_path(find(cluster, "node-b"), "metadata.labels.cpu-feature~node~kubevirt~io/pcid",
             "'true'");
    vmi = base_vmi("123");
    set_path(vmi, "spec.domain.cpu.features", "[{'name':'vmx'},{'name':'pcid'}]");
    set_path(vmi, "spec.domain.cpu.dedicatedCpuPlacement", "true");
    assert_reason(cluster, vmi, "node-b", 5,
                  "has no CPU manager for dedicated CPUs (cpumanager=true)");
    cluster = base_cluster();
    set_path(find(cluster, "virt-launcher-vm1-x7k2p"),
             "spec.nodeSelector.scheduling~node~kubevirt~io/tsc-frequency-2400000000", "'true'");
    assert_reason(cluster, base_vmi("123"), "node-b", 5,
                  "does not have the VM's TSC frequency 2400000000");
    /* host-model advice: a vendor mismatch is a step-5 failure too */
    cluster = base_cluster();
    set_path(find(cluster, "node-b"), "metadata.labels.cpu-vendor~node~kubevirt~io/AMD", "'true'");
    drop_at(find(cluster, "node-b"), "metadata.labels.cpu-vendor~node~kubevirt~io/Intel");
    assert_rules(
        cluster, base_vmi("host-model"), vmim_to(NULL),
        "no-target: no other node can run it: node \"node-b\" has CPU vendor AMD; the VM "
        "runs on Intel; host-model VMs can only move to nodes with host CPU model XYZ; CPU "
        "models supported by all nodes: 123 " EM_DASH " set "
        "spec.template.spec.domain.cpu.model to one of them and restart the VM");
}

static void step5_copied_source_pod_keys(void **state)
{
    (void)state;
    /* The VM migrated before: its source pod's selectors are the requirement. */
    cJSON *cluster = base_cluster();
    set_path(find(cluster, "virt-launcher-vm1-x7k2p"), "spec.nodeSelector",
             "{'kubevirt.io/schedulable':'true','cpu-model-migration.node.kubevirt.io/ABC':'true',"
             "'cpu-feature.node.kubevirt.io/vmx':'true'}");
    cJSON_AddItemToArray(cluster,
                         vm_node("node-c", "{'cpu-model-migration.node.kubevirt.io/ABC':'true'}"));
    cJSON_AddItemToArray(cluster, vm_node("node-d", "{'cpu-feature.node.kubevirt.io/vmx':'true'}"));
    cJSON *copy = cJSON_Duplicate(cluster, 1);
    assert_reason(cluster, base_vmi("host-model"), "node-b", 0, "");
    cluster = copy;
    copy = cJSON_Duplicate(cluster, 1);
    assert_reason(cluster, base_vmi("host-model"), "node-c", 5,
                  "lacks CPU feature vmx required by host CPU model ABC");
    assert_reason(copy, base_vmi("host-model"), "node-d", 5,
                  "does not support host CPU model ABC of node node-a");

    /* Only a Running pod on the VMI's node counts. */
    cluster = base_cluster();
    set_path(find(cluster, "virt-launcher-vm1-x7k2p"), "spec.nodeSelector",
             "{'cpu-model-migration.node.kubevirt.io/ABC':'true'}");
    set_path(find(cluster, "virt-launcher-vm1-x7k2p"), "status.phase", "'Succeeded'");
    assert_reason(cluster, base_vmi("host-model"), "node-b", 5,
                  "does not support host CPU model XYZ of node node-a");
}

static void context_gathers_requirement(void **state)
{
    (void)state;
    struct migration_fixture f;
    migration_open(HERE, &f, base_cluster(), base_vmi(NULL), CV_OK);
    assert_int_equal(f.ctx.cpu.kind, CPU_REQ_HOST_MODEL);
    assert_int_equal(f.ctx.cpu.source, CPU_FROM_DEFAULT);
    assert_string_equal(f.ctx.cpu.mode, "host-model");
    assert_string_equal(f.ctx.cpu.host_model, "XYZ");
    assert_string_equal(f.ctx.cpu.source_node, "node-a");
    assert_false(f.ctx.cpu.from_source_pod);
    assert_int_equal(f.ctx.cpu.nkeys, 2);
    assert_string_equal(f.ctx.cpu.keys[0], "cpu-model-migration.node.kubevirt.io/XYZ");
    assert_string_equal(f.ctx.cpu.keys[1], "cpu-feature.node.kubevirt.io/invtsc");
    assert_string_equal(f.ctx.current_node, "node-a");
    assert_string_equal(f.ctx.vmi_name, "vm1");
    migration_close(&f);
}

static void view_error_is_reported(void **state)
{
    (void)state;
    struct migration_fixture f;
    migration_open(HERE, &f, NULL, base_vmi(NULL), CV_ERROR);
    assert_string_equal(f.scope.err, "the API server did not answer in time");
    migration_close(&f);
}

static void too_many_networks_cannot_be_verified(void **state)
{
    (void)state;
    cJSON *vmi = base_vmi("123");
    cJSON *nets = cJSON_CreateArray();
    for (int i = 0; i <= MIGRATION_MAX_NETWORKS; i++) {
        cJSON *n = J("{'multus':{'networkName':'default/vlan'}}");
        cJSON_AddItemToArray(nets, n);
    }
    cJSON_ReplaceItemInObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(vmi, "spec"),
                                           "networks", nets);
    struct migration_fixture f;
    migration_open(HERE, &f, base_cluster(), vmi, CV_ERROR);
    assert_string_equal(f.scope.err, "VirtualMachineInstance has more than 64 multus networks");
    migration_close(&f);
}

/* -------------------------------------------------------- the rules */

static void target_node_rule(void **state)
{
    (void)state;
    assert_rules(
        base_cluster(), base_vmi("host-model"), vmim_to("node-b"),
        "target-node: target node \"node-b\" does not support host CPU model XYZ of node node-a");
    assert_rules(base_cluster(), base_vmi("123"), vmim_to("node-b"), "");
    assert_rules(base_cluster(), base_vmi("123"), vmim_to("node-q"),
                 "target-node: target node \"node-q\" does not exist");
    /* Older Harvester: the VMI annotation picks the node. */
    cJSON *vmi = base_vmi("123");
    set_path(vmi, "metadata.annotations", "{'harvesterhci.io/migrationTargetNodeName':'node-a'}");
    assert_rules(base_cluster(), vmi, vmim_to(NULL),
                 "target-node: target node \"node-a\" is the node it runs on");
    /* The VMIM's selector wins over the annotation. */
    vmi = base_vmi("123");
    set_path(vmi, "metadata.annotations", "{'harvesterhci.io/migrationTargetNodeName':'node-a'}");
    assert_rules(base_cluster(), vmi, vmim_to("node-b"), "");
}

static void no_target_host_model_advice(void **state)
{
    (void)state;
    assert_rules(
        base_cluster(), base_vmi("host-model"), vmim_to(NULL),
        "no-target: no other node can run it: node \"node-b\" does not support host CPU model XYZ "
        "of "
        "node node-a; host-model VMs can only move to nodes with host CPU model XYZ; CPU models "
        "supported by all nodes: 123 " EM_DASH " set spec.template.spec.domain.cpu.model to one of "
        "them and restart the VM");
    /* No node fails only on CPU: no advice. */
    cJSON *cluster = base_cluster();
    set_path(find(cluster, "node-b"), "spec.unschedulable", "true");
    assert_rules(cluster, base_vmi("host-model"), vmim_to(NULL),
                 "no-target: no other node can run it: node \"node-b\" is cordoned");
    /* Explicit model: no host-model advice. */
    assert_rules(
        base_cluster(), base_vmi("456"), vmim_to(NULL),
        "no-target: no other node can run it: node \"node-b\" does not support CPU model 456");
    /* A picked, ineligible node: the target-node rule speaks alone. */
    assert_rules(
        base_cluster(), base_vmi("host-model"), vmim_to("node-b"),
        "target-node: target node \"node-b\" does not support host CPU model XYZ of node node-a");
}

static void no_target_lists_ten_nodes(void **state)
{
    (void)state;
    cJSON *cluster = cJSON_CreateArray();
    cJSON_AddItemToArray(cluster, vm_node("node-a", NULL));
    for (int i = 12; i >= 1; i--) {
        char name[32];
        snprintf(name, sizeof(name), "node-%02d", i);
        cJSON *node = vm_node(name, NULL);
        set_path(node, "spec.unschedulable", "true");
        cJSON_AddItemToArray(cluster, node);
    }
    assert_rules(
        cluster, base_vmi("host-passthrough"), vmim_to(NULL),
        "no-target: no other node can run it: node \"node-01\" is cordoned, node \"node-02\" is "
        "cordoned, "
        "node \"node-03\" is cordoned, node \"node-04\" is cordoned, node \"node-05\" is cordoned, "
        "node \"node-06\" is cordoned, node \"node-07\" is cordoned, node \"node-08\" is cordoned, "
        "node \"node-09\" is cordoned, node \"node-10\" is cordoned, and 2 more");
}

static void no_target_without_other_nodes(void **state)
{
    (void)state;
    cJSON *cluster = cJSON_CreateArray();
    cJSON_AddItemToArray(cluster, vm_node("node-a", NULL));
    assert_rules(cluster, base_vmi("host-passthrough"), vmim_to(NULL),
                 "no-target: no other node can run it: there is no other node");
    /* One eligible node is enough. */
    assert_rules(base_cluster(), base_vmi("host-passthrough"), vmim_to(NULL), "");
}

static void candidates_sorted(void **state)
{
    (void)state;
    cJSON *cluster = base_cluster();
    cJSON_AddItemToArray(cluster, vm_node("node-0", "{'cpu-model.node.kubevirt.io/123':'true'}"));
    struct migration_fixture f;
    migration_open(HERE, &f, cluster, base_vmi("123"), CV_OK);
    struct node_check *checks;
    size_t n;
    assert_int_equal(target_node_candidates(&f.ctx, &checks, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(checks[0].name, "node-0");
    assert_int_equal(checks[0].step, 0);
    assert_null(checks[0].reason);
    assert_string_equal(checks[1].name, "node-b");
    node_checks_free(checks, n);
    migration_close(&f);
}

static void common_models(void **state)
{
    (void)state;
    cJSON *cluster = base_cluster();
    /* objects that are no VM node (the pod among them) do not count */
    char *models = common_cpu_models(cluster);
    assert_string_equal(models, "123");
    free(models);
    cJSON *nodes = cJSON_CreateArray();
    cJSON_AddItemToArray(nodes, fixture_item("nodes-cpu-labels.json", "node-a"));
    cJSON_AddItemToArray(nodes, fixture_item("nodes-cpu-labels.json", "node-b"));
    models = common_cpu_models(nodes);
    assert_string_equal(models, "123");
    free(models);
    cJSON_AddItemToArray(nodes,
                         vm_node("node-c", "{'cpu-model.node.kubevirt.io/Skylake':'true',"
                                           "'cpu-model.node.kubevirt.io/123':'true',"
                                           "'cpu-model.node.kubevirt.io/Broadwell':'true'}"));
    set_path(cJSON_GetArrayItem(nodes, 0), "metadata.labels.cpu-model~node~kubevirt~io/Broadwell",
             "'true'");
    set_path(cJSON_GetArrayItem(nodes, 1), "metadata.labels.cpu-model~node~kubevirt~io/Broadwell",
             "'true'");
    models = common_cpu_models(nodes);
    assert_string_equal(models, "123, Broadwell");
    free(models);
    /* A node that runs no VMs (a witness node: no kubevirt.io/schedulable label) does not count.
     */
    cJSON *bare = make_node("node-d", NULL);
    set_path(bare, "spec.taints",
             "[{'key':'node-role.kubernetes.io/etcd','value':'true','effect':'NoExecute'}]");
    cJSON_AddItemToArray(nodes, bare);
    models = common_cpu_models(nodes);
    assert_string_equal(models, "123, Broadwell");
    free(models);
    assert_false(node_is_schedulable(bare));
    assert_false(node_runs_vms(bare));
    /* A VM node with no models at all empties the list, until it is cordoned. */
    set_path(bare, "metadata.labels.kubevirt~io/schedulable", "'true'");
    models = common_cpu_models(nodes);
    assert_string_equal(models, "none");
    free(models);
    set_path(bare, "spec.unschedulable", "true");
    models = common_cpu_models(nodes);
    assert_string_equal(models, "123, Broadwell");
    free(models);
    assert_false(node_is_schedulable(bare));
    assert_true(node_is_schedulable(cJSON_GetArrayItem(nodes, 0)));
    cJSON_Delete(nodes);
    cJSON_Delete(cluster);
}

TEST_MAIN(cmocka_unit_test(step1_missing_and_current_node), cmocka_unit_test(step2_texts),
          cmocka_unit_test(step2_taints), cmocka_unit_test(step3_node_selector_first),
          cmocka_unit_test(step3_affinity_terms),
          cmocka_unit_test(step3_source_pod_and_added_selector),
          cmocka_unit_test(step4_cluster_networks),
          cmocka_unit_test(step5_explicit_and_cluster_model), cmocka_unit_test(step5_host_model),
          cmocka_unit_test(step5_hardware_order_and_texts),
          cmocka_unit_test(step5_copied_source_pod_keys),
          cmocka_unit_test(context_gathers_requirement), cmocka_unit_test(view_error_is_reported),
          cmocka_unit_test(too_many_networks_cannot_be_verified),
          cmocka_unit_test(target_node_rule), cmocka_unit_test(no_target_host_model_advice),
          cmocka_unit_test(no_target_lists_ten_nodes),
          cmocka_unit_test(no_target_without_other_nodes), cmocka_unit_test(candidates_sorted),
          cmocka_unit_test(common_models))
