/*
 * rules/target_node.c - target node eligibility (docs/rules.md#node-eligibility) and the CPU
 * requirement of a migration (docs/rules.md#node-eligibility step 5,
 * docs/cpu-models.md#target-pod-selectors).
 *
 * migration_ctx_init() reads everything from the cluster view once: the
 * nodes, the CPU model in force, the source node and launcher pod, the
 * NetworkAttachmentDefinitions, and derives from them the requirements R of
 * the target pod (rules/requirements.c).  After that every check is a pure
 * function of the context and a node, so the target-node rule, the no-target
 * rule and the `check` command's candidate list all give the same answer.
 * A node is judged against R in the order of docs/rules.md (target-node):
 * exists, schedulable VM node and taints vs R's tolerations, R's scheduling
 * rules, cluster networks, R's hardware keys.
 */
#include "rules/target_node.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/affinity.h"

/* ------------------------------------------------------------ helpers */

static const cJSON *field(const cJSON *obj, const char *name)
{
    return cJSON_GetObjectItemCaseSensitive(obj, name);
}

static const char *string_field(const cJSON *obj, const char *name)
{
    const cJSON *v = field(obj, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static const char *nonempty(const char *s)
{
    return s && *s ? s : NULL;
}

static bool label_is_true(const cJSON *obj, const char *key)
{
    const char *v = object_label(obj, key);
    return v && strcmp(v, "true") == 0;
}

static int push_string(char ***list, size_t *n, const char *s)
{
    char *copy = strdup(s);
    char **grown = copy ? realloc(*list, (*n + 1) * sizeof(**list)) : NULL;
    if (!grown) {
        free(copy);
        return -1;
    }
    *list = grown;
    (*list)[(*n)++] = copy;
    return 0;
}

static int push_prefixed(char ***list, size_t *n, const char *prefix, const char *s)
{
    char *joined;
    if (asprintf(&joined, "%s%s", prefix, s) < 0)
        return -1;
    int rc = push_string(list, n, joined);
    free(joined);
    return rc;
}

static bool list_contains(char *const *list, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], s) == 0)
            return true;
    return false;
}

static void free_strings(char **list, size_t n)
{
    if (!list)
        return;
    for (size_t i = 0; i < n; i++)
        free(list[i]);
    free(list);
}

static const cJSON *find_node(const cJSON *nodes, const char *name)
{
    const cJSON *node;
    if (!name)
        return NULL;
    cJSON_ArrayForEach (node, nodes) {
        const char *n = object_name(node);
        if (n && strcmp(n, name) == 0)
            return node;
    }
    return NULL;
}

/* --------------------------------------------------- the CPU requirement */

/* The model in force: VMI spec.domain.cpu.model, else the first KubeVirt CR's cpuModel, else
 * host-model. */
