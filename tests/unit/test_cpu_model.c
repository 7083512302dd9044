/*
 * Unit tests for rules/cpu_model.c: the migration target pod mutation
 * (docs/cpu-models.md#target-pod-selectors and the docs/cpu-models.md#patch-shape).
 *
 * The fixed cases check exact patches and warnings.  The property test
 * generates many cases (nodeSelector absent / null / partial / full, models,
 * features, hostnames, keys that need escaping), applies every emitted patch
 * with an independent RFC 6902 implementation (tests/unit/apply_patches.py,
 * python3-jsonpatch), compares the resulting nodeSelector with the one
 * expected, and mutates each patched pod again, which must give no patch.
 */
#include "rule_fixtures.h"

#include <unistd.h>

#include "rules/rules.h"
#include "rules/target_node.h"
#include "test_main.h"

#define VMI_UID "5d0e3b1c-0000-4000-8000-00000000a001"
#define PROPERTY_CASES 400
/* node-a's vendor key, which every target pod of vm1 gets unless it has one */
#define VENDOR ADD("cpu-vendor.node.kubevirt.io~1Intel", "true")

static cJSON *vmi_on(const char *node, const char *model)
{
    cJSON *vmi = J("{'apiVersion':'kubevirt.io/v1','kind':'VirtualMachineInstance',"
                   "'metadata':{'name':'vm1','namespace':'default','uid':'" VMI_UID "'},"
                   "'spec':{'domain':{'cpu':{}}},'status':{'phase':'Running'}}");
    cJSON_AddStringToObject(cJSON_GetObjectItemCaseSensitive(vmi, "status"), "nodeName", node);
    if (model)
        set_at(vmi, "spec.domain.cpu.model", cJSON_CreateString(model));
    return vmi;
}

static cJSON *review_pod(void)
{
    cJSON *review = load_fixture("constructed-admissionreview-pod-create-request.json");
    cJSON *pod = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(
                                     cJSON_GetObjectItemCaseSensitive(review, "request"), "object"),
                                 1);
    cJSON_Delete(review);
    return pod;
}

/* A target pod of vm1 with the given spec.nodeSelector (single-quoted JSON, NULL = absent). */
static cJSON *target_pod(const char *selector)
{
    cJSON *pod = review_pod();
    cJSON *spec = cJSON_GetObjectItemCaseSensitive(pod, "spec");
    cJSON_DeleteItemFromObjectCaseSensitive(spec, "nodeSelector");
    if (selector)
        cJSON_AddItemToObject(spec, "nodeSelector", J(selector));
    return pod;
}

/* node-a / node-b of the fixture plus vm1 running on node-a. */
static cJSON *cluster_with(cJSON *vmi)
{
    cJSON *all = cJSON_CreateArray();
    cJSON_AddItemToArray(all, fixture_item("nodes-cpu-labels.json", "node-a"));
    cJSON_AddItemToArray(all, fixture_item("nodes-cpu-labels.json", "node-b"));
    if (vmi)
        cJSON_AddItemToArray(all, vmi);
    return all;
}

static void mutate_in(const struct cluster_view *view, const cJSON *pod, const char *ns,
                      struct verdict *v)
{
    struct rule_settings settings;
    rule_settings_default(&settings);
    struct cv_scope scope;
    cv_scope_init(&scope, 0);
    struct rule_input in = {
        .object = pod, .ns = ns, .name = "", .settings = &settings, .view = view, .scope = &scope};
    verdict_init(v);
    rules_pod_mutate(&in, v);
    cv_scope_release(&scope);
    assert_true(v->allowed);
    assert_null(v->message);
}

/* The case `what`: mutating `pod` in `cluster` (both freed) gives the patch `want_patch` (compact
 * JSON or NULL) and the warnings `want_warnings` (" | "). */
