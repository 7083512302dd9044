/*
 * tests/unit/test_admission.c - the AdmissionReview codec: decoding v1 and
 * v1beta1 reviews, the 400 answers, the dispatch table, and the encoding of
 * denials, warnings and patches.  The rules here are the test's own handlers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include "test_main.h"
#ifdef MW_HAVE_OPENSSL
#include <openssl/evp.h>
#endif

#include "cluster/static.h"
#include "server/admission.h"

/* ---- test handlers ---- */

static int calls;
static char seen_ns[64], seen_name[64];
static long long seen_budget_ms;

static void record(const struct rule_input *in)
{
    calls++;
    snprintf(seen_ns, sizeof(seen_ns), "%s", in->ns);
    snprintf(seen_name, sizeof(seen_name), "%s", in->name);
    seen_budget_ms = in->scope->deadline_ms - cv_now_ms();
}

static void deny_cdrom(const struct rule_input *in, struct verdict *out)
{
    record(in);
    verdict_add(out, RULE_CDROM, "disk \"cdrom1\" is a CD-ROM; eject it first");
    verdict_finish(out, "VM default/vm1 cannot be live-migrated: ", in->settings->migration, true,
                   "default/vm1");
}

static void warn_only(const struct rule_input *in, struct verdict *out)
{
    record(in);
    verdict_warn(
        out,
        "VM default/vm1 will not be live-migratable: disk \"cdrom1\" is a CD-ROM; eject it first");
    verdict_finish(out, "", in->settings->early, false, "default/vm1");
}

static void add_selector(const struct rule_input *in, struct verdict *out)
{
    record(in);
    verdict_patch(out, "add", "/spec/nodeSelector", cJSON_CreateObject());
    verdict_patch(out, "add", "/spec/nodeSelector/cpu-model.node.kubevirt.io~1Skylake",
                  cJSON_CreateString("true"));
    verdict_finish(out, "", in->settings->migration, false, "default/vm1");
}

static void allow_plain(const struct rule_input *in, struct verdict *out)
{
    record(in);
    verdict_finish(out, "", in->settings->migration, true, "default/vm1");
}

static struct admission_handlers handlers = {
    .vmim_validate = deny_cdrom,
    .vm_validate = warn_only,
    .kubevirt_validate = allow_plain,
    .pod_mutate = add_selector,
    .vmim_mutate = add_selector,
    .kubevirt_mutate = allow_plain,
};

static struct rule_settings settings;
static struct cluster_view *view;
static struct admission_context ctx;

static int setup(void **state)
{
    (void)state;
    rule_settings_default(&settings);
    view = static_view_new(cJSON_CreateArray());
    ctx = (struct admission_context){&handlers, &settings, view, 1000};
    calls = 0;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    cv_destroy(view);
    return 0;
}

/* ---- helpers ---- */

/* The string at `key` of `obj`, NULL when it is not a string. */
static const char *text_of(const cJSON *obj, const char *key)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, key));
}

static char *review_text(const char *api, const char *group, const char *resource, const char *op,
                         const char *sub)
{
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "apiVersion", api);
    cJSON_AddStringToObject(r, "kind", "AdmissionReview");
    cJSON *req = cJSON_AddObjectToObject(r, "request");
    cJSON_AddStringToObject(req, "uid", "705ab4f5-6393-11e8-b7cc-42010a800002");
    cJSON *res = cJSON_AddObjectToObject(req, "resource");
    cJSON_AddStringToObject(res, "group", group);
    cJSON_AddStringToObject(res, "version", "v1");
    cJSON_AddStringToObject(res, "resource", resource);
    if (sub)
        cJSON_AddStringToObject(req, "subResource", sub);
    cJSON_AddStringToObject(req, "namespace", "default");
    cJSON_AddStringToObject(req, "name", "vm1-abc");
    cJSON_AddStringToObject(req, "operation", op);
    cJSON *obj = cJSON_AddObjectToObject(req, "object");
    cJSON *meta = cJSON_AddObjectToObject(obj, "metadata");
    cJSON_AddStringToObject(meta, "name", "vm1-abc");
    char *text = cJSON_PrintUnformatted(r);
    cJSON_Delete(r);
    return text;
}

/* Runs a review and returns the parsed answer (caller frees); status in *status. */
static cJSON *run(enum admission_path path, const char *body, const char *timeout, int *status)
{
    struct admission_outcome out;
    *status = admission_review(&ctx, path, body, strlen(body), timeout, &out);
    assert_int_equal(*status, out.status);
    assert_non_null(out.body);
    assert_int_equal(strlen(out.body), out.body_len);
    assert_null(strchr(out.body, '\n'));
    cJSON *answer = cJSON_Parse(out.body);
    assert_non_null(answer);
    admission_outcome_free(&out);
    return answer;
}