static enum cv_result find_cpu_model(struct migration_ctx *ctx, const struct cluster_view *view,
                                     struct cv_scope *scope)
{
    const cJSON *cpu = field(field(field(ctx->vmi, "spec"), "domain"), "cpu");
    const char *model = nonempty(string_field(cpu, "model"));
    enum cpu_model_source source = CPU_FROM_VM;
    if (!model) {
        const cJSON *crs = NULL;
        if (cv_list(view, scope, CV_KUBEVIRT, NULL, NULL, NULL, &crs) == CV_ERROR)
            return CV_ERROR;
        const cJSON *first = cJSON_IsArray(crs) ? cJSON_GetArrayItem(crs, 0) : NULL;
        model = nonempty(string_field(field(field(first, "spec"), "configuration"), "cpuModel"));
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
    const char *uid = nonempty(string_field(field(ctx->vmi, "metadata"), "uid"));
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
    if (ctx->current_node && !(cpu->source_node = strdup(ctx->current_node)))
        return -1;
    const char *vendor = node_cpu_vendor(ctx->source_node);
    if (vendor && !(cpu->vendor = strdup(vendor)))
        return -1;
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
    return push_prefixed(&cpu->keys, &cpu->nkeys, LABEL_CPU_MODEL, cpu->mode);
}

/* ---------------------------------------------------- cluster networks */

/* For each multus network: the cluster network its NAD belongs to (docs/rules.md#node-eligibility
 * step 4). */
static enum cv_result find_cluster_networks(struct migration_ctx *ctx,
                                            const struct cluster_view *view, struct cv_scope *scope)
{
    const cJSON *net;
    int nmultus = 0;
    cJSON_ArrayForEach (net, field(field(ctx->vmi, "spec"), "networks")) {
        const char *ref = nonempty(string_field(field(net, "multus"), "networkName"));
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
        const char *cn = r == CV_OK ? nonempty(object_label(nad, LABEL_CLUSTER_NETWORK)) : NULL;
        if (cn && !list_contains(ctx->cluster_networks, ctx->ncluster_networks, cn) &&
            push_string(&ctx->cluster_networks, &ctx->ncluster_networks, cn) != 0)
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
    ctx->vmi_name = object_name(vmi);
    ctx->current_node = nonempty(string_field(field(vmi, "status"), "nodeName"));
    const cJSON *nodes = NULL;
    if (cv_list(view, scope, CV_NODE, NULL, NULL, NULL, &nodes) == CV_ERROR)
        return CV_ERROR;
    ctx->nodes = nodes;
    ctx->source_node = find_node(nodes, ctx->current_node);
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
    free_strings(ctx->cluster_networks, ctx->ncluster_networks);
    free(ctx->cpu.mode);
    free(ctx->cpu.host_model);
    free(ctx->cpu.source_node);
    free(ctx->cpu.vendor);
    free_strings(ctx->cpu.keys, ctx->cpu.nkeys);
    requirements_free(&ctx->req);
    memset(ctx, 0, sizeof(*ctx));
}

/* ---------------------------------------------------------- eligibility */

static bool has_taint(const cJSON *node, const char *key)
{
    const cJSON *taint;
    cJSON_ArrayForEach (taint, field(field(node, "spec"), "taints")) {
        const char *k = string_field(taint, "key");
        if (k && strcmp(k, key) == 0)
            return true;
    }
    return false;
}

static bool has_annotation(const cJSON *node, const char *key)
{
    const cJSON *annotations = field(field(node, "metadata"), "annotations");
    return cJSON_IsObject(annotations) && field(annotations, key) != NULL;
}

/* docs/rules.md#node-eligibility step 2 but its taint part, in the order of docs/rules.md: the
 * reason, or NULL. */
static const char *unschedulable_reason(const cJSON *node)
{
    if (cJSON_IsTrue(field(field(node, "spec"), "unschedulable")))
        return "is cordoned";
    if (has_taint(node, TAINT_UNREACHABLE))
        return "is unreachable";
    if (has_taint(node, TAINT_UNSCHEDULABLE))
        return "is cordoned";
    if (has_annotation(node, ANNOTATION_MAINTAIN_STATUS) ||
        has_annotation(node, ANNOTATION_DRAIN_REQUESTED))
        return "is in maintenance mode";
    const cJSON *labels = field(field(node, "metadata"), "labels");
    const cJSON *schedulable = cJSON_IsObject(labels) ? field(labels, LABEL_SCHEDULABLE) : NULL;
    if (cJSON_IsString(schedulable) && strcmp(schedulable->valuestring, "false") == 0)
        return "does not accept VMs (kubevirt.io/schedulable=false)";
    if (!schedulable)
        return "does not run VMs (no kubevirt.io/schedulable label)";
    return NULL;
}

int node_is_schedulable(const cJSON *node)
{
    return unschedulable_reason(node) == NULL;
}

bool node_runs_vms(const cJSON *node)
{
    const cJSON *labels = field(field(node, "metadata"), "labels");
    return cJSON_IsObject(labels) && field(labels, LABEL_SCHEDULABLE) != NULL;
}

/* docs/rules.md#node-eligibility step 2, taints: the first NoSchedule/NoExecute taint R does not
 * tolerate, as
 * "<key>[=<value>]:<effect>" (caller frees); NULL when all are tolerated or *nomem. */
static char *untolerated_taint(const struct requirements *r, const cJSON *node, bool *nomem)
{
    const cJSON *taint;
    cJSON_ArrayForEach (taint, field(field(node, "spec"), "taints")) {
        const char *key = string_field(taint, "key");
        const char *effect = string_field(taint, "effect");
        if (!key || !effect || strcmp(key, TAINT_UNREACHABLE) == 0 ||
            strcmp(key, TAINT_UNSCHEDULABLE) == 0 ||
            (strcmp(effect, "NoSchedule") != 0 && strcmp(effect, "NoExecute") != 0))
            continue;
        if (taint_tolerated(taint, r->tolerations))
            continue;
        const char *value = string_field(taint, "value");
        char *text;
        if (asprintf(&text, "%s%s%s:%s", key, value ? "=" : "", value ? value : "", effect) < 0) {
            *nomem = true;
            return NULL;
        }
        return text;
    }
    return NULL;
}

/* The VMI's own kubernetes.io/hostname nodeSelector key: node-pinned reports it, not step 3. */
static bool vmi_pins_hostname(const cJSON *vmi)
{
    return field(field(field(vmi, "spec"), "nodeSelector"), LABEL_HOSTNAME) != NULL;
}

/*
 * docs/rules.md#node-eligibility step 3: R's nodeSelector keys of kind REQ_SCHEDULING in key order
 * (but the VMI's own hostname key and, for a candidate, the addedNodeSelector's hostname key), then
 * R's required node affinity.
 */
static enum match_result scheduling_rules_match(const struct migration_ctx *ctx, const cJSON *node,
                                                bool candidate, char **why)
{
    const struct requirements *r = &ctx->req;
    bool pinned = vmi_pins_hostname(ctx->vmi);
    *why = NULL;
    for (size_t i = 0; i < r->nlabels; i++) {
        const struct req_label *l = &r->labels[i];
        if (l->kind != REQ_SCHEDULING)
            continue;
        bool hostname = strcmp(l->key, LABEL_HOSTNAME) == 0;
        if (hostname && (pinned || (candidate && l->origin == REQ_FROM_VMIM)))
            continue;
        const char *have = object_label(node, l->key);
        if (have && strcmp(have, l->value) == 0)
            continue;
        return asprintf(why, "(%s In %s)", l->key, l->value) < 0 ? (*why = NULL, MATCH_NOMEM)
                                                                 : MATCH_NO;
    }
    return node_selector_match(r->affinity, node, why);
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
        return asprintf(why, "has CPU vendor %s; the VM runs on %s", have ? have : "unknown", name);
    }
    case REQ_CPU_MODEL:
        return asprintf(why, "does not support CPU model %s", name);
    case REQ_HOST_MODEL:
        return asprintf(why, "does not support host CPU model %s of node %s", name, source);
    case REQ_HOST_MODEL_FEATURE:
        if (ctx->req.host_model_cpu)
            return asprintf(why, "lacks CPU feature %s required by host CPU model %s", name,
                            ctx->req.host_model_cpu);
        return asprintf(why, "lacks CPU feature %s required by the host CPU model of node %s", name,
                        source);
    case REQ_FEATURE:
        return asprintf(why, "lacks CPU feature %s required by the VM", name);
    case REQ_MACHINE_TYPE:
        return asprintf(why, "does not support machine type %s", name);
    case REQ_CPUMANAGER:
        return asprintf(why, "has no CPU manager for dedicated CPUs (cpumanager=true)");
    case REQ_TSC:
        return asprintf(why, "does not have the VM's TSC frequency %s",
                        l->key + strlen(LABEL_TSC_FREQUENCY));
    default:
        return asprintf(why, "(%s In %s)", l->key, l->value);
    }
}

