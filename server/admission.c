/*
 * server/admission.c - decoding AdmissionReviews, choosing the rule, and
 * encoding the answer.
 *
 * A review goes through three steps:
 *   1. check the body: UTF-8, JSON, an object whose "request" is an object
 *      with a non-empty string uid (else 400 with a one-line JSON error);
 *   2. look up (path, group, resource, operation) in the dispatch table; a
 *      sub-resource or anything not in the table is allowed unchanged;
 *   3. run the rule with a scope whose deadline comes from ?timeout=, and
 *      encode allowed / status / warnings / patch in the request's apiVersion.
 */
#include "server/admission.h"
#include "kube/base64.h"
#include "kube/object.h"
#include "rules/rules.h"
#include "server/json_arena.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/limits.h"

const struct admission_handlers admission_rule_handlers = {
    .vmim_validate = rules_vmim_validate,
    .vm_validate = rules_vm_validate,
    .kubevirt_validate = rules_kubevirt_validate,
    .pod_mutate = rules_pod_mutate,
    .vmim_mutate = rules_vmim_mutate,
    .kubevirt_mutate = rules_kubevirt_mutate,
};

#define API_V1 "admission.k8s.io/v1"
#define API_V1BETA1 "admission.k8s.io/v1beta1"

/* ------------------------------------------------------------------------ */
/* Dispatch table                                                            */
/* ------------------------------------------------------------------------ */

/*
 * One row a route: the review's path, group, resource and operations, and
 * which of the handlers (a member of struct admission_handlers) answers it.
 */
struct route {
    enum admission_path path;
    const char *group;
    const char *resource;
    unsigned operations; /* OP_* bits */
    size_t handler;      /* offsetof(struct admission_handlers, member) */
};

#define OP_CREATE 1u
#define OP_UPDATE 2u
#define HANDLER(member) offsetof(struct admission_handlers, member)

static const struct route routes[] = {
    {ADMISSION_VALIDATE, "kubevirt.io", "virtualmachineinstancemigrations", OP_CREATE,
     HANDLER(vmim_validate)},
    {ADMISSION_VALIDATE, "kubevirt.io", "virtualmachines", OP_CREATE | OP_UPDATE,
     HANDLER(vm_validate)},
    {ADMISSION_VALIDATE, "kubevirt.io", "virtualmachineinstances", OP_CREATE | OP_UPDATE,
     HANDLER(vm_validate)},
    {ADMISSION_VALIDATE, "kubevirt.io", "kubevirts", OP_CREATE | OP_UPDATE,
     HANDLER(kubevirt_validate)},
    {ADMISSION_MUTATE, "", "pods", OP_CREATE, HANDLER(pod_mutate)},
    {ADMISSION_MUTATE, "kubevirt.io", "virtualmachineinstancemigrations", OP_CREATE,
     HANDLER(vmim_mutate)},
    {ADMISSION_MUTATE, "kubevirt.io", "kubevirts", OP_CREATE | OP_UPDATE, HANDLER(kubevirt_mutate)},
};

static unsigned operation_bit(const char *op)
{
    if (strcmp(op, "CREATE") == 0)
        return OP_CREATE;
    if (strcmp(op, "UPDATE") == 0)
        return OP_UPDATE;
    return 0;
}

static admission_rule_fn find_handler(const struct admission_handlers *h, enum admission_path path,
                                      const char *group, const char *resource, const char *op)
{
    unsigned bit = operation_bit(op);
    for (size_t i = 0; h && i < sizeof(routes) / sizeof(routes[0]); i++) {
        const struct route *r = &routes[i];
        if (r->path == path && (r->operations & bit) && strcmp(r->group, group) == 0 &&
            strcmp(r->resource, resource) == 0) {
            admission_rule_fn fn;
            memcpy(&fn, (const char *)h + r->handler, sizeof(fn));
            return fn;
        }
    }
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* Small helpers                                                             */
/* ------------------------------------------------------------------------ */

/* 1 when the 8 bytes at `p` are ASCII without a NUL byte. */
static int ascii_word(const unsigned char *p)
{
    uint64_t w;
    memcpy(&w, p, sizeof(w));
    const uint64_t high = 0x8080808080808080ull, ones = 0x0101010101010101ull;
    return (w & high) == 0 && ((w - ones) & ~w & high) == 0;
}

int admission_utf8_valid(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < len) {
        /* Bodies are almost all ASCII: take it eight bytes at a time. */
        while (len - i >= 8 && ascii_word(s + i))
            i += 8;
        if (i >= len)
            break;
        unsigned c = s[i];
        if (c == 0)
            return 0;
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n;
        unsigned cp;
        if (c >= 0xC2 && c <= 0xDF) {
            n = 1;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 2;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3;
            cp = c & 0x07;
        } else {
            return 0;
        }
        if (len - i <= n)
            return 0;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += n + 1;
    }
    return 1;
}

