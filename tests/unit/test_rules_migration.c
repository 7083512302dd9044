/*
 * Unit tests for rules_vmim_validate (docs/rules.md#migration-rules, docs/rules.md#details): every
 * migration rule alone and together, their order and joining, the deny/warn/off modes, the missing
 * and stopped VMI, in-flight migrations, and malformed input.
 *
 * The cluster: the two nodes of constructed-nodes-cpu-labels (plus node-c, a copy of
 * node-a), the PVCs of
 * constructed-pvcs-rwx-vs-rwo (vm1-disk-0-hxzx7 is RWX, vm-bridge-mgmt-disk-0-abcde
 * RWO) and the Harvester KubeVirt CR, plus the VMIs each test adds.
 */
#include "rule_fixtures.h"
#include "kube/object.h"
#include "test_main.h"

#define PVC_RWX "vm1-disk-0-hxzx7"
#define PVC_RWO "vm-bridge-mgmt-disk-0-abcde"

/* The clean VMI's volumes plus a CD-ROM volume `cd` (an image in the tray, on an RWX claim). */
#define VOLUMES_WITH_CDROM(cd)                                                                     \
    "[{\"name\":\"pvcdisk\",\"persistentVolumeClaim\":{\"claimName\":\"" PVC_RWX "\"}},"           \
    "{\"name\":\"" cd "\",\"persistentVolumeClaim\":{\"claimName\":\"" PVC_RWX "\"}}]"

static cJSON *base_cluster(void)
{
    cJSON *objects = fixture_cluster();
    /* A third node like node-a (host model XYZ), so a host-model VM on node-a has somewhere to go.
     */
    cJSON *node_c = cJSON_Duplicate(cJSON_GetArrayItem(objects, 0), 1);
    set_at(node_c, "metadata.name", cJSON_CreateString("node-c"));
    cJSON *labels = cJSON_GetObjectItem(cJSON_GetObjectItem(node_c, "metadata"), "labels");
    cJSON_ReplaceItemInObjectCaseSensitive(labels, "kubernetes.io/hostname",
                                           cJSON_CreateString("node-c"));
    cJSON_AddItemToArray(objects, node_c);
    return objects;
}

/* A VMIM named `name` for VMI `vmi` (NULL: no spec.vmiName), shaped like Harvester's. */
static cJSON *vmim(const char *name, const char *vmi)
{
    cJSON *m = fixture_object("constructed-vmim-harvester-and-status.yaml", 1);
    set_at(m, "metadata.name", cJSON_CreateString(name));
    set_at(m, "metadata.uid", cJSON_CreateString("11111111-0000-4000-8000-000000000001"));
    cJSON_DeleteItemFromObject(m, "status");
    cJSON_DeleteItemFromObject(cJSON_GetObjectItem(m, "metadata"), "labels");
    cJSON_DeleteItemFromObject(cJSON_GetObjectItem(m, "spec"), "addedNodeSelector");
    if (vmi)
        set_at(m, "spec.vmiName", cJSON_CreateString(vmi));
    else
        cJSON_DeleteItemFromObject(cJSON_GetObjectItem(m, "spec"), "vmiName");
    return m;
}

/* A migratable running VMI "vm1": the PVC example switched to the RWX claim. */
static cJSON *clean_vmi(void)
{
    cJSON *vmi = fixture_object("kubevirt-examples-vmi-pvc.yaml", 0);
    set_at(vmi, "metadata.name", cJSON_CreateString("vm1"));
    set_at(vmi, "metadata.namespace", cJSON_CreateString("default"));
    cJSON *vol =
        cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(vmi, "spec"), "volumes"), 0);
    set_at(vol, "persistentVolumeClaim.claimName", cJSON_CreateString(PVC_RWX));
    set_at(vmi, "status", json("{\"phase\":\"Running\",\"nodeName\":\"node-a\"}"));
    return vmi;
}

/* Gives `vmi` the passed-through GPU g. */
static void add_gpu(cJSON *vmi)
{
    set_at(vmi, "spec.domain.devices.gpus",
           json("[{\"name\":\"g\",\"deviceName\":\"nvidia.com/A10\"}]"));
}

#define GPU_TEXT "GPU \"g\" (nvidia.com/A10) is passed through; remove it first"

/* Runs the VMIM review of `migration` against base cluster + `extra` objects (both taken). */
static void review(cJSON *migration, cJSON *extra, const struct rule_settings *s,
                   struct verdict *out)
{
    cJSON *objects = base_cluster();
    if (extra) {
        if (cJSON_IsArray(extra)) {
            while (extra->child)
                cJSON_AddItemToArray(objects, cJSON_DetachItemViaPointer(extra, extra->child));
            cJSON_Delete(extra);
        } else {
            cJSON_AddItemToArray(objects, extra);
        }
    }
    struct cluster_view *view = view_over(objects);
    struct rule_settings defaults = default_settings();
    run_rule(rules_vmim_validate, migration, "default", meta_name(migration), s ? s : &defaults,
             view, out);
    cv_destroy(view);
    cJSON_Delete(migration);
}

#define P "VM default/vm1 cannot be live-migrated: "

/* The case `what`: `v` denies with `message`. */
static void is_denied(const char *what, const struct verdict *v, const char *message)
{
    name_failing_case(what, v->allowed || !v->message || strcmp(v->message, message) != 0);
    assert_false(v->allowed);
    assert_non_null(v->message);
    assert_string_equal(v->message, message);
}

#define expect_denied(...) is_denied(HERE, __VA_ARGS__)

/* The case `what`: `v` allows, saying nothing. */
static void is_allowed_silently(const char *what, const struct verdict *v)
{
    name_failing_case(what, !v->allowed || v->message || v->nwarnings != 0);
    assert_true(v->allowed);
    assert_null(v->message);
    assert_int_equal(v->nwarnings, 0);
}

#define expect_allowed_silently(...) is_allowed_silently(HERE, __VA_ARGS__)

/* The case `what`: `v` has the one warning `warning`. */
static void warns_once(const char *what, const struct verdict *v, const char *warning)
{
    name_failing_case(what, v->nwarnings != 1 || strcmp(v->warnings[0], warning) != 0);
    assert_int_equal(v->nwarnings, 1);
    assert_string_equal(v->warnings[0], warning);
}

#define expect_one_warning(...) warns_once(HERE, __VA_ARGS__)

/* The case `what`: the review of `migration` with `extra` (both taken, as review) under `s` (NULL:
 * the defaults) denies with `message`. */
static void review_denies(const char *what, cJSON *migration, cJSON *extra,
                          const struct rule_settings *s, const char *message)
{
    struct verdict v;
    review(migration, extra, s, &v);
    is_denied(what, &v, message);
    verdict_free(&v);
}

