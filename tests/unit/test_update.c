/*
 * Unit tests for UPDATE reviews (docs/rules.md#updates): a VM/VMI UPDATE is
 * judged only when the part the rules read changed, a KubeVirt CR UPDATE only
 * on the fields it changed; and the 256-byte cap on warnings.
 *
 * "No lookup" is shown with a cluster view whose every lookup fails: a review
 * that looked would answer "cannot verify ...".
 */
#include "rule_fixtures.h"

#include "kube/object.h"
#include "rules/update.h"
#include "test_main.h"

/* Runs `entry` as an UPDATE of `old` to `object`. */
static void run_update(rule_entry entry, const cJSON *object, const cJSON *old,
                       const struct cluster_view *view, struct verdict *out)
{
    struct rule_settings s;
    rule_settings_default(&s);
    struct cv_scope scope;
    cv_scope_init(&scope, 0);
    struct rule_input in = {.object = object,
                            .old_object = old,
                            .ns = "default",
                            .name = "",
                            .settings = &s,
                            .view = view,
                            .scope = &scope};
    verdict_init(out);
    entry(&in, out);
    cv_scope_release(&scope);
}

static void print_warnings(const struct verdict *v)
{
    for (size_t i = 0; i < v->nwarnings; i++)
        print_message("warning: %s\n", v->warnings[i]);
}

/* A running VMI with a PVC-backed volume (so a review that looked would be seen). */
static cJSON *pvc_vmi(void)
{
    cJSON *vmi = fixture_object("kubevirt-examples-vmi-pvc.yaml", 0);
    set_at(vmi, "status", json("{\"phase\":\"Running\",\"nodeName\":\"node-a\"}"));
    return vmi;
}

/* ------------------------------------------------------------ json_same */

static void json_same_compares_values_not_layout(void **state)
{
    (void)state;
    cJSON *a = json("{\"x\":1,\"y\":[\"a\",{\"z\":null}],\"w\":true}");
    cJSON *b = json("{\"w\":true,\"y\":[\"a\",{\"z\":null}],\"x\":1.0}");
    assert_true(json_same(a, b));
    cJSON *c = json("{\"w\":true,\"y\":[{\"z\":null},\"a\"],\"x\":1}");
    assert_false(json_same(a, c)); /* arrays keep their order */
    cJSON *d = json("{\"w\":true,\"y\":[\"a\",{\"z\":null}],\"x\":1,\"extra\":0}");
    assert_false(json_same(a, d));
    cJSON *e = json("{\"w\":\"true\",\"y\":[\"a\",{\"z\":null}],\"x\":1}");
    assert_false(json_same(a, e)); /* a string is not a boolean */
    assert_true(json_same(NULL, NULL));
    cJSON *null = cJSON_CreateNull();
    assert_false(json_same(NULL, null)); /* absent is not null */
    cJSON_Delete(a), cJSON_Delete(b), cJSON_Delete(c), cJSON_Delete(d), cJSON_Delete(e);
    cJSON_Delete(null);
}

/* vm_update_unchanged for an UPDATE of `old` to a copy with `path` set to `value` (taken). */
static bool unchanged_with(const cJSON *old, const char *path, cJSON *value)
{
    cJSON *changed = cJSON_Duplicate(old, 1);
    set_at(changed, path, value);
    bool unchanged = vm_update_unchanged(changed, old);
    cJSON_Delete(changed);
    return unchanged;
}

