/*
 * Unit tests for rules/timeouts.c: the completion timeout as KubeVirt computes
 * it (memory in whole 10^9 bytes rounded up), the MigrationPolicy that
 * applies, the version-dependent default, where each input comes from, and
 * the VMIM annotations rules_vmim_mutate adds.
 */
#include "rule_fixtures.h"
#include "rules/timeouts.h"
#include "test_main.h"

static void formula_rounds_up_to_whole_gigabytes(void **state)
{
    (void)state;
    const long long gib = 1LL << 30;
    assert_int_equal(completion_timeout_seconds(800, 8 * gib), 7200); /* 8.59e9 -> 9 */
    assert_int_equal(completion_timeout_seconds(800, 8000000000LL), 6400);
    assert_int_equal(completion_timeout_seconds(800, gib + gib / 2), 1600); /* 1.61e9 -> 2 */
    assert_int_equal(completion_timeout_seconds(150, 1000000001LL), 300);
    assert_int_equal(completion_timeout_seconds(800, 1), 800);
    assert_int_equal(completion_timeout_seconds(800, 0), 0);
    assert_int_equal(completion_timeout_seconds(INT64_MAX, INT64_MAX), -1);
    assert_int_equal(completion_timeout_seconds(-1, gib), -1);
}

static void versions_are_read_like_kubevirt_reports_them(void **state)
{
    (void)state;
    const struct {
        const char *text;
        long long major, minor, patch, per_gib;
    } known[] = {
        {"v1.3.2", 1, 3, 2, 800},   {"1.4.1-150600.5.15.1", 1, 4, 1, 150}, {"v1.4", 1, 4, 0, 150},
        {"v1.4.0", 1, 4, 0, 150},   {"v1.8.3+build.7", 1, 8, 3, 150},      {"2", 2, 0, 0, 150},
        {"v0.59.0", 0, 59, 0, 800}, {"v1.3.99-rc.1", 1, 3, 99, 800},
    };
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        struct kubevirt_version v;
        assert_int_equal(kubevirt_version_parse(known[i].text, &v), true);
        assert_int_equal(v.known, true);
        assert_int_equal(v.major, known[i].major);
        assert_int_equal(v.minor, known[i].minor);
        assert_int_equal(v.patch, known[i].patch);
        assert_int_equal(kubevirt_default_per_gib(&v), known[i].per_gib);
    }
    /* Not versions: KubeVirt's default for an unknown version. */
    const char *unknown[] = {NULL,   "",       "v",      "latest",         "1.x", "1.4.0.1", "1..4",
                             "1.4.", "V1.4.0", "-1.4.0", "12345678901.0.0"};
    for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
        struct kubevirt_version v;
        assert_int_equal(kubevirt_version_parse(unknown[i], &v), false);
        assert_int_equal(v.known, false);
        assert_int_equal(kubevirt_default_per_gib(&v), 800);
    }
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

/* The KubeVirt CR of the Harvester chart with `migrations` and `version` (either may be NULL). */
static cJSON *kubevirt_cr(const char *migrations, const char *version)
{
    cJSON *cr = fixture_object("harvester-kubevirt-cr-from-chart.yaml", 0);
    if (migrations)
        set_at(cr, "spec.configuration.migrations", json(migrations));
    if (version)
        set_at(cr, "status.observedKubeVirtVersion", cJSON_CreateString(version));
    return cr;
}

/* The case `what`: migration_timeouts_compute of `vmi` with `kubevirt` and `policy` (either may
 * be NULL) succeeds. */
static void computes(const char *what, const cJSON *vmi, const cJSON *kubevirt, const cJSON *policy,
                     struct migration_timeouts *t)
{
    char err[256] = "";
    int rc = migration_timeouts_compute(vmi, kubevirt, policy, t, err, sizeof(err));
    name_failing_case(what, rc != 0);
    assert_int_equal(rc, 0);
}

#define compute(...) computes(HERE, __VA_ARGS__)

/* The case `what`: computes with the chart's KubeVirt CR carrying `migrations` and `version`
 * (kubevirt_cr). */
static void computes_with_cr(const char *what, const cJSON *vmi, const char *migrations,
                             const char *version, const cJSON *policy, struct migration_timeouts *t)
{
    cJSON *kubevirt = kubevirt_cr(migrations, version);
    computes(what, vmi, kubevirt, policy, t);
    cJSON_Delete(kubevirt);
}