#define expect_review_denied(...) review_denies(HERE, __VA_ARGS__)

/* The case `what`: that review allows, saying nothing. */
static void review_allows(const char *what, cJSON *migration, cJSON *extra,
                          const struct rule_settings *s)
{
    struct verdict v;
    review(migration, extra, s, &v);
    is_allowed_silently(what, &v);
    verdict_free(&v);
}

#define expect_review_allowed(...) review_allows(HERE, __VA_ARGS__)

/* ------------------------------------------------------------ whole VMIs */

static void migratable_vmi_is_allowed(void **state)
{
    (void)state;
    expect_review_allowed(vmim("mig-1", "vm1"), clean_vmi(), NULL);
}

static void fixture_vmi_reports_every_rule_in_order(void **state)
{
    (void)state;
    struct verdict v;
    review(vmim("mig-1", "vm-bridge-mgmt"),
           fixture_object("constructed-vmi-status-variants.yaml", 0), NULL, &v);
    expect_denied(
        &v, "VM default/vm-bridge-mgmt cannot be live-migrated: "
            "interface \"default\" uses bridge binding on the management network; use masquerade "
            "instead; "
            "disk \"cdrom-0\" is a CD-ROM; eject it first; "
            "volume \"disk-0\" uses PVC \"vm-bridge-mgmt-disk-0-abcde\" with access mode "
            "ReadWriteOnce; "
            "live migration needs ReadWriteMany; "
            "volume \"cdrom-0\" uses PVC \"vm-bridge-mgmt-cdrom-0-fghij\", which does not exist; "
            "live migration needs ReadWriteMany");
    assert_int_equal(v.nwarnings, 0);
    assert_int_equal(v.nfired, 3);
    assert_int_equal(v.fired[0], RULE_MANAGEMENT_BRIDGE);
    assert_int_equal(v.fired[1], RULE_CDROM);
    assert_int_equal(v.fired[2], RULE_VOLUME_ACCESS_MODE);
    verdict_free(&v);
}

static void gpu_example_reports_gpu_and_container_disk(void **state)
{
    (void)state;
    cJSON *vmi = fixture_object("kubevirt-examples-vmi-gpu.yaml", 0);
    set_at(vmi, "metadata.name", cJSON_CreateString("vm1"));
    set_at(vmi, "status.phase", cJSON_CreateString("Running"));
    expect_review_denied(
        vmim("mig-1", "vm1"), vmi, NULL,
        P "volume \"containerdisk\" is a container disk; remove it first; "
          "GPU \"gpu1\" (nvidia.com/GP102GL_Tesla_P40) is passed through; remove it first");
}

/* --------------------------------------------------------- each rule alone */

struct one_rule_case {
    const char *what;
    const char *path;           /* set on the clean VMI */
    const char *value;          /* JSON */
    const char *text;           /* expected finding, after the prefix */
    const char *path2, *value2; /* optional second change */
};

static const struct one_rule_case one_rule_cases[] = {
    {"management bridge", "spec.networks", "[{\"name\":\"default\",\"pod\":{}}]",
     "interface \"default\" uses bridge binding on the management network; use masquerade instead",
     "spec.domain.devices.interfaces",
     "[{\"name\":\"default\",\"bridge\":{},\"model\":\"virtio\"}]"},
    {"cdrom", "spec.domain.devices.disks",
     "[{\"name\":\"pvcdisk\",\"disk\":{\"bus\":\"virtio\"}},{\"name\":\"cdrom1\",\"cdrom\":{"
     "\"bus\":\"sata\"}}]",
     "disk \"cdrom1\" is a CD-ROM; eject it first", "spec.volumes", VOLUMES_WITH_CDROM("cdrom1")},
    {"container disk", "spec.volumes",
     "[{\"name\":\"root\",\"containerDisk\":{\"image\":\"quay.io/kubevirt/"
     "cirros-container-disk-demo\"}}]",
     "volume \"root\" is a container disk; remove it first", NULL, NULL},
    {"host device", "spec.domain.devices.hostDevices",
     "[{\"name\":\"nic1\",\"deviceName\":\"intel.com/82599ES\"}]",
     "host device \"nic1\" (intel.com/82599ES) is passed through; remove it first", NULL, NULL},
    {"gpu", "spec.domain.devices.gpus", "[{\"name\":\"gpu1\",\"deviceName\":\"nvidia.com/A10\"}]",
     "GPU \"gpu1\" (nvidia.com/A10) is passed through; remove it first", NULL, NULL},
    {"RWO PVC", "spec.volumes",
     "[{\"name\":\"pvcdisk\",\"persistentVolumeClaim\":{\"claimName\":\"" PVC_RWO "\"}}]",
     "volume \"pvcdisk\" uses PVC \"" PVC_RWO
     "\" with access mode ReadWriteOnce; live migration needs ReadWriteMany",
     NULL, NULL},
    {"dataVolume names the PVC", "spec.volumes",
     "[{\"name\":\"dv\",\"dataVolume\":{\"name\":\"" PVC_RWO "\"}}]",
     "volume \"dv\" uses PVC \"" PVC_RWO
     "\" with access mode ReadWriteOnce; live migration needs ReadWriteMany",
     NULL, NULL},
    {"missing PVC", "spec.volumes",
     "[{\"name\":\"pvcdisk\",\"persistentVolumeClaim\":{\"claimName\":\"gone\"}}]",
     "volume \"pvcdisk\" uses PVC \"gone\", which does not exist; live migration needs "
     "ReadWriteMany",
     NULL, NULL},
    {"several modes from volumeStatus", "status.volumeStatus",
     "[{\"name\":\"pvcdisk\",\"persistentVolumeClaimInfo\":{\"claimName\":\"" PVC_RWX "\","
     "\"accessModes\":[\"ReadWriteOnce\",\"ReadOnlyMany\"]}}]",
     "volume \"pvcdisk\" uses PVC \"" PVC_RWX
     "\" with access mode ReadWriteOnce,ReadOnlyMany; live migration needs "
     "ReadWriteMany",
     NULL, NULL},
    {"no access mode", "status.volumeStatus",
     "[{\"name\":\"pvcdisk\",\"persistentVolumeClaimInfo\":{\"accessModes\":[]}}]",
     "volume \"pvcdisk\" uses PVC \"" PVC_RWX
     "\" with no access mode; live migration needs ReadWriteMany",
     NULL, NULL},
    {"node pinned", "spec.nodeSelector", "{\"kubernetes.io/hostname\":\"node-a\"}",
     "it is pinned to node \"node-a\" by nodeSelector kubernetes.io/hostname", NULL, NULL},
};

