/*
 * rules/state.c - not-running, in-flight and node-pinned (docs/rules.md#migration-rules,
 * docs/rules.md#details).
 */
#include "rules/state.h"

#include <stdlib.h>
#include <string.h>

#include "kube/object.h"
#include "kube/text.h"
#include "kube/utf8.h"

void rule_not_running(const cJSON *vmi, struct verdict *out)
{
    if (!vmi) {
        verdict_add(out, RULE_NOT_RUNNING, "it is not running (no VirtualMachineInstance)");
        return;
    }
    const char *phase = obj_string(obj_object(vmi, "status"), "phase");
    if (phase && strcmp(phase, "Running") == 0)
        return;
    if (!phase || !*phase)
        verdict_add(out, RULE_NOT_RUNNING, "it is not running (phase unset)");
    else
        verdict_add(out, RULE_NOT_RUNNING, "it is not running (phase %s)", phase);
}

/* ---------------------------------------------------------------- in-flight */

static int migration_is_for(const cJSON *vmim, const char *vmi_name)
{
    const char *label = meta_label(vmim, "kubevirt.io/vmi-name");
    const char *spec_name = obj_string(obj_object(vmim, "spec"), "vmiName");
    return (label && strcmp(label, vmi_name) == 0) ||
           (spec_name && strcmp(spec_name, vmi_name) == 0);
}

static int migration_is_finished(const cJSON *vmim)
{
    const char *phase = obj_string(obj_object(vmim, "status"), "phase");
    return phase && (strcmp(phase, "Succeeded") == 0 || strcmp(phase, "Failed") == 0);
}

static int migration_is_self(const cJSON *vmim, const char *self_name, const char *self_uid)
{
    const char *name = meta_name(vmim), *uid = meta_uid(vmim);
    return (self_name && *self_name && name && strcmp(name, self_name) == 0) ||
           (self_uid && *self_uid && uid && strcmp(uid, self_uid) == 0);
}

enum cv_result rule_in_flight(const char *ns, const char *vmi_name, const char *self_name,
                              const char *self_uid, const struct cluster_view *view,
                              struct cv_scope *scope, struct verdict *out)
{
    const cJSON *all = NULL;
    if (cv_list(view, scope, CV_VMIM, ns ? ns : "", NULL, NULL, &all) == CV_ERROR) {
        verdict_view_error(out, "%s", scope->err);
        return CV_ERROR;
    }
    int total = cJSON_GetArraySize(all);
    if (total <= 0)
        return CV_OK;
    const char **names = calloc((size_t)total, sizeof(*names));
    if (!names) {
        verdict_view_error(out, "out of memory");
        return CV_ERROR;
    }
    size_t n = 0;
    const cJSON *vmim;
    cJSON_ArrayForEach (vmim, all) {
        const char *name = meta_name(vmim);
        if (n < (size_t)total && name && *name && migration_is_for(vmim, vmi_name) &&
            !migration_is_self(vmim, self_name, self_uid) && !migration_is_finished(vmim))
            names[n++] = name;
    }
    qsort(names, n, sizeof(*names), text_compare_ptrs);
    for (size_t i = 0; i < n; i++)
        verdict_add(out, RULE_IN_FLIGHT, "migration %s is already in progress", names[i]);
    free(names);
    return CV_OK;
}

/* -------------------------------------------------------------- node-pinned */

void rule_node_pinned(const cJSON *spec, struct verdict *out)
{
    const char *node = obj_string(obj_object(spec, "nodeSelector"), "kubernetes.io/hostname");
    if (node && *node)
        verdict_add(out, RULE_NODE_PINNED,
                    "it is pinned to node \"%s\" by nodeSelector kubernetes.io/hostname", node);
}

/* ----------------------------------------------------------- not-migratable */

static bool reason_is(const char *reason, const char *name)
{
    return reason && strcmp(reason, name) == 0;
}

static bool is_cpu_reason(const char *reason)
{
    return reason_is(reason, "CPUModeLiveMigratable") ||
           reason_is(reason, "CPUModeNotLiveMigratable");
}

/* Whether a finding of this review (or the kind of migration) already says why. */
static bool reason_explained(const char *reason, bool cpu_explained, bool disks_exempt,
                             const struct verdict *v)
{
    if (reason_is(reason, "InterfaceNotLiveMigratable"))
        return verdict_has(v, RULE_MANAGEMENT_BRIDGE);
    if (reason_is(reason, "HostDeviceNotLiveMigratable"))
        return verdict_has(v, RULE_HOST_DEVICE) || verdict_has(v, RULE_GPU);
    if (reason_is(reason, "DisksNotLiveMigratable"))
        return disks_exempt || verdict_has(v, RULE_VOLUME_ACCESS_MODE);
    /* KubeVirt spells the CPU reason CPUModeLiveMigratable; accept the regular spelling too. */
    if (is_cpu_reason(reason))
        return cpu_explained;
    return false;
}

/* Moves the last finding of `v` to index `to`, shifting the ones after it. */
static void move_last_finding(struct verdict *v, size_t to)
{
    if (v->nfindings == 0 || to >= v->nfindings - 1)
        return;
    struct finding last = v->findings[v->nfindings - 1];
    memmove(&v->findings[to + 1], &v->findings[to],
            (v->nfindings - 1 - to) * sizeof(v->findings[0]));
    v->findings[to] = last;
}

/* A VMI status condition saying it is not live-migratable: LiveMigratable, status "False". */
static bool says_not_migratable(const cJSON *cond)
{
    return reason_is(obj_string(cond, "type"), "LiveMigratable") &&
           reason_is(obj_string(cond, "status"), "False");
}

bool vmi_not_migratable_for_cpu(const cJSON *vmi)
{
    const cJSON *cond;
    cJSON_ArrayForEach (cond, obj_array(obj_object(vmi, "status"), "conditions"))
        if (says_not_migratable(cond) && is_cpu_reason(obj_string(cond, "reason")))
            return true;
    return false;
}

void rule_not_migratable(const cJSON *vmi, bool cpu_explained, bool disks_exempt,
                         struct verdict *out)
{
    const cJSON *cond;
    cJSON_ArrayForEach (cond, obj_array(obj_object(vmi, "status"), "conditions")) {
        if (!says_not_migratable(cond))
            continue;
        const char *reason = obj_string_or(cond, "reason", "");
        if (reason_explained(reason, cpu_explained, disks_exempt, out))
            continue;
        /* "<reason>: <message>"; a missing message (or reason) leaves its part out. */
        const char *message = obj_nonempty(cond, "message");
        const char *colon = *reason || message ? ": " : "";
        const char *sep = *reason && message ? ": " : "";
        size_t before = out->nfindings;
        verdict_add(out, RULE_NOT_MIGRATABLE,
                    "KubeVirt reports it is not live-migratable%s%s%s%.*s", colon, reason, sep,
                    message ? (int)utf8_prefix_len(message, NOT_MIGRATABLE_MAX_MESSAGE) : 0,
                    message ? message : "");
        if (out->nfindings > before) {
            size_t at = 0;
            while (at < out->nfindings - 1 && (out->findings[at].rule == RULE_NOT_RUNNING ||
                                               out->findings[at].rule == RULE_IN_FLIGHT))
                at++;
            move_last_finding(out, at);
        }
        return; /* like KubeVirt's admitter: the first condition that is not explained */
    }
}