#define compute_cr(...) computes_with_cr(HERE, __VA_ARGS__)

/* The case `what`: `t` says it comes from `want` (memory known). */
static void from_is(const char *what, const struct migration_timeouts *t, const char *want)
{
    char from[512];
    migration_timeouts_from(t, true, from, sizeof(from));
    name_failing_case(what, strcmp(from, want) != 0);
    assert_string_equal(from, want);
}

#define expect_from(...) from_is(HERE, __VA_ARGS__)

static void compute_reports_inputs_and_sources(void **state)
{
    (void)state;
    struct migration_timeouts t;

    /* 8Gi at 800 s/GiB (the CR's value): 9 x 800 = 7200, not 6400. */
    cJSON *vmi = vmi_with_memory("\"8Gi\"", "\"9Gi\"");
    compute_cr(vmi, "{\"completionTimeoutPerGiB\":800}", "v1.4.1", NULL, &t);
    assert_int_equal(t.per_gib, 800);
    assert_int_equal(t.per_gib_from, TIMEOUT_FROM_CR);
    assert_int_equal(t.progress, 150);
    assert_int_equal(t.progress_from, TIMEOUT_FROM_DEFAULT);
    assert_int_equal(t.memory_bytes, 8LL << 30);
    assert_string_equal(t.memory, "8Gi");
    assert_string_equal(t.memory_source, "spec.domain.memory.guest");
    assert_int_equal(t.data_size, 9);
    assert_int_equal(t.completion_seconds, 7200);
    expect_from(&t, "KubeVirt CR: 800 s/GiB x 9 (8Gi rounded up to whole 10^9 bytes); "
                    "progress: KubeVirt default");
    cJSON_Delete(vmi);

    /* 8G at 800: 6400 (the figure Harvester's documentation gives holds for 10^9 bytes). */
    vmi = vmi_with_memory(NULL, "\"8G\"");
    compute_cr(vmi, "{\"completionTimeoutPerGiB\":800}", "v1.4.1", NULL, &t);
    assert_string_equal(t.memory_source, "spec.domain.resources.requests.memory");
    assert_int_equal(t.data_size, 8);
    assert_int_equal(t.completion_seconds, 6400);
    cJSON_Delete(vmi);

    /* Both CR settings. */
    vmi = vmi_with_memory(NULL, "\"1.5Gi\"");
    compute_cr(vmi, "{\"completionTimeoutPerGiB\":150,\"progressTimeout\":300}", NULL, NULL, &t);
    assert_int_equal(t.per_gib, 150);
    assert_int_equal(t.progress, 300);
    assert_int_equal(t.progress_from, TIMEOUT_FROM_CR);
    assert_int_equal(t.completion_seconds, 300);
    expect_from(&t, "KubeVirt CR: 150 s/GiB x 2 (1.5Gi rounded up to whole 10^9 bytes); "
                    "progress: KubeVirt CR");

    /* Invalid CR values count as unset: KubeVirt's default for the CR's version. */
    compute_cr(vmi, "{\"completionTimeoutPerGiB\":\"150\",\"progressTimeout\":-1}",
               "1.4.1-150600.5.15.1", NULL, &t);
    assert_int_equal(t.per_gib, 150);
    assert_int_equal(t.per_gib_from, TIMEOUT_FROM_DEFAULT);
    assert_int_equal(t.progress, 150);
    expect_from(&t, "KubeVirt default (v1.4.1): 150 s/GiB x 2 (1.5Gi rounded up to "
                    "whole 10^9 bytes); progress: KubeVirt default");

    /* The default by version: v1.3.2 800, v1.4 150, absent 800, no CR at all 800. */
    const struct {
        const char *version, *source;
        long long per_gib;
    } versions[] = {
        {"v1.3.2", "KubeVirt default (v1.3.2)", 800},
        {"v1.4", "KubeVirt default (v1.4.0)", 150},
        {NULL, "KubeVirt default (version unknown)", 800},
    };
    for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
        compute_cr(vmi, NULL, versions[i].version, NULL, &t);
        assert_int_equal(t.per_gib, versions[i].per_gib);
        assert_int_equal(t.completion_seconds, 2 * versions[i].per_gib);
        char source[128];
        migration_timeouts_per_gib_source(&t, source, sizeof(source));
        assert_string_equal(source, versions[i].source);
    }
    compute(vmi, NULL, NULL, &t);
    assert_int_equal(t.completion_seconds, 1600);
    expect_from(&t, "KubeVirt default (version unknown): 800 s/GiB x 2 (1.5Gi rounded "
                    "up to whole 10^9 bytes); progress: KubeVirt default");
    cJSON_Delete(vmi);
}