/* docs/rules.md#node-eligibility step 5: R's hardware keys by kind in the listed order, keys of a
 * kind sorted.  0 when the node fits, 1 with *why, -1 when out of memory. */
static int hardware_mismatch(const struct migration_ctx *ctx, const cJSON *node, char **why)
{
    static const enum req_kind order[] = {
        REQ_VENDOR,  REQ_CPU_MODEL,    REQ_HOST_MODEL, REQ_HOST_MODEL_FEATURE,
        REQ_FEATURE, REQ_MACHINE_TYPE, REQ_CPUMANAGER, REQ_TSC};
    const struct requirements *r = &ctx->req;
    *why = NULL;
    for (size_t k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
        if (order[k] == REQ_HOST_MODEL && r->host_model && r->host_model_unknown)
            return asprintf(why,
                            "cannot take a host-model VM from node \"%s\", which has no "
                            "host-model-cpu.node.kubevirt.io label",
                            ctx->current_node ? ctx->current_node : "") < 0
                       ? (*why = NULL, -1)
                       : 1;
        for (size_t i = 0; i < r->nlabels; i++) {
            const struct req_label *l = &r->labels[i];
            if (l->kind != order[k])
                continue;
            const char *have = object_label(node, l->key);
            if (have && strcmp(have, l->value) == 0)
                continue;
            return hardware_reason(ctx, l, node, why) < 0 ? (*why = NULL, -1) : 1;
        }
    }
    return 0;
}

/* docs/rules.md#node-eligibility for `node` (named `node_name`, NULL when no such node): the first
 * failing step; -1 when out of memory.  A candidate is judged without the addedNodeSelector's
 * hostname key. */
