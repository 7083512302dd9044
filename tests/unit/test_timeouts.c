/*
 * Unit tests for rules/timeouts.c (SPEC §8): the completion timeout formula,
 * where each input comes from, and the VMIM annotations rules_vmim_mutate adds.
 */
#include "rules_fixtures.h"
#include "rules/timeouts.h"

static void formula_is_exact(void **state)
{
    (void)state;
    const long long gib = 1LL << 30;
    assert_int_equal(completion_timeout_seconds(800, 8 * gib), 6400);
    assert_int_equal(completion_timeout_seconds(800, gib + gib / 2), 1200);
    assert_int_equal(completion_timeout_seconds(150, 1024000000LL), 144); /* 143.05 rounds up */
    assert_int_equal(completion_timeout_seconds(800, 1), 1);
    assert_int_equal(completion_timeout_seconds(800, 0), 0);
    assert_int_equal(completion_timeout_seconds(INT64_MAX, INT64_MAX), -1);
    assert_int_equal(completion_timeout_seconds(-1, gib), -1);
}

static cJSON *vmi_with_memory(const char *guest, const char *request)
{
    cJSON *vmi = fixture_object("constructed-vmi-status-variants.yaml", 0);
    set_at(vmi, "metadata.name", cJSON_CreateString("vm1"));
    cJSON *domain = cJSON_GetObjectItem(cJSON_GetObjectItem(vmi, "spec"), "domain");
    cJSON_DeleteItemFromObject(domain, "memory");
    cJSON_DeleteItemFromObject(domain, "resources");
    if (guest)
        set_at(vmi, "spec.domain.memory.guest", json(guest));
    if (request)
        set_at(vmi, "spec.domain.resources.requests.memory", json(request));
    return vmi;
}

static void compute_reports_inputs_and_sources(void **state)
{
    (void)state;
    struct migration_timeouts t;
    char err[256];

    cJSON *vmi = vmi_with_memory("\"8Gi\"", "\"9Gi\"");
    cJSON *kubevirt =
        fixture_object("harvester-kubevirt-cr-from-chart.yaml", 0); /* no migrations settings */
    assert_int_equal(migration_timeouts_compute(vmi, kubevirt, &t, err, sizeof(err)), 0);
    assert_int_equal(t.per_gib, 800);
    assert_string_equal(t.per_gib_source, "default");
    assert_int_equal(t.progress, 150);
    assert_string_equal(t.progress_source, "default");
    assert_int_equal(t.memory_bytes, 8LL << 30);
    assert_string_equal(t.memory_source, "spec.domain.memory.guest");
    assert_int_equal(t.completion_seconds, 6400);
    cJSON_Delete(vmi);

    vmi = vmi_with_memory(NULL, "\"1.5Gi\"");
    set_at(kubevirt, "spec.configuration.migrations",
           json("{\"completionTimeoutPerGiB\":150,\"progressTimeout\":300}"));
    assert_int_equal(migration_timeouts_compute(vmi, kubevirt, &t, err, sizeof(err)), 0);
    assert_int_equal(t.per_gib, 150);
    assert_string_equal(t.per_gib_source, "KubeVirt CR");
    assert_int_equal(t.progress, 300);
    assert_string_equal(t.progress_source, "KubeVirt CR");
    assert_string_equal(t.memory_source, "spec.domain.resources.requests.memory");
    assert_int_equal(t.completion_seconds, 225);
    cJSON_Delete(vmi);

    /* Invalid CR values fall back to the defaults; no CR at all too. */
    vmi = vmi_with_memory("\"1.5Gi\"", NULL);
    set_at(kubevirt, "spec.configuration.migrations",
           json("{\"completionTimeoutPerGiB\":\"150\",\"progressTimeout\":-1}"));
    assert_int_equal(migration_timeouts_compute(vmi, kubevirt, &t, err, sizeof(err)), 0);
    assert_int_equal(t.completion_seconds, 1200);
    assert_string_equal(t.per_gib_source, "default");
    assert_int_equal(t.progress, 150);
    assert_int_equal(migration_timeouts_compute(vmi, NULL, &t, err, sizeof(err)), 0);
    assert_int_equal(t.completion_seconds, 1200);
    cJSON_Delete(vmi);
    cJSON_Delete(kubevirt);
}