static void policy_value_wins_and_falls_back_to_the_cr(void **state)
{
    (void)state;
    struct migration_timeouts t;
    cJSON *vmi = vmi_with_memory("\"4Gi\"", NULL);
    cJSON *policy = json("{\"kind\":\"MigrationPolicy\",\"metadata\":{\"name\":\"fast\"},"
                         "\"spec\":{\"completionTimeoutPerGiB\":300,\"selectors\":{}}}");
    compute_cr(vmi, "{\"completionTimeoutPerGiB\":800}", "v1.8.3", policy, &t);
    assert_int_equal(t.per_gib_from, TIMEOUT_FROM_POLICY);
    assert_int_equal(t.completion_seconds, 1500);
    expect_from(&t, "MigrationPolicy fast: 300 s/GiB x 5 (4Gi rounded up to whole 10^9 "
                    "bytes); progress: KubeVirt default");

    /* The winning policy leaves it unset: the CR's value, then the default -- not another's. */
    cJSON_DeleteItemFromObject(cJSON_GetObjectItem(policy, "spec"), "completionTimeoutPerGiB");
    compute_cr(vmi, "{\"completionTimeoutPerGiB\":800}", "v1.8.3", policy, &t);
    assert_int_equal(t.per_gib_from, TIMEOUT_FROM_CR);
    assert_int_equal(t.completion_seconds, 4000);
    compute_cr(vmi, NULL, "v1.8.3", policy, &t);
    assert_int_equal(t.per_gib_from, TIMEOUT_FROM_DEFAULT);
    assert_int_equal(t.completion_seconds, 750);
    expect_from(&t, "KubeVirt default (v1.8.3): 150 s/GiB x 5 (4Gi rounded up to whole "
                    "10^9 bytes); progress: KubeVirt default");
    cJSON_Delete(policy);
    cJSON_Delete(vmi);
}

/* ------------------------------------------------------- policy matching */

static cJSON *policy_json(const char *name, const char *selectors)
{
    char text[1024];
    if (selectors)
        snprintf(text, sizeof(text),
                 "{\"apiVersion\":\"migrations.kubevirt.io/v1alpha1\",\"kind\":\"MigrationPolicy\","
                 "\"metadata\":{\"name\":\"%s\"},\"spec\":{\"selectors\":%s}}",
                 name, selectors);
    else
        snprintf(text, sizeof(text),
                 "{\"kind\":\"MigrationPolicy\",\"metadata\":{\"name\":\"%s\"},"
                 "\"spec\":{\"completionTimeoutPerGiB\":5}}",
                 name);
    return json(text);
}

static const char *matched(const cJSON *policies, const char *vmi_labels, const char *ns,
                           const char *ns_labels)
{
    cJSON *vl = vmi_labels ? json(vmi_labels) : NULL;
    cJSON *nl = ns_labels ? json(ns_labels) : NULL;
    const cJSON *p = migration_policy_match(policies, vl, ns, nl);
    cJSON_Delete(vl);
    cJSON_Delete(nl);
    return p ? cJSON_GetObjectItem(cJSON_GetObjectItem(p, "metadata"), "name")->valuestring
             : "(none)";
}

