/*
 * Unit tests for rules_vmim_validate (SPEC §3, §12): every migration rule
 * alone and together, their order and joining, the deny/warn/off modes, the
 * missing and stopped VMI, in-flight migrations, and malformed input.
 *
 * The cluster: the two nodes of constructed-nodes-cpu-labels (plus node-c, a copy of
 * node-a), the PVCs of
 * constructed-pvcs-rwx-vs-rwo (vm1-disk-0-hxzx7 is RWX, vm-bridge-mgmt-disk-0-abcde
 * RWO) and the Harvester KubeVirt CR, plus the VMIs each test adds.
 */
#include "rules_fixtures.h"
#include "rules/fields.h"

#define PVC_RWX "vm1-disk-0-hxzx7"
#define PVC_RWO "vm-bridge-mgmt-disk-0-abcde"

static cJSON *base_cluster(void)
{
    cJSON *objects = cJSON_CreateArray();
    add_fixture(objects, "constructed-nodes-cpu-labels.yaml");
    add_fixture(objects, "constructed-pvcs-rwx-vs-rwo.yaml");
    add_fixture(objects, "harvester-kubevirt-cr-from-chart.yaml");
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
    struct rule_settings defaults;
    rule_settings_default(&defaults);
    run_rule(rules_vmim_validate, migration, "default", meta_name(migration), s ? s : &defaults,
             view, out);
    cv_destroy(view);
    cJSON_Delete(migration);
}

#define P "VM default/vm1 cannot be live-migrated: "

static void expect_denied(struct verdict *v, const char *message)
{
    assert_false(v->allowed);
    assert_non_null(v->message);
    assert_string_equal(v->message, message);
}

static void expect_allowed_silently(struct verdict *v)
{
    assert_true(v->allowed);
    assert_null(v->message);
    assert_int_equal(v->nwarnings, 0);
}

/* ------------------------------------------------------------ whole VMIs */

static void migratable_vmi_is_allowed(void **state)
{
    (void)state;
    struct verdict v;
    review(vmim("mig-1", "vm1"), clean_vmi(), NULL, &v);
    expect_allowed_silently(&v);
    verdict_free(&v);
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
    struct verdict v;
    review(vmim("mig-1", "vm1"), vmi, NULL, &v);
    expect_denied(&v, P
                  "volume \"containerdisk\" is a container disk; remove it first; "
                  "GPU \"gpu1\" (nvidia.com/GP102GL_Tesla_P40) is passed through; remove it first");
    verdict_free(&v);
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
     "disk \"cdrom1\" is a CD-ROM; eject it first", NULL, NULL},
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
        struct verdict v;
        review(vmim("mig-1", "vm1"), vmi, NULL, &v);
        expect_allowed_silently(&v);
        verdict_free(&v);
    }
}

static void bridge_annotation_does_not_help(void **state)
{
    (void)state;
    cJSON *vmi = clean_vmi();
    set_at(vmi, "metadata.annotations",
           json("{\"kubevirt.io/allow-pod-bridge-network-live-migration\":\"true\"}"));
    set_at(vmi, "spec.networks", json("[{\"name\":\"mgmt\",\"pod\":{}}]"));
    set_at(vmi, "spec.domain.devices.interfaces", json("[{\"name\":\"mgmt\",\"bridge\":{}}]"));
    struct verdict v;
    review(vmim("mig-1", "vm1"), vmi, NULL, &v);
    expect_denied(
        &v, P
        "interface \"mgmt\" uses bridge binding on the management network; use masquerade instead");
    verdict_free(&v);
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
    struct verdict v;
    review(vmim("mig-1", "vm1"), vmi, NULL, &v);
    expect_allowed_silently(&v);
    verdict_free(&v);

    /* The PVC says RWX, the volumeStatus says RWO: denied. */
    vmi = clean_vmi();
    set_at(vmi, "status.volumeStatus",
           json("[{\"name\":\"pvcdisk\",\"persistentVolumeClaimInfo\":{\"accessModes\":["
                "\"ReadWriteOnce\"]}}]"));
    review(vmim("mig-1", "vm1"), vmi, NULL, &v);
    expect_denied(&v, P "volume \"pvcdisk\" uses PVC \"" PVC_RWX
                        "\" with access mode ReadWriteOnce; live migration "
                        "needs ReadWriteMany");
    verdict_free(&v);
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
    struct verdict v;
    review(vmim("mig-1", "vm1"), NULL, NULL, &v);
    expect_denied(&v, P "it is not running (no VirtualMachineInstance)");
    verdict_free(&v);

    cJSON *other = migration_in("mig-0", "default", "vm1", "Scheduling");
    review(vmim("mig-1", "vm1"), other, NULL, &v);
    expect_denied(
        &v,
        P "it is not running (no VirtualMachineInstance); migration mig-0 is already in progress");
    verdict_free(&v);
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
    struct verdict v;
    review(vmim("mig-1", "vm1"), extra, NULL, &v);
    expect_denied(&v, P
                  "migration mig-a is already in progress; migration mig-b is already in progress; "
                  "migration mig-e is already in progress");
    verdict_free(&v);
}

