/*
 * rules/target_node.c - the target-node and no-target rules: the picked
 * target node judged, or every other VM node (rules/eligibility.c, on the
 * context of rules/migration_ctx.c).
 */
#include "rules/target_node.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/object.h"
#include "rules/affinity.h"

/* ----------------------------------------------------------------- rules */

const char *picked_target_node(const cJSON *vmim, const cJSON *vmi)
{
    const cJSON *added = obj_get(obj_get(vmim, "spec"), "addedNodeSelector");
    const char *node = obj_nonempty(added, LABEL_HOSTNAME);
    if (node)
        return node;
    return obj_nonempty(obj_get(obj_get(vmi, "metadata"), "annotations"), ANNOTATION_TARGET_NODE);
}

void rules_target_node(struct migration_ctx *ctx, const cJSON *vmim, struct verdict *out)
{
    if (migration_ctx_use_migration(ctx, vmim) != 0) {
        verdict_view_error(out, "out of memory");
        return;
    }
    const char *node = picked_target_node(vmim, ctx->vmi);
    if (!node)
        return;
    char *reason = NULL;
    int step = target_node_check(ctx, node, &reason);
    if (step < 0)
        verdict_view_error(out, "out of memory");
    else if (step > 0)
        verdict_add(out, RULE_TARGET_NODE, "target node \"%s\" %s", node, reason);
    free(reason);
}

/* Appends `s` to the growing string *buf (NULL on failure, *buf freed). */
static void append(char **buf, size_t *len, const char *s)
{
    if (!*buf)
        return;
    size_t slen = strlen(s);
    char *grown = realloc(*buf, *len + slen + 1);
    if (!grown) {
        free(*buf);
        *buf = NULL;
        return;
    }
    memcpy(grown + *len, s, slen + 1);
    *buf = grown;
    *len += slen;
}

/* `node "<n>" <reason>, …` for at most NO_TARGET_MAX_LISTED nodes, then ", and <k> more". */
static char *per_node_reasons(const struct node_check *checks, size_t n)
{
    size_t len = 0;
    char *buf = strdup("");
    if (n == 0) {
        append(&buf, &len, "there is no other node");
        return buf;
    }
    for (size_t i = 0; i < n && i < NO_TARGET_MAX_LISTED; i++) {
        char *one;
        if (asprintf(&one, "%snode \"%s\" %s", i ? ", " : "", checks[i].name, checks[i].reason) <
            0) {
            free(buf);
            return NULL;
        }
        append(&buf, &len, one);
        free(one);
    }
    if (n > NO_TARGET_MAX_LISTED) {
        char more[64];
        snprintf(more, sizeof(more), ", and %zu more", n - NO_TARGET_MAX_LISTED);
        append(&buf, &len, more);
    }
    return buf;
}

/*
 * The no-target rule.  When a target node was picked, rules_target_node()
 * speaks for the migration instead: an eligible picked node means some other
 * node can take the VM, and an ineligible one already has a target-node
 * finding in `out`, so this rule stays silent then (call it after
 * rules_target_node on the same verdict).
 */
void rules_no_target(const struct migration_ctx *ctx, struct verdict *out)
{
    if (verdict_has(out, RULE_TARGET_NODE))
        return;
    struct node_check *checks = NULL;
    size_t n = 0;
    int any = target_node_any_candidate(ctx, NO_TARGET_MAX_LISTED, &checks, &n);
    if (any < 0) {
        verdict_view_error(out, "out of memory");
        return;
    }
    if (any > 0)
        return;
    bool cpu_only = false;
    for (size_t i = 0; i < n; i++)
        cpu_only = cpu_only || checks[i].step == ELIGIBILITY_STEP_HARDWARE;
    char *reasons = per_node_reasons(checks, n);
    const char *models = NULL;
    char *computed = NULL;
    bool advice = cpu_only && ctx->req.host_model && ctx->req.host_model_cpu;
    if (advice && ctx->view) {
        /* The same for every review of this version of the nodes: derived once. */
        const void *memo = NULL;
        if (cv_derive(ctx->view, ctx->scope, CV_NODE, &common_cpu_models_derivation, &memo) !=
            CV_OK) {
            verdict_view_error(out, "%s", ctx->scope->err);
            free(reasons);
            node_checks_free(checks, n);
            return;
        }
        models = memo;
    } else if (advice) {
        models = computed = common_cpu_models(ctx->nodes);
    }
    if (!reasons || (advice && !models))
        verdict_view_error(out, "out of memory");
    else if (advice)
        verdict_add(
            out, RULE_NO_TARGET,
            "no other node can run it: %s; host-model VMs can only move to nodes with host CPU "
            "model %s; CPU models supported by all nodes: %s \u2014 set "
            "spec.template.spec.domain.cpu.model to one of them and restart the VM",
            reasons, ctx->req.host_model_cpu, models);
    else
        verdict_add(out, RULE_NO_TARGET, "no other node can run it: %s", reasons);
    free(reasons);
    free(computed);
    node_checks_free(checks, n);
}