static void most_labels_matched_wins(void **state)
{
    (void)state;
    cJSON *policies = cJSON_CreateArray();
    cJSON_AddItemToArray(policies, policy_json("vmi-only", "{\"virtualMachineInstanceSelector\":"
                                                           "{\"workload\":\"db\"}}"));
    cJSON_AddItemToArray(policies,
                         policy_json("vmi-and-namespace",
                                     "{\"virtualMachineInstanceSelector\":{\"workload\":\"db\"},"
                                     "\"namespaceSelector\":{\"tier\":\"prod\"}}"));
    const char *vmi = "{\"workload\":\"db\",\"app\":\"pg\"}";
    assert_string_equal(matched(policies, vmi, "prod-ns", "{\"tier\":\"prod\"}"),
                        "vmi-and-namespace");
    /* The namespace label missing: only the VMI-only policy matches. */
    assert_string_equal(matched(policies, vmi, "dev-ns", "{\"tier\":\"dev\"}"), "vmi-only");
    assert_string_equal(matched(policies, vmi, "dev-ns", NULL), "vmi-only");
    /* The VMI label missing: neither. */
    assert_string_equal(matched(policies, "{\"app\":\"pg\"}", "prod-ns", "{\"tier\":\"prod\"}"),
                        "(none)");
    assert_string_equal(matched(policies, NULL, "prod-ns", "{\"tier\":\"prod\"}"), "(none)");

    /* The implied kubernetes.io/metadata.name label of every Namespace. */
    cJSON_AddItemToArray(
        policies, policy_json("by-namespace-name",
                              "{\"virtualMachineInstanceSelector\":{\"workload\":\"db\"},"
                              "\"namespaceSelector\":{\"kubernetes.io/metadata.name\":\"finance\","
                              "\"tier\":\"prod\"}}"));
    assert_string_equal(matched(policies, vmi, "finance", "{\"tier\":\"prod\"}"),
                        "by-namespace-name");
    assert_string_equal(matched(policies, vmi, "prod-ns", "{\"tier\":\"prod\"}"),
                        "vmi-and-namespace");

    /* Equal totals: the one with more VMI labels matched wins. */
    cJSON_AddItemToArray(policies,
                         policy_json("a-two-namespace-labels",
                                     "{\"namespaceSelector\":{\"tier\":\"prod\",\"zone\":\"a\"}}"));
    cJSON_AddItemToArray(policies,
                         policy_json("z-two-vmi-labels", "{\"virtualMachineInstanceSelector\":"
                                                         "{\"workload\":\"db\",\"app\":\"pg\"}}"));
    assert_string_equal(matched(policies, vmi, "prod-ns", "{\"tier\":\"prod\",\"zone\":\"a\"}"),
                        "z-two-vmi-labels");
    cJSON_Delete(policies);
}

static void ties_go_to_the_first_name(void **state)
{
    (void)state;
    cJSON *policies = cJSON_CreateArray();
    const char *sel = "{\"virtualMachineInstanceSelector\":{\"workload\":\"db\"}}";
    cJSON_AddItemToArray(policies, policy_json("beta", sel));
    cJSON_AddItemToArray(policies, policy_json("alpha", sel));
    cJSON_AddItemToArray(policies, policy_json("alpha-2", sel));
    cJSON_AddItemToArray(policies, policy_json("Zulu", sel)); /* byte order: upper case first */
    assert_string_equal(matched(policies, "{\"workload\":\"db\"}", "default", NULL), "Zulu");
    cJSON_Delete(cJSON_DetachItemFromArray(policies, 3));
    assert_string_equal(matched(policies, "{\"workload\":\"db\"}", "default", NULL), "alpha");
    cJSON_Delete(policies);
}

