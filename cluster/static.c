/*
 * cluster/static.c - the cluster view over a fixed set of objects.
 *
 * Objects are sorted into one cJSON array per kind when the view is built and
 * never change afterwards, so lookups need no locks.  Lookups by name scan
 * the kind's array; a list with a label filter returns an array of references
 * that the caller's scope releases.
 */
#include "cluster/static.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct static_view {
    struct cluster_view view;
    cJSON *by_kind[CV_KIND_COUNT]; /* arrays owning the objects */
};

static const char *meta_str(const cJSON *obj, const char *field)
{
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(meta, field);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int ns_matches(const cJSON *obj, const char *ns)
{
    if (!ns)
        return 1;
    const char *ons = meta_str(obj, "namespace");
    if (!ons || !*ons)
        ons = "default";
    return strcmp(ons, *ns ? ns : "default") == 0;
}

static int label_matches(const cJSON *obj, const char *key, const char *value)
{
    if (!key)
        return 1;
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
    const cJSON *labels = cJSON_GetObjectItemCaseSensitive(meta, "labels");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(labels, key);
    if (!cJSON_IsString(v))
        return 0;
    return value == NULL || strcmp(v->valuestring, value) == 0;
}

static enum cv_result static_get(const struct cluster_view *v, struct cv_scope *s,
                                 enum cv_kind kind, const char *ns, const char *name,
                                 const cJSON **out)
{
    const struct static_view *sv = v->impl;
    const cJSON *obj;
    (void)s;
    if ((unsigned)kind >= CV_KIND_COUNT)
        return CV_NOT_FOUND;
    cJSON_ArrayForEach(obj, sv->by_kind[kind])
    {
        const char *n = meta_str(obj, "name");
        if (n && strcmp(n, name) == 0 && (!cv_kind_namespaced(kind) || ns_matches(obj, ns ? ns : ""))) {
            *out = obj;
            return CV_OK;
        }
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
    cJSON_ArrayForEach(obj, sv->by_kind[kind])
    {
        if ((!cv_kind_namespaced(kind) || ns_matches(obj, ns)) &&
            label_matches(obj, label_key, label_value)) {
            if (!cJSON_AddItemReferenceToArray(arr, (cJSON *)obj))
                return cv_scope_fail(s, "out of memory");
        }
    }
    *out_array = arr;
    return CV_OK;
}

static int static_ready(const struct cluster_view *v)
{
    (void)v;
    return 1;
}

static void static_destroy(struct cluster_view *v)
{
    struct static_view *sv = v->impl;
    for (int k = 0; k < CV_KIND_COUNT; k++)
        cJSON_Delete(sv->by_kind[k]);
    free(sv);
}

static const struct cluster_view_ops static_ops = {
    .get = static_get,
    .list = static_list,
    .ready = static_ready,
    .destroy = static_destroy,
};

struct cluster_view *static_view_new(cJSON *objects)
{
    struct static_view *sv = calloc(1, sizeof(*sv));
    if (!sv) {
        cJSON_Delete(objects);
        return NULL;
    }
    sv->view.ops = &static_ops;
    sv->view.impl = sv;
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
        int kind = cv_kind_from_name(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, "kind")));
        if (kind < 0 || !cJSON_IsObject(obj)) {
            cJSON_Delete(obj);
            continue;
        }
        cJSON_AddItemToArray(sv->by_kind[kind], obj);
    }
    cJSON_Delete(objects);
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

int static_view_is(const struct cluster_view *v)
{
    return v && v->ops == &static_ops;
}

size_t static_view_count(const struct cluster_view *v, enum cv_kind kind)
{
    const struct static_view *sv = v->impl;
    return (unsigned)kind < CV_KIND_COUNT ? (size_t)cJSON_GetArraySize(sv->by_kind[kind]) : 0;
}
