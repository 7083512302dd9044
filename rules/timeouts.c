/*
 * rules/timeouts.c - migration timeouts as KubeVirt applies them
 * (docs/rules.md#timeouts) and the VMIM mutation that records them as
 * annotations.
 *
 * KubeVirt (virt-launcher's domain manager, getVMIMigrationDataSize) takes
 * the VMI's memory as a Kubernetes quantity scaled to whole 10^9 bytes,
 * rounded up, and multiplies it by completionTimeoutPerGiB.  The per-GiB value
 * comes from the MigrationPolicy matched as virt-controller's matchPolicy
 * does, else the KubeVirt CR, else KubeVirt's default, which depends on its
 * version.  The arithmetic is exact: the memory is read as a whole number of
 * bytes (kube/quantity.c) and the product is checked for overflow.
 */
#include "rules/timeouts.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "kube/object.h"
#include "rules/kubevirt_cr.h"
#include "kube/quantity.h"
#include "rules/rules.h"

#define GIGA 1000000000LL

static const char NAMESPACE_NAME_LABEL[] = "kubernetes.io/metadata.name";

/* D: `bytes` in whole 10^9 bytes, rounded up (docs/rules.md#timeouts). */
static long long data_size(long long bytes)
{
    return bytes / GIGA + (bytes % GIGA != 0);
}

long long completion_timeout_seconds(long long per_gib, long long bytes)
{
    if (per_gib < 0 || bytes < 0)
        return -1;
    long long seconds;
    return __builtin_mul_overflow(per_gib, data_size(bytes), &seconds) ? -1 : seconds;
}

/* ------------------------------------------------------------- versions */

/* A decimal number of at most 9 digits spanning [s, end); -1 otherwise. */
static long long version_part(const char *s, const char *end)
{
    if (s == end || end - s > 9)
        return -1;
    long long n = 0;
    for (; s < end; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        n = n * 10 + (*s - '0');
    }
    return n;
}

bool kubevirt_version_parse(const char *text, struct kubevirt_version *out)
{
    memset(out, 0, sizeof(*out));
    if (!text)
        return false;
    if (*text == 'v')
        text++;
    const char *end = text + strcspn(text, "-+");
    long long parts[3] = {0, 0, 0};
    int n = 0;
    for (const char *p = text;; n++) {
        const char *dot = memchr(p, '.', (size_t)(end - p));
        const char *stop = dot ? dot : end;
        if (n == 3 || (parts[n] = version_part(p, stop)) < 0)
            return false;
        if (!dot)
            break;
        p = dot + 1;
    }
    out->major = parts[0];
    out->minor = parts[1];
    out->patch = parts[2];
    out->known = true;
    return true;
}

long long kubevirt_default_per_gib(const struct kubevirt_version *v)
{
    bool since_1_4 = v->known && (v->major > 1 || (v->major == 1 && v->minor >= 4));
    return since_1_4 ? TIMEOUT_DEFAULT_PER_GIB : TIMEOUT_DEFAULT_PER_GIB_BEFORE_1_4;
}

/* ------------------------------------------------------ MigrationPolicy */

/*
 * How many labels of `selector` are in `labels`, or -1 when one is missing
 * or differs (a selector that is neither an object nor null matches nothing).
 * `implied_key`/`implied_value`, when set, is a label `labels` has anyway.
 */
static int selector_score(const cJSON *selector, const cJSON *labels, const char *implied_key,
                          const char *implied_value)
{
    if (!selector || cJSON_IsNull(selector))
        return 0;
    if (!cJSON_IsObject(selector))
        return -1;
    int matched = 0;
    const cJSON *want;
    cJSON_ArrayForEach (want, selector) {
        if (!cJSON_IsString(want) || !want->string)
            return -1; /* a label value is a string: nothing carries another one */
        const char *have = obj_string(labels, want->string);
        if (implied_key && strcmp(want->string, implied_key) == 0)
            have = implied_value;
        if (!have || strcmp(have, want->valuestring) != 0)
            return -1;
        matched++;
    }
    return matched;
}