static void bad_memory_is_reported(void **state)
{
    (void)state;
    const struct {
        const char *guest, *err;
    } cases[] = {
        {NULL, "the VM sets no memory (spec.domain.memory.guest or "
               "spec.domain.resources.requests.memory)"},
        {"\"lots\"", "spec.domain.memory.guest \"lots\" is not a Kubernetes quantity"},
        {"8589934592", "spec.domain.memory.guest 8589934592 is not a Kubernetes quantity"},
        {"\"8Ei\"", "spec.domain.memory.guest \"8Ei\" is quantity too large"},
        {"\"-1Gi\"", "spec.domain.memory.guest \"-1Gi\" is not a positive quantity"},
        {"\"0\"", "spec.domain.memory.guest \"0\" is not a positive quantity"},
        {"\"7Ei\"", "completion timeout for spec.domain.memory.guest 7Ei is too large"},
    };
    cJSON *kubevirt = json("{\"kind\":\"KubeVirt\",\"spec\":{\"configuration\":{\"migrations\":"
                           "{\"completionTimeoutPerGiB\":9000000000000000000}}}}");
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cJSON *vmi = vmi_with_memory(cases[i].guest, NULL);
        struct migration_timeouts t;
        char err[256] = "";
        assert_int_equal(migration_timeouts_compute(vmi, kubevirt, &t, err, sizeof(err)), -1);
        assert_string_equal(err, cases[i].err);
        assert_int_equal(t.completion_seconds, 0);
        assert_int_equal(t.progress, 150);
        cJSON_Delete(vmi);
    }
    cJSON_Delete(kubevirt);
}

/* ---------------------------------------------------- rules_vmim_mutate */

static cJSON *new_vmim(void)
{
    return fixture_object("constructed-vmim-harvester-and-status.yaml",
                          0); /* generateName, no annotations */
}

static void mutate(cJSON *vmim, cJSON *objects, struct verdict *out)
{
    struct rule_settings s;
    rule_settings_default(&s);
    struct cluster_view *view = view_over(objects);
    run_rule(rules_vmim_mutate, vmim, "default", "", &s, view, out);
    cv_destroy(view);
}

static char *patch_text(const struct verdict *v)
{
    return v->patch ? cJSON_PrintUnformatted(v->patch) : NULL;
}

static void annotations_added_on_create(void **state)
{
    (void)state;
    cJSON *objects = cJSON_CreateArray();
    add_fixture(objects, "harvester-kubevirt-cr-from-chart.yaml");
    cJSON *vmi = vmi_with_memory("\"8Gi\"", NULL);
    cJSON_AddItemToArray(objects, vmi);
    cJSON *vmim = new_vmim();
    struct verdict v;
    mutate(vmim, objects, &v);
    assert_true(v.allowed);
    assert_int_equal(v.nwarnings, 0);
    char *text = patch_text(&v);
    assert_string_equal(text,
                        "[{\"op\":\"add\",\"path\":\"/metadata/annotations\",\"value\":{}},"
                        "{\"op\":\"add\",\"path\":\"/metadata/annotations/"
                        "migration-webhook.io~1completion-timeout-seconds\",\"value\":\"6400\"},"
                        "{\"op\":\"add\",\"path\":\"/metadata/annotations/"
                        "migration-webhook.io~1progress-timeout-seconds\",\"value\":\"150\"}]");
    free(text);
    verdict_free(&v);
    cJSON_Delete(vmim);
}