static void mutation_is(const char *what, cJSON *cluster, cJSON *pod, const char *want_patch,
                        const char *want_warnings)
{
    struct cluster_view *view = view_of_array(cluster);
    struct verdict v;
    mutate_in(view, pod, "default", &v);
    char *patch = v.patch ? cJSON_PrintUnformatted(v.patch) : NULL;
    char warnings[2048] = "";
    for (size_t i = 0; i < v.nwarnings; i++)
        snprintf(warnings + strlen(warnings), sizeof(warnings) - strlen(warnings), "%s%s",
                 i ? " | " : "", v.warnings[i]);
    cJSON *want = want_patch ? J(want_patch) : NULL;
    char *want_text = want ? cJSON_PrintUnformatted(want) : NULL;
    name_failing_case(what, (want_text && (!patch || strcmp(patch, want_text) != 0)) ||
                                (!want_text && patch) ||
                                strcmp(warnings, want_warnings ? want_warnings : "") != 0);
    if (want_patch) {
        assert_non_null(patch);
        assert_string_equal(patch, want_text);
        free(want_text);
        cJSON_Delete(want);
    } else if (patch) {
        fail_msg("unexpected patch %s", patch);
    }
    assert_string_equal(warnings, want_warnings ? want_warnings : "");
    free(patch);
    verdict_free(&v);
    cv_destroy(view);
    cJSON_Delete(cluster);
    cJSON_Delete(pod);
}

#define expect_mutation(...) mutation_is(HERE, __VA_ARGS__)

#define ADD_SELECTOR "{'op':'add','path':'/spec/nodeSelector','value':{}}"
#define ADD(key, value) "{'op':'add','path':'/spec/nodeSelector/" key "','value':'" value "'}"

/* ------------------------------------------------------------ fixed cases */

static void review_fixture_gets_missing_feature(void **state)
{
    (void)state;
    /* The pod of the fixture review already has XYZ and the hostname; only invtsc is missing. */
    expect_mutation(cluster_with(vmi_on("node-a", "host-model")), review_pod(),
                    "[" ADD("cpu-feature.node.kubevirt.io~1invtsc", "true") "]", NULL);
}

static void no_node_selector(void **state)
{
    (void)state;
    cJSON *vmi = vmi_on("node-a", NULL);
    set_path(vmi, "metadata.annotations", "{'harvesterhci.io/migrationTargetNodeName':'node-b'}");
    const char *want =
        "[" ADD_SELECTOR "," ADD("cpu-model-migration.node.kubevirt.io~1XYZ", "true") "," ADD(
            "cpu-feature.node.kubevirt.io~1invtsc",
            "true") "," VENDOR "," ADD("kubernetes.io~1hostname", "node-b") "]";
    expect_mutation(cluster_with(cJSON_Duplicate(vmi, 1)), target_pod(NULL), want, NULL);
    expect_mutation(cluster_with(vmi), target_pod("null"), want, NULL);
}

static void keys_already_there(void **state)
{
    (void)state;
    expect_mutation(
        cluster_with(vmi_on("node-a", "host-model")),
        target_pod("{'cpu-model-migration.node.kubevirt.io/XYZ':'true',"
                   "'cpu-feature.node.kubevirt.io/invtsc':'true','kubernetes.io/hostname':'node-b',"
                   "'cpu-vendor.node.kubevirt.io/Intel':'true'}"),
        NULL, NULL);
    /* A pod with a vendor key of its own gets no other. */
    expect_mutation(cluster_with(vmi_on("node-a", "host-passthrough")),
                    target_pod("{'cpu-vendor.node.kubevirt.io/AMD':'true'}"), NULL, NULL);
    /* A key present with another value is left alone; so is another hostname. */
    expect_mutation(cluster_with(vmi_on("node-a", "host-model")),
                    target_pod("{'cpu-model-migration.node.kubevirt.io/XYZ':'false','kubernetes.io/"
                               "hostname':'node-c'}"),
                    "[" ADD("cpu-feature.node.kubevirt.io~1invtsc", "true") "," VENDOR "]", NULL);
}

