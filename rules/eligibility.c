/*
 * rules/eligibility.c - whether a node can take a VM's migration: a node is
 * judged against the requirements R of the migration's context
 * (rules/migration_ctx.c) in the order of docs/rules.md#node-eligibility:
 * exists, schedulable VM node and taints vs R's tolerations, R's scheduling
 * rules, cluster networks, R's hardware keys.
 */
#include "rules/target_node.h"

#include <stdlib.h>
#include <string.h>

#include "kube/object.h"
#include "rules/affinity.h"

/* ---------------------------------------------------------- eligibility */

/*
 * *out = the strings of `parts` up to NULL joined: the reasons of a candidate list, thousands a
 * pass, without printf's cost.  0, or -1 (*out NULL) when out of memory.
 */
static int concat(char **out, const char *const *parts)
{
    size_t len = 0;
    for (const char *const *p = parts; *p; p++)
        len += strlen(*p);
    char *end = *out = malloc(len + 1);
    if (!end)
        return -1;
    *end = '\0';
    for (const char *const *p = parts; *p; p++)
        end = stpcpy(end, *p);
    return 0;
}
#define CONCAT(out, ...) concat((out), (const char *const[]){__VA_ARGS__, NULL})

/* What step 2 reads of a node, looked up once: spec, spec.taints, metadata.annotations. */
struct node_parts {
    const cJSON *spec;
    const cJSON *taints;      /* as found: walked whatever its type */
    const cJSON *annotations; /* NULL unless an object */
};

static struct node_parts node_parts(const cJSON *node)
{
    struct node_parts p = {.spec = obj_get(node, "spec")};
    p.taints = obj_get(p.spec, "taints");
    const cJSON *annotations = obj_get(obj_get(node, "metadata"), "annotations");
    p.annotations = cJSON_IsObject(annotations) ? annotations : NULL;
    return p;
}

static bool has_annotation(const struct node_parts *p, const char *key)
{
    return p->annotations && obj_get(p->annotations, key) != NULL;
}

/* docs/rules.md#node-eligibility step 2 but its taint part, in the order of docs/rules.md: the
 * reason, or NULL.  `schedulable` is the node's kubevirt.io/schedulable label member (NULL when
 * absent). */
static const char *unschedulable_reason_with(const struct node_parts *p, const cJSON *schedulable)
{
    if (cJSON_IsTrue(obj_get(p->spec, "unschedulable")))
        return "is cordoned";
    bool unreachable = false, cordoned = false;
    const cJSON *taint;
    cJSON_ArrayForEach (taint, p->taints) {
        const char *k = obj_string(taint, "key");
        unreachable = unreachable || (k && strcmp(k, TAINT_UNREACHABLE) == 0);
        cordoned = cordoned || (k && strcmp(k, TAINT_UNSCHEDULABLE) == 0);
    }
    if (unreachable)
        return "is unreachable";
    if (cordoned)
        return "is cordoned";
    if (has_annotation(p, ANNOTATION_MAINTAIN_STATUS) ||
        has_annotation(p, ANNOTATION_DRAIN_REQUESTED))
        return "is in maintenance mode";
    if (cJSON_IsString(schedulable) && strcmp(schedulable->valuestring, "false") == 0)
        return "does not accept VMs (kubevirt.io/schedulable=false)";
    if (!schedulable)
        return "does not run VMs (no kubevirt.io/schedulable label)";
    return NULL;
}

int node_is_schedulable(const cJSON *node)
{
    const cJSON *labels = obj_get(obj_get(node, "metadata"), "labels");
    struct node_parts p = node_parts(node);
    return unschedulable_reason_with(&p, cJSON_IsObject(labels) ? obj_get(labels, LABEL_SCHEDULABLE)
                                                                : NULL) == NULL;
}

bool node_runs_vms(const cJSON *node)
{
    const cJSON *labels = obj_get(obj_get(node, "metadata"), "labels");
    return cJSON_IsObject(labels) && obj_get(labels, LABEL_SCHEDULABLE) != NULL;
}

/* A taint R's tolerations must tolerate: NoSchedule or NoExecute, with a key other than the two
 * step 2 reports on their own; *key and *effect set when it is. */
