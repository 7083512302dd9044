/*
 * rules/target_node.c - target node eligibility (SPEC §4) and the CPU
 * requirement of a migration (SPEC §4 step 5, §5).
 *
 * migration_ctx_init() reads everything from the cluster view once: the
 * nodes, the CPU model in force, the source node and launcher pod, the
 * NetworkAttachmentDefinitions.  After that every check is a pure function of
 * the context and a node, so the target-node rule, the no-target rule and the
 * `check` command's candidate list all give the same answer.
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

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
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

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
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

/* The VMI's launcher pod on its node, in phase Running, or NULL. */
static enum cv_result find_source_pod(const struct migration_ctx *ctx,
                                      const struct cluster_view *view, struct cv_scope *scope,
                                      const cJSON **out)
{
    *out = NULL;
    const char *uid = nonempty(string_field(field(ctx->vmi, "metadata"), "uid"));
    if (!uid || !ctx->current_node)
        return CV_OK;
    const cJSON *pods = NULL;
    if (cv_list(view, scope, CV_POD, ctx->ns, LABEL_CREATED_BY, uid, &pods) == CV_ERROR)
        return CV_ERROR;
    const cJSON *pod;
    cJSON_ArrayForEach (pod, pods) {
        const char *phase = string_field(field(pod, "status"), "phase");
        const char *node = string_field(field(pod, "spec"), "nodeName");
        if (phase && strcmp(phase, "Running") == 0 && node &&
            strcmp(node, ctx->current_node) == 0) {
            *out = pod;
            return CV_OK;
        }
    }
    return CV_OK;
}

/* The VM migrated before: its source pod's cpu-model-migration / cpu-feature selectors are the
 * requirement. */
static int copy_source_pod_keys(struct cpu_requirement *cpu, const cJSON *pod)
{
    const cJSON *item;
    cJSON_ArrayForEach (item, field(field(pod, "spec"), "nodeSelector")) {
        const char *key = item->string;
        if (!key ||
            !(starts_with(key, LABEL_CPU_MODEL_MIGRATION) || starts_with(key, LABEL_CPU_FEATURE)))
            continue;
        if (cpu->nkeys >= CPU_REQ_MAX_KEYS)
            break;
        if (list_contains(cpu->keys, cpu->nkeys, key))
            continue;
        if (push_string(&cpu->keys, &cpu->nkeys, key) != 0)
            return -1;
        if (!cpu->host_model && starts_with(key, LABEL_CPU_MODEL_MIGRATION) &&
            !(cpu->host_model = strdup(key + strlen(LABEL_CPU_MODEL_MIGRATION))))
            return -1;
    }
    return 0;
}

/* The first host-model label of `node` whose value is "true": H, borrowed. */
static const char *node_host_model(const cJSON *node)
{
    const cJSON *item;
    cJSON_ArrayForEach (item, field(field(node, "metadata"), "labels"))
        if (item->string && starts_with(item->string, LABEL_HOST_MODEL_CPU) &&
            cJSON_IsString(item) && strcmp(item->valuestring, "true") == 0 &&
            item->string[strlen(LABEL_HOST_MODEL_CPU)])
            return item->string + strlen(LABEL_HOST_MODEL_CPU);
    return NULL;
}