static void source_node_without_host_model(void **state)
{
    (void)state;
    cJSON *cluster = cluster_with(vmi_on("node-a", "host-model"));
    drop_at(cJSON_GetArrayItem(cluster, 0), "metadata.labels.host-model-cpu~node~kubevirt~io/XYZ");
    const char *warning = "migration target pod of VM default/vm1: source node \"node-a\" has no "
                          "host-model-cpu.node.kubevirt.io label; no host-model CPU selector added";
    cJSON *vmim =
        J("{'apiVersion':'kubevirt.io/v1','kind':'VirtualMachineInstanceMigration','metadata':"
          "{'name':'vm1-8wzqd','namespace':'default'},'spec':{'vmiName':'vm1',"
          "'addedNodeSelector':{'kubernetes.io/hostname':'node-b'}}}");
    cJSON *copy = cJSON_Duplicate(cluster, 1);
    expect_mutation(cluster, target_pod("{'kubevirt.io/schedulable':'true'}"), "[" VENDOR "]",
                    warning);
    cJSON_AddItemToArray(copy, vmim);
    /* The vendor and hostname keys are still added. */
    expect_mutation(copy, target_pod("{'kubevirt.io/schedulable':'true'}"),
                    "[" VENDOR "," ADD("kubernetes.io~1hostname", "node-b") "]", warning);
}

static void migrated_before_copies_keys(void **state)
{
    (void)state;
    cJSON *cluster = cluster_with(vmi_on("node-a", "host-model"));
    cJSON *source =
        fixture_item("virt-launcher-source-and-target-pods.json", "virt-launcher-vm1-x7k2p");
    set_path(
        source, "spec.nodeSelector",
        "{'kubevirt.io/schedulable':'true','cpu-model-migration.node.kubevirt.io/ABC':'true',"
        "'cpu-feature.node.kubevirt.io/vmx':'true','cpu-feature.node.kubevirt.io/aes':'true'}");
    cJSON_AddItemToArray(cluster, source);
    expect_mutation(cluster, target_pod("{'cpu-feature.node.kubevirt.io/vmx':'true'}"),
                    "[" ADD("cpu-model-migration.node.kubevirt.io~1ABC", "true") "," ADD(
                        "cpu-feature.node.kubevirt.io~1aes", "true") "," VENDOR "]",
                    NULL);
}

static void explicit_default_and_passthrough(void **state)
{
    (void)state;
    expect_mutation(cluster_with(vmi_on("node-a", "123")),
                    target_pod("{'kubevirt.io/schedulable':'true'}"),
                    "[" ADD("cpu-model.node.kubevirt.io~1123", "true") "," VENDOR "]", NULL);
    /* Cluster default model from the KubeVirt CR. */
    cJSON *cluster = cluster_with(vmi_on("node-a", NULL));
    cJSON_AddItemToArray(
        cluster,
        J("{'apiVersion':'kubevirt.io/v1','kind':'KubeVirt','metadata':{'name':'kubevirt',"
          "'namespace':'harvester-system'},'spec':{'configuration':{'cpuModel':'Skylake'}}}"));
    expect_mutation(cluster, target_pod("{}"),
                    "[" ADD("cpu-model.node.kubevirt.io~1Skylake", "true") "," VENDOR "]", NULL);
    /* host-passthrough: no CPU model selector, only the vendor. */
    expect_mutation(cluster_with(vmi_on("node-a", "host-passthrough")), target_pod(NULL),
                    "[" ADD_SELECTOR "," VENDOR "]", NULL);
    /* Keys needing escaping. */
    expect_mutation(cluster_with(vmi_on("node-a", "EPYC~v2/IBRS")), target_pod("{}"),
                    "[" ADD("cpu-model.node.kubevirt.io~1EPYC~0v2~1IBRS", "true") "," VENDOR "]",
                    NULL);
}