static void what_counts_as_a_change(void **state)
{
    (void)state;
    cJSON *old = pvc_vmi();
    cJSON *vmi = cJSON_Duplicate(old, 1);
    assert_false(vm_update_unchanged(vmi, NULL)); /* CREATE, or no oldObject */
    assert_true(vm_update_unchanged(vmi, old));
    set_at(vmi, "status.phase", cJSON_CreateString("Succeeded"));
    set_at(vmi, "metadata.labels.x", cJSON_CreateString("y"));
    set_at(vmi, "metadata.annotations",
           json("{\"kubevirt.io/latest-observed-api-version\":\"v1\"}"));
    assert_true(vm_update_unchanged(vmi, old)); /* status and metadata writes */
    set_at(vmi, "metadata.annotations", json("{\"" ANNOTATION_ALLOW_POD_BRIDGE "\":\"\"}"));
    assert_false(vm_update_unchanged(vmi, old)); /* the pod-bridge opt-in */
    cJSON_Delete(vmi);
    assert_false(
        unchanged_with(old, "spec.domain.resources.requests.memory", cJSON_CreateString("2Gi")));
    cJSON_Delete(old);

    cJSON *vm_old = fixture_object("kubevirt-examples-vm-alpine-datavolume.yaml", 0);
    cJSON *vm = cJSON_Duplicate(vm_old, 1);
    set_at(vm, "spec.runStrategy", cJSON_CreateString("Halted"));
    set_at(vm, "metadata.labels", json("{\"team\":\"a\"}"));
    assert_true(vm_update_unchanged(vm, vm_old)); /* start/stop and labels */
    set_at(vm, "spec.template.metadata.annotations",
           json("{\"" ANNOTATION_ALLOW_POD_BRIDGE "\":\"true\"}"));
    assert_false(vm_update_unchanged(vm, vm_old));
    cJSON_Delete(vm);
    assert_false(unchanged_with(vm_old, "spec.dataVolumeTemplates", cJSON_CreateArray()));
    assert_false(
        unchanged_with(vm_old, "spec.template.spec.domain.cpu", json("{\"model\":\"123\"}")));
    cJSON_Delete(vm_old);
}

/* ------------------------------------------------------------ VM / VMI */

static void vmi_status_write_costs_nothing(void **state)
{
    (void)state;
    cJSON *old = pvc_vmi();
    cJSON *vmi = cJSON_Duplicate(old, 1);
    set_at(vmi, "status.migrationState", json("{\"completed\":true}"));
    struct verdict v;
    run_update(rules_vm_validate, vmi, old, &failing_view, &v);
    print_warnings(&v);
    assert_true(v.allowed);
    assert_int_equal(v.nwarnings, 0);
    assert_int_equal(v.nfindings, 0);
    assert_null(v.view_error);
    verdict_free(&v);

    /* Without oldObject the same object is judged as new: it looks the PVC up. */
    run_update(rules_vm_validate, vmi, NULL, &failing_view, &v);
    assert_true(v.allowed);
    assert_int_equal(v.nwarnings, 1);
    assert_non_null(strstr(v.warnings[0], "cannot verify migration of VM default/vmi-pvc"));
    verdict_free(&v);
    cJSON_Delete(vmi);
    cJSON_Delete(old);
}

static void vmi_spec_change_is_judged(void **state)
{
    (void)state;
    cJSON *old = pvc_vmi();
    cJSON *vmi = cJSON_Duplicate(old, 1);
    set_at(vmi, "spec.domain.devices.disks",
           json("[{\"name\":\"pvcdisk\",\"disk\":{\"bus\":\"virtio\"}},"
                "{\"name\":\"cdrom1\",\"cdrom\":{\"bus\":\"sata\"}}]"));
    cJSON *volumes = (cJSON *)obj_array(obj_object(vmi, "spec"), "volumes");
    cJSON_AddItemToArray(volumes,
                         json("{\"name\":\"cdrom1\",\"containerDisk\":{\"image\":\"iso\"}}"));
    set_at(vmi, "status.phase", cJSON_CreateString("Running"));
    struct cluster_view *view = view_over(fixture_cluster());
    struct verdict v;
    run_update(rules_vm_validate, vmi, old, view, &v);
    print_warnings(&v);
    assert_true(v.allowed);
    assert_true(v.nwarnings >= 1);
    assert_non_null(strstr(v.warnings[0], "VM default/vmi-pvc will not be live-migratable: "));
    assert_non_null(strstr(v.warnings[0], "disk \"cdrom1\" is a CD-ROM; eject it first"));
    verdict_free(&v);
    cv_destroy(view);
    cJSON_Delete(vmi);
    cJSON_Delete(old);
}