static void policy_without_selectors_matches_nothing(void **state)
{
    (void)state;
    cJSON *policies = cJSON_CreateArray();
    cJSON_AddItemToArray(policies, policy_json("no-selectors", NULL));
    assert_string_equal(matched(policies, "{\"workload\":\"db\"}", "default", NULL), "(none)");
    assert_string_equal(matched(policies, NULL, "default", NULL), "(none)");
    /* Selectors that are there but empty select every VMI, with no label matched. */
    cJSON_AddItemToArray(policies, policy_json("empty-selectors", "{}"));
    assert_string_equal(matched(policies, NULL, "default", NULL), "empty-selectors");
    /* Any label matched beats it. */
    cJSON_AddItemToArray(policies, policy_json("z-db", "{\"virtualMachineInstanceSelector\":"
                                                       "{\"workload\":\"db\"}}"));
    assert_string_equal(matched(policies, "{\"workload\":\"db\"}", "default", NULL), "z-db");
    /* A label value that is not a string matches nothing (YAML `true` is no "true"). */
    cJSON *odd = cJSON_CreateArray();
    cJSON_AddItemToArray(odd, policy_json("bool-value", "{\"virtualMachineInstanceSelector\":"
                                                        "{\"fast\":true}}"));
    cJSON_AddItemToArray(odd, policy_json("list-selector", "{\"namespaceSelector\":[1]}"));
    assert_string_equal(matched(odd, "{\"fast\":\"true\"}", "default", NULL), "(none)");
    cJSON *db = json("{\"workload\":\"db\"}");
    assert_false(migration_policies_read_namespace(odd, db));
    assert_false(migration_policies_read_namespace(policies, db));
    /* The Namespace is read only for a policy selecting the VMI and another Namespace label. */
    cJSON_AddItemToArray(policies,
                         policy_json("by-name", "{\"namespaceSelector\":"
                                                "{\"kubernetes.io/metadata.name\":\"a\"}}"));
    assert_false(migration_policies_read_namespace(policies, db));
    cJSON_AddItemToArray(
        policies, policy_json("web-prod", "{\"virtualMachineInstanceSelector\":{\"workload\":"
                                          "\"web\"},\"namespaceSelector\":{\"tier\":\"prod\"}}"));
    assert_false(migration_policies_read_namespace(policies, db));
    cJSON *web = json("{\"workload\":\"web\"}");
    assert_true(migration_policies_read_namespace(policies, web));
    cJSON_Delete(web);
    cJSON_Delete(db);
    cJSON_Delete(odd);
    cJSON_Delete(policies);
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
        assert_int_equal(migration_timeouts_compute(vmi, kubevirt, NULL, &t, err, sizeof(err)), -1);
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
    struct rule_settings s = default_settings();
    struct cluster_view *view = view_over(objects);
    run_rule(rules_vmim_mutate, vmim, "default", "", &s, view, out);
    cv_destroy(view);
}

/* The case `what`: the patch of `v` is `want` (compact JSON). */
static void patch_is(const char *what, const struct verdict *v, const char *want)
{
    char *text = v->patch ? cJSON_PrintUnformatted(v->patch) : NULL;
    name_failing_case(what, !text || strcmp(text, want) != 0);
    assert_string_equal(text, want);
    free(text);
}

#define expect_patch(...) patch_is(HERE, __VA_ARGS__)

/* The case `what`: `v` allows the VMIM unchanged with the one warning `warning`. */
static void unchanged_warning(const char *what, const struct verdict *v, const char *warning)
{
    name_failing_case(what, !v->allowed || v->patch || v->nwarnings != 1 ||
                                strcmp(v->warnings[0], warning) != 0);
    assert_true(v->allowed);
    assert_null(v->patch);
    assert_int_equal(v->nwarnings, 1);
    assert_string_equal(v->warnings[0], warning);
}

#define expect_unchanged_warning(...) unchanged_warning(HERE, __VA_ARGS__)

/* vmi_with_memory with metadata.labels `labels` (JSON). */
static cJSON *labelled_vmi(const char *guest, const char *request, const char *labels)
{
    cJSON *vmi = vmi_with_memory(guest, request);
    set_at(vmi, "metadata.labels", json(labels));
    return vmi;
}

static void annotations_added_on_create(void **state)
{
    (void)state;
    cJSON *vmim = new_vmim();
    struct verdict v;
    mutate(vmim, array_of(kubevirt_cr(NULL, NULL), vmi_with_memory("\"8Gi\"", NULL), NULL), &v);
    assert_true(v.allowed);
    assert_int_equal(v.nwarnings, 0);
    expect_patch(&v, "[{\"op\":\"add\",\"path\":\"/metadata/annotations\",\"value\":{}},"
                     "{\"op\":\"add\",\"path\":\"/metadata/annotations/"
                     "migration-webhook.io~1completion-timeout-seconds\",\"value\":\"7200\"},"
                     "{\"op\":\"add\",\"path\":\"/metadata/annotations/"
                     "migration-webhook.io~1progress-timeout-seconds\",\"value\":\"150\"},"
                     "{\"op\":\"add\",\"path\":\"/metadata/annotations/"
                     "migration-webhook.io~1timeouts-from\",\"value\":\"KubeVirt default "
                     "(version unknown): 800 s/GiB x 9 (8Gi rounded up to whole 10^9 bytes); "
                     "progress: KubeVirt default\"}]");
    verdict_free(&v);
    cJSON_Delete(vmim);
}

