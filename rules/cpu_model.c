/*
 * rules/cpu_model.c - the CPU model of a migration target pod
 * (docs/cpu-models.md#target-pod-selectors).
 *
 * When virt-controller creates the target pod of a migration, this mutation
 * makes sure its nodeSelector carries the CPU requirement of the VM (the same
 * host-model keys the target-node rule requires, from migration_ctx_init), the
 * source node's CPU vendor (what KubeVirt >= 1.8 adds itself; on older
 * versions it keeps the pod off nodes of the other vendor) and the picked
 * target node.  Only missing keys are added, so mutating the patched pod
 * again gives no operations, and every operation is an "add" that applies to
 * the pod it was computed from.  Mutation never denies.
 */
#include "rules/rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/object.h"
#include "kube/text.h"
#include "rules/affinity.h"
#include "rules/json_patch.h"
#include "rules/target_node.h"

#define LABEL_APP "kubevirt.io"
#define LABEL_MIGRATION_JOB_UID "kubevirt.io/migrationJobUID"
#define ANNOTATION_DOMAIN "kubevirt.io/domain"
#define ANNOTATION_MIGRATION_JOB_NAME "kubevirt.io/migrationJobName"
#define NODE_SELECTOR_PATH "/spec/nodeSelector"

static bool is_migration_target_pod(const cJSON *pod)
{
    const char *app = meta_label(pod, LABEL_APP);
    return cJSON_IsObject(pod) && app && strcmp(app, "virt-launcher") == 0 &&
           meta_label(pod, LABEL_MIGRATION_JOB_UID) != NULL;
}

/* The VMI's name: annotation kubevirt.io/domain, else the ownerReference of kind
 * VirtualMachineInstance. */
static const char *pod_vmi_name(const cJSON *pod)
{
    const cJSON *meta = obj_get(pod, "metadata");
    const char *name = obj_nonempty(obj_get(meta, "annotations"), ANNOTATION_DOMAIN);
    if (name)
        return name;
    const cJSON *ref;
    cJSON_ArrayForEach (ref, obj_get(meta, "ownerReferences")) {
        const char *kind = obj_nonempty(ref, "kind"), *ref_name = obj_nonempty(ref, "name");
        if (kind && strcmp(kind, "VirtualMachineInstance") == 0 && ref_name)
            return ref_name;
    }
    return NULL;
}

/* The VMIM named by the pod's kubevirt.io/migrationJobName annotation, NULL when absent. */
static enum cv_result find_pod_vmim(const struct rule_input *in, const char *ns, const cJSON **vmim)
{
    *vmim = NULL;
    const char *name = obj_nonempty(obj_get(obj_get(in->object, "metadata"), "annotations"),
                                    ANNOTATION_MIGRATION_JOB_NAME);
    if (!name)
        return CV_OK;
    enum cv_result r = cv_get(in->view, in->scope, CV_VMIM, ns, name, vmim);
    if (r == CV_NOT_FOUND)
        *vmim = NULL;
    return r == CV_ERROR ? CV_ERROR : CV_OK;
}

/* 1 when the pod's nodeSelector already has a cpu-vendor.node.kubevirt.io/ key. */
static bool has_vendor_key(const cJSON *selector)
{
    const cJSON *item;
    cJSON_ArrayForEach (item, selector)
        if (item->string && strncmp(item->string, LABEL_CPU_VENDOR, strlen(LABEL_CPU_VENDOR)) == 0)
            return true;
    return false;
}

/*
 * Each missing key of the requirement (model, features, copied keys), then the
 * source node's vendor key unless the pod has one, then the hostname:
 * appended to `out` as "add" ops, or only counted when `out` is NULL.
 * `selector` is the pod's nodeSelector (an object, or NULL).  Returns the
 * number of ops, -1 when out of memory.
 */