/* cpu-model-migration.…/<H>, then cpu-feature.…/<f> for each required feature, sorted. */
static int host_model_keys_from_node(struct cpu_requirement *cpu, const cJSON *node)
{
    if (push_prefixed(&cpu->keys, &cpu->nkeys, LABEL_CPU_MODEL_MIGRATION, cpu->host_model) != 0)
        return -1;
    char **features = NULL;
    size_t nfeatures = 0;
    const cJSON *item;
    cJSON_ArrayForEach (item, field(field(node, "metadata"), "labels")) {
        const char *key = item->string;
        if (!key || !starts_with(key, LABEL_HOST_MODEL_REQUIRED_FEATURES) ||
            !cJSON_IsString(item) || strcmp(item->valuestring, "true") != 0 ||
            !key[strlen(LABEL_HOST_MODEL_REQUIRED_FEATURES)])
            continue;
        const char *f = key + strlen(LABEL_HOST_MODEL_REQUIRED_FEATURES);
        if (nfeatures + 1 >= CPU_REQ_MAX_KEYS)
            break;
        if (!list_contains(features, nfeatures, f) && push_string(&features, &nfeatures, f) != 0) {
            free_strings(features, nfeatures);
            return -1;
        }
    }
    if (nfeatures > 1)
        qsort(features, nfeatures, sizeof(*features), compare_strings);
    int rc = 0;
    for (size_t i = 0; i < nfeatures && rc == 0; i++)
        rc = push_prefixed(&cpu->keys, &cpu->nkeys, LABEL_CPU_FEATURE, features[i]);
    free_strings(features, nfeatures);
    return rc;
}

static enum cv_result find_host_model_requirement(struct migration_ctx *ctx,
                                                  const struct cluster_view *view,
                                                  struct cv_scope *scope)
{
    struct cpu_requirement *cpu = &ctx->cpu;
    const cJSON *pod = NULL;
    if (find_source_pod(ctx, view, scope, &pod) == CV_ERROR)
        return CV_ERROR;
    const cJSON *source = find_node(ctx->nodes, ctx->current_node);
    if (copy_source_pod_keys(cpu, pod) != 0)
        return cv_scope_fail(scope, "out of memory");
    if (cpu->nkeys > 0) {
        cpu->kind = CPU_REQ_HOST_MODEL;
        cpu->from_source_pod = true;
        const char *h = node_host_model(source);
        if (!cpu->host_model && h && !(cpu->host_model = strdup(h)))
            return cv_scope_fail(scope, "out of memory");
        return CV_OK;
    }
    const char *h = node_host_model(source);
    if (!h)
        return CV_OK; /* unknown host model: no CPU constraint */
    cpu->kind = CPU_REQ_HOST_MODEL;
    if (!(cpu->host_model = strdup(h)) || host_model_keys_from_node(cpu, source) != 0)
        return cv_scope_fail(scope, "out of memory");
    return CV_OK;
}

static enum cv_result find_cpu_requirement(struct migration_ctx *ctx,
                                           const struct cluster_view *view, struct cv_scope *scope)
{
    struct cpu_requirement *cpu = &ctx->cpu;
    if (find_cpu_model(ctx, view, scope) == CV_ERROR)
        return CV_ERROR;
    if (ctx->current_node && !(cpu->source_node = strdup(ctx->current_node)))
        return cv_scope_fail(scope, "out of memory");
    if (strcmp(cpu->mode, CPU_MODE_HOST_PASSTHROUGH) == 0)
        return CV_OK;
    if (strcmp(cpu->mode, CPU_MODE_HOST_MODEL) == 0)
        return find_host_model_requirement(ctx, view, scope);
    cpu->kind = CPU_REQ_MODEL;
    if (push_prefixed(&cpu->keys, &cpu->nkeys, LABEL_CPU_MODEL, cpu->mode) != 0)
        return cv_scope_fail(scope, "out of memory");
    return CV_OK;
}

/* ---------------------------------------------------- cluster networks */

/* For each multus network: the cluster network its NAD belongs to (§4 step 4). */
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
    if (find_cpu_requirement(ctx, view, scope) == CV_ERROR)
        return CV_ERROR;
    return find_cluster_networks(ctx, view, scope);
}