static int check_node(const struct migration_ctx *ctx, const cJSON *node, const char *node_name,
                      bool candidate, char **reason)
{
    *reason = NULL;
    if (!node)
        return (*reason = strdup("does not exist")) ? 1 : -1;
    if (ctx->current_node && strcmp(node_name, ctx->current_node) == 0)
        return (*reason = strdup("is the node it runs on")) ? 1 : -1;
    const char *unschedulable = unschedulable_reason(node);
    if (unschedulable)
        return (*reason = strdup(unschedulable)) ? 2 : -1;
    bool nomem = false;
    char *taint = untolerated_taint(&ctx->req, node, &nomem);
    if (nomem)
        return -1;
    if (taint) {
        int rc = asprintf(reason, "has taint %s, which the VM does not tolerate", taint);
        free(taint);
        return rc < 0 ? (*reason = NULL, -1) : 2;
    }
    char *why = NULL;
    enum match_result m = scheduling_rules_match(ctx, node, candidate, &why);
    if (m == MATCH_NOMEM)
        return -1;
    if (m == MATCH_NO) {
        int rc = asprintf(reason, "does not match the VM's scheduling rules %s", why);
        free(why);
        return rc < 0 ? (*reason = NULL, -1) : 3;
    }
    for (size_t i = 0; i < ctx->ncluster_networks; i++) {
        char *key;
        if (asprintf(&key, "%s%s", LABEL_NETWORK_PREFIX, ctx->cluster_networks[i]) < 0)
            return -1;
        bool attached = label_is_true(node, key);
        free(key);
        if (!attached)
            return asprintf(reason, "is not attached to cluster network %s",
                            ctx->cluster_networks[i]) < 0
                       ? (*reason = NULL, -1)
                       : 4;
    }
    int hw = hardware_mismatch(ctx, node, reason);
    return hw < 0 ? -1 : hw ? 5 : 0;
}

/* The first failing step and its reason; -1 when out of memory. */
int target_node_check(const struct migration_ctx *ctx, const char *node_name, char **reason)
{
    return check_node(ctx, find_node(ctx->nodes, node_name), node_name, false, reason);
}

static int compare_checks(const void *a, const void *b)
{
    return strcmp(((const struct node_check *)a)->name, ((const struct node_check *)b)->name);
}

int target_node_candidates(const struct migration_ctx *ctx, struct node_check **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    size_t cap = (size_t)cJSON_GetArraySize(ctx->nodes);
    struct node_check *checks = cap ? calloc(cap, sizeof(*checks)) : NULL;
    if (cap && !checks)
        return -1;
    size_t count = 0;
    const cJSON *node;
    cJSON_ArrayForEach (node, ctx->nodes) {
        const char *name = object_name(node);
        if (!name || count == cap || !node_runs_vms(node) ||
            (ctx->current_node && strcmp(name, ctx->current_node) == 0))
            continue;
        struct node_check *c = &checks[count++];
        c->name = strdup(name);
        c->step = c->name ? check_node(ctx, node, name, true, &c->reason) : -1;
        if (c->step < 0) {
            node_checks_free(checks, count);
            return -1;
        }
    }
    if (count > 1)
        qsort(checks, count, sizeof(*checks), compare_checks);
    *out = checks;
    *n = count;
    return 0;
}

void node_checks_free(struct node_check *checks, size_t n)
{
    for (size_t i = 0; i < n && checks; i++) {
        free(checks[i].name);
        free(checks[i].reason);
    }
    free(checks);
}

/* ----------------------------------------------------------------- rules */

const char *picked_target_node(const cJSON *vmim, const cJSON *vmi)
{
    const cJSON *added = field(field(vmim, "spec"), "addedNodeSelector");
    const char *node = nonempty(string_field(added, LABEL_HOSTNAME));
    if (node)
        return node;
    return nonempty(
        string_field(field(field(vmi, "metadata"), "annotations"), ANNOTATION_TARGET_NODE));
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

static bool verdict_has_finding(const struct verdict *v, enum rule_id rule)
{
    for (size_t i = 0; i < v->nfindings; i++)
        if (v->findings[i].rule == rule)
            return true;
    return false;
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
    if (verdict_has_finding(out, RULE_TARGET_NODE))
        return;
    struct node_check *checks = NULL;
    size_t n = 0;
    if (target_node_candidates(ctx, &checks, &n) != 0) {
        verdict_view_error(out, "out of memory");
        return;
    }
    bool cpu_only = false;
    for (size_t i = 0; i < n; i++) {
        if (checks[i].step == 0) {
            node_checks_free(checks, n);
            return;
        }
        cpu_only = cpu_only || checks[i].step == 5;
    }
    char *reasons = per_node_reasons(checks, n);
    char *models = NULL;
    bool advice = cpu_only && ctx->req.host_model && ctx->req.host_model_cpu;
    if (advice)
        models = common_cpu_models(ctx->nodes);
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
    free(models);
    node_checks_free(checks, n);
}