const cJSON *migration_policy_match(const cJSON *policies, const cJSON *vmi_labels,
                                    const char *ns_name, const cJSON *ns_labels)
{
    const cJSON *best = NULL;
    const char *best_name = NULL;
    int best_total = -1, best_vmi = -1;
    const cJSON *policy;
    cJSON_ArrayForEach (policy, policies) {
        const char *name = obj_string(obj_object(policy, "metadata"), "name");
        const cJSON *selectors = obj_get(obj_object(policy, "spec"), "selectors");
        if (!name || !cJSON_IsObject(selectors))
            continue; /* without selectors a policy matches nothing */
        int vmi = selector_score(obj_get(selectors, "virtualMachineInstanceSelector"), vmi_labels,
                                 NULL, NULL);
        int ns = vmi < 0 ? -1
                         : selector_score(obj_get(selectors, "namespaceSelector"), ns_labels,
                                          NAMESPACE_NAME_LABEL, ns_name);
        if (ns < 0)
            continue;
        int total = vmi + ns;
        bool better = total > best_total || (total == best_total && vmi > best_vmi) ||
                      (total == best_total && vmi == best_vmi && strcmp(name, best_name) < 0);
        if (better) {
            best = policy;
            best_name = name;
            best_total = total;
            best_vmi = vmi;
        }
    }
    return best;
}

bool migration_policies_read_namespace(const cJSON *policies, const cJSON *vmi_labels)
{
    const cJSON *policy;
    cJSON_ArrayForEach (policy, policies) {
        const cJSON *selectors = obj_object(obj_object(policy, "spec"), "selectors");
        if (!selectors || selector_score(obj_get(selectors, "virtualMachineInstanceSelector"),
                                         vmi_labels, NULL, NULL) < 0)
            continue; /* cannot match, whatever the Namespace's labels */
        const cJSON *key;
        cJSON_ArrayForEach (key, obj_object(selectors, "namespaceSelector"))
            if (key->string && strcmp(key->string, NAMESPACE_NAME_LABEL) != 0)
                return true;
    }
    return false;
}

/* ------------------------------------------------------------- compute */

int migration_timeouts_compute(const cJSON *vmi, const cJSON *kubevirt, const cJSON *policy,
                               struct migration_timeouts *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    const cJSON *migrations = kubevirt_migrations(kubevirt);
    kubevirt_version_parse(obj_string(obj_object(kubevirt, "status"), "observedKubeVirtVersion"),
                           &out->version);
    out->policy = policy ? obj_string(obj_object(policy, "metadata"), "name") : NULL;
    if (policy &&
        kubevirt_setting_is_positive_integer(
            obj_get(obj_object(policy, "spec"), "completionTimeoutPerGiB"), &out->per_gib)) {
        out->per_gib_from = TIMEOUT_FROM_POLICY;
    } else if (kubevirt_setting_is_positive_integer(obj_get(migrations, "completionTimeoutPerGiB"),
                                                    &out->per_gib)) {
        out->per_gib_from = TIMEOUT_FROM_CR;
    } else {
        out->per_gib = kubevirt_default_per_gib(&out->version);
        out->per_gib_from = TIMEOUT_FROM_DEFAULT;
    }
    if (kubevirt_setting_is_positive_integer(obj_get(migrations, "progressTimeout"),
                                             &out->progress)) {
        out->progress_from = TIMEOUT_FROM_CR;
    } else {
        out->progress = TIMEOUT_DEFAULT_PROGRESS;
        out->progress_from = TIMEOUT_FROM_DEFAULT;
    }

    const cJSON *domain = obj_object(obj_object(vmi, "spec"), "domain");
    const char *source = "spec.domain.memory.guest";
    const cJSON *memory = obj_get(obj_object(domain, "memory"), "guest");
    if (!memory || cJSON_IsNull(memory)) {
        source = "spec.domain.resources.requests.memory";
        memory = obj_get(obj_object(obj_object(domain, "resources"), "requests"), "memory");
    }
    if (!memory || cJSON_IsNull(memory)) {
        snprintf(err, errlen,
                 "the VM sets no memory (spec.domain.memory.guest or "
                 "spec.domain.resources.requests.memory)");
        return -1;
    }
    int64_t bytes = 0;
    enum quantity_result r =
        cJSON_IsString(memory) ? quantity_parse(memory->valuestring, &bytes) : QUANTITY_GARBAGE;
    if (r != QUANTITY_OK || bytes <= 0) {
        char *text = cJSON_PrintUnformatted(memory);
        snprintf(err, errlen, "%s %s is %s", source, text ? text : "?",
                 r != QUANTITY_OK ? quantity_result_text(r) : "not a positive quantity");
        cJSON_free(text);
        return -1;
    }
    long long seconds = completion_timeout_seconds(out->per_gib, bytes);
    if (seconds < 0) {
        snprintf(err, errlen, "completion timeout for %s %s is too large", source,
                 memory->valuestring);
        return -1;
    }
    out->memory = memory->valuestring;
    out->memory_bytes = bytes;
    out->memory_source = source;
    out->data_size = data_size(bytes);
    out->completion_seconds = seconds;
    return 0;
}

