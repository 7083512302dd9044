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
 *
 * Nodes of a view share their labels but a few (cluster/intern.h: the
 * node's own labels first, then a chain of items shared by every node with
 * the same others), so a pass over many nodes indexes them through a
 * label_index_cache: the shared items are indexed once per pass, and a
 * node's own few items are searched in order before them.  The answers are
 * the same as label_index_init's, whatever the lists share.
 */
#ifndef MW_KUBE_LABEL_INDEX_H
#define MW_KUBE_LABEL_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>

#define LABEL_INDEX_INLINE 128 /* slots kept inside the struct (a power of two) */
#define LABEL_INDEX_CACHED 8   /* distinct shared label lists a cache indexes */
#define LABEL_INDEX_OWN_MAX 8  /* own items searched in order before a shared table, at most */

struct label_index {
    const cJSON *labels; /* metadata.labels when an object, else NULL */
    const cJSON *
        *slots;  /* the table: inline_slots, allocated or a cache's; NULL: search linearly */
    size_t mask; /* number of slots - 1 */
    const cJSON *own_end; /* items before it are searched in order, the table holds the rest */
    bool borrowed;        /* slots belong to a label_index_cache */
    bool unnamed;         /* a label item without a name (cJSON's lookups stop at it) */
    const cJSON *inline_slots[LABEL_INDEX_INLINE];
};

/* The tables of label lists shared by the nodes of one pass (zero it, or label_index_cache_init).
 */
struct label_index_cache {
    struct {
        const cJSON *tail;  /* the last item of the lists this entry is for */
        const cJSON *head;  /* the first such list seen, until a second one shows what they share */
        const cJSON *first; /* the first shared item, once known */
        const cJSON **slots;
        size_t mask;
        bool unnamed;
    } entry[LABEL_INDEX_CACHED];
    size_t n;
};

/* Indexes the labels of `obj` (any cJSON, however malformed).  Never fails. */
void label_index_init(struct label_index *ix, const cJSON *obj);
/* The same, the items `obj` shares with other objects indexed once in `cache`.  Never fails. */
void label_index_init_cached(struct label_index *ix, const cJSON *obj,
                             struct label_index_cache *cache);
/* The member labels[key] of any type, or NULL. */
const cJSON *label_index_find(const struct label_index *ix, const char *key);
/* labels[key] when a string, else NULL: the same answer as meta_label(obj, key). */
const char *label_index_get(const struct label_index *ix, const char *key);
void label_index_free(struct label_index *ix);

void label_index_cache_init(struct label_index_cache *cache);
/* Frees the cache's tables; indexes built with it must not be used after. */
void label_index_cache_free(struct label_index_cache *cache);

#endif