static cJSON *run_review(enum admission_path path, const char *api, const char *group,
                         const char *resource, const char *op, const char *sub)
{
    char *body = review_text(api, group, resource, op, sub);
    int status;
    cJSON *answer = run(path, body, NULL, &status);
    free(body);
    assert_int_equal(status, 200);
    return answer;
}

/* Runs a review in `api` and checks that it is answered in the same apiVersion. */
static cJSON *run_review_in(const char *api, enum admission_path path, const char *group,
                            const char *resource, const char *op)
{
    cJSON *answer = run_review(path, api, group, resource, op, NULL);
    assert_string_equal(text_of(answer, "apiVersion"), api);
    return answer;
}

static const cJSON *response_of(const cJSON *answer)
{
    const cJSON *resp = cJSON_GetObjectItemCaseSensitive(answer, "response");
    assert_true(cJSON_IsObject(resp));
    assert_string_equal(text_of(resp, "uid"), "705ab4f5-6393-11e8-b7cc-42010a800002");
    return resp;
}

static int allowed(const cJSON *resp)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(resp, "allowed");
    assert_true(cJSON_IsBool(a));
    return cJSON_IsTrue(a);
}

static void assert_400(const char *body, const char *error)
{
    int status;
    cJSON *answer = run(ADMISSION_VALIDATE, body, NULL, &status);
    assert_int_equal(status, 400);
    assert_string_equal(text_of(answer, "error"), error);
    assert_int_equal((int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(answer, "code")),
                     400);
    assert_int_equal(cJSON_GetArraySize(answer), 2);
    cJSON_Delete(answer);
}

/* ---- tests ---- */

static void denial_in_v1_echoes_uid_with_403_forbidden(void **state)
{
    (void)state;
    cJSON *answer = run_review_in("admission.k8s.io/v1", ADMISSION_VALIDATE, "kubevirt.io",
                                  "virtualmachineinstancemigrations", "CREATE");
    assert_string_equal(text_of(answer, "kind"), "AdmissionReview");
    const cJSON *resp = response_of(answer);
    assert_false(allowed(resp));
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(resp, "status");
    assert_string_equal(text_of(st, "status"), "Failure");
    assert_int_equal((int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(st, "code")), 403);
    assert_string_equal(text_of(st, "reason"), "Forbidden");
    assert_string_equal(
        text_of(st, "message"),
        "VM default/vm1 cannot be live-migrated: disk \"cdrom1\" is a CD-ROM; eject it first");
    assert_null(cJSON_GetObjectItemCaseSensitive(resp, "patch"));
    assert_int_equal(calls, 1);
    assert_string_equal(seen_ns, "default");
    assert_string_equal(seen_name, "vm1-abc");
    cJSON_Delete(answer);
}

static void v1beta1_is_answered_in_v1beta1(void **state)
{
    (void)state;
    cJSON *answer = run_review_in("admission.k8s.io/v1beta1", ADMISSION_VALIDATE, "kubevirt.io",
                                  "kubevirts", "UPDATE");
    assert_true(allowed(response_of(answer)));
    assert_null(cJSON_GetObjectItemCaseSensitive(response_of(answer), "status"));
    cJSON_Delete(answer);
}

static void warnings_are_listed(void **state)
{
    (void)state;
    cJSON *answer = run_review(ADMISSION_VALIDATE, "admission.k8s.io/v1", "kubevirt.io",
                               "virtualmachines", "CREATE", NULL);
    const cJSON *resp = response_of(answer);
    assert_true(allowed(resp));
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(resp, "warnings");
    assert_int_equal(cJSON_GetArraySize(w), 1);
    assert_string_equal(
        cJSON_GetStringValue(cJSON_GetArrayItem(w, 0)),
        "VM default/vm1 will not be live-migratable: disk \"cdrom1\" is a CD-ROM; eject it first");
    cJSON_Delete(answer);
}