void migration_ctx_free(struct migration_ctx *ctx)
{
    free_strings(ctx->cluster_networks, ctx->ncluster_networks);
    free(ctx->cpu.mode);
    free(ctx->cpu.host_model);
    free(ctx->cpu.source_node);
    free_strings(ctx->cpu.keys, ctx->cpu.nkeys);
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

/* §4 step 2 in the order of SPEC §12: the reason, or NULL when schedulable. */
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
    const char *schedulable = object_label(node, LABEL_SCHEDULABLE);
    if (schedulable && strcmp(schedulable, "false") == 0)
        return "does not accept VMs (kubevirt.io/schedulable=false)";
    return NULL;
}

int node_is_schedulable(const cJSON *node)
{
    return unschedulable_reason(node) == NULL;
}

/* §4 step 5: the reason `node` cannot run the VM's CPU, NULL when it can (or out of memory:
 * *nomem). */
static char *cpu_mismatch(const struct cpu_requirement *cpu, const cJSON *node, bool *nomem)
{
    char *why = NULL;
    int rc = 0;
    for (size_t i = 0; i < cpu->nkeys && !why; i++) {
        const char *key = cpu->keys[i];
        if (label_is_true(node, key))
            continue;
        const char *source = cpu->source_node ? cpu->source_node : "";
        if (cpu->kind == CPU_REQ_MODEL)
            rc = asprintf(&why, "does not support CPU model %s", cpu->mode);
        else if (starts_with(key, LABEL_CPU_MODEL_MIGRATION))
            rc = asprintf(&why, "does not support host CPU model %s of node %s",
                          key + strlen(LABEL_CPU_MODEL_MIGRATION), source);
        else if (cpu->host_model)
            rc = asprintf(&why, "lacks CPU feature %s required by host CPU model %s",
                          key + strlen(LABEL_CPU_FEATURE), cpu->host_model);
        else
            rc = asprintf(&why, "lacks CPU feature %s required by the host CPU model of node %s",
                          key + strlen(LABEL_CPU_FEATURE), source);
        if (rc < 0) {
            why = NULL;
            *nomem = true;
            return NULL;
        }
    }
    return why;
}

/* §4 for `node` (named `node_name`, NULL when no such node): the first failing step; -1 when out of
 * memory. */
static int check_node(const struct migration_ctx *ctx, const cJSON *node, const char *node_name,
                      char **reason)
{
    *reason = NULL;
    if (!node)
        return (*reason = strdup("does not exist")) ? 1 : -1;
    if (ctx->current_node && strcmp(node_name, ctx->current_node) == 0)
        return (*reason = strdup("is the node it runs on")) ? 1 : -1;
    const char *unschedulable = unschedulable_reason(node);
    if (unschedulable)
        return (*reason = strdup(unschedulable)) ? 2 : -1;
    char *why = NULL;
    enum match_result m = vmi_scheduling_rules_match(ctx->vmi, node, &why);
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
    bool nomem = false;
    *reason = cpu_mismatch(&ctx->cpu, node, &nomem);
    if (nomem)
        return -1;
    return *reason ? 5 : 0;
}