static void vm_label_change_says_nothing(void **state)
{
    (void)state;
    /* The alpine VM's RWO template would warn on CREATE ... */
    cJSON *old = fixture_object("kubevirt-examples-vm-alpine-datavolume.yaml", 0);
    struct cluster_view *view = view_over(fixture_cluster());
    struct verdict v;
    struct rule_settings s;
    rule_settings_default(&s);
    run_rule(rules_vm_validate, old, "default", "", &s, view, &v);
    assert_true(v.nwarnings >= 1);
    verdict_free(&v);
    /* ... but a label change says nothing, and looks nothing up. */
    cJSON *vm = cJSON_Duplicate(old, 1);
    set_at(vm, "metadata.labels", json("{\"harvesterhci.io/creator\":\"terraform\"}"));
    run_update(rules_vm_validate, vm, old, &failing_view, &v);
    print_warnings(&v);
    assert_true(v.allowed);
    assert_int_equal(v.nwarnings, 0);
    verdict_free(&v);
    cv_destroy(view);
    cJSON_Delete(vm);
    cJSON_Delete(old);
}

/* ------------------------------------------------------------ KubeVirt CR */

static cJSON *kubevirt_cr(const char *cpu_model)
{
    cJSON *cr = fixture_object("harvester-kubevirt-cr-from-chart.yaml", 0);
    if (cpu_model)
        set_at(cr, "spec.configuration.cpuModel", cJSON_CreateString(cpu_model));
    return cr;
}

static void kubevirt_cr_only_changed_fields(void **state)
{
    (void)state;
    struct cluster_view *view = view_over(fixture_cluster());
    struct verdict v;

    /* CREATE with a model node-b lacks: denied. */
    cJSON *old = kubevirt_cr("Icelake-Server");
    run_update(rules_kubevirt_validate, old, NULL, view, &v);
    assert_false(v.allowed);
    assert_string_equal(
        v.message, "cluster CPU model Icelake-Server is not supported by nodes: node-a, node-b");
    verdict_free(&v);

    /* virt-operator adds an annotation; the model stays: allowed, and nothing looked up. */
    cJSON *cr = cJSON_Duplicate(old, 1);
    set_at(cr, "metadata.annotations",
           json("{\"kubevirt.io/latest-observed-api-version\":\"v1\"}"));
    run_update(rules_kubevirt_validate, cr, old, &failing_view, &v);
    assert_true(v.allowed);
    assert_int_equal(v.nwarnings, 0);
    verdict_free(&v);

    /* Changing the model to another unsupported one: denied. */
    set_at(cr, "spec.configuration.cpuModel", cJSON_CreateString("EPYC"));
    run_update(rules_kubevirt_validate, cr, old, view, &v);
    assert_false(v.allowed);
    assert_string_equal(v.message,
                        "cluster CPU model EPYC is not supported by nodes: node-a, node-b");
    verdict_free(&v);

    /* To one every node has: allowed. */
    set_at(cr, "spec.configuration.cpuModel", cJSON_CreateString("123"));
    run_update(rules_kubevirt_validate, cr, old, view, &v);
    assert_true(v.allowed);
    verdict_free(&v);
    cJSON_Delete(cr);

    /* A bad timeout already in the CR does not block other writes; a new bad one is denied. */
    cJSON_Delete(old);
    old = kubevirt_cr(NULL);
    set_at(old, "spec.configuration.migrations", json("{\"progressTimeout\":\"150\"}"));
    cr = cJSON_Duplicate(old, 1);
    set_at(cr, "metadata.labels", json("{\"a\":\"b\"}"));
    run_update(rules_kubevirt_validate, cr, old, view, &v);
    assert_true(v.allowed);
    verdict_free(&v);
    set_at(cr, "spec.configuration.migrations.completionTimeoutPerGiB", cJSON_CreateNumber(-5));
    run_update(rules_kubevirt_validate, cr, old, view, &v);
    assert_false(v.allowed);
    assert_string_equal(v.message,
                        "migration setting completionTimeoutPerGiB must be a positive integer, "
                        "got -5");
    verdict_free(&v);
    cJSON_Delete(cr);
    cJSON_Delete(old);
    cv_destroy(view);
}

/* ------------------------------------------------------------ warning cap */