static bool taint_binds(const cJSON *taint, const char **key, const char **effect)
{
    *key = obj_string(taint, "key");
    *effect = obj_string(taint, "effect");
    return *key && *effect && strcmp(*key, TAINT_UNREACHABLE) != 0 &&
           strcmp(*key, TAINT_UNSCHEDULABLE) != 0 &&
           (strcmp(*effect, "NoSchedule") == 0 || strcmp(*effect, "NoExecute") == 0);
}

/* docs/rules.md#node-eligibility step 2, taints: the first NoSchedule/NoExecute taint of `taints`
 * R does not tolerate, as "<key>[=<value>]:<effect>" (caller frees); NULL when all are tolerated
 * or *nomem. */
static char *untolerated_taint(const struct requirements *r, const cJSON *taints, bool *nomem)
{
    const cJSON *taint;
    cJSON_ArrayForEach (taint, taints) {
        const char *key, *effect;
        if (!taint_binds(taint, &key, &effect) || taint_tolerated(taint, r->tolerations))
            continue;
        const char *value = obj_string(taint, "value");
        char *text;
        if (CONCAT(&text, key, value ? "=" : "", value ? value : "", ":", effect) < 0) {
            *nomem = true;
            return NULL;
        }
        return text;
    }
    return NULL;
}

/* --------------------------------------------------------- node facts */

/* What judging a node reads of the node alone, whatever R is. */
struct node_fact {
    const cJSON *first;        /* the node's first member: which node this is of */
    const char *name;          /* metadata.name, or NULL */
    bool runs_vms;             /* node_runs_vms */
    const char *unschedulable; /* step 2's reason but R's tolerations, or NULL */
    const cJSON *taints;       /* spec.taints when one of them binds (taint_binds), else NULL */
};

/* The node's facts, its labels read through `ix`. */
static void node_fact(const cJSON *node, const struct label_index *ix, struct node_fact *f)
{
    struct node_parts parts = node_parts(node);
    f->first = node->child;
    f->name = meta_name(node);
    /* node_runs_vms through the index (whose lookups do not stop at an unnamed item) */
    f->runs_vms =
        ix->unnamed ? node_runs_vms(node) : label_index_find(ix, LABEL_SCHEDULABLE) != NULL;
    f->unschedulable = unschedulable_reason_with(&parts, label_index_find(ix, LABEL_SCHEDULABLE));
    f->taints = NULL;
    const cJSON *taint;
    const char *key, *effect;
    cJSON_ArrayForEach (taint, parts.taints)
        if (taint_binds(taint, &key, &effect)) {
            f->taints = parts.taints;
            break;
        }
}

/* The facts of every node of a list, in its order. */
struct node_facts {
    size_t n;
    struct node_fact fact[];
};

static void *compute_node_facts(const cJSON *nodes)
{
    size_t cap = (size_t)cJSON_GetArraySize(nodes);
    struct node_facts *facts = malloc(sizeof(*facts) + cap * sizeof(facts->fact[0]));
    if (!facts)
        return NULL;
    facts->n = 0;
    struct label_index_cache cache;
    label_index_cache_init(&cache);
    const cJSON *node;
    cJSON_ArrayForEach (node, nodes) {
        if (facts->n == cap)
            break;
        struct label_index ix;
        label_index_init_cached(&ix, node, &cache);
        node_fact(node, &ix, &facts->fact[facts->n++]);
        label_index_free(&ix);
    }
    label_index_cache_free(&cache);
    return facts;
}

/* The same for every pass over this version of the nodes: derived once (cv_derive). */
static const struct cv_derivation node_facts_derivation = {
    .compute = compute_node_facts,
    .release = free,
};

/* The view's facts of ctx->nodes, or NULL (each node's are then found as it is judged). */
static const struct node_facts *view_node_facts(const struct migration_ctx *ctx)
{
    if (!ctx->view || !ctx->scope)
        return NULL;
    char err[sizeof(ctx->scope->err)]; /* a failure here is no error of the review */
    memcpy(err, ctx->scope->err, sizeof(err));
    const void *facts = NULL;
    if (cv_derive(ctx->view, ctx->scope, CV_NODE, &node_facts_derivation, &facts) != CV_OK) {
        memcpy(ctx->scope->err, err, sizeof(err));
        return NULL;
    }
    return facts;
}

/* The fact of `node`, the at-th of ctx->nodes, when `facts` has it: the view may have derived them
 * from another version of the list, where a node is the same when its first member is. */
static const struct node_fact *fact_at(const struct node_facts *facts, size_t at, const cJSON *node)
{
    return facts && at < facts->n && node->child && facts->fact[at].first == node->child
               ? &facts->fact[at]
               : NULL;
}