static void only_missing_annotations_are_added(void **state)
{
    (void)state;
    cJSON *vmim = new_vmim();
    set_at(vmim, "metadata.annotations",
           json("{\"migration-webhook.io/progress-timeout-seconds\":\"99\"}"));
    struct verdict v;
    mutate(vmim, array_of(vmi_with_memory(NULL, "\"1.5Gi\""), NULL), &v);
    expect_patch(&v, "[{\"op\":\"add\",\"path\":\"/metadata/annotations/"
                     "migration-webhook.io~1completion-timeout-seconds\",\"value\":\"1600\"},"
                     "{\"op\":\"add\",\"path\":\"/metadata/annotations/"
                     "migration-webhook.io~1timeouts-from\",\"value\":\"KubeVirt default "
                     "(version unknown): 800 s/GiB x 2 (1.5Gi rounded up to whole 10^9 bytes); "
                     "progress: KubeVirt default\"}]");
    verdict_free(&v);

    /* All three present: no patch at all. */
    cJSON *annotations = cJSON_GetObjectItem(cJSON_GetObjectItem(vmim, "metadata"), "annotations");
    cJSON_AddStringToObject(annotations, TIMEOUT_ANNOTATION_COMPLETION, "1");
    cJSON_AddStringToObject(annotations, TIMEOUT_ANNOTATION_FROM, "mine");
    mutate(vmim, array_of(vmi_with_memory(NULL, "\"1.5Gi\""), NULL), &v);
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
    expect_unchanged_warning(&v, "migration of VM default/vm1: VirtualMachineInstance not "
                                 "found; no timeout annotations added");
    verdict_free(&v);

    /* Memory unknown: the progress annotation still, and a warning. */
    mutate(vmim, array_of(vmi_with_memory(NULL, NULL), NULL), &v);
    assert_int_equal(v.nwarnings, 1);
    assert_string_equal(
        v.warnings[0],
        "migration of VM default/vm1: the VM sets no memory (spec.domain.memory.guest "
        "or spec.domain.resources.requests.memory); no completion timeout annotation added");
    expect_patch(&v, "[{\"op\":\"add\",\"path\":\"/metadata/annotations\",\"value\":{}},"
                     "{\"op\":\"add\",\"path\":\"/metadata/annotations/"
                     "migration-webhook.io~1progress-timeout-seconds\",\"value\":\"150\"},"
                     "{\"op\":\"add\",\"path\":\"/metadata/annotations/"
                     "migration-webhook.io~1timeouts-from\",\"value\":\"completion: memory "
                     "size unknown; progress: KubeVirt default\"}]");
    verdict_free(&v);

    /* Unreachable cluster: allowed, unchanged, with a warning. */
    struct rule_settings s = default_settings();
    run_rule(rules_vmim_mutate, vmim, "default", "", &s, &failing_view, &v);
    expect_unchanged_warning(&v,
                             "cannot verify migration of VM default/vm1: GET: connection refused");
    verdict_free(&v);

    /* No vmiName, or annotations that are not an object: nothing. */
    set_at(vmim, "metadata.annotations", json("[1]"));
    mutate(vmim, array_of(vmi_with_memory("\"1Gi\"", NULL), NULL), &v);
    assert_null(v.patch);
    verdict_free(&v);
    cJSON_DeleteItemFromObject(cJSON_GetObjectItem(vmim, "spec"), "vmiName");
    mutate(vmim, cJSON_CreateArray(), &v);
    assert_null(v.patch);
    assert_true(v.allowed);
    verdict_free(&v);
    cJSON_Delete(vmim);
}

/* The annotation of a patch op adding `key`, or NULL. */
static const char *patched_annotation(const struct verdict *v, const char *key)
{
    char path[256];
    snprintf(path, sizeof(path), "/metadata/annotations/migration-webhook.io~1%s",
             key + strlen("migration-webhook.io/"));
    const cJSON *op;
    cJSON_ArrayForEach (op, v->patch) {
        const char *p = cJSON_GetStringValue(cJSON_GetObjectItem(op, "path"));
        if (p && strcmp(p, path) == 0)
            return cJSON_GetStringValue(cJSON_GetObjectItem(op, "value"));
    }
    return NULL;
}