static void hostname_sources(void **state)
{
    (void)state;
    /* The VMIM named by the pod wins over the VMI annotation. */
    cJSON *vmi = vmi_on("node-a", "host-passthrough");
    set_path(vmi, "metadata.annotations", "{'harvesterhci.io/migrationTargetNodeName':'node-c'}");
    cJSON *cluster = cluster_with(vmi);
    cJSON_AddItemToArray(
        cluster,
        J("{'apiVersion':'kubevirt.io/v1','kind':'VirtualMachineInstanceMigration','metadata':"
          "{'name':'vm1-8wzqd','namespace':'default'},'spec':{'vmiName':'vm1',"
          "'addedNodeSelector':{'kubernetes.io/hostname':'node/b~1'}}}"));
    expect_mutation(cluster, target_pod("{}"),
                    "[" VENDOR "," ADD("kubernetes.io~1hostname", "node/b~1") "]", NULL);
    /* VMIM without a selector: the annotation. */
    vmi = vmi_on("node-a", "host-passthrough");
    set_path(vmi, "metadata.annotations", "{'harvesterhci.io/migrationTargetNodeName':'node-c'}");
    expect_mutation(cluster_with(vmi), target_pod("{}"),
                    "[" VENDOR "," ADD("kubernetes.io~1hostname", "node-c") "]", NULL);
}

static void vmi_missing_or_not_a_target(void **state)
{
    (void)state;
    expect_mutation(
        cluster_with(NULL), target_pod(NULL), NULL,
        "migration target pod of VM default/vm1: VirtualMachineInstance not found; no CPU model "
        "node selector added");
    /* A source pod (no migrationJobUID) and a plain pod: untouched, no warning. */
    cJSON *pod = target_pod(NULL);
    drop_at(pod, "metadata.labels.kubevirt~io/migrationJobUID");
    expect_mutation(cluster_with(vmi_on("node-a", "123")), pod, NULL, NULL);
    expect_mutation(cluster_with(vmi_on("node-a", "123")),
                    J("{'kind':'Pod','metadata':{'name':'web','labels':{'app':'web'}},'spec':{}}"),
                    NULL, NULL);
    /* Garbage objects never crash. */
    expect_mutation(cluster_with(NULL), J("[1,2]"), NULL, NULL);
    expect_mutation(cluster_with(NULL), J("{'metadata':{'labels':{'kubevirt.io':5}}}"), NULL, NULL);
}

static void vmi_from_owner_reference_and_namespace(void **state)
{
    (void)state;
    cJSON *pod = target_pod("{}");
    drop_at(pod, "metadata.annotations.kubevirt~io/domain");
    /* Review namespace empty: the pod's own namespace. */
    cJSON *cluster = cluster_with(vmi_on("node-a", "123"));
    struct cluster_view *view = view_of_array(cluster);
    struct verdict v;
    mutate_in(view, pod, "", &v);
    char *patch = cJSON_PrintUnformatted(v.patch);
    assert_string_equal(
        patch, "[{\"op\":\"add\",\"path\":\"/spec/nodeSelector/cpu-model.node.kubevirt.io~1123\","
               "\"value\":\"true\"},{\"op\":\"add\",\"path\":\"/spec/nodeSelector/"
               "cpu-vendor.node.kubevirt.io~1Intel\",\"value\":\"true\"}]");
    free(patch);
    verdict_free(&v);
    cv_destroy(view);
    cJSON_Delete(cluster);
    cJSON_Delete(pod);
}

static void view_error_allows_with_warning(void **state)
{
    (void)state;
    cJSON *pod = target_pod(NULL);
    struct verdict v;
    mutate_in(&silent_view, pod, "default", &v);
    assert_null(v.patch);
    assert_int_equal(v.nwarnings, 1);
    assert_string_equal(
        v.warnings[0],
        "cannot verify migration of VM default/vm1: the API server did not answer in time");
    verdict_free(&v);
    cJSON_Delete(pod);
}

