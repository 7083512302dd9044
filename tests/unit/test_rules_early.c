/*
 * Unit tests for rules_vm_validate (docs/rules.md#early-warnings, docs/rules.md#details): early
 * warnings on VirtualMachine and VirtualMachineInstance CREATE/UPDATE, the CPU model warnings, the
 * early modes, and malformed input.
 *
 * The cluster: node-a (host model XYZ) and node-b (host model ABC), both with
 * CPU model 123; the PVCs of constructed-pvcs-rwx-vs-rwo; the Harvester
 * KubeVirt CR (no cpuModel, so host-model is the default).
 */
#include "rule_fixtures.h"
#include "test_main.h"

/* The host-model warning for VM `vm` when the CPU models all nodes support are `models`. */
#define HOST_MODEL(vm, models)                                                                     \
    "VM default/" vm                                                                               \
    " uses host-model: it can only live-migrate to nodes with the same host CPU model; "           \
    "CPU models supported by all nodes: " models
#define HETERO(vm) HOST_MODEL(vm, "123")

/* Runs the early rules on `obj` against `objects` (taken; NULL: the API server refuses every
 * connection) with settings `s` (NULL: the defaults). */
static void check_with(const cJSON *obj, cJSON *objects, const struct rule_settings *s,
                       struct verdict *out)
{
    struct rule_settings defaults = default_settings();
    struct cluster_view *view = objects ? view_over(objects) : NULL;
    run_rule(rules_vm_validate, obj, "default", "", s ? s : &defaults, view ? view : &failing_view,
             out);
    if (view)
        cv_destroy(view);
}

/* The case `what`: `v` allows with exactly the `n` warnings `texts`. */
static void warnings_are(const char *what, const struct verdict *v, size_t n,
                         const char *const *texts)
{
    bool same = v->allowed && v->nwarnings == n;
    for (size_t i = 0; same && i < n; i++)
        same = strcmp(v->warnings[i], texts[i]) == 0;
    name_failing_case(what, !same);
    assert_true(v->allowed);
    if (v->nwarnings != n) {
        for (size_t i = 0; i < v->nwarnings; i++)
            print_message("warning: %s\n", v->warnings[i]);
        fail_msg("%zu warnings, expected %zu", v->nwarnings, n);
    }
    for (size_t i = 0; i < n; i++)
        assert_string_equal(v->warnings[i], texts[i]);
}

#define expect_warnings(...) warnings_are(HERE, __VA_ARGS__)

/* The case `what`: the early rules on `obj` against `objects` (taken) with settings `s` (NULL: the
 * defaults) allow it with exactly the `n` warnings `texts`. */
static void early_warns(const char *what, const cJSON *obj, cJSON *objects,
                        const struct rule_settings *s, size_t n, const char *const *texts)
{
    struct verdict v;
    check_with(obj, objects, s, &v);
    warnings_are(what, &v, n, texts);
    verdict_free(&v);
}

#define expect_early(...) early_warns(HERE, __VA_ARGS__)

/* The alpine VM example with CPU model `model` (NULL: the example's own). */
static cJSON *alpine_vm(const char *model)
{
    cJSON *vm = fixture_object("kubevirt-examples-vm-alpine-datavolume.yaml", 0);
    if (model)
        set_at(vm, "spec.template.spec.domain.cpu.model", cJSON_CreateString(model));
    return vm;
}

/* The VMI of test data file `file` with CPU model `model` (NULL: the file's own). */
static cJSON *vmi_of(const char *file, const char *model)
{
    cJSON *vmi = fixture_object(file, 0);
    if (model)
        set_at(vmi, "spec.domain.cpu.model", cJSON_CreateString(model));
    return vmi;
}

/* The fixture VMI with a bridge on the management network, a CD-ROM and an RWO disk, of CPU model
 * `model` (NULL: the fixture's own). */
static cJSON *bridge_vmi(const char *model)
{
    return vmi_of("constructed-vmi-status-variants.yaml", model);
}

/* ------------------------------------------------------ VirtualMachine */

static void vm_with_rwo_data_volume_template(void **state)
{
    (void)state;
    cJSON *vm = alpine_vm(NULL);
    struct verdict v;
    check_with(vm, fixture_cluster(), NULL, &v);
    const char *texts[] = {
        "VM default/vm-alpine-datavolume will not be live-migratable: volume \"datavolumedisk1\" "
        "uses PVC "
        "\"alpine-dv\" with access mode ReadWriteOnce; live migration needs ReadWriteMany",
        HETERO("vm-alpine-datavolume"),
    };
    expect_warnings(&v, 2, texts);
    assert_null(v.message);
    verdict_free(&v);
    cJSON_Delete(vm);
}

