/*
 * rules/migration_ctx.c - what a migration asks of its target, gathered once
 * (docs/rules.md#node-eligibility step 5, docs/cpu-models.md#target-pod-selectors):
 * migration_ctx_init() reads the nodes, the CPU model in force, the source
 * node and launcher pod and the NetworkAttachmentDefinitions from the cluster
 * view, and derives from them the requirements R of the target pod
 * (rules/requirements.c).  After that every check is a pure function of the
 * context and a node (rules/eligibility.c), so the target-node rule, the
 * no-target rule and the `check` command's candidate list all give the same
 * answer.
 */
#include "rules/target_node.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/object.h"
#include "kube/text.h"
#include "rules/affinity.h"

/* ------------------------------------------------------------ helpers */

static bool list_contains(char *const *list, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], s) == 0)
            return true;
    return false;
}

/* --------------------------------------------------- the CPU requirement */

/* The model in force: VMI spec.domain.cpu.model, else the first KubeVirt CR's cpuModel, else
 * host-model. */
static enum cv_result find_cpu_model(struct migration_ctx *ctx, const struct cluster_view *view,
                                     struct cv_scope *scope)
{
    const cJSON *cpu = obj_get(obj_get(obj_get(ctx->vmi, "spec"), "domain"), "cpu");
    const char *model = obj_nonempty(cpu, "model");
    enum cpu_model_source source = CPU_FROM_VM;
    if (!model) {
        const cJSON *crs = NULL;
        if (cv_list(view, scope, CV_KUBEVIRT, NULL, NULL, NULL, &crs) == CV_ERROR)
            return CV_ERROR;
        const cJSON *first = cJSON_IsArray(crs) ? cJSON_GetArrayItem(crs, 0) : NULL;
        model = obj_nonempty(obj_get(obj_get(first, "spec"), "configuration"), "cpuModel");
        source = CPU_FROM_CLUSTER;
    }
    if (!model) {
        model = CPU_MODE_HOST_MODEL;
        source = CPU_FROM_DEFAULT;
    }
    ctx->cpu.source = source;
    ctx->cpu.mode = strdup(model);
    return ctx->cpu.mode ? CV_OK : cv_scope_fail(scope, "out of memory");
}

/* The VMI's launcher pod on its node, in phase Running (the newest), or NULL. */
static enum cv_result find_source_pod(struct migration_ctx *ctx, const struct cluster_view *view,
                                      struct cv_scope *scope)
{
    const char *uid = obj_nonempty(obj_get(ctx->vmi, "metadata"), "uid");
    if (!uid || !ctx->current_node)
        return CV_OK;
    const cJSON *pods = NULL;
    if (cv_list(view, scope, CV_POD, ctx->ns, LABEL_CREATED_BY, uid, &pods) == CV_ERROR)
        return CV_ERROR;
    ctx->source_pod = requirements_pick_source_pod(pods, uid, ctx->current_node);
    return CV_OK;
}

/* The CPU keys the target pod mutation adds: host-model keys, or the explicit model's key. */
static int find_cpu_requirement(struct migration_ctx *ctx)
{
    struct cpu_requirement *cpu = &ctx->cpu;
    cpu->source_node = ctx->current_node;
    cpu->vendor = node_cpu_vendor(ctx->source_node);
    if (strcmp(cpu->mode, CPU_MODE_HOST_PASSTHROUGH) == 0)
        return 0;
    if (strcmp(cpu->mode, CPU_MODE_HOST_MODEL) == 0) {
        if (host_model_selector(ctx->source_pod, ctx->source_node, &cpu->keys, &cpu->nkeys,
                                &cpu->host_model, &cpu->from_source_pod) != 0)
            return -1;
        cpu->kind = cpu->nkeys > 0 ? CPU_REQ_HOST_MODEL : CPU_REQ_NONE;
        return 0;
    }
    cpu->kind = CPU_REQ_MODEL;
    return text_list_push(&cpu->keys, &cpu->nkeys, text_join(LABEL_CPU_MODEL, cpu->mode));
}