long long admission_budget_ms(const char *param, long long margin_ms)
{
    long long total = MW_REVIEW_DEFAULT_TIMEOUT_MS;
    if (param && *param) {
        char *end = NULL;
        errno = 0;
        double v = strtod(param, &end);
        double unit = -1;
        if (end && end != param && errno == 0 && v > 0) {
            if (strcmp(end, "s") == 0 || *end == '\0')
                unit = 1000;
            else if (strcmp(end, "ms") == 0)
                unit = 1;
            else if (strcmp(end, "m") == 0)
                unit = 60000;
        }
        if (unit > 0) {
            double ms = v * unit;
            total = ms > MW_REVIEW_MAX_TIMEOUT_MS ? MW_REVIEW_MAX_TIMEOUT_MS : (long long)ms;
        }
    }
    long long budget = total - (margin_ms > 0 ? margin_ms : 0);
    return budget < MW_REVIEW_MIN_BUDGET_MS ? MW_REVIEW_MIN_BUDGET_MS : budget;
}

static char *copy_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

char *admission_error_body(int status, const char *text)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    char *out = NULL;
    if (cJSON_AddStringToObject(o, "error", text ? text : "") &&
        cJSON_AddNumberToObject(o, "code", status))
        out = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return out;
}

static int fail(struct admission_outcome *out, int status, const char *text)
{
    free(out->body);
    free(out->error);
    out->status = status;
    out->verdict = "error";
    out->error = strdup(text);
    out->body = admission_error_body(status, text);
    out->body_len = out->body ? strlen(out->body) : 0;
    return status;
}

/* The name the rules see: request.name, else metadata.name, else generateName. */
static const char *review_name(const cJSON *request, const cJSON *object)
{
    const char *name = obj_nonempty(request, "name");
    if (!name)
        name = obj_nonempty(obj_object(object, "metadata"), "name");
    return name ? name : obj_string_or(obj_object(object, "metadata"), "generateName", "");
}

/* ------------------------------------------------------------------------ */
/* Encoding                                                                  */
/* ------------------------------------------------------------------------ */

static int add_status(cJSON *response, const char *message)
{
    cJSON *status = cJSON_AddObjectToObject(response, "status");
    return status && cJSON_AddStringToObject(status, "status", "Failure") &&
                   cJSON_AddNumberToObject(status, "code", 403) &&
                   cJSON_AddStringToObject(status, "reason", "Forbidden") &&
                   cJSON_AddStringToObject(status, "message", message)
               ? 0
               : -1;
}

static int add_warnings(cJSON *response, const struct verdict *v)
{
    if (v->nwarnings == 0)
        return 0;
    cJSON *arr = cJSON_AddArrayToObject(response, "warnings");
    if (!arr)
        return -1;
    for (size_t i = 0; i < v->nwarnings; i++) {
        cJSON *s = cJSON_CreateString(v->warnings[i] ? v->warnings[i] : "");
        if (!s)
            return -1;
        cJSON_AddItemToArray(arr, s);
    }
    return 0;
}

static int add_patch(cJSON *response, const cJSON *patch)
{
    char *json = cJSON_PrintUnformatted(patch);
    if (!json)
        return -1;
    char *b64 = base64_encode(json, strlen(json));
    free(json);
    if (!b64)
        return -1;
    int ok = cJSON_AddStringToObject(response, "patchType", "JSONPatch") &&
             cJSON_AddStringToObject(response, "patch", b64);
    free(b64);
    return ok ? 0 : -1;
}