/* The first failing step and its reason; -1 when out of memory. */
int target_node_check(const struct migration_ctx *ctx, const char *node_name, char **reason)
{
    return check_node(ctx, find_node(ctx->nodes, node_name), node_name, reason);
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
        if (!name || count == cap || (ctx->current_node && strcmp(name, ctx->current_node) == 0))
            continue;
        struct node_check *c = &checks[count++];
        c->name = strdup(name);
        c->step = c->name ? check_node(ctx, node, name, &c->reason) : -1;
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

/* ------------------------------------------------------ common CPU models */

/*
 * The distinct models M of the labels cpu-model.node.kubevirt.io/<M>=true of
 * `node`, in label order (borrowed from the labels); -1 when out of memory.
 */
static int models_of_node(const cJSON *node, const char ***models, size_t *n)
{
    *models = NULL;
    *n = 0;
    const cJSON *labels = field(field(node, "metadata"), "labels"), *label;
    size_t cap = (size_t)cJSON_GetArraySize(labels);
    if (cap && !(*models = malloc(cap * sizeof(**models))))
        return -1;
    cJSON_ArrayForEach (label, labels) {
        const char *key = label->string;
        if (!key || !starts_with(key, LABEL_CPU_MODEL) || !key[strlen(LABEL_CPU_MODEL)] ||
            !cJSON_IsString(label) || strcmp(label->valuestring, "true") != 0)
            continue;
        const char *model = key + strlen(LABEL_CPU_MODEL);
        bool known = false;
        for (size_t i = 0; i < *n && !known; i++)
            known = strcmp((*models)[i], model) == 0;
        if (!known && *n < cap)
            (*models)[(*n)++] = model;
    }
    return 0;
}

/*
 * Clears present[i] for each model the node does not carry as "true".  One
 * walk over the labels; like a lookup by key, only the first label with a
 * given key counts and the walk ends at the first unnamed item.
 */
static void keep_models_of_node(const cJSON *node, const char *const *models, size_t n,
                                bool *present, bool *decided)
{
    memset(decided, 0, n * sizeof(*decided));
    const cJSON *label;
    cJSON_ArrayForEach (label, field(field(node, "metadata"), "labels")) {
        if (!label->string)
            break;
        if (!starts_with(label->string, LABEL_CPU_MODEL))
            continue;
        const char *model = label->string + strlen(LABEL_CPU_MODEL);
        for (size_t i = 0; i < n; i++) {
            if (decided[i] || strcmp(models[i], model) != 0)
                continue;
            decided[i] = true;
            if (!(cJSON_IsString(label) && strcmp(label->valuestring, "true") == 0))
                present[i] = false;
            break;
        }
    }
    for (size_t i = 0; i < n; i++)
        if (!decided[i])
            present[i] = false;
}

/* "A, B, C" of the models whose `keep` is set, sorted; "none" when there are none.  Caller frees.
 */
static char *join_sorted_models(const char **models, size_t n, const bool *keep)
{
    size_t kept = 0, len = 1;
    for (size_t i = 0; i < n; i++)
        if (keep[i]) {
            models[kept++] = models[i];
            len += strlen(models[i]) + 2;
        }
    if (kept == 0)
        return strdup("none");
    qsort(models, kept, sizeof(*models), compare_strings);
    char *out = malloc(len), *p = out;
    for (size_t i = 0; out && i < kept; i++)
        p = stpcpy(p == out ? p : stpcpy(p, ", "), models[i]);
    return out;
}

/*
 * The models of the first schedulable node, kept when every schedulable node
 * carries them too: one walk over each node's labels.
 */
char *common_cpu_models(const cJSON *nodes)
{
    const cJSON *first = NULL, *node;
    cJSON_ArrayForEach (node, nodes)
        if (node_is_schedulable(node)) {
            first = node;
            break;
        }
    const char **models = NULL;
    size_t n = 0;
    if (models_of_node(first, &models, &n) != 0)
        return NULL;
    bool *present = n ? malloc(n * sizeof(*present)) : NULL;
    bool *decided = n ? malloc(n * sizeof(*decided)) : NULL;
    char *out = NULL;
    if (n == 0 || (present && decided)) {
        for (size_t i = 0; i < n; i++)
            present[i] = true;
        for (node = first; node && n; node = node->next)
            if (node_is_schedulable(node))
                keep_models_of_node(node, models, n, present, decided);
        out = join_sorted_models(models, n, present);
    }
    free(present);
    free(decided);
    free(models);
    return out;
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

void rules_target_node(const struct migration_ctx *ctx, const cJSON *vmim, struct verdict *out)
{
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
    bool advice = cpu_only && ctx->cpu.kind == CPU_REQ_HOST_MODEL && ctx->cpu.host_model;
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
            reasons, ctx->cpu.host_model, models);
    else
        verdict_add(out, RULE_NO_TARGET, "no other node can run it: %s", reasons);
    free(reasons);
    free(models);
    node_checks_free(checks, n);
}