/* ---------------------------------------------------- cluster networks */

/* For each multus network: the node label of the cluster network its NAD belongs to
 * (docs/rules.md#node-eligibility step 4), made once for every node judged. */
static enum cv_result find_cluster_networks(struct migration_ctx *ctx,
                                            const struct cluster_view *view, struct cv_scope *scope)
{
    const cJSON *net;
    int nmultus = 0;
    cJSON_ArrayForEach (net, obj_get(obj_get(ctx->vmi, "spec"), "networks")) {
        const char *ref = obj_nonempty(obj_get(net, "multus"), "networkName");
        if (!ref)
            continue;
        if (++nmultus > MIGRATION_MAX_NETWORKS)
            return cv_scope_fail(scope, "VirtualMachineInstance has more than %d multus networks",
                                 MIGRATION_MAX_NETWORKS);
        char *copy = strdup(ref);
        if (!copy)
            return cv_scope_fail(scope, "out of memory");
        char *slash = strchr(copy, '/');
        const char *nad_ns = ctx->ns, *nad_name = copy;
        if (slash) {
            *slash = '\0';
            nad_ns = copy;
            nad_name = slash + 1;
        }
        const cJSON *nad = NULL;
        enum cv_result r = cv_get(view, scope, CV_NAD, nad_ns, nad_name, &nad);
        free(copy);
        if (r == CV_ERROR)
            return CV_ERROR;
        const char *cn = r == CV_OK ? meta_label(nad, LABEL_CLUSTER_NETWORK) : NULL;
        if (!cn || !*cn)
            continue;
        char *label = text_join(LABEL_NETWORK_PREFIX, cn);
        if (label && list_contains(ctx->network_labels, ctx->nnetwork_labels, label))
            free(label);
        else if (text_list_push(&ctx->network_labels, &ctx->nnetwork_labels, label) != 0)
            return cv_scope_fail(scope, "out of memory");
    }
    return CV_OK;
}

/* ------------------------------------------------------------- context */

enum cv_result migration_ctx_init(struct migration_ctx *ctx, const cJSON *vmi, const char *ns,
                                  const struct cluster_view *view, struct cv_scope *scope)
{
    memset(ctx, 0, sizeof(*ctx));
    ctx->vmi = vmi;
    ctx->ns = ns ? ns : "";
    ctx->vmi_name = meta_name(vmi);
    ctx->current_node = obj_nonempty(obj_get(vmi, "status"), "nodeName");
    const cJSON *nodes = NULL;
    if (cv_list(view, scope, CV_NODE, NULL, NULL, NULL, &nodes) == CV_ERROR)
        return CV_ERROR;
    ctx->nodes = nodes;
    ctx->view = view;
    ctx->scope = scope;
    ctx->source_node = array_find_named(nodes, ctx->current_node);
    if (find_cpu_model(ctx, view, scope) == CV_ERROR ||
        find_source_pod(ctx, view, scope) == CV_ERROR)
        return CV_ERROR;
    struct requirements_input in = {
        .vmi = vmi,
        .source_pod = ctx->source_pod,
        .source_node = ctx->source_node,
        .cpu_mode = ctx->cpu.mode,
    };
    if (find_cpu_requirement(ctx) != 0 || requirements_derive(&ctx->req, &in) != 0)
        return cv_scope_fail(scope, "out of memory");
    return find_cluster_networks(ctx, view, scope);
}

int migration_ctx_use_migration(struct migration_ctx *ctx, const cJSON *vmim)
{
    return requirements_add_migration(&ctx->req, vmim);
}

void migration_ctx_free(struct migration_ctx *ctx)
{
    text_list_free(ctx->network_labels, ctx->nnetwork_labels);
    free(ctx->cpu.mode);
    free(ctx->cpu.host_model);
    text_list_free(ctx->cpu.keys, ctx->cpu.nkeys);
    requirements_free(&ctx->req);
    memset(ctx, 0, sizeof(*ctx));
}