static void template_storage_then_pvc(void **state)
{
    (void)state;
    cJSON *vm = alpine_vm("host-passthrough");
    cJSON *tmpl_spec = cJSON_GetObjectItem(
        cJSON_GetArrayItem(
            cJSON_GetObjectItem(cJSON_GetObjectItem(vm, "spec"), "dataVolumeTemplates"), 0),
        "spec");
    /* storage API instead of pvc: RWX there is fine */
    cJSON_DeleteItemFromObject(tmpl_spec, "pvc");
    set_at(tmpl_spec, "storage",
           json("{\"accessModes\":[\"ReadWriteMany\"],\"volumeMode\":\"Block\"}"));
    expect_early(vm, fixture_cluster(), NULL, 0, NULL);

    /* storage without access modes (profile defaults): the PVC decides; not created yet -> nothing.
     */
    set_at(tmpl_spec, "storage", json("{\"resources\":{\"requests\":{\"storage\":\"2Gi\"}}}"));
    expect_early(vm, fixture_cluster(), NULL, 0, NULL);

    /* ... and once the PVC exists with RWO, it warns. */
    cJSON *objects = fixture_cluster();
    cJSON_AddItemToArray(
        objects,
        json("{\"kind\":\"PersistentVolumeClaim\",\"metadata\":{\"name\":\"alpine-dv\","
             "\"namespace\":\"default\"},\"spec\":{\"accessModes\":[\"ReadWriteOnce\"]}}"));
    const char *texts[] = {
        "VM default/vm-alpine-datavolume will not be live-migratable: volume \"datavolumedisk1\" "
        "uses PVC \"alpine-dv\" with access mode ReadWriteOnce; live migration needs "
        "ReadWriteMany"};
    expect_early(vm, objects, NULL, 1, texts);
    cJSON_Delete(vm);
}

/* -------------------------------------------------- VirtualMachineInstance */

static void vmi_reports_object_rules_in_order(void **state)
{
    (void)state;
    cJSON *vmi = bridge_vmi(NULL);
    set_at(vmi, "spec.nodeSelector", json("{\"kubernetes.io/hostname\":\"node-a\"}"));
    set_at(vmi, "spec.domain.devices.hostDevices",
           json("[{\"name\":\"usb1\",\"deviceName\":\"kubevirt.io/usb\"}]"));
    struct verdict v;
    check_with(vmi, fixture_cluster(), NULL, &v);
    /* cdrom-0's PVC does not exist: no warning for it.  Every finding is made, in order ... */
    const char *findings[] = {
        "interface \"default\" uses bridge binding on the management network; use masquerade "
        "instead",
        "disk \"cdrom-0\" is a CD-ROM; eject it first",
        "host device \"usb1\" (kubevirt.io/usb) is passed through; remove it first",
        "volume \"disk-0\" uses PVC \"vm-bridge-mgmt-disk-0-abcde\" with access mode "
        "ReadWriteOnce; live migration needs ReadWriteMany",
        "it is pinned to node \"node-a\" by nodeSelector kubernetes.io/hostname",
    };
    assert_true(v.nfindings >= 5);
    for (size_t i = 0; i < 5; i++)
        assert_string_equal(v.findings[i].text, findings[i]);
    /* ... and the warning keeps the whole findings that fit in 256 bytes. */
    const char *texts[] = {
        "VM default/vm-bridge-mgmt will not be live-migratable: "
        "interface \"default\" uses bridge binding on the management network; use masquerade "
        "instead; "
        "disk \"cdrom-0\" is a CD-ROM; eject it first (+3 more)",
        HETERO("vm-bridge-mgmt"),
    };
    expect_warnings(&v, 2, texts);
    verdict_free(&v);
    cJSON_Delete(vmi);
}

