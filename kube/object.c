/*
 * kube/object.c - type-checked reads of Kubernetes objects (see object.h).
 */
#include "kube/object.h"

#include <stdlib.h>
#include <string.h>

const cJSON *obj_get(const cJSON *obj, const char *key)
{
    if (!cJSON_IsObject(obj) || !key)
        return NULL;
    return cJSON_GetObjectItemCaseSensitive(obj, key);
}

const cJSON *obj_object(const cJSON *obj, const char *key)
{
    const cJSON *v = obj_get(obj, key);
    return cJSON_IsObject(v) ? v : NULL;
}

const cJSON *obj_array(const cJSON *obj, const char *key)
{
    const cJSON *v = obj_get(obj, key);
    return cJSON_IsArray(v) ? v : NULL;
}

const char *obj_string(const cJSON *obj, const char *key)
{
    const cJSON *v = obj_get(obj, key);
    return cJSON_IsString(v) && v->valuestring ? v->valuestring : NULL;
}

const char *obj_nonempty(const cJSON *obj, const char *key)
{
    const char *s = obj_string(obj, key);
    return s && *s ? s : NULL;
}

const char *obj_string_or(const cJSON *obj, const char *key, const char *fallback)
{
    const char *s = obj_string(obj, key);
    return s ? s : fallback;
}

const char *meta_string(const cJSON *obj, const char *field)
{
    return obj_string(obj_object(obj, "metadata"), field);
}

const char *meta_name(const cJSON *obj)
{
    return meta_string(obj, "name");
}

const char *meta_namespace(const cJSON *obj)
{
    return meta_string(obj, "namespace");
}

const char *ns_or_default(const char *ns)
{
    return ns && *ns ? ns : "default";
}

const char *meta_uid(const cJSON *obj)
{
    return meta_string(obj, "uid");
}

const char *meta_label(const cJSON *obj, const char *key)
{
    return obj_string(obj_object(obj_object(obj, "metadata"), "labels"), key);
}

const char *meta_annotation(const cJSON *obj, const char *key)
{
    return obj_string(obj_object(obj_object(obj, "metadata"), "annotations"), key);
}

bool meta_label_is_true(const cJSON *obj, const char *key)
{
    const char *v = meta_label(obj, key);
    return v && strcmp(v, "true") == 0;
}

bool meta_label_matches(const cJSON *obj, const char *key, const char *value)
{
    if (!key)
        return true;
    const char *v = meta_label(obj, key);
    return v && (!value || strcmp(v, value) == 0);
}

const cJSON *array_find_named(const cJSON *array, const char *name)
{
    const cJSON *item;
    if (!name)
        return NULL;
    cJSON_ArrayForEach (item, array) {
        const char *n = meta_name(item);
        if (n && strcmp(n, name) == 0)
            return item;
    }
    return NULL;
}

/* ------------------------------------------------------------ name index */

static int entries_in_order(const void *a, const void *b)
{
    const struct name_index_entry *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c)
        return c;
    return x->order < y->order ? -1 : x->order > y->order;
}

int name_index_build(struct name_index *idx, const cJSON *array,
                     const char *(*name_of)(const cJSON *item))
{
    idx->entries = NULL;
    idx->n = 0;
    if (!cJSON_IsArray(array))
        return 0;
    size_t cap = (size_t)cJSON_GetArraySize(array);
    if (cap == 0)
        return 0;
    idx->entries = malloc(cap * sizeof(*idx->entries));
    if (!idx->entries)
        return -1;
    size_t order = 0;
    const cJSON *item;
    cJSON_ArrayForEach (item, array) {
        const char *name = name_of(item);
        if (name && idx->n < cap) {
            idx->entries[idx->n].name = name;
            idx->entries[idx->n].item = item;
            idx->entries[idx->n].order = order;
            idx->n++;
        }
        order++;
    }
    qsort(idx->entries, idx->n, sizeof(*idx->entries), entries_in_order);
    return 0;
}

size_t name_index_first(const struct name_index *idx, const char *name)
{
    size_t lo = 0, hi = idx->n;
    while (lo < hi) { /* first entry whose name is >= name */
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(idx->entries[mid].name, name) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

const cJSON *name_index_find(const struct name_index *idx, const char *name)
{
    size_t lo = name_index_first(idx, name);
    return lo < idx->n && strcmp(idx->entries[lo].name, name) == 0 ? idx->entries[lo].item : NULL;
}

void name_index_free(struct name_index *idx)
{
    free(idx->entries);
    idx->entries = NULL;
    idx->n = 0;
}