static void patch_is_base64_of_the_json_patch_array(void **state)
{
    (void)state;
    cJSON *answer = run_review(ADMISSION_MUTATE, "admission.k8s.io/v1", "", "pods", "CREATE", NULL);
    const cJSON *resp = response_of(answer);
    assert_true(allowed(resp));
    assert_string_equal(text_of(resp, "patchType"), "JSONPatch");
    const char *b64 = text_of(resp, "patch");
    assert_non_null(b64);
#ifndef MW_HAVE_OPENSSL
    cJSON_Delete(answer);
    print_message("SKIP: built without OpenSSL: the patch's base64 is not decoded by a second "
                  "implementation\n");
    skip();
#else
    unsigned char decoded[1024];
    int n = EVP_DecodeBlock(decoded, (const unsigned char *)b64, (int)strlen(b64));
    assert_true(n > 0);
    while (n > 0 && decoded[n - 1] == '\0') /* DecodeBlock keeps the padding bytes */
        n--;
    decoded[n] = '\0';
    assert_string_equal(
        (char *)decoded,
        "[{\"op\":\"add\",\"path\":\"/spec/nodeSelector\",\"value\":{}},"
        "{\"op\":\"add\",\"path\":\"/spec/nodeSelector/cpu-model.node.kubevirt.io~1Skylake\","
        "\"value\":\"true\"}]");
    cJSON_Delete(answer);
#endif
}

static void no_patch_on_validate(void **state)
{
    (void)state;
    handlers.kubevirt_validate = add_selector;
    cJSON *answer = run_review(ADMISSION_VALIDATE, "admission.k8s.io/v1", "kubevirt.io",
                               "kubevirts", "CREATE", NULL);
    handlers.kubevirt_validate = allow_plain;
    const cJSON *resp = response_of(answer);
    assert_null(cJSON_GetObjectItemCaseSensitive(resp, "patch"));
    assert_null(cJSON_GetObjectItemCaseSensitive(resp, "patchType"));
    cJSON_Delete(answer);
}