/* ------------------------------------------------------ VMIM without a VMI */

static void vmim_without_vmi_name_is_denied(void **state)
{
    (void)state;
    const char *values[] = {NULL, "\"\"", "42", "null"};
    struct rule_settings s;
    rule_settings_default(&s);
    s.migration[RULE_VMIM_NO_VMI] = MODE_OFF; /* cannot be switched off */
    for (size_t i = 0; i < 4; i++) {
        cJSON *m = vmim("mig-1", NULL);
        if (values[i])
            set_at(m, "spec.vmiName", json(values[i]));
        struct verdict v;
        review(m, NULL, &s, &v);
        expect_denied(
            &v, "migration default/mig-1 names no VirtualMachineInstance (spec.vmiName is empty)");
        verdict_free(&v);
    }
    /* No spec at all, and the example VMIM of KubeVirt with its vmiName. */
    cJSON *m = vmim("mig-1", NULL);
    cJSON_DeleteItemFromObject(m, "spec");
    struct verdict v;
    review(m, NULL, NULL, &v);
    expect_denied(
        &v, "migration default/mig-1 names no VirtualMachineInstance (spec.vmiName is empty)");
    verdict_free(&v);
    review(fixture_object("kubevirt-examples-migration-job.yaml", 0), NULL, NULL, &v);
    expect_denied(&v, "VM default/vmi-migratable cannot be live-migrated: it is not running (no "
                      "VirtualMachineInstance)");
    verdict_free(&v);
}

/* -------------------------------------------------------------------- modes */

static cJSON *vmi_with_cdrom_and_gpu(void)
{
    cJSON *vmi = clean_vmi();
    set_at(vmi, "spec.domain.devices.disks", json("[{\"name\":\"cd\",\"cdrom\":{}}]"));
    set_at(vmi, "spec.domain.devices.gpus",
           json("[{\"name\":\"g\",\"deviceName\":\"nvidia.com/A10\"}]"));
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
    assert_int_equal(v.nwarnings, 1);
    assert_string_equal(v.warnings[0],
                        P "GPU \"g\" (nvidia.com/A10) is passed through; remove it first");
    verdict_free(&v);

    s.migration[RULE_CDROM] = MODE_WARN;
    review(vmim("mig-1", "vm1"), vmi_with_cdrom_and_gpu(), &s, &v);
    assert_true(v.allowed);
    assert_int_equal(v.nwarnings, 1);
    assert_string_equal(v.warnings[0],
                        P "disk \"cd\" is a CD-ROM; eject it first; GPU \"g\" (nvidia.com/A10) is "
                          "passed through; remove it first");
    verdict_free(&v);

    s.migration[RULE_CDROM] = MODE_OFF;
    s.migration[RULE_GPU] = MODE_OFF;
    review(vmim("mig-1", "vm1"), vmi_with_cdrom_and_gpu(), &s, &v);
    expect_allowed_silently(&v);
    verdict_free(&v);
}

static void unreachable_cluster_denies(void **state)
{
    (void)state;
    struct rule_settings s;
    rule_settings_default(&s);
    cJSON *m = vmim("mig-1", "vm1");
    struct verdict v;
    run_rule(rules_vmim_validate, m, "default", "mig-1", &s, &failing_view, &v);
    expect_denied(&v, "cannot verify migration of VM default/vm1: GET: connection refused");
    verdict_free(&v);
    cJSON_Delete(m);
}

/* ---------------------------------------------------------------- bad input */

