/*
 * kube/label_index.h - an object's labels indexed for many lookups.
 *
 * Judging a node against a migration's requirements looks up a few dozen
 * keys among the node's ~60 labels, which share long prefixes
 * ("cpu-feature.node.kubevirt.io/..."): a linear search per key made
 * strcmp half of the time of a 5,000-node candidate list.  The index is a
 * small open-addressing hash table of the label members, built once per
 * node; a lookup is one hash and, usually, one strcmp.
 *
 * Nothing here allocates for up to LABEL_INDEX_INLINE/2 labels; beyond that
 * the table is allocated, and when that fails the index answers by linear
 * search, as meta_label does.  Borrowed pointers only: the object must
 * outlive the index.
 */
#ifndef MW_KUBE_LABEL_INDEX_H
#define MW_KUBE_LABEL_INDEX_H

#include <stddef.h>
#include <cjson/cJSON.h>

#define LABEL_INDEX_INLINE 128 /* slots kept inside the struct (a power of two) */

struct label_index {
    const cJSON *labels; /* metadata.labels when an object, else NULL */
    const cJSON **slots; /* the table: inline_slots or allocated; NULL: search linearly */
    size_t mask;         /* number of slots - 1 */
    const cJSON *inline_slots[LABEL_INDEX_INLINE];
};

/* Indexes the labels of `obj` (any cJSON, however malformed).  Never fails. */
void label_index_init(struct label_index *ix, const cJSON *obj);
/* The member labels[key] of any type, or NULL. */
const cJSON *label_index_find(const struct label_index *ix, const char *key);
/* labels[key] when a string, else NULL: the same answer as meta_label(obj, key). */
const char *label_index_get(const struct label_index *ix, const char *key);
void label_index_free(struct label_index *ix);

#endif
