/*
 * rules/state.c - not-running, in-flight and node-pinned (SPEC §3, §12).
 */
#include "rules/state.h"

#include <stdlib.h>
#include <string.h>

#include "rules/fields.h"

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

static int names_in_order(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

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
    qsort(names, n, sizeof(*names), names_in_order);
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