enum cv_result migration_timeouts_lookup(const struct cluster_view *view, struct cv_scope *scope,
                                         const cJSON *vmi, const char *ns,
                                         struct migration_timeouts *out, bool *memory_ok, char *err,
                                         size_t errlen)
{
    const cJSON *kubevirt = NULL, *policies = NULL, *ns_obj = NULL;
    if (kubevirt_cr_lookup(view, scope, &kubevirt) == CV_ERROR ||
        cv_list(view, scope, CV_MIGRATION_POLICY, NULL, NULL, NULL, &policies) == CV_ERROR)
        return CV_ERROR;
    const char *vmi_ns = obj_nonempty(obj_object(vmi, "metadata"), "namespace");
    if (!vmi_ns)
        vmi_ns = ns && *ns ? ns : "default";
    /* Only a policy that selects the VMI and other Namespace labels costs a read of the Namespace.
     */
    const cJSON *vmi_labels = obj_object(obj_object(vmi, "metadata"), "labels");
    if (migration_policies_read_namespace(policies, vmi_labels) &&
        cv_get(view, scope, CV_NAMESPACE, NULL, vmi_ns, &ns_obj) == CV_ERROR)
        return CV_ERROR;
    const cJSON *policy = migration_policy_match(
        policies, vmi_labels, vmi_ns, obj_object(obj_object(ns_obj, "metadata"), "labels"));
    *memory_ok = migration_timeouts_compute(vmi, kubevirt, policy, out, err, errlen) == 0;
    return CV_OK;
}

/* -------------------------------------------------------------- texts */

void migration_timeouts_per_gib_source(const struct migration_timeouts *t, char *buf, size_t len)
{
    if (t->per_gib_from == TIMEOUT_FROM_POLICY)
        snprintf(buf, len, "MigrationPolicy %s", t->policy ? t->policy : "");
    else if (t->per_gib_from == TIMEOUT_FROM_CR)
        snprintf(buf, len, "KubeVirt CR");
    else if (t->version.known)
        snprintf(buf, len, "KubeVirt default (v%lld.%lld.%lld)", t->version.major, t->version.minor,
                 t->version.patch);
    else
        snprintf(buf, len, "KubeVirt default (version unknown)");
}

const char *migration_timeouts_progress_source(const struct migration_timeouts *t)
{
    return t->progress_from == TIMEOUT_FROM_CR ? "KubeVirt CR" : "KubeVirt default";
}

