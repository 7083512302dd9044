/*
 * rules/requirements.c - the requirements R of a migration target pod.
 *
 * R's nodeSelector is kept as one sorted array of labels (key, value, kind,
 * origin): the target-node steps walk it in key order, and `check` prints it
 * as it is.  Adding a key that is already there keeps the first value, which
 * is how KubeVirt merges the addedNodeSelector under the rendered selector.
 */
#include "rules/requirements.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/object.h"
#include "kube/text.h"
#include "rules/affinity.h"
#include "rules/target_node.h"

/* ------------------------------------------------------------ helpers */

static bool is_true(const cJSON *v)
{
    return cJSON_IsString(v) && strcmp(v->valuestring, "true") == 0;
}

/* Whether `s` is among keys[from..n-1]. */
static bool listed(char *const *keys, size_t from, size_t n, const char *s)
{
    for (size_t i = from; i < n; i++)
        if (strcmp(keys[i], s) == 0)
            return true;
    return false;
}

const char *req_origin_name(enum req_origin origin)
{
    switch (origin) {
    case REQ_FROM_SOURCE_POD:
        return "source pod";
    case REQ_FROM_VMI:
        return "VMI";
    case REQ_FROM_VMIM:
        return "VMIM";
    default:
        return "source node";
    }
}

/* ---------------------------------------------------------- the labels */

static enum req_kind kind_of(const char *key, bool host_model)
{
    if (text_starts_with(key, LABEL_CPU_VENDOR))
        return REQ_VENDOR;
    if (text_starts_with(key, LABEL_CPU_MODEL_MIGRATION))
        return REQ_HOST_MODEL;
    if (text_starts_with(key, LABEL_CPU_MODEL))
        return REQ_CPU_MODEL;
    if (text_starts_with(key, LABEL_CPU_FEATURE))
        return host_model ? REQ_HOST_MODEL_FEATURE : REQ_FEATURE;
    if (text_starts_with(key, LABEL_MACHINE_TYPE))
        return REQ_MACHINE_TYPE;
    if (strcmp(key, LABEL_CPUMANAGER) == 0)
        return REQ_CPUMANAGER;
    if (text_starts_with(key, LABEL_TSC_FREQUENCY))
        return REQ_TSC;
    return REQ_SCHEDULING;
}