static void each_rule_alone(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(one_rule_cases) / sizeof(one_rule_cases[0]); i++) {
        const struct one_rule_case *c = &one_rule_cases[i];
        cJSON *vmi = clean_vmi();
        set_at(vmi, c->path, json(c->value));
        if (c->path2)
            set_at(vmi, c->path2, json(c->value2));
        struct verdict v;
        review(vmim("mig-1", "vm1"), vmi, NULL, &v);
        char expected[1024];
        snprintf(expected, sizeof(expected), P "%s", c->text);
        if (!v.message || strcmp(v.message, expected) != 0)
            fail_msg("%s: got \"%s\"", c->what, v.message ? v.message : "(allowed)");
        verdict_free(&v);
    }
}

static void multus_bridge_and_sriov_are_fine(void **state)
{
    (void)state;
    const char *files[] = {"kubevirt-examples-vmi-multus-multiple-net.yaml",
                           "kubevirt-examples-vmi-sriov.yaml",
                           "kubevirt-examples-vmi-masquerade.yaml"};
    for (size_t i = 0; i < 3; i++) {
        cJSON *vmi = fixture_object(files[i], 0);
        set_at(vmi, "metadata.name", cJSON_CreateString("vm1"));
        set_at(vmi, "status.phase", cJSON_CreateString("Running"));
        set_at(vmi, "spec.volumes", json("[]")); /* drop the container disks */
        expect_review_allowed(vmim("mig-1", "vm1"), vmi, NULL);
    }
}

/* A VMI with a bridge on the pod network that opts in to migrating anyway. */
static cJSON *vmi_with_bridge_opt_in(void)
{
    cJSON *vmi = clean_vmi();
    set_at(vmi, "metadata.annotations",
           json("{\"kubevirt.io/allow-pod-bridge-network-live-migration\":\"\"}"));
    set_at(vmi, "spec.networks", json("[{\"name\":\"mgmt\",\"pod\":{}}]"));
    set_at(vmi, "spec.domain.devices.interfaces", json("[{\"name\":\"mgmt\",\"bridge\":{}}]"));
    return vmi;
}

#define BRIDGE_OPT_IN                                                                              \
    "VM default/vm1: interface \"mgmt\" uses bridge binding on the management network; migrating " \
    "anyway (kubevirt.io/allow-pod-bridge-network-live-migration): the guest keeps its old IP "    \
    "address"

static void bridge_opt_in_is_a_warning_of_its_own(void **state)
{
    (void)state;
    struct verdict v;
    review(vmim("mig-1", "vm1"), vmi_with_bridge_opt_in(), NULL, &v);
    assert_true(v.allowed);
    assert_null(v.message);
    expect_one_warning(&v, BRIDGE_OPT_IN);
    assert_int_equal(v.nfired, 1);
    assert_int_equal(v.fired_mode[0], MODE_WARN);
    verdict_free(&v);

    /* Never inside the "cannot be live-migrated" texts, denied or warned; KubeVirt <= 1.7 still
     * wrote InterfaceNotLiveMigratable for it: the opt-in finding explains that. */
    struct rule_settings s = default_settings();
    s.migration[RULE_GPU] = MODE_WARN;
    cJSON *vmi = vmi_with_bridge_opt_in();
    add_gpu(vmi);
    set_at(vmi, "spec.volumes", json(VOLUMES_WITH_CDROM("cd")));
    set_at(vmi, "spec.domain.devices.disks", json("[{\"name\":\"cd\",\"cdrom\":{}}]"));
    set_at(
        vmi, "status.conditions",
        json("[{\"type\":\"LiveMigratable\",\"status\":\"False\",\"reason\":"
             "\"InterfaceNotLiveMigratable\",\"message\":\"cannot migrate VMI which does not use "
             "masquerade to connect to the pod network\"}]"));
    review(vmim("mig-1", "vm1"), vmi, &s, &v);
    expect_denied(&v, P "disk \"cd\" is a CD-ROM; eject it first");
    assert_int_equal(v.nwarnings, 2);
    assert_string_equal(v.warnings[0], P GPU_TEXT);
    assert_string_equal(v.warnings[1], BRIDGE_OPT_IN);
    verdict_free(&v);

    /* Off stays off. */
    s.migration[RULE_MANAGEMENT_BRIDGE] = MODE_OFF;
    expect_review_allowed(vmim("mig-1", "vm1"), vmi_with_bridge_opt_in(), &s);
}

static void volume_status_wins_over_the_pvc(void **state)
{
    (void)state;
    /* The PVC says RWO, the VMI's volumeStatus says RWX: allowed. */
    cJSON *vmi = clean_vmi();
    set_at(vmi, "spec.volumes",
           json("[{\"name\":\"d\",\"persistentVolumeClaim\":{\"claimName\":\"" PVC_RWO "\"}}]"));
    set_at(vmi, "status.volumeStatus",
           json("[{\"name\":\"d\",\"persistentVolumeClaimInfo\":{\"accessModes\":["
                "\"ReadWriteMany\"]}}]"));
    expect_review_allowed(vmim("mig-1", "vm1"), vmi, NULL);

    /* The PVC says RWX, the volumeStatus says RWO: denied. */
    vmi = clean_vmi();
    set_at(vmi, "status.volumeStatus",
           json("[{\"name\":\"pvcdisk\",\"persistentVolumeClaimInfo\":{\"accessModes\":["
                "\"ReadWriteOnce\"]}}]"));
    expect_review_denied(vmim("mig-1", "vm1"), vmi, NULL,
                         P "volume \"pvcdisk\" uses PVC \"" PVC_RWX
                           "\" with access mode ReadWriteOnce; live migration "
                           "needs ReadWriteMany");
}

/* -------------------------------------------------- missing / stopped VMI */

static cJSON *migration_in(const char *name, const char *ns, const char *vmi, const char *phase)
{
    cJSON *m = vmim(name, vmi);
    set_at(m, "metadata.namespace", cJSON_CreateString(ns));
    char uid[64];
    snprintf(uid, sizeof(uid), "uid-%s", name);
    set_at(m, "metadata.uid", cJSON_CreateString(uid));
    if (phase)
        set_at(m, "status.phase", cJSON_CreateString(phase));
    return m;
}

static void no_vmi_reports_only_state_rules(void **state)
{
    (void)state;
    expect_review_denied(vmim("mig-1", "vm1"), NULL, NULL,
                         P "it is not running (no VirtualMachineInstance)");

    cJSON *other = migration_in("mig-0", "default", "vm1", "Scheduling");
    expect_review_denied(
        vmim("mig-1", "vm1"), other, NULL,
        P "it is not running (no VirtualMachineInstance); migration mig-0 is already in progress");
}