/* The VMI's own kubernetes.io/hostname nodeSelector key: node-pinned reports it, not step 3. */
static bool vmi_pins_hostname(const cJSON *vmi)
{
    return obj_get(obj_get(obj_get(vmi, "spec"), "nodeSelector"), LABEL_HOSTNAME) != NULL;
}

/*
 * docs/rules.md#node-eligibility step 3: R's nodeSelector keys of kind REQ_SCHEDULING in key order
 * (but the VMI's own hostname key and, for a candidate, the addedNodeSelector's hostname key), then
 * R's required node affinity.  `why` NULL: no reason wanted.
 */
static enum match_result scheduling_rules_match(const struct migration_ctx *ctx, const cJSON *node,
                                                const struct label_index *ix, bool candidate,
                                                char **why)
{
    const struct requirements *r = &ctx->req;
    if (why)
        *why = NULL;
    for (size_t i = 0; i < r->nlabels; i++) {
        const struct req_label *l = &r->labels[i];
        if (l->kind != REQ_SCHEDULING)
            continue;
        bool hostname = strcmp(l->key, LABEL_HOSTNAME) == 0;
        if (hostname && (vmi_pins_hostname(ctx->vmi) || (candidate && l->origin == REQ_FROM_VMIM)))
            continue;
        const char *have = label_index_get(ix, l->key);
        if (have && strcmp(have, l->value) == 0)
            continue;
        if (!why)
            return MATCH_NO;
        return CONCAT(why, "(", l->key, " In ", l->value, ")") < 0 ? MATCH_NOMEM : MATCH_NO;
    }
    char *affinity_why = NULL;
    enum match_result m = node_selector_match_indexed(r->affinity, node, ix, &affinity_why);
    if (why)
        *why = affinity_why;
    else
        free(affinity_why);
    return m;
}

/* The text of a failing hardware key of kind `kind` (docs/rules.md#node-eligibility step 5). */
static int hardware_reason(const struct migration_ctx *ctx, const struct req_label *l,
                           const cJSON *node, char **why)
{
    const char *source = ctx->current_node ? ctx->current_node : "";
    const char *name = strchr(l->key, '/');
    name = name ? name + 1 : l->key;
    switch (l->kind) {
    case REQ_VENDOR: {
        const char *have = node_cpu_vendor(node);
        return CONCAT(why, "has CPU vendor ", have ? have : "unknown", "; the VM runs on ", name);
    }
    case REQ_CPU_MODEL:
        return CONCAT(why, "does not support CPU model ", name);
    case REQ_HOST_MODEL:
        return CONCAT(why, "does not support host CPU model ", name, " of node ", source);
    case REQ_HOST_MODEL_FEATURE:
        if (ctx->req.host_model_cpu)
            return CONCAT(why, "lacks CPU feature ", name, " required by host CPU model ",
                          ctx->req.host_model_cpu);
        return CONCAT(why, "lacks CPU feature ", name, " required by the host CPU model of node ",
                      source);
    case REQ_FEATURE:
        return CONCAT(why, "lacks CPU feature ", name, " required by the VM");
    case REQ_MACHINE_TYPE:
        return CONCAT(why, "does not support machine type ", name);
    case REQ_CPUMANAGER:
        return CONCAT(why, "has no CPU manager for dedicated CPUs (cpumanager=true)");
    case REQ_TSC:
        return CONCAT(why, "does not have the VM's TSC frequency ",
                      l->key + strlen(LABEL_TSC_FREQUENCY));
    default:
        return CONCAT(why, "(", l->key, " In ", l->value, ")");
    }
}

/* docs/rules.md#node-eligibility step 5: R's hardware keys by kind in the listed order, keys of a
 * kind sorted.  0 when the node fits, 1 with *why (unless `why` is NULL), -1 when out of memory. */
