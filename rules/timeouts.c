/*
 * rules/timeouts.c - migration timeouts (SPEC §8) and the VMIM mutation that
 * records them as annotations.
 *
 * The arithmetic is exact: memory is read as a whole number of bytes
 * (rules/quantity.c) and the product per_gib * bytes is formed in 128-bit
 * integers before dividing by 2^30, so 1.5Gi at 800 s/GiB is 1200, not
 * 1199.9999.
 */
#include "rules/timeouts.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "rules/fields.h"
#include "rules/kubevirt_cr.h"
#include "rules/quantity.h"
#include "rules/rules.h"

#define GIB_SHIFT 30

long long completion_timeout_seconds(long long per_gib, long long bytes)
{
    if (per_gib < 0 || bytes < 0)
        return -1;
    unsigned __int128 product = (unsigned __int128)per_gib * (unsigned __int128)bytes;
    unsigned __int128 seconds = (product + ((1u << GIB_SHIFT) - 1)) >> GIB_SHIFT;
    return seconds > INT64_MAX ? -1 : (long long)seconds;
}

static void read_setting(const cJSON *migrations, const char *field, long long fallback,
                         long long *value, const char **source)
{
    if (kubevirt_setting_is_positive_integer(obj_get(migrations, field), value)) {
        *source = "KubeVirt CR";
        return;
    }
    *value = fallback;
    *source = "default";
}

int migration_timeouts_compute(const cJSON *vmi, const cJSON *kubevirt,
                               struct migration_timeouts *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    const cJSON *migrations = kubevirt_migrations(kubevirt);
    read_setting(migrations, "completionTimeoutPerGiB", KUBEVIRT_DEFAULT_COMPLETION_PER_GIB,
                 &out->per_gib, &out->per_gib_source);
    read_setting(migrations, "progressTimeout", KUBEVIRT_DEFAULT_PROGRESS_TIMEOUT, &out->progress,
                 &out->progress_source);

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
    out->memory_bytes = bytes;
    out->memory_source = source;
    out->completion_seconds = seconds;
    return 0;
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

static void add_annotation_if_missing(const cJSON *annotations, const char *key, long long value,
                                      struct verdict *out)
{
    if (obj_get(annotations, key))
        return;
    char path[256], text[32];
    annotation_path(key, path, sizeof(path));
    snprintf(text, sizeof(text), "%lld", value);
    verdict_patch(out, "add", path, cJSON_CreateString(text));
}

static void patch_annotations(const cJSON *vmim, const struct migration_timeouts *t,
                              bool with_completion, struct verdict *out)
{
    const cJSON *meta = obj_get(vmim, "metadata");
    if (!cJSON_IsObject(meta))
        return; /* nothing to hang annotations on that a patch could reach safely */
    const cJSON *annotations = obj_get(meta, "annotations");
    if (annotations && !cJSON_IsNull(annotations) && !cJSON_IsObject(annotations))
        return;
    if (!cJSON_IsObject(annotations))
        verdict_patch(out, "add", "/metadata/annotations", cJSON_CreateObject());
    if (with_completion)
        add_annotation_if_missing(annotations, TIMEOUT_ANNOTATION_COMPLETION, t->completion_seconds,
                                  out);
    add_annotation_if_missing(annotations, TIMEOUT_ANNOTATION_PROGRESS, t->progress, out);
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
    const cJSON *vmi = NULL, *kubevirt = NULL;
    enum cv_result r = cv_get(in->view, in->scope, CV_VMI, ns, vmi_name, &vmi);
    if (r == CV_OK && kubevirt_cr_lookup(in->view, in->scope, &kubevirt) == CV_ERROR)
        r = CV_ERROR;
    if (r == CV_ERROR) {
        verdict_view_error(out, "%s", in->scope->err);
    } else if (r == CV_NOT_FOUND) {
        verdict_warn(
            out,
            "migration of VM %s: VirtualMachineInstance not found; no timeout annotations added",
            subject);
    } else {
        struct migration_timeouts t;
        char err[256];
        bool with_completion = migration_timeouts_compute(vmi, kubevirt, &t, err, sizeof(err)) == 0;
        if (!with_completion)
            verdict_warn(out, "migration of VM %s: %s; no completion timeout annotation added",
                         subject, err);
        patch_annotations(in->object, &t, with_completion, out);
    }
    verdict_finish(out, "", in->settings->migration, false, subject);
}
