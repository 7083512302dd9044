/*
 * cluster/static.c - the cluster view over a fixed set of objects.
 *
 * Objects are sorted into one cJSON array per kind when the view is built and
 * never change afterwards, so lookups need no locks.  Each kind also has an
 * index: its named objects sorted by (name, namespace, position in the
 * array), so a lookup by name is a binary search that finds the same object
 * a scan in array order would (the first of any duplicates).  A list with a
 * namespace or label filter scans the kind's array and returns an array of
 * references that the caller's scope releases.
 *
 * Nodes are trimmed when the view is built to the fields the rules read
 * (cluster/intern.h: name, uid, labels, annotations, unschedulable, taints),
 * with their keys and strings in the view's intern pool: a cluster's nodes
 * repeat the same labels, so each label costs one cJSON item.
 */
#include "cluster/static.h"
#include "cluster/intern.h"
#include "kube/object.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One named object in a kind's index; the strings are borrowed from the object. */
struct index_entry {
    const char *name;
    const char *ns; /* "default" when missing or empty; "" for cluster-scoped kinds */
    size_t position;
    const cJSON *obj;
};

struct kind_index {
    struct index_entry *entries;
    size_t n;
};

struct static_view {
    struct cluster_view view;
    cJSON *by_kind[CV_KIND_COUNT]; /* arrays owning the objects */
    struct kind_index index[CV_KIND_COUNT];
    struct intern_pool *pool;           /* keys and strings of the trimmed nodes */
    struct cv_memo memo[CV_KIND_COUNT]; /* derived facts: the lists never change */
};

static int ns_matches(const cJSON *obj, const char *ns)
{
    if (!ns)
        return 1;
    return strcmp(ns_or_default(meta_namespace(obj)), ns_or_default(ns)) == 0;
}

/* The namespace an object or a lookup is filed under. */
static const char *namespace_key(enum cv_kind kind, const char *ns)
{
    if (!cv_kind_namespaced(kind))
        return "";
    return ns_or_default(ns);
}

static int compare_key(const char *name_a, const char *ns_a, const char *name_b, const char *ns_b)
{
    int c = strcmp(name_a, name_b);
    return c ? c : strcmp(ns_a, ns_b);
}

static int compare_entries(const void *a, const void *b)
{
    const struct index_entry *x = a, *y = b;
    int c = compare_key(x->name, x->ns, y->name, y->ns);
    if (c)
        return c;
    return x->position < y->position ? -1 : x->position > y->position;
}

/* Builds the index of one kind's array; returns 0, or -1 when out of memory. */
static int index_kind(struct kind_index *ix, enum cv_kind kind, const cJSON *objects)
{
    size_t count = (size_t)cJSON_GetArraySize(objects);
    ix->entries = count ? calloc(count, sizeof(*ix->entries)) : NULL;
    if (count && !ix->entries)
        return -1;
    size_t position = 0;
    const cJSON *obj;
    cJSON_ArrayForEach (obj, objects) {
        const char *name = meta_string(obj, "name");
        position++;
        if (!name)
            continue;
        struct index_entry *e = &ix->entries[ix->n++];
        e->name = name;
        e->ns = namespace_key(kind, meta_string(obj, "namespace"));
        e->position = position;
        e->obj = obj;
    }
    if (ix->n > 1)
        qsort(ix->entries, ix->n, sizeof(*ix->entries), compare_entries);
    return 0;
}