static int hardware_mismatch(const struct migration_ctx *ctx, const cJSON *node,
                             const struct label_index *ix, char **why)
{
    static const enum req_kind order[] = {
        REQ_VENDOR,  REQ_CPU_MODEL,    REQ_HOST_MODEL, REQ_HOST_MODEL_FEATURE,
        REQ_FEATURE, REQ_MACHINE_TYPE, REQ_CPUMANAGER, REQ_TSC};
    const struct requirements *r = &ctx->req;
    if (why)
        *why = NULL;
    for (size_t k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
        if (order[k] == REQ_HOST_MODEL && r->host_model && r->host_model_unknown) {
            if (!why)
                return 1;
            return CONCAT(why, "cannot take a host-model VM from node \"",
                          ctx->current_node ? ctx->current_node : "",
                          "\", which has no host-model-cpu.node.kubevirt.io label") < 0
                       ? -1
                       : 1;
        }
        for (size_t i = 0; i < r->nlabels; i++) {
            const struct req_label *l = &r->labels[i];
            if (l->kind != order[k])
                continue;
            const char *have = label_index_get(ix, l->key);
            if (have && strcmp(have, l->value) == 0)
                continue;
            if (!why)
                return 1;
            return hardware_reason(ctx, l, node, why) < 0 ? -1 : 1;
        }
    }
    return 0;
}

/* docs/rules.md#node-eligibility for `node` (named `node_name`, NULL when no such node): the first
 * failing step; -1 when out of memory.  A candidate is judged without the addedNodeSelector's
 * hostname key. */
static int judge_labels(const struct migration_ctx *ctx, const cJSON *node,
                        const struct node_fact *f, const struct label_index *ix, bool candidate,
                        char **reason);

static int check_node(const struct migration_ctx *ctx, const cJSON *node, const char *node_name,
                      bool candidate, char **reason)
{
    *reason = NULL;
    if (!node)
        return (*reason = strdup("does not exist")) ? 1 : -1;
    if (ctx->current_node && strcmp(node_name, ctx->current_node) == 0)
        return (*reason = strdup("is the node it runs on")) ? 1 : -1;
    struct label_index ix;
    label_index_init(&ix, node); /* steps 2 to 5 look up a few dozen labels */
    struct node_fact f;
    node_fact(node, &ix, &f);
    int step = judge_labels(ctx, node, &f, &ix, candidate, reason);
    label_index_free(&ix);
    return step;
}

/* docs/rules.md#node-eligibility steps 2 to 5 for `node` (its facts `f`), its labels read through
 * `ix`; the reason into *reason unless `reason` is NULL (the step alone). */
static int judge_labels(const struct migration_ctx *ctx, const cJSON *node,
                        const struct node_fact *f, const struct label_index *ix, bool candidate,
                        char **reason)
{
    if (f->unschedulable)
        return !reason || (*reason = strdup(f->unschedulable)) ? 2 : -1;
    bool nomem = false;
    char *taint = f->taints ? untolerated_taint(&ctx->req, f->taints, &nomem) : NULL;
    if (nomem)
        return -1;
    if (taint) {
        int rc =
            reason ? CONCAT(reason, "has taint ", taint, ", which the VM does not tolerate") : 0;
        free(taint);
        return rc < 0 ? -1 : 2;
    }
    char *why = NULL;
    enum match_result m = scheduling_rules_match(ctx, node, ix, candidate, reason ? &why : NULL);
    if (m == MATCH_NOMEM)
        return -1;
    if (m == MATCH_NO && !reason)
        return 3;
    if (m == MATCH_NO) {
        int rc = CONCAT(reason, "does not match the VM's scheduling rules ", why);
        free(why);
        return rc < 0 ? -1 : 3;
    }
    for (size_t i = 0; i < ctx->nnetwork_labels; i++) {
        const char *label = ctx->network_labels[i];
        const char *value = label_index_get(ix, label);
        if (value && strcmp(value, "true") == 0)
            continue;
        if (!reason)
            return 4;
        const char *network = label + strlen(LABEL_NETWORK_PREFIX);
        return CONCAT(reason, "is not attached to cluster network ", network) < 0 ? -1 : 4;
    }
    int hw = hardware_mismatch(ctx, node, ix, reason);
    return hw < 0 ? -1 : hw ? ELIGIBILITY_STEP_HARDWARE : 0;
}

/* The first failing step and its reason; -1 when out of memory. */
int target_node_check(const struct migration_ctx *ctx, const char *node_name, char **reason)
{
    return check_node(ctx, array_find_named(ctx->nodes, node_name), node_name, false, reason);
}

/* A candidate of a pass: its node, its name (borrowed), step and reason (owned, when asked for). */
struct judged {
    const cJSON *node;
    const char *name;
    int step;
    char *reason;
};

static int compare_judged(const void *a, const void *b)
{
    return strcmp(((const struct judged *)a)->name, ((const struct judged *)b)->name);
}