/* Index of `key` in r->labels, or where it would go (*found false). */
static size_t find_index(const struct requirements *r, const char *key, bool *found)
{
    size_t lo = 0, hi = r->nlabels;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(r->labels[mid].key, key);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

const struct req_label *requirements_label(const struct requirements *r, const char *key)
{
    bool found;
    size_t i = find_index(r, key, &found);
    return found ? &r->labels[i] : NULL;
}

/* Adds key=value unless the key is there (or R is full).  0, or -1 when out of memory. */
static int add_label(struct requirements *r, const char *key, const char *value,
                     enum req_origin origin)
{
    bool found;
    size_t at = find_index(r, key, &found);
    if (found || r->nlabels >= REQ_MAX_LABELS)
        return 0;
    struct req_label *grown = realloc(r->labels, (r->nlabels + 1) * sizeof(*grown));
    if (!grown)
        return -1;
    r->labels = grown;
    struct req_label l = {
        .key = strdup(key),
        .value = strdup(value),
        .kind = kind_of(key, r->host_model),
        .origin = origin,
    };
    if (!l.key || !l.value) {
        free(l.key);
        free(l.value);
        return -1;
    }
    memmove(&r->labels[at + 1], &r->labels[at], (r->nlabels - at) * sizeof(*grown));
    r->labels[at] = l;
    r->nlabels++;
    return 0;
}

/* Adds <prefix><name>=true, as add_label. */
static int add_true_label(struct requirements *r, const char *prefix, const char *name,
                          enum req_origin origin)
{
    char *key = text_join(prefix, name);
    int rc = key ? add_label(r, key, "true", origin) : -1;
    free(key);
    return rc;
}

static void remove_kind(struct requirements *r, enum req_kind kind)
{
    size_t kept = 0;
    for (size_t i = 0; i < r->nlabels; i++) {
        if (r->labels[i].kind == kind) {
            free(r->labels[i].key);
            free(r->labels[i].value);
        } else {
            r->labels[kept++] = r->labels[i];
        }
    }
    r->nlabels = kept;
}

static bool has_kind(const struct requirements *r, enum req_kind kind)
{
    for (size_t i = 0; i < r->nlabels; i++)
        if (r->labels[i].kind == kind)
            return true;
    return false;
}

/* ------------------------------------------------------ a: source pod */

/*
 * The source pod's nodeSelector keys that KubeVirt renders from the VMI: the
 * VMI's own nodeSelector keys, kubernetes.io/arch, cpumanager, and every
 * kubevirt.io/<x> or <prefix>.kubevirt.io/<x>.  Anything else (a hostname or
 * zone an earlier migration's addedNodeSelector left there) is not rendered
 * again for the next target pod.
 */
static bool rendered_from_vmi(const char *key, const cJSON *vmi_selector)
{
    if (cJSON_IsObject(vmi_selector) && obj_get(vmi_selector, key))
        return true;
    if (strcmp(key, LABEL_ARCH) == 0 || strcmp(key, LABEL_CPUMANAGER) == 0)
        return true;
    const char *slash = strchr(key, '/');
    if (!slash)
        return false;
    size_t prefix = (size_t)(slash - key);
    static const char domain[] = "kubevirt.io";
    size_t dlen = sizeof(domain) - 1;
    if (prefix == dlen && strncmp(key, domain, dlen) == 0)
        return true;
    return prefix > dlen + 1 && key[prefix - dlen - 1] == '.' &&
           strncmp(key + prefix - dlen, domain, dlen) == 0;
}

static int copy_json(cJSON **dst, const cJSON *src)
{
    *dst = cJSON_Duplicate(src, true);
    return *dst ? 0 : -1;
}

/* The required node affinity and the tolerations of the pod spec or VMI spec `spec`. */
static int copy_scheduling(struct requirements *r, const cJSON *spec, enum req_origin origin)
{
    const cJSON *required = obj_get(obj_get(obj_get(spec, "affinity"), "nodeAffinity"),
                                    "requiredDuringSchedulingIgnoredDuringExecution");
    if (cJSON_IsObject(required) && copy_json(&r->affinity, required) != 0)
        return -1;
    r->affinity_origin = origin;
    const cJSON *tolerations = obj_get(spec, "tolerations");
    if (cJSON_IsArray(tolerations) && copy_json(&r->tolerations, tolerations) != 0)
        return -1;
    r->tolerations_origin = origin;
    return 0;
}

static int from_source_pod(struct requirements *r, const cJSON *pod, const cJSON *vmi)
{
    const cJSON *spec = obj_get(pod, "spec");
    const cJSON *vmi_selector = obj_get(obj_get(vmi, "spec"), "nodeSelector");
    const cJSON *item;
    cJSON_ArrayForEach (item, obj_get(spec, "nodeSelector")) {
        if (!item->string || !cJSON_IsString(item) ||
            !rendered_from_vmi(item->string, vmi_selector))
            continue;
        if (add_label(r, item->string, item->valuestring, REQ_FROM_SOURCE_POD) != 0)
            return -1;
    }
    if (copy_scheduling(r, spec, REQ_FROM_SOURCE_POD) != 0)
        return -1;
    const char *name = obj_nonempty(obj_get(pod, "metadata"), "name");
    r->source_pod = strdup(name ? name : "");
    return r->source_pod ? 0 : -1;
}

/* ---------------------------------------------------------- a: the VMI */

/* KubeVirt's host-model term: node-labeller.kubevirt.io/obsolete-host-model DoesNotExist in every
 * term of the required affinity (one term of its own when there is none). */
static int add_obsolete_host_model_term(struct requirements *r)
{
    cJSON *expr = cJSON_CreateObject();
    if (!expr || !cJSON_AddStringToObject(expr, "key", LABEL_OBSOLETE_HOST_MODEL) ||
        !cJSON_AddStringToObject(expr, "operator", "DoesNotExist")) {
        cJSON_Delete(expr);
        return -1;
    }
    if (!r->affinity && !(r->affinity = cJSON_CreateObject())) {
        cJSON_Delete(expr);
        return -1;
    }
    cJSON *terms = cJSON_GetObjectItemCaseSensitive(r->affinity, "nodeSelectorTerms");
    if (!cJSON_IsArray(terms) || cJSON_GetArraySize(terms) == 0) {
        cJSON_DeleteItemFromObjectCaseSensitive(r->affinity, "nodeSelectorTerms");
        terms = cJSON_AddArrayToObject(r->affinity, "nodeSelectorTerms");
        cJSON *term = cJSON_CreateObject();
        if (!terms || !term || !cJSON_AddItemToArray(terms, term)) {
            cJSON_Delete(term);
            cJSON_Delete(expr);
            return -1;
        }
    }
    cJSON *term;
    int rc = 0;
    cJSON_ArrayForEach (term, terms) {
        if (!cJSON_IsObject(term))
            continue;
        cJSON *exprs = cJSON_GetObjectItemCaseSensitive(term, "matchExpressions");
        if (!cJSON_IsArray(exprs)) {
            cJSON_DeleteItemFromObjectCaseSensitive(term, "matchExpressions");
            exprs = cJSON_AddArrayToObject(term, "matchExpressions");
        }
        cJSON *copy = cJSON_Duplicate(expr, true);
        if (!exprs || !copy || !cJSON_AddItemToArray(exprs, copy)) {
            cJSON_Delete(copy);
            rc = -1;
            break;
        }
    }
    cJSON_Delete(expr);
    return rc;
}

static int from_vmi(struct requirements *r, const cJSON *vmi, const char *cpu_mode)
{
    const cJSON *spec = obj_get(vmi, "spec");
    if (add_label(r, LABEL_SCHEDULABLE, "true", REQ_FROM_VMI) != 0)
        return -1;
    const cJSON *item;
    cJSON_ArrayForEach (item, obj_get(spec, "nodeSelector"))
        if (item->string && cJSON_IsString(item) &&
            add_label(r, item->string, item->valuestring, REQ_FROM_VMI) != 0)
            return -1;
    const cJSON *cpu = obj_get(obj_get(spec, "domain"), "cpu");
    if (cJSON_IsTrue(obj_get(cpu, "dedicatedCpuPlacement")) &&
        add_label(r, LABEL_CPUMANAGER, "true", REQ_FROM_VMI) != 0)
        return -1;
    bool explicit_model = cpu_mode && strcmp(cpu_mode, CPU_MODE_HOST_MODEL) != 0 &&
                          strcmp(cpu_mode, CPU_MODE_HOST_PASSTHROUGH) != 0;
    if (explicit_model) {
        if (add_true_label(r, LABEL_CPU_MODEL, cpu_mode, REQ_FROM_VMI) != 0)
            return -1;
        const cJSON *feature;
        cJSON_ArrayForEach (feature, obj_get(cpu, "features")) {
            const char *name = obj_nonempty(feature, "name");
            const cJSON *policy = obj_get(feature, "policy");
            bool required = !cJSON_IsString(policy) || !*policy->valuestring ||
                            strcmp(policy->valuestring, "require") == 0;
            if (!name || !required)
                continue;
            if (add_true_label(r, LABEL_CPU_FEATURE, name, REQ_FROM_VMI) != 0)
                return -1;
        }
    }
    if (copy_scheduling(r, spec, REQ_FROM_VMI) != 0)
        return -1;
    return r->host_model ? add_obsolete_host_model_term(r) : 0;
}

/* VMI status.machine.type is what KubeVirt renders the target from. */
static int machine_type_from_status(struct requirements *r, const cJSON *vmi)
{
    const char *type = obj_nonempty(obj_get(obj_get(vmi, "status"), "machine"), "type");
    if (!type)
        return 0;
    remove_kind(r, REQ_MACHINE_TYPE);
    return add_true_label(r, LABEL_MACHINE_TYPE, type, REQ_FROM_VMI);
}

/* ------------------------------------------------------ c: host-model */

/* X of the first label <prefix>X (X not empty) of `node` whose value is "true", borrowed. */
static const char *true_label_suffix(const cJSON *node, const char *prefix)
{
    const cJSON *item;
    size_t plen = strlen(prefix);
    cJSON_ArrayForEach (item, obj_get(obj_get(node, "metadata"), "labels"))
        if (item->string && text_starts_with(item->string, prefix) && is_true(item) &&
            item->string[plen])
            return item->string + plen;
    return NULL;
}

/* The first host-model label of `node` whose value is "true": H, borrowed. */
static const char *node_host_model(const cJSON *node)
{
    return true_label_suffix(node, LABEL_HOST_MODEL_CPU);
}

const char *node_cpu_vendor(const cJSON *node)
{
    return true_label_suffix(node, LABEL_CPU_VENDOR);
}

/* The source pod's cpu-model-migration / cpu-feature keys, in its order. */
static int copy_pod_keys(const cJSON *pod, char ***keys, size_t *n, char **host_model)
{
    const cJSON *item;
    cJSON_ArrayForEach (item, obj_get(obj_get(pod, "spec"), "nodeSelector")) {
        const char *key = item->string;
        if (!key || !(text_starts_with(key, LABEL_CPU_MODEL_MIGRATION) ||
                      text_starts_with(key, LABEL_CPU_FEATURE)))
            continue;
        if (*n >= CPU_REQ_MAX_KEYS)
            break;
        if (listed(*keys, 0, *n, key))
            continue;
        if (text_list_push(keys, n, strdup(key)) != 0)
            return -1;
        if (!*host_model && text_starts_with(key, LABEL_CPU_MODEL_MIGRATION) &&
            !(*host_model = strdup(key + strlen(LABEL_CPU_MODEL_MIGRATION))))
            return -1;
    }
    return 0;
}

/* cpu-model-migration.…/<H>, then cpu-feature.…/<f> for each required feature, sorted. */
static int keys_from_node(const cJSON *node, const char *h, char ***keys, size_t *n)
{
    if (text_list_push(keys, n, text_join(LABEL_CPU_MODEL_MIGRATION, h)) != 0)
        return -1;
    size_t first = *n;
    const cJSON *item;
    size_t plen = strlen(LABEL_HOST_MODEL_REQUIRED_FEATURES);
    cJSON_ArrayForEach (item, obj_get(obj_get(node, "metadata"), "labels")) {
        const char *key = item->string;
        if (!key || !text_starts_with(key, LABEL_HOST_MODEL_REQUIRED_FEATURES) || !is_true(item) ||
            !key[plen])
            continue;
        if (*n >= CPU_REQ_MAX_KEYS)
            break;
        char *k = text_join(LABEL_CPU_FEATURE, key + plen);
        if (k && listed(*keys, first, *n, k)) {
            free(k);
            continue;
        }
        if (text_list_push(keys, n, k) != 0)
            return -1;
    }
    if (*n - first > 1)
        qsort(*keys + first, *n - first, sizeof(**keys), text_compare_ptrs);
    return 0;
}

int host_model_selector(const cJSON *source_pod, const cJSON *source_node, char ***keys,
                        size_t *nkeys, char **host_model, bool *from_pod)
{
    *keys = NULL;
    *nkeys = 0;
    *host_model = NULL;
    *from_pod = false;
    int rc = copy_pod_keys(source_pod, keys, nkeys, host_model);
    if (rc == 0 && *nkeys > 0) {
        *from_pod = true;
        const char *h = node_host_model(source_node);
        if (!*host_model && h && !(*host_model = strdup(h)))
            rc = -1;
    } else if (rc == 0) {
        const char *h = node_host_model(source_node);
        if (h && (!(*host_model = strdup(h)) || keys_from_node(source_node, h, keys, nkeys) != 0))
            rc = -1;
    }
    if (rc != 0) {
        text_list_free(*keys, *nkeys);
        free(*host_model);
        *keys = NULL;
        *nkeys = 0;
        *host_model = NULL;
    }
    return rc;
}

static int host_model_keys(struct requirements *r, const cJSON *pod, const cJSON *node)
{
    char **keys = NULL;
    size_t n = 0;
    if (host_model_selector(pod, node, &keys, &n, &r->host_model_cpu, &r->host_model_from_pod) != 0)
        return -1;
    /* no node at all (the VMI is not running anywhere): nothing to judge the host model by */
    r->host_model_unknown = n == 0 && r->source_node;
    enum req_origin origin = r->host_model_from_pod ? REQ_FROM_SOURCE_POD : REQ_FROM_SOURCE_NODE;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = add_label(r, keys[i], "true", origin);
    text_list_free(keys, n);
    return rc;
}

/* --------------------------------------------------------- d: vendor */

static int vendor_key(struct requirements *r, const cJSON *node)
{
    const char *v = node_cpu_vendor(node);
    if (!v || has_kind(r, REQ_VENDOR))
        return 0;
    return add_true_label(r, LABEL_CPU_VENDOR, v, REQ_FROM_SOURCE_NODE);
}

/* ----------------------------------------------------------------- R */

int requirements_derive(struct requirements *r, const struct requirements_input *in)
{
    memset(r, 0, sizeof(*r));
    r->host_model = in->cpu_mode && strcmp(in->cpu_mode, CPU_MODE_HOST_MODEL) == 0;
    const char *node = obj_nonempty(obj_get(in->vmi, "status"), "nodeName");
    int rc = node && !(r->source_node = strdup(node)) ? -1 : 0;
    if (rc == 0)
        rc = in->source_pod ? from_source_pod(r, in->source_pod, in->vmi)
                            : from_vmi(r, in->vmi, in->cpu_mode);
    if (rc == 0)
        rc = machine_type_from_status(r, in->vmi);
    if (rc == 0 && r->host_model)
        rc = host_model_keys(r, in->source_pod, in->source_node);
    if (rc == 0)
        rc = vendor_key(r, in->source_node);
    if (rc != 0)
        requirements_free(r);
    return rc;
}

int requirements_add_migration(struct requirements *r, const cJSON *vmim)
{
    const cJSON *item;
    cJSON_ArrayForEach (item, obj_get(obj_get(vmim, "spec"), "addedNodeSelector"))
        if (item->string && cJSON_IsString(item) &&
            add_label(r, item->string, item->valuestring, REQ_FROM_VMIM) != 0)
            return -1;
    return 0;
}

void requirements_free(struct requirements *r)
{
    for (size_t i = 0; i < r->nlabels; i++) {
        free(r->labels[i].key);
        free(r->labels[i].value);
    }
    free(r->labels);
    cJSON_Delete(r->affinity);
    cJSON_Delete(r->tolerations);
    free(r->source_pod);
    free(r->source_node);
    free(r->host_model_cpu);
    memset(r, 0, sizeof(*r));
}

/* ------------------------------------------------------ the source pod */

const cJSON *requirements_pick_source_pod(const cJSON *pods, const char *vmi_uid, const char *node)
{
    if (!vmi_uid || !node)
        return NULL;
    const cJSON *best = NULL, *pod;
    const char *best_ts = NULL;
    cJSON_ArrayForEach (pod, pods) {
        const char *uid = meta_label(pod, LABEL_CREATED_BY);
        const char *phase = obj_nonempty(obj_get(pod, "status"), "phase");
        const char *on = obj_nonempty(obj_get(pod, "spec"), "nodeName");
        if (!uid || strcmp(uid, vmi_uid) != 0 || !phase || strcmp(phase, "Running") != 0 || !on ||
            strcmp(on, node) != 0)
            continue;
        /* RFC 3339 times in UTC (as the API server writes them) order as strings. */
        const char *ts = obj_nonempty(obj_get(pod, "metadata"), "creationTimestamp");
        if (!best || (ts && (!best_ts || strcmp(ts, best_ts) > 0))) {
            best = pod;
            best_ts = ts;
        }
    }
    return best;
}