static void malformed_vmis_get_clear_answers(void **state)
{
    (void)state;
    const struct {
        const char *path, *value, *message; /* message NULL = allowed */
    } cases[] = {
        {"spec", "null", NULL},
        {"spec", "\"not an object\"", NULL},
        {"spec.volumes", "\"not an array\"", NULL},
        {"spec.volumes", "[7, null, {\"name\":\"v\",\"persistentVolumeClaim\":null}]", NULL},
        {"spec.domain.devices", "[]", NULL},
        {"spec.domain.devices.disks", "[{\"cdrom\":{}}]",
         P "disk \"\" is a CD-ROM; eject it first"},
        {"spec.domain.devices.disks", "[{\"name\":5,\"cdrom\":{}}]",
         P "disk \"\" is a CD-ROM; eject it first"},
        {"spec.volumes", "[{\"name\":\"v\",\"persistentVolumeClaim\":{\"claimName\":5}}]",
         P "volume \"v\" uses PVC \"\", which does not exist; live migration needs ReadWriteMany"},
        {"spec.domain.devices.gpus", "[{\"name\":1,\"deviceName\":true}]",
         P "GPU \"\" () is passed through; remove it first"},
        {"spec.networks", "[{\"name\":3,\"pod\":{}}, \"x\"]", NULL},
        {"spec.nodeSelector", "{\"kubernetes.io/hostname\":5}", NULL},
        {"status.volumeStatus", "{\"pvcdisk\":1}", NULL},
        {"status.volumeStatus",
         "[{\"name\":\"pvcdisk\",\"persistentVolumeClaimInfo\":{\"accessModes\":[1,"
         "\"ReadWriteOnce\"]}}]",
         P "volume \"pvcdisk\" uses PVC \"" PVC_RWX
           "\" with access mode ReadWriteOnce; live migration needs ReadWriteMany"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cJSON *vmi = clean_vmi();
        set_at(vmi, cases[i].path, json(cases[i].value));
        struct verdict v;
        review(vmim("mig-1", "vm1"), vmi, NULL, &v);
        if (cases[i].message) {
            if (!v.message || strcmp(v.message, cases[i].message) != 0)
                fail_msg("case %zu: got \"%s\"", i, v.message ? v.message : "(allowed)");
        } else if (!v.allowed) {
            fail_msg("case %zu: denied \"%s\"", i, v.message);
        }
        verdict_free(&v);
    }
}

static void ten_thousand_volumes(void **state)
{
    (void)state;
    enum { N = 10000 };
    cJSON *vmi = clean_vmi();
    cJSON *volumes = cJSON_CreateArray(), *disks = cJSON_CreateArray();
    for (int i = 0; i < N; i++) {
        char name[32];
        snprintf(name, sizeof(name), "v%05d", i);
        cJSON *vol = cJSON_CreateObject();
        cJSON_AddStringToObject(vol, "name", name);
        cJSON_AddStringToObject(cJSON_AddObjectToObject(vol, "persistentVolumeClaim"), "claimName",
                                PVC_RWO);
        cJSON_AddItemToArray(volumes, vol);
        cJSON *disk = cJSON_CreateObject();
        cJSON_AddStringToObject(disk, "name", name);
        cJSON_AddObjectToObject(disk, "disk");
        cJSON_AddItemToArray(disks, disk);
    }
    set_at(vmi, "spec.volumes", volumes);
    set_at(vmi, "spec.domain.devices.disks", disks);
    /* volumeStatus in reverse order: every lookup walks it. */
    cJSON *status = cJSON_CreateArray();
    for (int i = N - 1; i >= 0; i--) {
        char name[32];
        snprintf(name, sizeof(name), "v%05d", i);
        cJSON *st = cJSON_CreateObject();
        cJSON_AddStringToObject(st, "name", name);
        cJSON_AddItemToObject(cJSON_AddObjectToObject(st, "persistentVolumeClaimInfo"),
                              "accessModes", json("[\"ReadWriteOnce\"]"));
        cJSON_AddItemToArray(status, st);
    }
    set_at(vmi, "status.volumeStatus", status);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(migratable_vmi_is_allowed),
        cmocka_unit_test(fixture_vmi_reports_every_rule_in_order),
        cmocka_unit_test(gpu_example_reports_gpu_and_container_disk),
        cmocka_unit_test(each_rule_alone),
        cmocka_unit_test(multus_bridge_and_sriov_are_fine),
        cmocka_unit_test(bridge_annotation_does_not_help),
        cmocka_unit_test(volume_status_wins_over_the_pvc),
        cmocka_unit_test(no_vmi_reports_only_state_rules),
        cmocka_unit_test(stopped_vmi_reports_spec_rules_too),
        cmocka_unit_test(in_flight_migrations_sorted_by_name),
        cmocka_unit_test(vmim_without_vmi_name_is_denied),
        cmocka_unit_test(modes_deny_warn_off),
        cmocka_unit_test(unreachable_cluster_denies),
        cmocka_unit_test(malformed_vmis_get_clear_answers),
        cmocka_unit_test(ten_thousand_volumes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