/* --------------------------------------------------------- property test */

static unsigned long long rng_state = 0x9e3779b97f4a7c15ULL;

static unsigned rnd(unsigned n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (unsigned)(rng_state % n);
}

static const char *const MODELS[] = {"123", "Skylake-Client", "EPYC~v2/IBRS", "a/b", "~1"};
static const char *const HOST_MODELS[] = {"XYZ", "Cascadelake-Server", "host/~model"};
static const char *const FEATURES[] = {"invtsc", "vmx", "avx~512", "x/y", "aes"};

static void add_label(cJSON *obj, const char *prefix, const char *name)
{
    char key[256];
    snprintf(key, sizeof(key), "%s%s", prefix, name);
    cJSON *labels = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(obj, "metadata"), "labels");
    cJSON_AddStringToObject(labels, key, "true");
}

struct generated {
    cJSON *cluster;  /* every object the view holds */
    cJSON *pod;      /* the target pod */
    cJSON *expected; /* its nodeSelector after the mutation (JSON null: absent or null) */
};

/* One random case.  `required` collects the keys the mutation must ensure, in any order. */
static struct generated generate_case(void)
{
    struct generated g;
    cJSON *source = make_node("node-a", NULL);
    cJSON *vmi = vmi_on("node-a", NULL);
    cJSON *cluster = cJSON_CreateArray();
    cJSON *required = cJSON_CreateObject();
    char key[256];
    switch (rnd(6)) {
    case 0: /* explicit model */
    case 1: /* cluster default model */ {
        const char *m = MODELS[rnd(5)];
        if (rnd(2)) {
            set_at(vmi, "spec.domain.cpu.model", cJSON_CreateString(m));
        } else {
            cJSON *kv =
                J("{'apiVersion':'kubevirt.io/v1','kind':'KubeVirt','metadata':{'name':'kubevirt',"
                  "'namespace':'harvester-system'},'spec':{'configuration':{}}}");
            set_path(kv, "spec.configuration.cpuModel", "''");
            cJSON_ReplaceItemInObjectCaseSensitive(
                cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(kv, "spec"),
                                                 "configuration"),
                "cpuModel", cJSON_CreateString(m));
            cJSON_AddItemToArray(cluster, kv);
        }
        snprintf(key, sizeof(key), "cpu-model.node.kubevirt.io/%s", m);
        cJSON_AddStringToObject(required, key, "true");
        break;
    }
    case 2: /* host-model with required features */
    case 3: {
        const char *h = HOST_MODELS[rnd(3)];
        add_label(source, "host-model-cpu.node.kubevirt.io/", h);
        snprintf(key, sizeof(key), "cpu-model-migration.node.kubevirt.io/%s", h);
        cJSON_AddStringToObject(required, key, "true");
        for (int i = 0; i < 5; i++)
            if (rnd(2)) {
                add_label(source, "host-model-required-features.node.kubevirt.io/", FEATURES[i]);
                snprintf(key, sizeof(key), "cpu-feature.node.kubevirt.io/%s", FEATURES[i]);
                cJSON_AddStringToObject(required, key, "true");
            }
        break;
    }
    case 4: /* host-model, migrated before: the source pod's keys */ {
        cJSON *sp =
            fixture_item("virt-launcher-source-and-target-pods.json", "virt-launcher-vm1-x7k2p");
        cJSON *sel = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(sp, "spec"),
                                                      "nodeSelector");
        add_label(source, "host-model-cpu.node.kubevirt.io/", "XYZ");
        snprintf(key, sizeof(key), "cpu-model-migration.node.kubevirt.io/%s", HOST_MODELS[rnd(3)]);
        cJSON_AddStringToObject(sel, key, "true");
        cJSON_AddStringToObject(required, key, "true");
        for (int i = 0; i < 5; i++)
            if (rnd(2)) {
                snprintf(key, sizeof(key), "cpu-feature.node.kubevirt.io/%s", FEATURES[i]);
                cJSON_AddStringToObject(sel, key, "true");
                cJSON_AddStringToObject(required, key, "true");
            }
        cJSON_AddItemToArray(cluster, sp);
        break;
    }
    default: /* host-passthrough, or host-model on a node without the label */
        if (rnd(2))
            set_at(vmi, "spec.domain.cpu.model", cJSON_CreateString("host-passthrough"));
        break;
    }
    /* The source node's CPU vendor, which the pod gets unless it has a vendor key. */
    char vendor_key[64] = "";
    if (rnd(3)) {
        const char *v = rnd(2) ? "Intel" : "AMD";
        add_label(source, "cpu-vendor.node.kubevirt.io/", v);
        snprintf(vendor_key, sizeof(vendor_key), "cpu-vendor.node.kubevirt.io/%s", v);
    }
    /* The picked node: none, the VMIM's selector, the VMI annotation, or both. */
    const char *picked = NULL;
    unsigned how = rnd(4);
    if (how & 1) {
        picked = rnd(2) ? "node-b" : "node/c~1";
        cJSON *vmim =
            J("{'apiVersion':'kubevirt.io/v1','kind':'VirtualMachineInstanceMigration','metadata':"
              "{'name':'vm1-8wzqd','namespace':'default'},'spec':{'vmiName':'vm1','"
              "addedNodeSelector':{}}}");
        cJSON_AddStringToObject(
            cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(vmim, "spec"),
                                             "addedNodeSelector"),
            "kubernetes.io/hostname", picked);
        cJSON_AddItemToArray(cluster, vmim);
    }
    if (how & 2) {
        set_path(vmi, "metadata.annotations",
                 "{'harvesterhci.io/migrationTargetNodeName':'node-d'}");
        if (!picked)
            picked = "node-d";
    }
    if (picked)
        cJSON_AddStringToObject(required, "kubernetes.io/hostname", picked);

    /* The pod's nodeSelector: absent, null, empty, partial (some keys, some other values), or full.
     */
    cJSON *pod = target_pod(NULL);
    cJSON *spec = cJSON_GetObjectItemCaseSensitive(pod, "spec");
    unsigned shape = rnd(5);
    cJSON *selector = NULL;
    if (shape == 1) {
        cJSON_AddNullToObject(spec, "nodeSelector");
    } else if (shape >= 2) {
        selector = cJSON_AddObjectToObject(spec, "nodeSelector");
        if (rnd(2))
            cJSON_AddStringToObject(selector, "kubevirt.io/schedulable", "true");
        const cJSON *r;
        cJSON_ArrayForEach (r, required)
            if (shape == 4 || (shape == 3 && rnd(2)))
                cJSON_AddStringToObject(selector, r->string, rnd(4) ? r->valuestring : "other");
        if (*vendor_key && (shape == 4 || rnd(2)))
            cJSON_AddStringToObject(
                selector, rnd(2) ? vendor_key : "cpu-vendor.node.kubevirt.io/Other", "true");
    }
    bool pod_has_vendor = false;
    const cJSON *item;
    cJSON_ArrayForEach (item, selector)
        pod_has_vendor = pod_has_vendor || strncmp(item->string, "cpu-vendor.", 11) == 0;
    if (*vendor_key && !pod_has_vendor)
        cJSON_AddStringToObject(required, vendor_key, "true");
    /* Expected: the pod's selector plus every missing required key. */
    cJSON *expected = selector ? cJSON_Duplicate(selector, 1) : NULL;
    const cJSON *r;
    cJSON_ArrayForEach (r, required) {
        if (!expected)
            expected = cJSON_CreateObject();
        if (!cJSON_GetObjectItemCaseSensitive(expected, r->string))
            cJSON_AddStringToObject(expected, r->string, r->valuestring);
    }
    cJSON_Delete(required);
    cJSON_AddItemToArray(cluster, source);
    cJSON_AddItemToArray(cluster, make_node("node-b", NULL));
    cJSON_AddItemToArray(cluster, vmi);
    g.cluster = cluster;
    g.pod = pod;
    g.expected = expected ? expected : cJSON_CreateNull();
    return g;
}