/* true when s is valid UTF-8. */
static bool utf8_valid(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        int n = *p < 0x80             ? 0
                : (*p & 0xE0) == 0xC0 ? 1
                : (*p & 0xF0) == 0xE0 ? 2
                : (*p & 0xF8) == 0xF0 ? 3
                                      : -1;
        if (n < 0)
            return false;
        p++;
        for (int i = 0; i < n; i++, p++)
            if ((*p & 0xC0) != 0x80)
                return false;
    }
    return true;
}

static void eight_long_findings_fit_in_a_warning(void **state)
{
    (void)state;
    struct verdict v;
    verdict_init(&v);
    for (int i = 0; i < 8; i++)
        verdict_add(&v, RULE_CONTAINER_DISK,
                    "volume \"données-%d-ünïcödé-%012d\" is a container disk; remove it first", i,
                    i);
    struct rule_settings s;
    rule_settings_default(&s);
    verdict_finish(&v, "VM default/vm-é will not be live-migratable: ", s.early, false,
                   "default/vm-é");
    assert_true(v.allowed);
    assert_int_equal(v.nwarnings, 1);
    const char *w = v.warnings[0];
    print_message("warning (%zu bytes): %s\n", strlen(w), w);
    assert_true(strlen(w) <= WARNING_MAX_BYTES);
    assert_true(utf8_valid(w));
    /* Whole findings: the first is there entire, and the text ends with the count of the rest. */
    assert_non_null(strstr(w, "volume \"données-0-ünïcödé-"));
    assert_non_null(strstr(w, "is a container disk; remove it first (+"));
    const char *more = strstr(w, " (+");
    unsigned k = 0;
    assert_int_equal(sscanf(more, " (+%u more)", &k), 1);
    unsigned kept = 0;
    for (const char *p = w; (p = strstr(p, "remove it first")); p++)
        kept++;
    assert_int_equal(kept + k, 8);
    assert_string_equal(w + strlen(w) - strlen(" more)"), " more)");
    verdict_free(&v);
}

static void text_fit_cases(void **state)
{
    (void)state;
    const char *items[] = {"aaaa", "bbbb", "cccc"};
    char *t = text_fit("x: ", items, 3, "; ", 100);
    assert_string_equal(t, "x: aaaa; bbbb; cccc"); /* fits: unchanged */
    free(t);
    t = text_fit("x: ", items, 3, "; ", 18);
    assert_string_equal(t, "x: aaaa (+2 more)");
    free(t);
    t = text_fit("x: ", items, 3, "; ", 10);
    assert_string_equal(t, " (+3 more)"); /* not even the head fits: it is cut first */
    free(t);
    /* A head made of two-byte characters is cut on a character boundary. */
    t = text_fit("éééééééééé", items, 3, "; ", 16);
    assert_true(utf8_valid(t));
    assert_true(strlen(t) <= 16);
    assert_string_equal(t + strlen(t) - strlen(" (+3 more)"), " (+3 more)");
    free(t);
    /* A plain warning over the cap is cut with an ellipsis, on a character boundary. */
    struct verdict v;
    verdict_init(&v);
    char long_text[600];
    memset(long_text, 0, sizeof(long_text));
    for (int i = 0; i < 290; i++)
        strcat(long_text, "é");
    verdict_warn(&v, "%s", long_text);
    assert_true(strlen(v.warnings[0]) <= WARNING_MAX_BYTES);
    assert_true(utf8_valid(v.warnings[0]));
    assert_string_equal(v.warnings[0] + strlen(v.warnings[0]) - 3, "\xe2\x80\xa6");
    verdict_free(&v);
}

TEST_MAIN(cmocka_unit_test(json_same_compares_values_not_layout),
          cmocka_unit_test(what_counts_as_a_change),
          cmocka_unit_test(vmi_status_write_costs_nothing),
          cmocka_unit_test(vmi_spec_change_is_judged),
          cmocka_unit_test(vm_label_change_says_nothing),
          cmocka_unit_test(kubevirt_cr_only_changed_fields),
          cmocka_unit_test(eight_long_findings_fit_in_a_warning), cmocka_unit_test(text_fit_cases))