static void policy_of_the_vmi_and_its_namespace_is_annotated(void **state)
{
    (void)state;
    cJSON *slow =
        policy_json("a-slow", "{\"virtualMachineInstanceSelector\":{\"workload\":\"db\"}}");
    set_at(slow, "spec.completionTimeoutPerGiB", cJSON_CreateNumber(1000));
    cJSON *fast = policy_json("fast", "{\"virtualMachineInstanceSelector\":{\"workload\":\"db\"},"
                                      "\"namespaceSelector\":{\"tier\":\"prod\"}}");
    set_at(fast, "spec.completionTimeoutPerGiB", cJSON_CreateNumber(300));
    cJSON *slow_copy = cJSON_Duplicate(slow, 1), *fast_copy = cJSON_Duplicate(fast, 1);
    cJSON *vmim = new_vmim();
    struct verdict v;
    mutate(vmim,
           array_of(kubevirt_cr("{\"progressTimeout\":200}", "v1.3.2"),
                    labelled_vmi("\"4Gi\"", NULL, "{\"workload\":\"db\"}"),
                    json("{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":"
                         "\"default\",\"labels\":{\"tier\":\"prod\"}}}"),
                    slow, fast, NULL),
           &v);
    assert_true(v.allowed);
    assert_int_equal(v.nwarnings, 0);
    assert_string_equal(patched_annotation(&v, TIMEOUT_ANNOTATION_COMPLETION), "1500");
    assert_string_equal(patched_annotation(&v, TIMEOUT_ANNOTATION_PROGRESS), "200");
    assert_string_equal(patched_annotation(&v, TIMEOUT_ANNOTATION_FROM),
                        "MigrationPolicy fast: 300 s/GiB x 5 (4Gi rounded up to whole 10^9 "
                        "bytes); progress: KubeVirt CR");
    verdict_free(&v);

    /* Without the Namespace object only its name label is known: the VMI-only policy. */
    mutate(vmim,
           array_of(kubevirt_cr(NULL, "v1.3.2"),
                    labelled_vmi("\"4Gi\"", NULL, "{\"workload\":\"db\"}"), slow_copy, fast_copy,
                    NULL),
           &v);
    assert_string_equal(patched_annotation(&v, TIMEOUT_ANNOTATION_COMPLETION), "5000");
    assert_string_equal(patched_annotation(&v, TIMEOUT_ANNOTATION_FROM),
                        "MigrationPolicy a-slow: 1000 s/GiB x 5 (4Gi rounded up to whole 10^9 "
                        "bytes); progress: KubeVirt default");
    verdict_free(&v);

    /* The upstream example policy (namespace-key / vmi-key) on a VMI and Namespace carrying them.
     */
    cJSON *objects = fixture_objects("kubevirt-examples-example-migration-policy.yaml");
    cJSON_AddItemToArray(objects, labelled_vmi(NULL, "\"1G\"", "{\"vmi-key\":\"vmi-value\"}"));
    cJSON_AddItemToArray(objects, json("{\"kind\":\"Namespace\",\"metadata\":{\"name\":"
                                       "\"default\",\"labels\":{\"namespace-key\":"
                                       "\"namespace-value\"}}}"));
    mutate(vmim, objects, &v);
    assert_string_equal(patched_annotation(&v, TIMEOUT_ANNOTATION_COMPLETION), "123456789");
    assert_string_equal(patched_annotation(&v, TIMEOUT_ANNOTATION_FROM),
                        "MigrationPolicy example-migration-policy: 123456789 s/GiB x 1 (1G "
                        "rounded up to whole 10^9 bytes); progress: KubeVirt default");
    verdict_free(&v);
    cJSON_Delete(vmim);
}

TEST_MAIN(cmocka_unit_test(formula_rounds_up_to_whole_gigabytes),
          cmocka_unit_test(versions_are_read_like_kubevirt_reports_them),
          cmocka_unit_test(compute_reports_inputs_and_sources),
          cmocka_unit_test(policy_value_wins_and_falls_back_to_the_cr),
          cmocka_unit_test(most_labels_matched_wins), cmocka_unit_test(ties_go_to_the_first_name),
          cmocka_unit_test(policy_without_selectors_matches_nothing),
          cmocka_unit_test(bad_memory_is_reported), cmocka_unit_test(annotations_added_on_create),
          cmocka_unit_test(only_missing_annotations_are_added),
          cmocka_unit_test(missing_vmi_gives_warning_and_no_patch),
          cmocka_unit_test(policy_of_the_vmi_and_its_namespace_is_annotated))