static void unknown_kinds_subresources_and_delete_are_allowed_unchanged(void **state)
{
    (void)state;
    struct {
        enum admission_path path;
        const char *group, *resource, *op, *sub;
    } cases[] = {
        {ADMISSION_VALIDATE, "", "configmaps", "CREATE", NULL},
        {ADMISSION_VALIDATE, "kubevirt.io", "virtualmachineinstancemigrations", "DELETE", NULL},
        {ADMISSION_VALIDATE, "kubevirt.io", "virtualmachineinstancemigrations", "UPDATE", NULL},
        {ADMISSION_VALIDATE, "kubevirt.io", "virtualmachines", "CREATE", "status"},
        {ADMISSION_MUTATE, "", "pods", "CREATE", "eviction"},
        {ADMISSION_MUTATE, "", "pods", "UPDATE", NULL},
        {ADMISSION_MUTATE, "kubevirt.io", "virtualmachines", "CREATE", NULL},
        {ADMISSION_VALIDATE, "", "pods", "CREATE", NULL},
        {ADMISSION_VALIDATE, "other.io", "virtualmachines", "CREATE", NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cJSON *answer = run_review(cases[i].path, "admission.k8s.io/v1", cases[i].group,
                                   cases[i].resource, cases[i].op, cases[i].sub);
        const cJSON *resp = response_of(answer);
        assert_true(allowed(resp));
        assert_int_equal(cJSON_GetArraySize((cJSON *)resp), 2); /* uid and allowed only */
        cJSON_Delete(answer);
    }
    assert_int_equal(calls, 0);
}

static void any_version_of_a_resource_matches(void **state)
{
    (void)state;
    char *body = review_text("admission.k8s.io/v1", "kubevirt.io",
                             "virtualmachineinstancemigrations", "CREATE", NULL);
    char *v = strstr(body, "\"version\":\"v1\"");
    assert_non_null(v);
    memcpy(v, "\"version\":\"v2\"", 14);
    int status;
    cJSON *answer = run(ADMISSION_VALIDATE, body, NULL, &status);
    assert_false(allowed(response_of(answer)));
    cJSON_Delete(answer);
    free(body);
}

static void malformed_reviews_are_400(void **state)
{
    (void)state;
    assert_400("{", "the body is not valid JSON");
    assert_400("{} x", "the body is not valid JSON");
    assert_400("[1,2]", "the body is not a JSON object");
    assert_400("\"review\"", "the body is not a JSON object");
    assert_400("{\"apiVersion\":\"admission.k8s.io/v1\"}", "request is missing or not an object");
    assert_400("{\"request\":[]}", "request is missing or not an object");
    assert_400("{\"request\":\"x\"}", "request is missing or not an object");
    assert_400("{\"request\":{}}", "request.uid is missing");
    assert_400("{\"request\":{\"uid\":\"\"}}", "request.uid is empty");
    assert_400("{\"request\":{\"uid\":42}}", "request.uid is not a string");
    assert_400("{\"request\":{\"uid\":null}}", "request.uid is not a string");
    assert_400("{\"request\":{\"uid\":\"a\xff\"}}", "the body is not valid UTF-8");
    assert_400("{\"request\":{\"uid\":\"\xed\xa0\x80\"}}", "the body is not valid UTF-8");
    assert_400("{\"request\":{\"uid\":\"\xc0\xaf\"}}", "the body is not valid UTF-8");
    assert_400("{\"apiVersion\":\"v9\",\"request\":{\"uid\":\"a\"}}",
               "apiVersion must be admission.k8s.io/v1 or admission.k8s.io/v1beta1");
    assert_400("{\"kind\":\"Pod\",\"request\":{\"uid\":\"a\"}}", "kind must be AdmissionReview");
    struct admission_outcome out;
    assert_int_equal(admission_review(&ctx, ADMISSION_VALIDATE, "", 0, NULL, &out), 400);
    admission_outcome_free(&out);
    assert_int_equal(admission_review(&ctx, ADMISSION_VALIDATE, "{\"a\":\0}", 7, NULL, &out), 400);
    admission_outcome_free(&out);
    char *deep = malloc(200001);
    memset(deep, '[', 100000);
    memset(deep + 100000, ']', 100000);
    deep[200000] = '\0';
    assert_400(deep, "the body is not valid JSON"); /* nesting deeper than the parser allows */
    free(deep);
    assert_int_equal(calls, 0);
}

static void handled_review_without_object_is_400(void **state)
{
    (void)state;
    assert_400("{\"request\":{\"uid\":\"a\",\"operation\":\"CREATE\",\"resource\":{\"group\":"
               "\"kubevirt.io\","
               "\"resource\":\"virtualmachineinstancemigrations\"},\"object\":null}}",
               "request.object is missing or not an object");
}

static void utf8_text_passes(void **state)
{
    (void)state;
    const char *ok = "h\xc3\xa9llo \xe2\x80\x94 \xf0\x9f\x98\x80";
    assert_true(admission_utf8_valid(ok, strlen(ok)));
    assert_false(admission_utf8_valid("\xe2\x80", 2));
    assert_false(admission_utf8_valid("\xf4\x90\x80\x80", 4));
}

static void deadline_comes_from_timeout_minus_margin(void **state)
{
    (void)state;
    assert_int_equal(admission_budget_ms(NULL, 1000), 9000);
    assert_int_equal(admission_budget_ms("5s", 1000), 4000);
    assert_int_equal(admission_budget_ms("2500ms", 500), 2000);
    assert_int_equal(admission_budget_ms("1s", 5000), 100);
    assert_int_equal(admission_budget_ms("garbage", 1000), 9000);
    assert_int_equal(admission_budget_ms("10m", 0), 30000);
    char *body = review_text("admission.k8s.io/v1", "kubevirt.io",
                             "virtualmachineinstancemigrations", "CREATE", NULL);
    int status;
    cJSON *answer = run(ADMISSION_VALIDATE, body, "4s", &status);
    assert_true(seen_budget_ms > 1000 && seen_budget_ms <= 3000);
    cJSON_Delete(answer);
    free(body);
}

static void missing_handler_allows(void **state)
{
    (void)state;
    handlers.pod_mutate = NULL;
    cJSON *answer = run_review(ADMISSION_MUTATE, "admission.k8s.io/v1", "", "pods", "CREATE", NULL);
    handlers.pod_mutate = add_selector;
    assert_true(allowed(response_of(answer)));
    cJSON_Delete(answer);
}

TEST_MAIN(
    cmocka_unit_test_setup_teardown(denial_in_v1_echoes_uid_with_403_forbidden, setup, teardown),
    cmocka_unit_test_setup_teardown(v1beta1_is_answered_in_v1beta1, setup, teardown),
    cmocka_unit_test_setup_teardown(warnings_are_listed, setup, teardown),
    cmocka_unit_test_setup_teardown(patch_is_base64_of_the_json_patch_array, setup, teardown),
    cmocka_unit_test_setup_teardown(no_patch_on_validate, setup, teardown),
    cmocka_unit_test_setup_teardown(unknown_kinds_subresources_and_delete_are_allowed_unchanged,
                                    setup, teardown),
    cmocka_unit_test_setup_teardown(any_version_of_a_resource_matches, setup, teardown),
    cmocka_unit_test_setup_teardown(malformed_reviews_are_400, setup, teardown),
    cmocka_unit_test_setup_teardown(handled_review_without_object_is_400, setup, teardown),
    cmocka_unit_test_setup_teardown(utf8_text_passes, setup, teardown),
    cmocka_unit_test_setup_teardown(deadline_comes_from_timeout_minus_margin, setup, teardown),
    cmocka_unit_test_setup_teardown(missing_handler_allows, setup, teardown))