static void judged_free(struct judged *j, size_t n)
{
    for (size_t i = 0; i < n && j; i++)
        free(j[i].reason);
    free(j);
}

/*
 * docs/rules.md#node-eligibility for every VM node (label kubevirt.io/schedulable) other than the
 * current one as a candidate, in list order: the steps, and the reasons when `reasons`.  Stops
 * after the first eligible node when `until_eligible`.  The number judged (*out, caller frees with
 * judged_free), or -1 when out of memory.
 */
static long judge_candidates(const struct migration_ctx *ctx, bool reasons, bool until_eligible,
                             struct judged **out)
{
    size_t cap = (size_t)cJSON_GetArraySize(ctx->nodes);
    struct judged *j = *out = cap ? calloc(cap, sizeof(*j)) : NULL;
    if (cap && !j)
        return -1;
    size_t count = 0;
    int step = 1;
    const struct node_facts *facts = view_node_facts(ctx);
    struct label_index_cache cache; /* the labels nodes share, indexed once for all of them */
    label_index_cache_init(&cache);
    size_t at = 0;
    const cJSON *node;
    cJSON_ArrayForEach (node, ctx->nodes) {
        const struct node_fact *f = fact_at(facts, at++, node);
        const char *name = f ? f->name : meta_name(node);
        if (!name || count == cap || (ctx->current_node && strcmp(name, ctx->current_node) == 0) ||
            (f && !f->runs_vms))
            continue;
        struct label_index ix;
        label_index_init_cached(&ix, node, &cache);
        struct node_fact found;
        if (!f) {
            node_fact(node, &ix, &found);
            f = &found;
        }
        if (f->runs_vms) {
            struct judged *c = &j[count++];
            c->node = node;
            c->name = name;
            step = c->step = judge_labels(ctx, node, f, &ix, true, reasons ? &c->reason : NULL);
        }
        label_index_free(&ix);
        if (step < 0 || (step == 0 && until_eligible))
            break;
    }
    label_index_cache_free(&cache);
    if (step < 0) {
        judged_free(j, count);
        *out = NULL;
        return -1;
    }
    size_t sorted = 1; /* a view's list is often in name order already (the API server's is) */
    while (sorted < count && compare_judged(&j[sorted - 1], &j[sorted]) <= 0)
        sorted++;
    if (sorted < count)
        qsort(j, count, sizeof(*j), compare_judged);
    return (long)count;
}

/* The judged candidates as node checks: the first `named` names copied, reasons moved.  0, or -1
 * when out of memory (everything freed). */
static int to_checks(struct judged *j, size_t count, size_t named, struct node_check **out,
                     size_t *n)
{
    struct node_check *checks = count ? calloc(count, sizeof(*checks)) : NULL;
    bool nomem = count && !checks;
    for (size_t i = 0; i < count && !nomem; i++) {
        checks[i].step = j[i].step;
        checks[i].reason = j[i].reason;
        j[i].reason = NULL;
        nomem = i < named && !(checks[i].name = strdup(j[i].name));
    }
    judged_free(j, count);
    if (nomem) {
        node_checks_free(checks, count);
        return -1;
    }
    *out = checks;
    *n = count;
    return 0;
}

int target_node_candidates(const struct migration_ctx *ctx, struct node_check **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    struct judged *j;
    long count = judge_candidates(ctx, true, false, &j);
    return count < 0 ? -1 : to_checks(j, (size_t)count, (size_t)count, out, n);
}

int target_node_any_candidate(const struct migration_ctx *ctx, size_t listed,
                              struct node_check **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    struct judged *j;
    long count = judge_candidates(ctx, false, true, &j);
    if (count < 0)
        return -1;
    for (size_t i = 0; i < (size_t)count; i++)
        if (j[i].step == 0) {
            judged_free(j, (size_t)count);
            return 1;
        }
    /* only the listed ones are told: judged again, with their reasons */
    for (size_t i = 0; i < (size_t)count && i < listed; i++)
        if ((j[i].step = check_node(ctx, j[i].node, j[i].name, true, &j[i].reason)) < 0) {
            judged_free(j, (size_t)count);
            return -1;
        }
    return to_checks(j, (size_t)count, listed, out, n);
}

void node_checks_free(struct node_check *checks, size_t n)
{
    for (size_t i = 0; i < n && checks; i++) {
        free(checks[i].name);
        free(checks[i].reason);
    }
    free(checks);
}
