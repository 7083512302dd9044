/*
 * rules/target_node_pending.c - stand-in for the target-node part of
 * rules/target_node.h until rules/target_node.c lands; replaced by
 * rules/target_node.c.
 *
 * migration_ctx_init gathers nothing beyond the VMI itself, the eligibility
 * functions find no node, and rules_target_node / rules_no_target add
 * nothing.  node_is_schedulable (SPEC §4 step 2) and common_cpu_models are
 * the real thing, because the early warnings need them.
 */
#include "rules/target_node.h"

#include <stdlib.h>
#include <string.h>

#include "rules/fields.h"

enum cv_result migration_ctx_init(struct migration_ctx *ctx, const cJSON *vmi, const char *ns,
                                  const struct cluster_view *view, struct cv_scope *scope)
{
    (void)view;
    (void)scope;
    memset(ctx, 0, sizeof(*ctx));
    ctx->vmi = vmi;
    ctx->ns = ns;
    ctx->vmi_name = meta_name(vmi);
    ctx->current_node = obj_string(obj_object(vmi, "status"), "nodeName");
    return CV_OK;
}

void migration_ctx_free(struct migration_ctx *ctx)
{
    memset(ctx, 0, sizeof(*ctx));
}

int target_node_check(const struct migration_ctx *ctx, const char *node_name, char **reason)
{
    (void)ctx;
    (void)node_name;
    *reason = NULL;
    return 0;
}

int target_node_candidates(const struct migration_ctx *ctx, struct node_check **out, size_t *n)
{
    (void)ctx;
    *out = NULL;
    *n = 0;
    return 0;
}

void node_checks_free(struct node_check *checks, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(checks[i].name);
        free(checks[i].reason);
    }
    free(checks);
}

void rules_target_node(const struct migration_ctx *ctx, const cJSON *vmim, struct verdict *out)
{
    (void)ctx;
    (void)vmim;
    (void)out;
}

void rules_no_target(const struct migration_ctx *ctx, struct verdict *out)
{
    (void)ctx;
    (void)out;
}

const char *picked_target_node(const cJSON *vmim, const cJSON *vmi)
{
    const char *node = obj_string(obj_object(obj_object(vmim, "spec"), "addedNodeSelector"),
                                  "kubernetes.io/hostname");
    if (node && *node)
        return node;
    node = meta_annotation(vmi, "harvesterhci.io/migrationTargetNodeName");
    return node && *node ? node : NULL;
}

/* ------------------------------------------------- §4 step 2: schedulable */

static int has_taint(const cJSON *node, const char *key)
{
    const cJSON *taint;
    cJSON_ArrayForEach (taint, obj_array(obj_object(node, "spec"), "taints")) {
        const char *k = obj_string(taint, "key");
        if (k && strcmp(k, key) == 0)
            return 1;
    }
    return 0;
}

int node_is_schedulable(const cJSON *node)
{
    if (cJSON_IsTrue(obj_get(obj_object(node, "spec"), "unschedulable")))
        return 0;
    if (has_taint(node, "node.kubernetes.io/unreachable") ||
        has_taint(node, "node.kubernetes.io/unschedulable"))
        return 0;
    const cJSON *ann = obj_object(obj_object(node, "metadata"), "annotations");
    if (obj_get(ann, "harvesterhci.io/maintain-status") ||
        obj_get(ann, "harvesterhci.io/drain-requested"))
        return 0;
    const char *sched = meta_label(node, "kubevirt.io/schedulable");
    return !(sched && strcmp(sched, "false") == 0);
}

/* ------------------------------------------------------ common CPU models */

#define CPU_MODEL_PREFIX "cpu-model.node.kubevirt.io/"

static int strings_in_order(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int node_has_model(const cJSON *node, const char *model)
{
    char key[512];
    size_t plen = strlen(CPU_MODEL_PREFIX), mlen = strlen(model);
    if (plen + mlen >= sizeof(key))
        return 0;
    memcpy(key, CPU_MODEL_PREFIX, plen);
    memcpy(key + plen, model, mlen + 1);
    return meta_label_is_true(node, key);
}

char *common_cpu_models(const cJSON *nodes)
{
    const cJSON *first = NULL, *node;
    cJSON_ArrayForEach (node, nodes)
        if (cJSON_IsObject(node) && node_is_schedulable(node)) {
            first = node;
            break;
        }
    const cJSON *labels = obj_object(obj_object(first, "metadata"), "labels");
    size_t n = 0, cap = (size_t)cJSON_GetArraySize(labels);
    const char **models = calloc(cap ? cap : 1, sizeof(*models));
    if (!models)
        return NULL;
    const cJSON *label;
    size_t plen = strlen(CPU_MODEL_PREFIX);
    cJSON_ArrayForEach (label, labels) {
        if (!label->string || strncmp(label->string, CPU_MODEL_PREFIX, plen) != 0 ||
            !cJSON_IsString(label) || strcmp(label->valuestring, "true") != 0)
            continue;
        const char *model = label->string + plen;
        int everywhere = *model != '\0';
        cJSON_ArrayForEach (node, nodes)
            if (everywhere && cJSON_IsObject(node) && node_is_schedulable(node) &&
                !node_has_model(node, model))
                everywhere = 0;
        if (everywhere && n < cap)
            models[n++] = model;
    }
    qsort(models, n, sizeof(*models), strings_in_order);
    size_t len = 5;
    for (size_t i = 0; i < n; i++)
        len += strlen(models[i]) + 2;
    char *out = malloc(len), *p = out;
    if (out) {
        *p = '\0';
        for (size_t i = 0; i < n; i++)
            p = stpcpy(i ? stpcpy(p, ", ") : p, models[i]);
        if (n == 0)
            strcpy(out, "none");
    }
    free(models);
    return out;
}