static void migratable_examples_are_quiet(void **state)
{
    (void)state;
    static const char *const files[] = {
        "kubevirt-examples-vmi-multus-multiple-net.yaml", "kubevirt-examples-vmi-sriov.yaml",
        "kubevirt-examples-vmi-masquerade.yaml", "kubevirt-examples-vmi-pvc.yaml"};
    for (size_t i = 0; i < 4; i++) {
        cJSON *vmi = vmi_of(files[i], "123");
        set_at(vmi, "spec.volumes", json("[]"));
        expect_early(vmi, fixture_cluster(), NULL, 0, NULL);
        cJSON_Delete(vmi);
    }
}

/* ------------------------------------------------------------ CPU models */

static void explicit_cpu_model_nobody_supports(void **state)
{
    (void)state;
    cJSON *vmi = vmi_of("kubevirt-examples-vmi-pvc.yaml", "Skylake-Server");
    const char *texts[] = {"CPU model Skylake-Server is not supported by any node (label "
                           "cpu-model.node.kubevirt.io/Skylake-Server)"};
    expect_early(vmi, fixture_cluster(), NULL, 1, texts);
    cJSON_Delete(vmi);
}

static void host_model_only_warns_on_mixed_nodes(void **state)
{
    (void)state;
    cJSON *vmi = vmi_of("kubevirt-examples-vmi-pvc.yaml", NULL);

    /* Cluster default CPU model 123: not host-model, no warning. */
    cJSON *objects = fixture_cluster();
    cJSON *cr = cJSON_GetArrayItem(objects, cJSON_GetArraySize(objects) - 1);
    set_at(cJSON_GetObjectItem(cr, "spec"), "configuration.cpuModel", cJSON_CreateString("123"));
    expect_early(vmi, objects, NULL, 0, NULL);

    /* node-b cordoned: the schedulable nodes share one host model. */
    objects = fixture_cluster();
    cJSON *node_b = cJSON_GetArrayItem(objects, 1);
    set_at(node_b, "spec.unschedulable", cJSON_CreateTrue());
    expect_early(vmi, objects, NULL, 0, NULL);

    /* node-b in maintenance and node-a explicitly host-model: still one model. */
    objects = fixture_cluster();
    set_at(cJSON_GetArrayItem(objects, 1), "metadata.annotations",
           json("{\"harvesterhci.io/maintain-status\":\"running\"}"));
    set_at(vmi, "spec.domain.cpu.model", cJSON_CreateString("host-model"));
    expect_early(vmi, objects, NULL, 0, NULL);

    /* A third node without model 123: the common list is empty. */
    objects = fixture_cluster();
    cJSON_AddItemToArray(objects,
                         json("{\"kind\":\"Node\",\"metadata\":{\"name\":\"node-c\",\"labels\":"
                              "{\"host-model-cpu.node.kubevirt.io/DEF\":\"true\","
                              "\"kubevirt.io/schedulable\":\"true\"}}}"));
    const char *texts[] = {HOST_MODEL("vmi-pvc", "none")};
    expect_early(vmi, objects, NULL, 1, texts);
    cJSON_Delete(vmi);
}

/* -------------------------------------------------------------------- modes */

static void early_modes(void **state)
{
    (void)state;
    cJSON *vmi = vmi_of("kubevirt-examples-vmi-migratable.yaml", "Penryn"); /* container disk */
    struct rule_settings s;
    rule_settings_default(&s);
    struct verdict v;

    s.early[RULE_CONTAINER_DISK] = MODE_DENY;
    check_with(vmi, fixture_cluster(), &s, &v);
    assert_false(v.allowed);
    assert_string_equal(
        v.message,
        "VM default/vmi-migratable will not be live-migratable: volume \"containerdisk\" "
        "is a container disk; remove it first");
    assert_int_equal(v.nwarnings, 1);
    assert_string_equal(
        v.warnings[0],
        "CPU model Penryn is not supported by any node (label cpu-model.node.kubevirt.io/Penryn)");
    verdict_free(&v);

    s.early[RULE_CONTAINER_DISK] = MODE_OFF;
    s.early[RULE_CPU_MODEL_UNSUPPORTED] = MODE_OFF;
    expect_early(vmi, fixture_cluster(), &s, 0, NULL);
    cJSON_Delete(vmi);
}

static void unreachable_cluster_only_warns(void **state)
{
    (void)state;
    cJSON *vm = alpine_vm(NULL);
    const char *texts[] = {
        "cannot verify migration of VM default/vm-alpine-datavolume: LIST: connection refused"};
    expect_early(vm, NULL, NULL, 1, texts);
    cJSON_Delete(vm);
}

/* ---------------------------------------------------------------- bad input */