static void stopped_vmi_reports_spec_rules_too(void **state)
{
    (void)state;
    const struct {
        const char *phase; /* JSON, NULL = no phase */
        const char *text;
    } cases[] = {
        {"\"Succeeded\"", "it is not running (phase Succeeded)"},
        {"\"Scheduling\"", "it is not running (phase Scheduling)"},
        {"\"\"", "it is not running (phase unset)"},
        {NULL, "it is not running (phase unset)"},
        {"3", "it is not running (phase unset)"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cJSON *vmi = clean_vmi();
        cJSON_DeleteItemFromObject(cJSON_GetObjectItem(vmi, "status"), "phase");
        if (cases[i].phase)
            set_at(vmi, "status.phase", json(cases[i].phase));
        set_at(vmi, "spec.domain.devices.disks", json("[{\"name\":\"cd\",\"cdrom\":{}}]"));
        set_at(vmi, "spec.volumes", json(VOLUMES_WITH_CDROM("cd")));
        struct verdict v;
        review(vmim("mig-1", "vm1"), vmi, NULL, &v);
        char expected[512];
        snprintf(expected, sizeof(expected), P "%s; disk \"cd\" is a CD-ROM; eject it first",
                 cases[i].text);
        expect_denied(&v, expected);
        verdict_free(&v);
    }
}

/* ---------------------------------------------------------------- in-flight */

static void in_flight_migrations_sorted_by_name(void **state)
{
    (void)state;
    cJSON *extra = cJSON_CreateArray();
    cJSON_AddItemToArray(extra, clean_vmi());
    cJSON_AddItemToArray(extra, migration_in("mig-b", "default", "vm1", "Running"));
    cJSON_AddItemToArray(extra, migration_in("mig-a", "default", "vm1", NULL)); /* no phase yet */
    cJSON_AddItemToArray(extra, migration_in("mig-c", "default", "vm1", "Succeeded"));
    cJSON_AddItemToArray(extra, migration_in("mig-d", "default", "vm1", "Failed"));
    cJSON_AddItemToArray(extra,
                         migration_in("mig-z", "other", "vm1", "Running")); /* other namespace */
    cJSON_AddItemToArray(extra, migration_in("mig-x", "default", "vm2", "Running")); /* other VMI */
    cJSON *by_label = migration_in("mig-e", "default", "vm2", "Pending");
    set_at(by_label, "metadata.labels", json("{\"kubevirt.io/vmi-name\":\"vm1\"}"));
    cJSON_AddItemToArray(extra, by_label);
    cJSON_AddItemToArray(extra,
                         migration_in("mig-1", "default", "vm1", "Pending")); /* itself, by name */
    cJSON *same_uid = migration_in("mig-0", "default", "vm1", "Pending");     /* itself, by uid */
    set_at(same_uid, "metadata.uid", cJSON_CreateString("11111111-0000-4000-8000-000000000001"));
    cJSON_AddItemToArray(extra, same_uid);
    expect_review_denied(
        vmim("mig-1", "vm1"), extra, NULL,
        P "migration mig-a is already in progress; migration mig-b is already in progress; "
          "migration mig-e is already in progress");
}

/* ------------------------------------------------------ VMIM without a VMI */

static void vmim_without_vmi_name_is_denied(void **state)
{
    (void)state;
    const char *values[] = {NULL, "\"\"", "42", "null"};
    struct rule_settings s = default_settings();
    s.migration[RULE_VMIM_NO_VMI] = MODE_OFF; /* cannot be switched off */
    for (size_t i = 0; i < 4; i++) {
        cJSON *m = vmim("mig-1", NULL);
        if (values[i])
            set_at(m, "spec.vmiName", json(values[i]));
        expect_review_denied(
            m, NULL, &s,
            "migration default/mig-1 names no VirtualMachineInstance (spec.vmiName is empty)");
    }
    /* No spec at all, and the example VMIM of KubeVirt with its vmiName. */
    cJSON *m = vmim("mig-1", NULL);
    cJSON_DeleteItemFromObject(m, "spec");
    expect_review_denied(
        m, NULL, NULL,
        "migration default/mig-1 names no VirtualMachineInstance (spec.vmiName is empty)");
    expect_review_denied(fixture_object("kubevirt-examples-migration-job.yaml", 0), NULL, NULL,
                         "VM default/vmi-migratable cannot be live-migrated: it is not running (no "
                         "VirtualMachineInstance)");
}

/* ------------------------------------------------------------ not-migratable */

static cJSON *with_condition(cJSON *vmi, const char *reason, const char *message)
{
    cJSON *c = json("{\"type\":\"LiveMigratable\",\"status\":\"False\"}");
    if (reason)
        cJSON_AddStringToObject(c, "reason", reason);
    if (message)
        cJSON_AddStringToObject(c, "message", message);
    cJSON *list = json("[{\"type\":\"Ready\",\"status\":\"True\"}]");
    cJSON_AddItemToArray(list, c);
    set_at(vmi, "status.conditions", list);
    return vmi;
}

#define KV "KubeVirt reports it is not live-migratable: "

static void not_migratable_reports_kubevirt_reason(void **state)
{
    (void)state;
    struct verdict v;
    review(vmim("mig-1", "vm1"),
           with_condition(clean_vmi(), "SEVNotLiveMigratable", "VMI uses SEV"), NULL, &v);
    expect_denied(&v, P KV "SEVNotLiveMigratable: VMI uses SEV");
    assert_int_equal(v.nfired, 1);
    assert_int_equal(v.fired[0], RULE_NOT_MIGRATABLE);
    verdict_free(&v);

    /* Right after in-flight, before the spec rules; no message: no ": <message>". */
    cJSON *vmi = with_condition(clean_vmi(), "HypervPassthroughNotLiveMigratable", NULL);
    set_at(vmi, "spec.domain.devices.disks", json("[{\"name\":\"cd\",\"cdrom\":{}}]"));
    set_at(vmi, "spec.volumes", json(VOLUMES_WITH_CDROM("cd")));
    cJSON *extra = cJSON_CreateArray();
    cJSON_AddItemToArray(extra, vmi);
    cJSON_AddItemToArray(extra, migration_in("mig-0", "default", "vm1", "Running"));
    expect_review_denied(
        vmim("mig-1", "vm1"), extra, NULL,
        P "migration mig-0 is already in progress; " KV
          "HypervPassthroughNotLiveMigratable; disk \"cd\" is a CD-ROM; eject it first");

    /* A stopped VMI still has its condition read; True says nothing. */
    vmi = with_condition(clean_vmi(), "SEVNotLiveMigratable", "VMI uses SEV");
    set_at(vmi, "status.phase", cJSON_CreateString("Scheduling"));
    expect_review_denied(vmim("mig-1", "vm1"), vmi, NULL,
                         P "it is not running (phase Scheduling); " KV
                           "SEVNotLiveMigratable: VMI uses SEV");
    vmi = clean_vmi();
    set_at(vmi, "status.conditions", json("[{\"type\":\"LiveMigratable\",\"status\":\"True\"}]"));
    expect_review_allowed(vmim("mig-1", "vm1"), vmi, NULL);
}

static void not_migratable_message_is_cut_on_a_character(void **state)
{
    (void)state;
    char message[400], expected[600];
    /* 199 ASCII bytes then "é" (2 bytes) straddling byte 200: cut before it. */
    memset(message, 'a', 199);
    strcpy(message + 199, "\xc3\xa9 and more text after the cut");
    struct verdict v;
    review(vmim("mig-1", "vm1"), with_condition(clean_vmi(), "NotMigratable", message), NULL, &v);
    snprintf(expected, sizeof(expected), P KV "NotMigratable: %.199s", message);
    expect_denied(&v, expected);
    verdict_free(&v);

    /* 198 bytes then "é": the whole character fits in 200. */
    memset(message, 'b', 198);
    strcpy(message + 198, "\xc3\xa9zzz");
    review(vmim("mig-1", "vm1"), with_condition(clean_vmi(), "NotMigratable", message), NULL, &v);
    snprintf(expected, sizeof(expected), P KV "NotMigratable: %.200s", message);
    expect_denied(&v, expected);
    verdict_free(&v);

    /* Exactly 200 bytes: kept whole, no marker. */
    memset(message, 'c', 200);
    message[200] = '\0';
    review(vmim("mig-1", "vm1"), with_condition(clean_vmi(), "NotMigratable", message), NULL, &v);
    snprintf(expected, sizeof(expected), P KV "NotMigratable: %s", message);
    expect_denied(&v, expected);
    verdict_free(&v);
}

/* The running fixture VMI (bridge on the pod network, CD-ROM, RWO disk) without its CD-ROM. */
static cJSON *bridge_vmi(const char *reason, const char *message)
{
    cJSON *vmi = fixture_object("constructed-vmi-status-variants.yaml", 0);
    set_at(vmi, "metadata.name", cJSON_CreateString("vm1"));
    set_at(vmi, "spec.domain.devices.disks", json("[{\"name\":\"disk-0\",\"disk\":{}}]"));
    set_at(
        vmi, "spec.volumes",
        json("[{\"name\":\"disk-0\",\"persistentVolumeClaim\":{\"claimName\":\"" PVC_RWO "\"}}]"));
    return reason ? with_condition(vmi, reason, message) : vmi;
}

#define BRIDGE_TEXT                                                                                \
    "interface \"default\" uses bridge binding on the management network; use masquerade instead"
#define RWO_TEXT                                                                                   \
    "volume \"disk-0\" uses PVC \"" PVC_RWO                                                        \
    "\" with access mode ReadWriteOnce; live migration needs ReadWriteMany"

static void not_migratable_explained_by_findings(void **state)
{
    (void)state;
    /* The fixture's InterfaceNotLiveMigratable: management-bridge already says it. */
    expect_review_denied(vmim("mig-1", "vm1"), bridge_vmi(NULL, NULL), NULL,
                         P BRIDGE_TEXT "; " RWO_TEXT);

    /* A rule in off mode still explains its reason. */
    struct rule_settings s = default_settings();
    s.migration[RULE_MANAGEMENT_BRIDGE] = MODE_OFF;
    expect_review_denied(vmim("mig-1", "vm1"), bridge_vmi(NULL, NULL), &s, P RWO_TEXT);

    /* DisksNotLiveMigratable by volume-access-mode, even in off mode. */
    s.migration[RULE_VOLUME_ACCESS_MODE] = MODE_OFF;
    const char *disks = "cannot migrate VMI: PVC " PVC_RWO " is not shared, live migration "
                        "requires that all PVCs must be shared (using ReadWriteMany access mode)";
    expect_review_allowed(vmim("mig-1", "vm1"), bridge_vmi("DisksNotLiveMigratable", disks), &s);

    /* HostDeviceNotLiveMigratable by host-device or gpu, not by anything else. */
    cJSON *vmi =
        with_condition(clean_vmi(), "HostDeviceNotLiveMigratable", "VMI uses a PCI host devices");
    add_gpu(vmi);
    expect_review_denied(vmim("mig-1", "vm1"), vmi, NULL, P GPU_TEXT);
    vmi = with_condition(clean_vmi(), "HostDeviceNotLiveMigratable",
                         "VMI specifies non-migratable generic PCI host device");
    set_at(vmi, "spec.domain.devices.hostDevices",
           json("[{\"name\":\"h\",\"deviceName\":\"intel.com/X\"}]"));
    expect_review_denied(vmim("mig-1", "vm1"), vmi, NULL,
                         P "host device \"h\" (intel.com/X) is passed through; remove it first");
    expect_review_denied(
        vmim("mig-1", "vm1"),
        with_condition(clean_vmi(), "HostDeviceNotLiveMigratable", "VMI uses a PCI host devices"),
        NULL, P KV "HostDeviceNotLiveMigratable: VMI uses a PCI host devices");

    /* A reason of one kind is not explained by a finding of another. */
    expect_review_denied(vmim("mig-1", "vm1"), bridge_vmi("SEVNotLiveMigratable", "VMI uses SEV"),
                         NULL,
                         P KV "SEVNotLiveMigratable: VMI uses SEV; " BRIDGE_TEXT "; " RWO_TEXT);
}

/* A VMIM of vm1 to the picked node `node`. */
static cJSON *vmim_to(const char *node)
{
    cJSON *m = vmim("mig-1", "vm1");
    cJSON *sel = cJSON_CreateObject();
    cJSON_AddStringToObject(sel, "kubernetes.io/hostname", node);
    set_at(m, "spec.addedNodeSelector", sel);
    return m;
}

static void cpu_mode_reason_explained_by_the_cpu_step(void **state)
{
    (void)state;
    const char *cpu = "the node \"node-a\" does not allow migration with host-model";
    struct verdict v;
    /* node-b has another host CPU model: target-node fails on the CPU step. */
    review(vmim_to("node-b"), with_condition(clean_vmi(), "CPUModeLiveMigratable", cpu), NULL, &v);
    assert_false(v.allowed);
    assert_int_equal(v.nfired, 1);
    assert_int_equal(v.fired[0], RULE_TARGET_NODE);
    assert_null(strstr(v.message, "KubeVirt reports"));
    verdict_free(&v);
    review(vmim_to("node-b"), with_condition(clean_vmi(), "CPUModeNotLiveMigratable", cpu), NULL,
           &v);
    assert_null(strstr(v.message, "KubeVirt reports"));
    verdict_free(&v);

    /* A target node that fails on another step does not explain it. */
    expect_review_denied(vmim_to("node-x"),
                         with_condition(clean_vmi(), "CPUModeLiveMigratable", cpu), NULL,
                         P KV "CPUModeLiveMigratable: the node \"node-a\" does not allow migration "
                              "with host-model; target node \"node-x\" does not exist");

    /* Neither does an eligible one (node-c), nor no target finding at all. */
    expect_review_denied(vmim_to("node-c"),
                         with_condition(clean_vmi(), "CPUModeLiveMigratable", cpu), NULL,
                         P KV "CPUModeLiveMigratable: the node \"node-a\" does not allow migration "
                              "with host-model");

    /* no-target with a node failing on the CPU step explains it: only node-b besides node-a. */
    cJSON *extra = cJSON_CreateArray();
    cJSON_AddItemToArray(extra, with_condition(clean_vmi(), "CPUModeLiveMigratable", cpu));
    cJSON *objects = base_cluster();
    cJSON *node;
    cJSON_ArrayForEach (node, objects) {
        const char *n = meta_name(node);
        if (n && strcmp(n, "node-c") == 0)
            set_at(node, "spec.unschedulable", cJSON_CreateTrue());
    }
    cJSON_AddItemToArray(objects, cJSON_DetachItemFromArray(extra, 0));
    cJSON_Delete(extra);
    struct cluster_view *view = view_over(objects);
    struct rule_settings s = default_settings();
    cJSON *m = vmim("mig-1", "vm1");
    run_rule(rules_vmim_validate, m, "default", "mig-1", &s, view, &v);
    assert_false(v.allowed);
    assert_int_equal(v.nfired, 1);
    assert_int_equal(v.fired[0], RULE_NO_TARGET);
    assert_null(strstr(v.message, "KubeVirt reports"));
    verdict_free(&v);
    cJSON_Delete(m);
    cv_destroy(view);
}

/* -------------------------------------------------------- system migrations */

/* The n-th VMIM of the system/decentralized fixture (0 evacuation, 1 workload update, 2 sendTo, 3
 * receive). */
static cJSON *kubevirt_vmim(int n)
{
    return fixture_object("constructed-vmim-system-and-decentralized.yaml", n);
}

static cJSON *vmi_with_cdrom_and_container_disk(void)
{
    cJSON *vmi = clean_vmi();
    set_at(
        vmi, "spec.domain.devices.disks",
        json(
            "[{\"name\":\"pvcdisk\",\"disk\":{}},{\"name\":\"cd\",\"cdrom\":{\"bus\":\"sata\"}}]"));
    set_at(
        vmi, "spec.volumes",
        json("[{\"name\":\"pvcdisk\",\"persistentVolumeClaim\":{\"claimName\":\"" PVC_RWX "\"}},"
             "{\"name\":\"cd\",\"persistentVolumeClaim\":{\"claimName\":\"" PVC_RWX "\"}},"
             "{\"name\":\"tools\",\"containerDisk\":{\"image\":\"registry.example.com/tools\"}}]"));
    return vmi;
}

#define CDROM_TEXT "disk \"cd\" is a CD-ROM; eject it first"
#define CONTAINER_TEXT "volume \"tools\" is a container disk; remove it first"

static void evacuation_of_cdrom_vm_is_allowed_with_a_warning(void **state)
{
    (void)state;
    struct verdict v;
    for (int n = 0; n < 2; n++) { /* evacuation, workload update */
        review(kubevirt_vmim(n), vmi_with_cdrom_and_container_disk(), NULL, &v);
        assert_true(v.allowed);
        expect_one_warning(&v, P CDROM_TEXT "; " CONTAINER_TEXT);
        verdict_free(&v);
    }
    /* The same VMIM without the annotation is denied. */
    cJSON *m = kubevirt_vmim(0);
    cJSON_DeleteItemFromObject(cJSON_GetObjectItem(m, "metadata"), "annotations");
    expect_review_denied(m, vmi_with_cdrom_and_container_disk(), NULL,
                         P CDROM_TEXT "; " CONTAINER_TEXT);

    /* Every other rule keeps its mode; off stays off. */
    struct rule_settings s = default_settings();
    s.migration[RULE_CONTAINER_DISK] = MODE_OFF;
    cJSON *vmi = vmi_with_cdrom_and_container_disk();
    add_gpu(vmi);
    review(kubevirt_vmim(0), vmi, &s, &v);
    expect_denied(&v, P GPU_TEXT);
    expect_one_warning(&v, P CDROM_TEXT);
    verdict_free(&v);
}

/* Sets the mode of rule `rule` for migrations KubeVirt starts. */
static void set_system_mode(struct rule_settings *s, enum rule_id rule, enum rule_mode mode)
{
    s->system_migration_set[rule] = true;
    s->system_migration[rule] = mode;
}

static void system_migrations_setting_wins(void **state)
{
    (void)state;
    struct rule_settings s = default_settings();
    set_system_mode(&s, RULE_CDROM, MODE_DENY);
    set_system_mode(&s, RULE_CONTAINER_DISK, MODE_OFF);
    set_system_mode(&s, RULE_GPU, MODE_WARN);
    cJSON *vmi = vmi_with_cdrom_and_container_disk();
    add_gpu(vmi);
    struct verdict v;
    review(kubevirt_vmim(0), vmi, &s, &v);
    expect_denied(&v, P CDROM_TEXT);
    expect_one_warning(&v, P GPU_TEXT);
    verdict_free(&v);

    /* A migration a user starts does not take them. */
    vmi = vmi_with_cdrom_and_container_disk();
    add_gpu(vmi);
    expect_review_denied(vmim("mig-1", "vm1"), vmi, &s,
                         P CDROM_TEXT "; " CONTAINER_TEXT "; " GPU_TEXT);

    /* The computed modes, for callers that explain them. */
    enum rule_mode modes[RULE_COUNT];
    rule_settings_default(&s);
    s.migration[RULE_CDROM] = MODE_OFF;
    s.migration[RULE_CONTAINER_DISK] = MODE_WARN;
    rules_system_migration_modes(&s, modes);
    assert_int_equal(modes[RULE_CDROM], MODE_OFF);
    assert_int_equal(modes[RULE_CONTAINER_DISK], MODE_WARN);
    assert_int_equal(modes[RULE_GPU], MODE_DENY);
    assert_int_equal(modes[RULE_NOT_MIGRATABLE], MODE_DENY);
}

/* ----------------------------------------- ejected CD-ROM, storage migration */

static void ejected_cdrom_is_no_finding(void **state)
{
    (void)state;
    /* Harvester's Eject leaves the disk and removes its volume. */
    cJSON *vmi = clean_vmi();
    set_at(vmi, "spec.domain.devices.disks",
           json("[{\"name\":\"pvcdisk\",\"disk\":{\"bus\":\"virtio\"},\"bootOrder\":1},"
                "{\"name\":\"cdrom-0\",\"cdrom\":{\"bus\":\"sata\",\"readonly\":true}}]"));
    expect_review_allowed(vmim("mig-1", "vm1"), vmi, NULL);
}

static void migrated_volumes_are_exempt(void **state)
{
    (void)state;
    cJSON *vmi = clean_vmi();
    set_at(vmi, "spec.volumes",
           json("[{\"name\":\"pvcdisk\",\"persistentVolumeClaim\":{\"claimName\":\"" PVC_RWO "\"}},"
                "{\"name\":\"data\",\"dataVolume\":{\"name\":\"" PVC_RWO "\"}}]"));
    set_at(vmi, "status.migratedVolumes",
           json("[{\"volumeName\":\"pvcdisk\",\"sourcePVCInfo\":{\"claimName\":\"old\"},"
                "\"destinationPVCInfo\":{\"claimName\":\"" PVC_RWO "\"}}]"));
    expect_review_denied(vmim("mig-1", "vm1"), vmi, NULL,
                         P "volume \"data\" uses PVC \"" PVC_RWO
                           "\" with access mode ReadWriteOnce; live migration needs ReadWriteMany");
}

/* ----------------------------------------------------- decentralized migrations */

static void send_to_skips_storage_and_nodes(void **state)
{
    (void)state;
    const char *disks = "cannot migrate VMI: PVC " PVC_RWO " is not shared, live migration "
                        "requires that all PVCs must be shared (using ReadWriteMany access mode)";
    cJSON *vmi = bridge_vmi("DisksNotLiveMigratable", disks);
    set_at(vmi, "spec.nodeSelector", json("{\"kubernetes.io/hostname\":\"node-a\"}"));
    cJSON *m = kubevirt_vmim(2);
    set_at(m, "spec.addedNodeSelector", json("{\"kubernetes.io/hostname\":\"node-x\"}"));
    struct verdict v;
    review(m, vmi, NULL, &v);
    expect_denied(&v, P BRIDGE_TEXT); /* no access mode, pin, target or KubeVirt's disk reason */
    verdict_free(&v);

    /* Without sendTo, all of it. */
    vmi = bridge_vmi("DisksNotLiveMigratable", disks);
    set_at(vmi, "spec.nodeSelector", json("{\"kubernetes.io/hostname\":\"node-a\"}"));
    set_at(vmi, "spec.volumes", json("[]"));
    m = kubevirt_vmim(2);
    cJSON_DeleteItemFromObject(cJSON_GetObjectItem(m, "spec"), "sendTo");
    set_at(m, "spec.addedNodeSelector", json("{\"kubernetes.io/hostname\":\"node-x\"}"));
    expect_review_denied(m, vmi, NULL,
                         P KV
                         "DisksNotLiveMigratable: cannot migrate VMI: PVC " PVC_RWO
                         " is not shared, live migration requires that all PVCs must be shared "
                         "(using ReadWriteMany access mode); " BRIDGE_TEXT
                         "; it is pinned to node \"node-a\" by nodeSelector "
                         "kubernetes.io/hostname; target node \"node-x\" does not exist");
}

static void receive_waits_for_sync(void **state)
{
    (void)state;
    /* The receiving VMI waits for the sync: not "not running"; no target checks. */
    cJSON *vmi = clean_vmi();
    set_at(vmi, "status.phase", cJSON_CreateString("WaitingForSync"));
    set_at(vmi, "status.conditions",
           json("[{\"type\":\"LiveMigratable\",\"status\":\"False\",\"reason\":"
                "\"DisksNotLiveMigratable\"}]"));
    cJSON *m = kubevirt_vmim(3);
    set_at(m, "spec.addedNodeSelector", json("{\"kubernetes.io/hostname\":\"node-x\"}"));
    expect_review_allowed(m, vmi, NULL);

    /* Another phase is still reported, and the VMI's own rules still apply. */
    vmi = clean_vmi();
    set_at(vmi, "status.phase", cJSON_CreateString("Pending"));
    set_at(vmi, "spec.nodeSelector", json("{\"kubernetes.io/hostname\":\"node-a\"}"));
    expect_review_denied(kubevirt_vmim(3), vmi, NULL,
                         P "it is not running (phase Pending); it is pinned to node \"node-a\" by "
                           "nodeSelector kubernetes.io/hostname");

    /* A running VMI receiving: no target-node or no-target (node-c cordoned, node-b another CPU).
     */
    vmi = clean_vmi();
    m = kubevirt_vmim(3);
    set_at(m, "spec.addedNodeSelector", json("{\"kubernetes.io/hostname\":\"node-a\"}"));
    expect_review_allowed(m, vmi, NULL);

    /* No VMI at all: still not running. */
    expect_review_denied(kubevirt_vmim(3), NULL, NULL,
                         P "it is not running (no VirtualMachineInstance)");
}

/* -------------------------------------------------------------------- modes */

static cJSON *vmi_with_cdrom_and_gpu(void)
{
    cJSON *vmi = clean_vmi();
    set_at(vmi, "spec.domain.devices.disks", json("[{\"name\":\"cd\",\"cdrom\":{}}]"));
    set_at(vmi, "spec.volumes", json(VOLUMES_WITH_CDROM("cd")));
    add_gpu(vmi);
    return vmi;
}

static void modes_deny_warn_off(void **state)
{
    (void)state;
    struct rule_settings s;
    struct verdict v;

    rule_settings_default(&s);
    s.migration[RULE_GPU] = MODE_WARN;
    review(vmim("mig-1", "vm1"), vmi_with_cdrom_and_gpu(), &s, &v);
    expect_denied(&v, P "disk \"cd\" is a CD-ROM; eject it first");
    expect_one_warning(&v, P GPU_TEXT);
    verdict_free(&v);

    s.migration[RULE_CDROM] = MODE_WARN;
    review(vmim("mig-1", "vm1"), vmi_with_cdrom_and_gpu(), &s, &v);
    assert_true(v.allowed);
    expect_one_warning(&v,
                       P "disk \"cd\" is a CD-ROM; eject it first; GPU \"g\" (nvidia.com/A10) is "
                         "passed through; remove it first");
    verdict_free(&v);

    s.migration[RULE_CDROM] = MODE_OFF;
    s.migration[RULE_GPU] = MODE_OFF;
    expect_review_allowed(vmim("mig-1", "vm1"), vmi_with_cdrom_and_gpu(), &s);
}

static void unreachable_cluster_denies(void **state)
{
    (void)state;
    struct rule_settings s = default_settings();
    cJSON *m = vmim("mig-1", "vm1");
    struct verdict v;
    run_rule(rules_vmim_validate, m, "default", "mig-1", &s, &failing_view, &v);
    expect_denied(&v, "cannot verify migration of VM default/vm1: GET: connection refused");
    verdict_free(&v);
    cJSON_Delete(m);
}

/* ---------------------------------------------------------------- bad input */

/* The clean VMI with `value` (JSON) at `path`, reviewed. */
static void review_with(const char *path, const char *value, struct verdict *v)
{
    cJSON *vmi = clean_vmi();
    set_at(vmi, path, json(value));
    review(vmim("mig-1", "vm1"), vmi, NULL, v);
}

static void malformed_vmis_get_clear_answers(void **state)
{
    (void)state;
    /* Odd values that are allowed, by where they stand. */
    const struct {
        const char *path, *values[4];
    } allowed[] = {
        {"spec", {"null", "\"not an object\""}},
        {"spec.volumes",
         {"\"not an array\"", "[7, null, {\"name\":\"v\",\"persistentVolumeClaim\":null}]"}},
        {"spec.domain.devices", {"[]"}},
        /* A CD-ROM disk without a (string) name has no volume: ejected, no finding. */
        {"spec.domain.devices.disks",
         {"[{\"cdrom\":{}}]", "[{\"name\":5,\"cdrom\":{}}]",
          "[{\"name\":\"pvcdisk\",\"cdrom\":null}]"}},
        {"status.conditions",
         {"[7, {\"type\":\"LiveMigratable\",\"status\":false}, "
          "{\"type\":\"LiveMigratable\",\"status\":\"True\"}]",
          "{\"type\":\"LiveMigratable\",\"status\":\"False\"}"}},
        {"status.migratedVolumes", {"[1, {\"volumeName\":2}, \"pvcdisk\"]"}},
        {"spec.networks", {"[{\"name\":3,\"pod\":{}}, \"x\"]"}},
        {"spec.nodeSelector", {"{\"kubernetes.io/hostname\":5}"}},
        {"status.volumeStatus", {"{\"pvcdisk\":1}"}},
    };
    for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
        for (const char *const *value = allowed[i].values; *value; value++) {
            struct verdict v;
            review_with(allowed[i].path, *value, &v);
            if (!v.allowed)
                fail_msg("%s %s: denied \"%s\"", allowed[i].path, *value, v.message);
            verdict_free(&v);
        }
    /* Odd values that are denied, and what they say. */
    const struct {
        const char *path, *value, *message;
    } denied[] = {
        {"status.conditions", "[{\"type\":\"LiveMigratable\",\"status\":\"False\"}]",
         P "KubeVirt reports it is not live-migratable"},
        {"status.conditions",
         "[{\"type\":\"LiveMigratable\",\"status\":\"False\",\"reason\":7,\"message\":\"m\"}]",
         P "KubeVirt reports it is not live-migratable: m"},
        {"spec.volumes", "[{\"name\":\"v\",\"persistentVolumeClaim\":{\"claimName\":5}}]",
         P "volume \"v\" uses PVC \"\", which does not exist; live migration needs ReadWriteMany"},
        {"spec.domain.devices.gpus", "[{\"name\":1,\"deviceName\":true}]",
         P "GPU \"\" () is passed through; remove it first"},
        {"status.volumeStatus",
         "[{\"name\":\"pvcdisk\",\"persistentVolumeClaimInfo\":{\"accessModes\":[1,"
         "\"ReadWriteOnce\"]}}]",
         P "volume \"pvcdisk\" uses PVC \"" PVC_RWX
           "\" with access mode ReadWriteOnce; live migration needs ReadWriteMany"},
    };
    for (size_t i = 0; i < sizeof(denied) / sizeof(denied[0]); i++) {
        struct verdict v;
        review_with(denied[i].path, denied[i].value, &v);
        if (!v.message || strcmp(v.message, denied[i].message) != 0)
            fail_msg("%s %s: got \"%s\"", denied[i].path, denied[i].value,
                     v.message ? v.message : "(allowed)");
        verdict_free(&v);
    }
}

static void ten_thousand_volumes(void **state)
{
    (void)state;
    enum { N = 10000 };
    cJSON *vmi = clean_vmi();
    set_at(vmi, "spec.volumes",
           numbered_objects(
               N, false, "{'name':'v%05d','persistentVolumeClaim':{'claimName':'" PVC_RWO "'}}"));
    set_at(vmi, "spec.domain.devices.disks",
           numbered_objects(N, false, "{'name':'v%05d','disk':{}}"));
    /* volumeStatus in reverse order: every lookup walks it. */
    set_at(vmi, "status.volumeStatus",
           numbered_objects(N, true,
                            "{'name':'v%05d','persistentVolumeClaimInfo':{'accessModes':["
                            "'ReadWriteOnce']}}"));
    struct verdict v;
    review(vmim("mig-1", "vm1"), vmi, NULL, &v);
    assert_false(v.allowed);
    assert_int_equal(v.nfindings, N);
    assert_true(strncmp(v.message, P "volume \"v00000\" uses PVC",
                        strlen(P "volume \"v00000\" uses PVC")) == 0);
    assert_non_null(strstr(v.message, "volume \"v09999\" uses PVC \"" PVC_RWO
                                      "\" with access mode ReadWriteOnce"));
    verdict_free(&v);
}

TEST_MAIN(cmocka_unit_test(migratable_vmi_is_allowed),
          cmocka_unit_test(fixture_vmi_reports_every_rule_in_order),
          cmocka_unit_test(gpu_example_reports_gpu_and_container_disk),
          cmocka_unit_test(each_rule_alone), cmocka_unit_test(multus_bridge_and_sriov_are_fine),
          cmocka_unit_test(bridge_opt_in_is_a_warning_of_its_own),
          cmocka_unit_test(volume_status_wins_over_the_pvc),
          cmocka_unit_test(no_vmi_reports_only_state_rules),
          cmocka_unit_test(stopped_vmi_reports_spec_rules_too),
          cmocka_unit_test(in_flight_migrations_sorted_by_name),
          cmocka_unit_test(vmim_without_vmi_name_is_denied), cmocka_unit_test(modes_deny_warn_off),
          cmocka_unit_test(unreachable_cluster_denies),
          cmocka_unit_test(malformed_vmis_get_clear_answers),
          cmocka_unit_test(ten_thousand_volumes),
          cmocka_unit_test(not_migratable_reports_kubevirt_reason),
          cmocka_unit_test(not_migratable_message_is_cut_on_a_character),
          cmocka_unit_test(not_migratable_explained_by_findings),
          cmocka_unit_test(cpu_mode_reason_explained_by_the_cpu_step),
          cmocka_unit_test(evacuation_of_cdrom_vm_is_allowed_with_a_warning),
          cmocka_unit_test(system_migrations_setting_wins),
          cmocka_unit_test(ejected_cdrom_is_no_finding),
          cmocka_unit_test(migrated_volumes_are_exempt),
          cmocka_unit_test(send_to_skips_storage_and_nodes),
          cmocka_unit_test(receive_waits_for_sync))