static int add_missing_keys(struct verdict *out, const cJSON *selector,
                            const struct cpu_requirement *cpu, const char *hostname)
{
    cJSON *added = cJSON_CreateObject(); /* keys added so far, so a key is never added twice */
    bool want_vendor = cpu->vendor && !has_vendor_key(selector);
    char *vendor = want_vendor ? text_join(LABEL_CPU_VENDOR, cpu->vendor) : NULL;
    if (!added || (want_vendor && !vendor)) {
        cJSON_Delete(added);
        free(vendor);
        return -1;
    }
    int n = 0;
    for (size_t i = 0; i < cpu->nkeys + 2 && n >= 0; i++) {
        const char *key = i < cpu->nkeys ? cpu->keys[i] : i == cpu->nkeys ? vendor : LABEL_HOSTNAME;
        const char *value = i < cpu->nkeys || i == cpu->nkeys ? "true" : hostname;
        if (!key || !value || obj_get(selector, key) || obj_get(added, key))
            continue;
        if (!cJSON_AddTrueToObject(added, key))
            n = -1;
        else if (out && json_patch_add_member(out, NODE_SELECTOR_PATH, key,
                                              cJSON_CreateString(value)) != 0)
            n = -1;
        else
            n++;
    }
    cJSON_Delete(added);
    free(vendor);
    return n;
}

/*
 * The ops for `pod`: create /spec/nodeSelector when it is absent or not an
 * object (null), then add each missing key.  A pod whose spec is not an
 * object is left alone: no patch could apply to it.
 */
static int build_patch(struct verdict *out, const cJSON *pod, const struct cpu_requirement *cpu,
                       const char *hostname)
{
    const cJSON *spec = obj_get(pod, "spec");
    if (!cJSON_IsObject(spec))
        return 0;
    const cJSON *selector = obj_get(spec, "nodeSelector");
    if (!cJSON_IsObject(selector))
        selector = NULL;
    int n = add_missing_keys(NULL, selector, cpu, hostname);
    if (n <= 0)
        return n;
    if (!selector) {
        cJSON *empty = cJSON_CreateObject();
        if (!empty || verdict_patch(out, "add", NODE_SELECTOR_PATH, empty) != 0)
            return -1;
    }
    return add_missing_keys(out, selector, cpu, hostname) < 0 ? -1 : 0;
}

static void finish(struct verdict *out, const struct rule_input *in, const char *subject)
{
    struct rule_settings defaults;
    const enum rule_mode *modes = in->settings ? in->settings->migration : NULL;
    if (!modes) {
        rule_settings_default(&defaults);
        modes = defaults.migration;
    }
    verdict_finish(out, "", modes, false, subject);
}

void rules_pod_mutate(const struct rule_input *in, struct verdict *out)
{
    const cJSON *pod = in->object;
    const char *vmi_name = is_migration_target_pod(pod) ? pod_vmi_name(pod) : NULL;
    if (!vmi_name) {
        finish(out, in, "");
        return;
    }
    const char *ns =
        in->ns && *in->ns ? in->ns : obj_nonempty(obj_get(pod, "metadata"), "namespace");
    if (!ns)
        ns = "default";
    char *subject = NULL;
    if (asprintf(&subject, "%s/%s", ns, vmi_name) < 0) {
        finish(out, in, "");
        return;
    }
    const cJSON *vmi = NULL, *vmim = NULL;
    struct migration_ctx ctx;
    memset(&ctx, 0, sizeof(ctx));
    enum cv_result r = cv_get(in->view, in->scope, CV_VMI, ns, vmi_name, &vmi);
    if (r == CV_NOT_FOUND) {
        verdict_warn(
            out,
            "migration target pod of VM %s: VirtualMachineInstance not found; no CPU model "
            "node selector added",
            subject);
    } else if (r == CV_ERROR ||
               migration_ctx_init(&ctx, vmi, ns, in->view, in->scope) == CV_ERROR ||
               find_pod_vmim(in, ns, &vmim) == CV_ERROR) {
        verdict_view_error(out, "%s", in->scope->err);
    } else {
        if (ctx.cpu.kind == CPU_REQ_NONE && strcmp(ctx.cpu.mode, CPU_MODE_HOST_MODEL) == 0)
            verdict_warn(out,
                         "migration target pod of VM %s: source node \"%s\" has no "
                         "host-model-cpu.node.kubevirt.io label; no host-model CPU selector added",
                         subject, ctx.current_node ? ctx.current_node : "");
        if (build_patch(out, pod, &ctx.cpu, picked_target_node(vmim, vmi)) != 0)
            verdict_view_error(out, "out of memory");
    }
    migration_ctx_free(&ctx);
    finish(out, in, subject);
    free(subject);
}