static void malformed_objects_are_allowed(void **state)
{
    (void)state;
    static const char *const objects[] = {
        "{}",
        "{\"kind\":\"VirtualMachine\"}",
        "{\"kind\":\"VirtualMachine\",\"spec\":{\"template\":5,\"dataVolumeTemplates\":{}}}",
        "{\"kind\":\"VirtualMachineInstance\",\"spec\":[]}",
        "{\"kind\":\"VirtualMachineInstance\",\"metadata\":{\"name\":7},\"spec\":{\"volumes\":"
        "\"x\","
        "\"networks\":{},\"domain\":{\"cpu\":{\"model\":5},\"devices\":{\"disks\":{}}}}}",
        "[1,2,3]",
        "null",
    };
    for (size_t i = 0; i < sizeof(objects) / sizeof(objects[0]); i++) {
        cJSON *obj = json(objects[i]);
        struct verdict v;
        check_with(obj, fixture_cluster(), NULL, &v);
        assert_true(v.allowed);
        for (size_t w = 0; w < v.nwarnings; w++) /* only the cluster-wide host-model warning */
            assert_non_null(strstr(v.warnings[w], "uses host-model"));
        verdict_free(&v);
        cJSON_Delete(obj);
    }
}

static void ten_thousand_volumes(void **state)
{
    (void)state;
    enum { N = 10000 };
    cJSON *vm = alpine_vm("123");
    set_at(vm, "spec.template.spec.volumes",
           numbered_objects(N, false, "{'name':'v%05d','containerDisk':{'image':'quay.io/x/y'}}"));
    struct verdict v;
    check_with(vm, fixture_cluster(), NULL, &v);
    assert_true(v.allowed);
    assert_int_equal(v.nwarnings, 1);
    assert_int_equal(v.nfindings, N);
    assert_string_equal(v.findings[N - 1].text,
                        "volume \"v09999\" is a container disk; remove it first");
    /* The warning: as many whole findings as fit in 256 bytes, then the count of the rest. */
    assert_true(strlen(v.warnings[0]) <= WARNING_MAX_BYTES);
    assert_non_null(
        strstr(v.warnings[0], "volume \"v00000\" is a container disk; remove it first; "));
    const char *more = strstr(v.warnings[0], " (+");
    assert_non_null(more);
    unsigned kept = 0;
    for (const char *p = v.warnings[0]; (p = strstr(p, "is a container disk")); p++)
        kept++;
    char expect[32];
    snprintf(expect, sizeof(expect), " (+%u more)", N - kept);
    assert_string_equal(more, expect);
    verdict_free(&v);
    cJSON_Delete(vm);
}

/* ------------------------------------- ejected CD-ROM, pod-bridge opt-in
 * (docs/rules.md#early-warnings) */

#define OPT_IN(vm)                                                                                 \
    "VM default/" vm ": interface \"default\" uses bridge binding on the management network; "     \
    "migrating anyway (kubevirt.io/allow-pod-bridge-network-live-migration): the guest keeps its " \
    "old IP address"

static void ejected_cdrom_says_nothing(void **state)
{
    (void)state;
    /* The fixture VMI with its CD-ROM ejected (volume removed), a masquerade interface and RWX. */
    cJSON *vmi = bridge_vmi("host-passthrough");
    set_at(vmi, "spec.domain.devices.interfaces",
           json("[{\"name\":\"default\",\"masquerade\":{},\"model\":\"virtio\"}]"));
    set_at(vmi, "spec.volumes",
           json("[{\"name\":\"disk-0\",\"persistentVolumeClaim\":{\"claimName\":"
                "\"vm1-disk-0-hxzx7\"}},{\"name\":\"cloudinitdisk\",\"cloudInitNoCloud\":{}}]"));
    cJSON_DeleteItemFromObject(cJSON_GetObjectItem(vmi, "status"), "volumeStatus");
    expect_early(vmi, fixture_cluster(), NULL, 0, NULL);

    /* The same disk with its volume back warns. */
    set_at(vmi, "spec.volumes",
           json("[{\"name\":\"disk-0\",\"persistentVolumeClaim\":{\"claimName\":"
                "\"vm1-disk-0-hxzx7\"}},{\"name\":\"cdrom-0\",\"persistentVolumeClaim\":{"
                "\"claimName\":\"vm1-disk-0-hxzx7\"}}]"));
    const char *texts[] = {
        "VM default/vm-bridge-mgmt will not be live-migratable: disk \"cdrom-0\" is a CD-ROM; "
        "eject it first"};
    expect_early(vmi, fixture_cluster(), NULL, 1, texts);
    cJSON_Delete(vmi);

    /* A VM CREATE with an empty tray: nothing. */
    cJSON *vm = alpine_vm("host-passthrough");
    cJSON_DeleteItemFromObject(cJSON_GetObjectItem(vm, "spec"), "dataVolumeTemplates");
    set_at(vm, "spec.template.spec.domain.devices.disks",
           json("[{\"name\":\"cdrom-0\",\"cdrom\":{\"bus\":\"sata\"}}]"));
    set_at(vm, "spec.template.spec.volumes", json("[]"));
    expect_early(vm, fixture_cluster(), NULL, 0, NULL);
    cJSON_Delete(vm);
}