static int has_patch(const struct verdict *v, enum admission_path path)
{
    return path == ADMISSION_MUTATE && v && cJSON_IsArray(v->patch) &&
           cJSON_GetArraySize(v->patch) > 0;
}

/* The AdmissionReview answer; `v` NULL means allowed unchanged. */
static int encode_answer(struct admission_outcome *out, const char *api_version, const char *uid,
                         const struct verdict *v, enum admission_path path)
{
    cJSON *review = cJSON_CreateObject();
    cJSON *response = NULL;
    int rc = -1;
    if (!review || !cJSON_AddStringToObject(review, "apiVersion", api_version) ||
        !cJSON_AddStringToObject(review, "kind", "AdmissionReview") ||
        !(response = cJSON_AddObjectToObject(review, "response")) ||
        !cJSON_AddStringToObject(response, "uid", uid))
        goto done;
    bool allowed = v ? v->allowed : true;
    if (!cJSON_AddBoolToObject(response, "allowed", allowed))
        goto done;
    if (!allowed && add_status(response, v->message ? v->message : "denied") != 0)
        goto done;
    if (v && add_warnings(response, v) != 0)
        goto done;
    if (allowed && has_patch(v, path) && add_patch(response, v->patch) != 0)
        goto done;
    out->body = cJSON_PrintUnformatted(review);
    if (!out->body)
        goto done;
    out->body_len = strlen(out->body);
    out->status = 200;
    if (!allowed)
        out->verdict = "denied";
    else if (has_patch(v, path))
        out->verdict = "patched";
    else if (v && v->nwarnings > 0)
        out->verdict = "warned";
    else
        out->verdict = "allowed";
    rc = 0;
done:
    cJSON_Delete(review);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Decoding and dispatch                                                     */
/* ------------------------------------------------------------------------ */

static int run_rule(const struct admission_context *ctx, admission_rule_fn rule,
                    enum admission_path path, const char *api_version, const char *uid,
                    const cJSON *request, const cJSON *object, const char *timeout_param,
                    struct admission_outcome *out)
{
    const char *ns = obj_string(request, "namespace");
    struct rule_settings defaults;
    rule_settings_default(&defaults); /* used only when the context has no settings */
    const char *op = obj_string(request, "operation");
    const cJSON *old = obj_object(request, "oldObject");
    struct rule_input in = {
        .object = object,
        /* Only an UPDATE is judged against what it replaces; anything else is new. */
        .old_object = op && strcmp(op, "UPDATE") == 0 ? old : NULL,
        .ns = ns ? ns : "",
        .name = review_name(request, object),
        .settings = ctx->settings ? ctx->settings : &defaults,
        .view = ctx->view,
    };
    struct cv_scope scope;
    cv_scope_init(&scope, cv_now_ms() + admission_budget_ms(timeout_param, ctx->timeout_margin_ms));
    in.scope = &scope;
    struct verdict v;
    verdict_init(&v);
    rule(&in, &v);
    /* Copy what the log needs before the scope releases borrowed objects. */
    out->name = copy_or_null(in.name);
    for (size_t i = 0; i < v.nfired && i < RULE_COUNT; i++) {
        out->fired[out->nfired] = v.fired[i];
        out->fired_mode[out->nfired++] = v.fired_mode[i];
    }
    int rc = encode_answer(out, api_version, uid, &v, path);
    verdict_free(&v);
    cv_scope_release(&scope);
    return rc == 0 ? out->status : fail(out, 500, "out of memory");
}

static int decode_and_answer(const struct admission_context *ctx, enum admission_path path,
                             const cJSON *review, const char *timeout_param,
                             struct admission_outcome *out)
{
    if (!cJSON_IsObject(review))
        return fail(out, 400, "the body is not a JSON object");
    const cJSON *api = cJSON_GetObjectItemCaseSensitive(review, "apiVersion");
    const char *api_version = API_V1;
    if (api && !cJSON_IsNull(api)) {
        if (!cJSON_IsString(api) ||
            (strcmp(api->valuestring, API_V1) != 0 && strcmp(api->valuestring, API_V1BETA1) != 0))
            return fail(out, 400,
                        "apiVersion must be admission.k8s.io/v1 or admission.k8s.io/v1beta1");
        api_version = api->valuestring;
    }
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(review, "kind");
    if (kind && !cJSON_IsNull(kind) &&
        !(cJSON_IsString(kind) && strcmp(kind->valuestring, "AdmissionReview") == 0))
        return fail(out, 400, "kind must be AdmissionReview");
    const cJSON *request = cJSON_GetObjectItemCaseSensitive(review, "request");
    if (!cJSON_IsObject(request))
        return fail(out, 400, "request is missing or not an object");
    const cJSON *uid_item = cJSON_GetObjectItemCaseSensitive(request, "uid");
    if (!uid_item)
        return fail(out, 400, "request.uid is missing");
    if (!cJSON_IsString(uid_item))
        return fail(out, 400, "request.uid is not a string");
    if (!*uid_item->valuestring)
        return fail(out, 400, "request.uid is empty");
    const char *uid = uid_item->valuestring;
    out->uid = copy_or_null(uid);

    const cJSON *resource = cJSON_GetObjectItemCaseSensitive(request, "resource");
    const char *group = obj_string(resource, "group");
    const char *res = obj_string(resource, "resource");
    const char *op = obj_string(request, "operation");
    const char *sub = obj_string(request, "subResource");
    const char *ns = obj_string(request, "namespace");
    out->resource = copy_or_null(res);
    out->operation = copy_or_null(op);
    out->ns = copy_or_null(ns);

    admission_rule_fn rule = NULL;
    if (res && op && !(sub && *sub))
        rule = find_handler(ctx->handlers, path, group ? group : "", res, op);
    if (!rule) {
        const char *name = obj_string(request, "name");
        out->name = copy_or_null(name);
        return encode_answer(out, api_version, uid, NULL, path) == 0
                   ? out->status
                   : fail(out, 500, "out of memory");
    }
    const cJSON *object = cJSON_GetObjectItemCaseSensitive(request, "object");
    if (!cJSON_IsObject(object))
        return fail(out, 400, "request.object is missing or not an object");
    return run_rule(ctx, rule, path, api_version, uid, request, object, timeout_param, out);
}

/*
 * 1 when a JSON string holds the escape \u0000: cJSON would end the string
 * there, so the rules would see a shorter value than the API server stored.
 * A backslash occurs only inside strings, and each escape is skipped whole, so
 * an escaped backslash followed by "u0000" is not taken for one.
 */
static int has_nul_escape(const char *body, size_t len)
{
    for (const char *p = memchr(body, '\\', len); p;) {
        size_t left = len - (size_t)(p - body);
        if (left >= 6 && p[1] == 'u' && memcmp(p + 2, "0000", 4) == 0)
            return 1;
        if (left < 3)
            return 0;
        p = memchr(p + 2, '\\', left - 2);
    }
    return 0;
}

int admission_review(const struct admission_context *ctx, enum admission_path path,
                     const char *body, size_t len, const char *timeout_param,
                     struct admission_outcome *out)
{
    memset(out, 0, sizeof(*out));
    out->verdict = "error";
    if (!body || len == 0)
        return fail(out, 400, "the body is empty");
    if (!admission_utf8_valid(body, len))
        return fail(out, 400, "the body is not valid UTF-8");
    if (has_nul_escape(body, len))
        return fail(out, 400, "the body contains the escape \\u0000 (a NUL character)");
    const char *end = NULL;
    /* The request's tree lives in this thread's arena until json_arena_release below. */
    cJSON *review = json_arena_parse(body, len, &end);
    if (!review) {
        json_arena_release();
        return fail(out, 400, "the body is not valid JSON");
    }
    /* Only whitespace may follow the JSON value. */
    for (const char *p = end; p && p < body + len; p++)
        if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') {
            json_arena_release();
            return fail(out, 400, "the body is not valid JSON");
        }
    int status = decode_and_answer(ctx, path, review, timeout_param, out);
    json_arena_release();
    return status;
}

void admission_outcome_free(struct admission_outcome *out)
{
    free(out->body);
    free(out->error);
    free(out->uid);
    free(out->resource);
    free(out->operation);
    free(out->ns);
    free(out->name);
    memset(out, 0, sizeof(*out));
}
