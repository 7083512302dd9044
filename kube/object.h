/*
 * kube/object.h - type-checked reads of Kubernetes objects held as cJSON.
 *
 * Every accessor accepts NULL or a value of the wrong type and then answers
 * NULL (or false), so a rule can walk `spec.domain.devices.disks` of any
 * input, however malformed, without checking each step itself.  Nothing here
 * allocates: every pointer returned is borrowed from the object passed in.
 */
#ifndef MW_KUBE_OBJECT_H
#define MW_KUBE_OBJECT_H

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>

/* Member `key` of `obj` when `obj` is an object, else NULL. */
const cJSON *obj_get(const cJSON *obj, const char *key);
/* Member `key` when it is an object, else NULL. */
const cJSON *obj_object(const cJSON *obj, const char *key);
/* Member `key` when it is an array, else NULL. */
const cJSON *obj_array(const cJSON *obj, const char *key);
/* Member `key` when it is a string, else NULL. */
const char *obj_string(const cJSON *obj, const char *key);
/* Member `key` when it is a non-empty string, else NULL. */
const char *obj_nonempty(const cJSON *obj, const char *key);
/* Member `key` when it is a string, else `fallback`. */
const char *obj_string_or(const cJSON *obj, const char *key, const char *fallback);

/* metadata[field] (metadata.name, .namespace, .uid, ...) when a string, else NULL. */
const char *meta_string(const cJSON *obj, const char *field);
const char *meta_name(const cJSON *obj);
const char *meta_namespace(const cJSON *obj);
/* `ns`, or "default" when it is NULL or empty: where Kubernetes files a namespaced object. */
const char *ns_or_default(const char *ns);
const char *meta_uid(const cJSON *obj);
/* metadata.labels[key] / metadata.annotations[key] when a string, else NULL. */
const char *meta_label(const cJSON *obj, const char *key);
const char *meta_annotation(const cJSON *obj, const char *key);
/* true when metadata.labels[key] is the string "true" (a boolean does not count). */
bool meta_label_is_true(const cJSON *obj, const char *key);
/*
 * The label selector `key=value` (or `key` alone, when `value` is NULL: the
 * label is there) matches the object; no `key` matches every object.  Values
 * are compared exactly.
 */
bool meta_label_matches(const cJSON *obj, const char *key, const char *value);

/* The first item of `array` whose metadata.name is `name` (NULL: none), or NULL. */
const cJSON *array_find_named(const cJSON *array, const char *name);

/*
 * An index of the objects of an array by a name (e.g. volumeStatus entries
 * by their "name"), so rules look items up in O(log n) and a huge object cannot
 * make a review quadratic.  Among items with the same name the first in
 * array order is found.
 */
struct name_index_entry {
    const char *name;
    const cJSON *item;
    size_t order;
};
struct name_index {
    struct name_index_entry *entries; /* owned */
    size_t n;
};

/*
 * Builds the index of `array` (NULL or not an array: an empty index) by the
 * name `name_of` gives each item; items it gives NULL are left out.
 * Returns 0, or -1 when out of memory.  Free with name_index_free.
 */
int name_index_build(struct name_index *idx, const cJSON *array,
                     const char *(*name_of)(const cJSON *item));
/*
 * The place in idx->entries of the first entry whose key is `name` or sorts
 * after it (idx->n: none); the entries with key `name` follow from there.
 */
size_t name_index_first(const struct name_index *idx, const char *name);
/* The first item whose key is `name`, or NULL. */
const cJSON *name_index_find(const struct name_index *idx, const char *name);
void name_index_free(struct name_index *idx);

#endif
