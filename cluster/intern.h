/*
 * cluster/intern.h - one copy of each string a cluster view keeps many times.
 *
 * Cached Nodes repeat the same few hundred label and annotation keys and
 * values ("cpu-feature.node.kubevirt.io/avx2": "true") on every node.  A view
 * owns an intern pool and builds its trimmed Node objects with keys and string
 * values pointing into the pool (cJSON constant keys and string references),
 * so a label costs one cJSON item and no string allocation.
 *
 * Every pooled string is reference-counted: each intern_get is matched by one
 * intern_put, and a string leaves the pool with its last reference, so values
 * that churn (heartbeat annotations, names of deleted nodes) do not pile up in
 * a long-running view.  All functions are thread-safe.
 *
 * Nodes also share their labels: the labels every node of one hardware model
 * carries are interned as one reference-counted "label chain" (see
 * intern_trimmed_node), so a shared label costs no per-node item at all.
 *
 * Trees built here must be freed with intern_tree_delete (not cJSON_Delete,
 * which would leave their pool references counted).  cJSON_Duplicate of such
 * a tree copies the values but keeps the constant keys pointing into the
 * pool: a duplicate must not outlive the tree it was made from.
 */
#ifndef MW_CLUSTER_INTERN_H
#define MW_CLUSTER_INTERN_H

#include <stddef.h>
#include <cjson/cJSON.h>

struct intern_pool;

/* An empty pool (free with intern_pool_free), or NULL when out of memory. */
struct intern_pool *intern_pool_new(void);

/* Frees the pool and every string still in it (NULL is fine). */
void intern_pool_free(struct intern_pool *pool);

/*
 * The pooled copy of `s` with one more reference (owned by the pool: give it
 * back with intern_put), or NULL when out of memory.
 */
const char *intern_get(struct intern_pool *pool, const char *s);

/* Drops one reference to a string returned by intern_get (NULL is fine). */
void intern_put(struct intern_pool *pool, const char *pooled);

/* Number of distinct strings in the pool. */
size_t intern_pool_count(struct intern_pool *pool);

/* Number of distinct label chains in the pool (see intern_trimmed_node). */
size_t intern_chain_count(struct intern_pool *pool);

/*
 * Heap bytes the pool occupies: its tables, its strings and its label chains
 * (counted here once, not in the nodes sharing them), with allocator overhead.
 */
size_t intern_pool_bytes(struct intern_pool *pool);

/*
 * A copy of the JSON value `src` whose object keys and strings are pooled
 * (caller frees with intern_tree_delete), or NULL when out of memory.
 */
cJSON *intern_copy(struct intern_pool *pool, const cJSON *src);

/*
 * Adds `item` (consumed in every case) to `object` under the pooled `key`.
 * Returns 0, or -1 when out of memory.
 */
int intern_add(struct intern_pool *pool, cJSON *object, const char *key, cJSON *item);

/* A pooled string item (caller frees with intern_tree_delete), or NULL when out of memory. */
cJSON *intern_string(struct intern_pool *pool, const char *value);

/* Gives back the pool references of a tree built here and frees it (NULL is fine). */
void intern_tree_delete(struct intern_pool *pool, cJSON *tree);

/* Heap bytes a tree built here owns (pooled strings are the pool's), allocator overhead included.
 */
size_t intern_tree_bytes(const cJSON *tree);

/*
 * The part of a Node the rules read, built from the pool (caller frees with
 * intern_tree_delete): apiVersion, kind, metadata.labels and the fields listed
 * in kube/rule_fields.h (metadata.name/uid, two annotations,
 * spec.unschedulable/taints), each when present.  NULL when `node` is not an object with a string
 * metadata.name, or when out of memory.  Its items sit in one block: it is
 * read like any cJSON tree, but only intern_tree_delete may free it (never
 * cJSON_Delete, nor cJSON_Delete of an array or object it was added to:
 * detach it first).
 *
 * Labels (when an object of strings) are all kept, in this order: the node's
 * own ones (kubernetes.io/hostname and any whose value contains the node's
 * name) in document order, then the others sorted by key.  Those others are a
 * label chain shared with every node carrying the same ones: the last own item
 * links to it (labels->child is its first item when the node has none), and
 * labels->child->prev is the chain's tail, the last label.  cJSON lookups,
 * cJSON_ArrayForEach, printing and cJSON_Duplicate see every label once;
 * nothing may add to, detach from, replace or delete anything in a trimmed
 * node, which would change or free labels other nodes share.
 */
cJSON *intern_trimmed_node(struct intern_pool *pool, const cJSON *node);

#endif