void migration_timeouts_from(const struct migration_timeouts *t, bool memory_ok, char *buf,
                             size_t len)
{
    if (!memory_ok) {
        snprintf(buf, len, "completion: memory size unknown; progress: %s",
                 migration_timeouts_progress_source(t));
        return;
    }
    char source[320];
    migration_timeouts_per_gib_source(t, source, sizeof(source));
    snprintf(buf, len, "%s: %lld s/GiB x %lld (%.64s rounded up to whole 10^9 bytes); progress: %s",
             source, t->per_gib, t->data_size, t->memory, migration_timeouts_progress_source(t));
}

/* ------------------------------------------------------ rules_vmim_mutate */

/* "/metadata/annotations/" + key with "~" -> "~0" and "/" -> "~1" (RFC 6901). */
static void annotation_path(const char *key, char *buf, size_t len)
{
    size_t n = (size_t)snprintf(buf, len, "/metadata/annotations/");
    for (const char *k = key; *k && n + 3 < len; k++) {
        if (*k == '~' || *k == '/') {
            buf[n++] = '~';
            buf[n++] = *k == '~' ? '0' : '1';
        } else {
            buf[n++] = *k;
        }
    }
    buf[n < len ? n : len - 1] = '\0';
}

static void add_annotation_if_missing(const cJSON *annotations, const char *key, const char *value,
                                      struct verdict *out)
{
    if (obj_get(annotations, key))
        return;
    char path[256];
    annotation_path(key, path, sizeof(path));
    verdict_patch(out, "add", path, cJSON_CreateString(value));
}

static void patch_annotations(const cJSON *vmim, const struct migration_timeouts *t,
                              bool with_completion, struct verdict *out)
{
    char completion[32], progress[32], from[512];
    snprintf(completion, sizeof(completion), "%lld", t->completion_seconds);
    snprintf(progress, sizeof(progress), "%lld", t->progress);
    migration_timeouts_from(t, with_completion, from, sizeof(from));
    const cJSON *meta = obj_get(vmim, "metadata");
    if (!cJSON_IsObject(meta))
        return; /* nothing to hang annotations on that a patch could reach safely */
    const cJSON *annotations = obj_get(meta, "annotations");
    if (annotations && !cJSON_IsNull(annotations) && !cJSON_IsObject(annotations))
        return;
    if (!cJSON_IsObject(annotations))
        verdict_patch(out, "add", "/metadata/annotations", cJSON_CreateObject());
    if (with_completion)
        add_annotation_if_missing(annotations, TIMEOUT_ANNOTATION_COMPLETION, completion, out);
    add_annotation_if_missing(annotations, TIMEOUT_ANNOTATION_PROGRESS, progress, out);
    add_annotation_if_missing(annotations, TIMEOUT_ANNOTATION_FROM, from, out);
}

void rules_vmim_mutate(const struct rule_input *in, struct verdict *out)
{
    const char *ns = in->ns ? in->ns : "";
    const char *vmi_name = obj_nonempty(obj_object(in->object, "spec"), "vmiName");
    char subject[512];
    snprintf(subject, sizeof(subject), "%s/%s", ns, vmi_name ? vmi_name : "");
    if (!vmi_name) {
        verdict_finish(out, "", in->settings->migration, false, subject);
        return;
    }
    const cJSON *vmi = NULL;
    struct migration_timeouts t;
    char err[256];
    bool with_completion = false;
    enum cv_result r = cv_get(in->view, in->scope, CV_VMI, ns, vmi_name, &vmi);
    if (r == CV_OK)
        r = migration_timeouts_lookup(in->view, in->scope, vmi, ns, &t, &with_completion, err,
                                      sizeof(err));
    if (r == CV_ERROR) {
        verdict_view_error(out, "%s", in->scope->err);
    } else if (r == CV_NOT_FOUND) {
        verdict_warn(
            out,
            "migration of VM %s: VirtualMachineInstance not found; no timeout annotations added",
            subject);
    } else {
        if (!with_completion)
            verdict_warn(out, "migration of VM %s: %s; no completion timeout annotation added",
                         subject, err);
        patch_annotations(in->object, &t, with_completion, out);
    }
    verdict_finish(out, "", in->settings->migration, false, subject);
}