static void bridge_opt_in_warns_on_its_own(void **state)
{
    (void)state;
    /* VMI: the annotation in metadata.annotations. */
    cJSON *vmi = bridge_vmi("host-passthrough");
    set_at(vmi, "metadata.annotations",
           json("{\"kubevirt.io/allow-pod-bridge-network-live-migration\":\"true\"}"));
    const char *texts[] = {
        "VM default/vm-bridge-mgmt will not be live-migratable: disk \"cdrom-0\" is a CD-ROM; "
        "eject it first; volume \"disk-0\" uses PVC \"vm-bridge-mgmt-disk-0-abcde\" with access "
        "mode ReadWriteOnce; live migration needs ReadWriteMany",
        OPT_IN("vm-bridge-mgmt")};
    expect_early(vmi, fixture_cluster(), NULL, 2, texts);

    /* Configured to deny, it still only warns; off says nothing. */
    struct rule_settings s;
    rule_settings_default(&s);
    s.early[RULE_MANAGEMENT_BRIDGE] = MODE_DENY;
    expect_early(vmi, fixture_cluster(), &s, 2, texts);
    s.early[RULE_MANAGEMENT_BRIDGE] = MODE_OFF;
    expect_early(vmi, fixture_cluster(), &s, 1, texts);
    cJSON_Delete(vmi);

    /* VM: the annotation in spec.template.metadata.annotations; the VM's own does not count. */
    cJSON *vm = alpine_vm("host-passthrough");
    cJSON_DeleteItemFromObject(cJSON_GetObjectItem(vm, "spec"), "dataVolumeTemplates");
    set_at(vm, "spec.template.spec.volumes", json("[]"));
    set_at(vm, "spec.template.spec.networks", json("[{\"name\":\"default\",\"pod\":{}}]"));
    set_at(vm, "spec.template.spec.domain.devices.interfaces",
           json("[{\"name\":\"default\",\"bridge\":{}}]"));
    set_at(vm, "metadata.annotations",
           json("{\"kubevirt.io/allow-pod-bridge-network-live-migration\":\"\"}"));
    const char *denied[] = {"VM default/vm-alpine-datavolume will not be live-migratable: "
                            "interface \"default\" uses bridge binding on the management "
                            "network; use masquerade instead"};
    expect_early(vm, fixture_cluster(), NULL, 1, denied);
    set_at(vm, "spec.template.metadata.annotations",
           json("{\"kubevirt.io/allow-pod-bridge-network-live-migration\":\"\"}"));
    const char *opted[] = {OPT_IN("vm-alpine-datavolume")};
    expect_early(vm, fixture_cluster(), NULL, 1, opted);
    cJSON_Delete(vm);
}

TEST_MAIN(cmocka_unit_test(vm_with_rwo_data_volume_template),
          cmocka_unit_test(template_storage_then_pvc),
          cmocka_unit_test(vmi_reports_object_rules_in_order),
          cmocka_unit_test(migratable_examples_are_quiet),
          cmocka_unit_test(explicit_cpu_model_nobody_supports),
          cmocka_unit_test(host_model_only_warns_on_mixed_nodes), cmocka_unit_test(early_modes),
          cmocka_unit_test(unreachable_cluster_only_warns),
          cmocka_unit_test(malformed_objects_are_allowed), cmocka_unit_test(ten_thousand_volumes),
          cmocka_unit_test(ejected_cdrom_says_nothing),
          cmocka_unit_test(bridge_opt_in_warns_on_its_own))