static void only_missing_annotations_are_added(void **state)
{
    (void)state;
    cJSON *objects = cJSON_CreateArray();
    cJSON_AddItemToArray(objects, vmi_with_memory(NULL, "\"1.5Gi\""));
    cJSON *vmim = new_vmim();
    set_at(vmim, "metadata.annotations",
           json("{\"migration-webhook.io/progress-timeout-seconds\":\"99\"}"));
    struct verdict v;
    mutate(vmim, objects, &v);
    char *text = patch_text(&v);
    assert_string_equal(text,
                        "[{\"op\":\"add\",\"path\":\"/metadata/annotations/"
                        "migration-webhook.io~1completion-timeout-seconds\",\"value\":\"1200\"}]");
    free(text);
    verdict_free(&v);

    /* Both present: no patch at all. */
    objects = cJSON_CreateArray();
    cJSON_AddItemToArray(objects, vmi_with_memory(NULL, "\"1.5Gi\""));
    cJSON_AddStringToObject(
        cJSON_GetObjectItem(cJSON_GetObjectItem(vmim, "metadata"), "annotations"),
        TIMEOUT_ANNOTATION_COMPLETION, "1");
    mutate(vmim, objects, &v);
    assert_null(v.patch);
    verdict_free(&v);
    cJSON_Delete(vmim);
}

static void missing_vmi_gives_warning_and_no_patch(void **state)
{
    (void)state;
    cJSON *vmim = new_vmim();
    struct verdict v;
    mutate(vmim, cJSON_CreateArray(), &v);
    assert_true(v.allowed);
    assert_null(v.patch);
    assert_int_equal(v.nwarnings, 1);
    assert_string_equal(v.warnings[0], "migration of VM default/vm1: VirtualMachineInstance not "
                                       "found; no timeout annotations added");
    verdict_free(&v);

    /* Memory unknown: the progress annotation still, and a warning. */
    cJSON *objects = cJSON_CreateArray();
    cJSON_AddItemToArray(objects, vmi_with_memory(NULL, NULL));
    mutate(vmim, objects, &v);
    assert_int_equal(v.nwarnings, 1);
    assert_string_equal(
        v.warnings[0],
        "migration of VM default/vm1: the VM sets no memory (spec.domain.memory.guest "
        "or spec.domain.resources.requests.memory); no completion timeout annotation added");
    char *text = patch_text(&v);
    assert_string_equal(text,
                        "[{\"op\":\"add\",\"path\":\"/metadata/annotations\",\"value\":{}},"
                        "{\"op\":\"add\",\"path\":\"/metadata/annotations/"
                        "migration-webhook.io~1progress-timeout-seconds\",\"value\":\"150\"}]");
    free(text);
    verdict_free(&v);

    /* Unreachable cluster: allowed, unchanged, with a warning. */
    struct rule_settings s;
    rule_settings_default(&s);
    run_rule(rules_vmim_mutate, vmim, "default", "", &s, &failing_view, &v);
    assert_true(v.allowed);
    assert_null(v.patch);
    assert_int_equal(v.nwarnings, 1);
    assert_string_equal(v.warnings[0],
                        "cannot verify migration of VM default/vm1: GET: connection refused");
    verdict_free(&v);

    /* No vmiName, or annotations that are not an object: nothing. */
    set_at(vmim, "metadata.annotations", json("[1]"));
    objects = cJSON_CreateArray();
    cJSON_AddItemToArray(objects, vmi_with_memory("\"1Gi\"", NULL));
    mutate(vmim, objects, &v);
    assert_null(v.patch);
    verdict_free(&v);
    cJSON_DeleteItemFromObject(cJSON_GetObjectItem(vmim, "spec"), "vmiName");
    mutate(vmim, cJSON_CreateArray(), &v);
    assert_null(v.patch);
    assert_true(v.allowed);
    verdict_free(&v);
    cJSON_Delete(vmim);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(formula_is_exact),
        cmocka_unit_test(compute_reports_inputs_and_sources),
        cmocka_unit_test(bad_memory_is_reported),
        cmocka_unit_test(annotations_added_on_create),
        cmocka_unit_test(only_missing_annotations_are_added),
        cmocka_unit_test(missing_vmi_gives_warning_and_no_patch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