static void patches_apply_and_converge(void **state)
{
    (void)state;
    const char *source_dir = getenv("MW_SOURCE_DIR");
    assert_non_null(source_dir);
    cJSON *cases = cJSON_CreateArray();
    cJSON *clusters = cJSON_CreateArray();
    size_t npatched = 0;
    for (int i = 0; i < PROPERTY_CASES; i++) {
        struct generated g = generate_case();
        struct cluster_view *view = view_of_array(g.cluster);
        struct verdict v;
        mutate_in(view, g.pod, "default", &v);
        cJSON *c = cJSON_CreateObject();
        cJSON_AddItemToObject(c, "pod", g.pod);
        cJSON_AddItemToObject(c, "patch", v.patch ? v.patch : cJSON_CreateNull());
        npatched += v.patch != NULL;
        v.patch = NULL;
        cJSON_AddItemToObject(c, "expected", g.expected);
        cJSON_AddItemToArray(cases, c);
        cJSON_AddItemToArray(clusters, g.cluster);
        verdict_free(&v);
        cv_destroy(view);
    }
    assert_true(npatched >
                PROPERTY_CASES / 2); /* the generator exercises patches, not only no-ops */

    char in_path[] = "/tmp/mw-cpu-model-cases-XXXXXX",
         out_path[] = "/tmp/mw-cpu-model-patched-XXXXXX";
    int fd_in = mkstemp(in_path), fd_out = mkstemp(out_path);
    assert_true(fd_in >= 0 && fd_out >= 0);
    char *text = cJSON_PrintUnformatted(cases);
    assert_int_equal(write(fd_in, text, strlen(text)), (ssize_t)strlen(text));
    free(text);
    close(fd_in);
    close(fd_out);
    char command[4096];
    snprintf(command, sizeof(command), "python3 '%s/tests/unit/apply_patches.py' '%s' '%s'",
             source_dir, in_path, out_path);
    int rc = system(command);
    cJSON *patched = rc == 0 ? read_document(out_path) : NULL;
    unlink(in_path);
    unlink(out_path);
    if (rc != 0)
        fail_msg("apply_patches.py failed (exit %d): every patch must apply and give the expected "
                 "nodeSelector",
                 rc);

    /* Mutating the patched pod again gives no operations. */
    assert_int_equal(cJSON_GetArraySize(patched), PROPERTY_CASES);
    for (int i = 0; i < PROPERTY_CASES; i++) {
        struct cluster_view *view = view_of_array(cJSON_GetArrayItem(clusters, i));
        struct verdict v;
        mutate_in(view, cJSON_GetArrayItem(patched, i), "default", &v);
        if (v.patch) {
            char *p = cJSON_PrintUnformatted(v.patch);
            fail_msg("case %d: second mutation patched again: %s", i, p);
        }
        verdict_free(&v);
        cv_destroy(view);
    }
    cJSON_Delete(patched);
    cJSON_Delete(clusters);
    cJSON_Delete(cases);
}

TEST_MAIN(cmocka_unit_test(review_fixture_gets_missing_feature), cmocka_unit_test(no_node_selector),
          cmocka_unit_test(keys_already_there), cmocka_unit_test(source_node_without_host_model),
          cmocka_unit_test(migrated_before_copies_keys),
          cmocka_unit_test(explicit_default_and_passthrough), cmocka_unit_test(hostname_sources),
          cmocka_unit_test(vmi_missing_or_not_a_target),
          cmocka_unit_test(vmi_from_owner_reference_and_namespace),
          cmocka_unit_test(view_error_allows_with_warning),
          cmocka_unit_test(patches_apply_and_converge))