/* The first entry not ordered before (name, ns), by binary search. */
static size_t lower_bound(const struct kind_index *ix, const char *name, const char *ns)
{
    size_t lo = 0, hi = ix->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (compare_key(ix->entries[mid].name, ix->entries[mid].ns, name, ns) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static enum cv_result static_get(const struct cluster_view *v, struct cv_scope *s,
                                 enum cv_kind kind, const char *ns, const char *name,
                                 const cJSON **out)
{
    const struct static_view *sv = v->impl;
    (void)s;
    if ((unsigned)kind >= CV_KIND_COUNT || !name)
        return CV_NOT_FOUND;
    const struct kind_index *ix = &sv->index[kind];
    const char *key_ns = namespace_key(kind, ns);
    size_t i = lower_bound(ix, name, key_ns);
    if (i < ix->n && compare_key(ix->entries[i].name, ix->entries[i].ns, name, key_ns) == 0) {
        *out = ix->entries[i].obj;
        return CV_OK;
    }
    return CV_NOT_FOUND;
}

static enum cv_result static_list(const struct cluster_view *v, struct cv_scope *s,
                                  enum cv_kind kind, const char *ns, const char *label_key,
                                  const char *label_value, const cJSON **out_array)
{
    const struct static_view *sv = v->impl;
    if ((unsigned)kind >= CV_KIND_COUNT)
        return cv_scope_fail(s, "unknown kind");
    if ((!ns || !cv_kind_namespaced(kind)) && !label_key) {
        *out_array = sv->by_kind[kind];
        return CV_OK;
    }
    cJSON *arr = cJSON_CreateArray();
    if (!arr || cv_scope_hold_json(s, arr) != 0)
        return cv_scope_fail(s, "out of memory");
    const cJSON *obj;
    cJSON_ArrayForEach (obj, sv->by_kind[kind]) {
        if ((!cv_kind_namespaced(kind) || ns_matches(obj, ns)) &&
            meta_label_matches(obj, label_key, label_value)) {
            if (!cJSON_AddItemReferenceToArray(arr, (cJSON *)obj))
                return cv_scope_fail(s, "out of memory");
        }
    }
    *out_array = arr;
    return CV_OK;
}

static enum cv_result static_derive(const struct cluster_view *v, struct cv_scope *s,
                                    enum cv_kind kind, const struct cv_derivation *d,
                                    const void **out)
{
    struct static_view *sv = v->impl;
    if ((unsigned)kind >= CV_KIND_COUNT)
        return cv_scope_fail(s, "unknown kind");
    return cv_memo_get(&sv->memo[kind], s, d, sv->by_kind[kind], out);
}

static int static_ready(const struct cluster_view *v)
{
    (void)v;
    return 1;
}

static void static_destroy(struct cluster_view *v)
{
    struct static_view *sv = v->impl;
    while (sv->by_kind[CV_NODE] && sv->by_kind[CV_NODE]->child) /* trimmed nodes: one block each */
        intern_tree_delete(sv->pool, cJSON_DetachItemViaPointer(sv->by_kind[CV_NODE],
                                                                sv->by_kind[CV_NODE]->child));
    for (int k = 0; k < CV_KIND_COUNT; k++) {
        cv_memo_clear(&sv->memo[k]);
        cJSON_Delete(sv->by_kind[k]);
        free(sv->index[k].entries);
    }
    intern_pool_free(sv->pool);
    free(sv);
}

/* The view's stats: its object count of every kind. */
static void static_stats(const struct cluster_view *v, struct cv_stats *out)
{
    const struct static_view *sv = v->impl;
    for (int k = 0; k < CV_KIND_COUNT; k++) {
        out->held[k] = true;
        out->objects[k] = (size_t)cJSON_GetArraySize(sv->by_kind[k]);
    }
}

static const struct cluster_view_ops static_ops = {
    .get = static_get,
    .list = static_list,
    .derive = static_derive,
    .ready = static_ready,
    .stats = static_stats,
    .destroy = static_destroy,
};

/*
 * The trimmed, pooled copy of `node` (consumed), or `node` itself when it has
 * no name to file it under (kept as it is, like any unnamed object) or when
 * out of memory (correct, only bigger).
 */
static cJSON *trimmed_node(struct intern_pool *pool, cJSON *node)
{
    cJSON *t = intern_trimmed_node(pool, node);
    if (!t)
        return node;
    cJSON_Delete(node);
    return t;
}

struct cluster_view *static_view_new(cJSON *objects)
{
    struct static_view *sv = calloc(1, sizeof(*sv));
    if (!sv) {
        cJSON_Delete(objects);
        return NULL;
    }
    sv->view.ops = &static_ops;
    sv->view.impl = sv;
    for (int k = 0; k < CV_KIND_COUNT; k++)
        cv_memo_init(&sv->memo[k]);
    sv->pool = intern_pool_new();
    if (!sv->pool) {
        cJSON_Delete(objects);
        static_destroy(&sv->view);
        return NULL;
    }
    for (int k = 0; k < CV_KIND_COUNT; k++) {
        sv->by_kind[k] = cJSON_CreateArray();
        if (!sv->by_kind[k]) {
            cJSON_Delete(objects);
            static_destroy(&sv->view);
            return NULL;
        }
    }
    /* Move each object into its kind's array. */
    while (objects && objects->child) {
        cJSON *obj = cJSON_DetachItemViaPointer(objects, objects->child);
        int kind =
            cv_kind_from_name(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, "kind")));
        if (kind < 0 || !cJSON_IsObject(obj)) {
            cJSON_Delete(obj);
            continue;
        }
        if (kind == CV_NODE)
            obj = trimmed_node(sv->pool, obj);
        cJSON_AddItemToArray(sv->by_kind[kind], obj);
    }
    cJSON_Delete(objects);
    for (int k = 0; k < CV_KIND_COUNT; k++)
        if (index_kind(&sv->index[k], (enum cv_kind)k, sv->by_kind[k]) != 0) {
            static_destroy(&sv->view);
            return NULL;
        }
    return &sv->view;
}

struct cluster_view *static_view_load(const char *dir, char *err, size_t errlen)
{
    cJSON *objects = static_load_dir(dir, err, errlen);
    if (!objects)
        return NULL;
    struct cluster_view *v = static_view_new(objects);
    if (!v)
        snprintf(err, errlen, "%s: out of memory", dir);
    return v;
}

size_t static_view_count(const struct cluster_view *v, enum cv_kind kind)
{
    const struct static_view *sv = v->impl;
    return (unsigned)kind < CV_KIND_COUNT ? (size_t)cJSON_GetArraySize(sv->by_kind[kind]) : 0;
}
