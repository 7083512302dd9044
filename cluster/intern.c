/*
 * cluster/intern.c - the string pool behind the cluster views' cached Nodes.
 *
 * A chained hash table of entries, each one allocation holding the string's
 * reference count, hash and bytes; the pointer handed out is the entry's
 * string, so intern_put finds its entry without a lookup.  The table doubles
 * when it holds more entries than buckets.  One mutex guards the table and
 * the counts: the views intern while building an object (a cache thread, or
 * the loader), never while answering a lookup, so it is not contended.
 *
 * Trees: keys are attached as cJSON constant keys (cJSON_AddItemToObjectCS)
 * and strings as cJSON string references, so cJSON_Delete frees the items and
 * leaves the pooled bytes; intern_tree_delete first gives each of them back.
 *
 * A trimmed Node is then compacted: its items are copied, in document order,
 * into one block of cJSON structs and the root is marked (a type bit cJSON
 * itself never reads: it masks types with 0xFF).  One allocation per node
 * instead of one per label saves the allocator's 16 bytes per item, and keeps
 * a node's labels next to each other in memory, so a walk over every node's
 * labels reads memory in order instead of chasing items scattered through
 * the holes an earlier parse left in the heap.
 *
 * Label chains: nodes of one hardware model carry the same labels but for a
 * few naming the node itself.  A trimmed node's labels are split into its own
 * ones (kubernetes.io/hostname, and any label whose value contains the node's
 * name), kept first in the node's block, and the rest, sorted by key and
 * interned as one shared chain: a block of cJSON string items linked by
 * next/prev, looked up by content in a second table of the pool and
 * reference-counted like a string.  The last own item's next (or the labels
 * object's child, when the node has no own label) is the chain's first item,
 * so lookups and iteration see every label; labels->child->prev is the
 * chain's tail, the real tail of the whole list.  Chain items carry a private
 * type bit (CHAIN_ITEM): every walk that frees, counts or gives back
 * references stops there and drops one reference on the chain instead, and
 * the chain gives back its keys and values with its last reference.  Nothing
 * may append to, detach from or modify a cached node's labels: the chain is
 * shared by every node holding it.
 */
#include "cluster/intern.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kube/rule_fields.h"

/* What the pool's two tables hold first in each of their members: a string or a chain. */
struct member {
    struct member *next; /* in its bucket */
    uint32_t hash;
    uint32_t refs;
};

struct entry {
    struct member m;
    char str[];
};

/* A shared label chain: `n` string items with pooled keys and values, linked in key order. */
struct chain {
    struct member m;
    size_t n;
    cJSON items[];
};

/* A chained hash table that doubles when it holds more members than buckets. */
struct table {
    struct member **buckets;
    size_t nbuckets; /* a power of two */
    size_t count;
    size_t bytes; /* heap held by the members, allocator overhead included */
};

struct intern_pool {
    pthread_mutex_t mu;
    struct table strings; /* of struct entry */
    struct table chains;  /* of struct chain */
};

enum { INITIAL_BUCKETS = 256, INITIAL_CHAIN_BUCKETS = 64 };

#define COMPACT_ROOT (1 << 14) /* root of a tree laid out in one block */
#define CHAIN_ITEM (1 << 13)   /* an item of a shared label chain */
/*
 * These bits live in cJSON's `type`, which cJSON reads through the 0xFF mask
 * beside its own flags cJSON_IsReference and cJSON_StringIsConst.  A cJSON
 * whose flags reach them, or one of another series than the 1.7 this was
 * written against, stops the build here instead of corrupting cached nodes.
 */
_Static_assert(((COMPACT_ROOT | CHAIN_ITEM) & (0xFF | cJSON_IsReference | cJSON_StringIsConst)) ==
                   0,
               "intern.c's private type bits collide with cJSON's");
_Static_assert(CJSON_VERSION_MAJOR == 1 && CJSON_VERSION_MINOR == 7,
               "intern.c keeps private bits in cJSON's type: check them against this cJSON");

static const char HOSTNAME_LABEL[] = "kubernetes.io/hostname";

/* What the allocator really spends on a request of n bytes (glibc: 8-byte header, 16-byte steps).
 */
static size_t heap_chunk(size_t n)
{
    size_t c = (n + 8 + 15) & ~(size_t)15;
    return c < 32 ? 32 : c;
}
#define HEAP_CHUNK(n) heap_chunk(n)

static uint32_t hash_of(const char *s, size_t len)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

static struct entry *entry_of(const char *pooled)
{
    return (struct entry *)(void *)(pooled - offsetof(struct entry, str));
}

static int table_init(struct table *t, size_t nbuckets)
{
    t->buckets = calloc(nbuckets, sizeof(t->buckets[0]));
    t->nbuckets = nbuckets;
    return t->buckets ? 0 : -1;
}

/* Frees the members and the buckets. */
static void table_free(struct table *t)
{
    for (size_t i = 0; i < t->nbuckets; i++) {
        for (struct member *m = t->buckets[i], *next; m; m = next) {
            next = m->next;
            free(m);
        }
    }
    free(t->buckets);
}

/* The bucket of hash h. */
static struct member **table_bucket(const struct table *t, uint32_t h)
{
    return &t->buckets[h & (t->nbuckets - 1)];
}

/* Doubles the table; keeps the old one when out of memory (lookups stay correct, only slower). */
static void table_grow(struct table *t)
{
    size_t n = t->nbuckets * 2;
    struct member **b = calloc(n, sizeof(*b));
    if (!b)
        return;
    for (size_t i = 0; i < t->nbuckets; i++) {
        for (struct member *m = t->buckets[i], *next; m; m = next) {
            next = m->next;
            m->next = b[m->hash & (n - 1)];
            b[m->hash & (n - 1)] = m;
        }
    }
    free(t->buckets);
    t->buckets = b;
    t->nbuckets = n;
}

/* Links `m` (of `bytes` on the heap) into its bucket. */
static void table_add(struct table *t, struct member *m, size_t bytes)
{
    struct member **slot = table_bucket(t, m->hash);
    m->next = *slot;
    *slot = m;
    t->count++;
    t->bytes += bytes;
    if (t->count > t->nbuckets)
        table_grow(t);
}

/* Unlinks `m` (of `bytes` on the heap) from its bucket. */
static void table_remove(struct table *t, struct member *m, size_t bytes)
{
    struct member **p = table_bucket(t, m->hash);
    while (*p && *p != m)
        p = &(*p)->next;
    if (*p)
        *p = m->next;
    t->count--;
    t->bytes -= bytes;
}

/* What the table holds on the heap: its buckets and its members. */
static size_t table_bytes(const struct table *t)
{
    return heap_chunk(t->nbuckets * sizeof(t->buckets[0])) + t->bytes;
}

struct intern_pool *intern_pool_new(void)
{
    struct intern_pool *pool = calloc(1, sizeof(*pool));
    if (!pool)
        return NULL;
    if (table_init(&pool->strings, INITIAL_BUCKETS) != 0 ||
        table_init(&pool->chains, INITIAL_CHAIN_BUCKETS) != 0) {
        free(pool->strings.buckets);
        free(pool);
        return NULL;
    }
    pthread_mutex_init(&pool->mu, NULL);
    return pool;
}

void intern_pool_free(struct intern_pool *pool)
{
    if (!pool)
        return;
    table_free(&pool->strings);
    table_free(&pool->chains);
    pthread_mutex_destroy(&pool->mu);
    free(pool);
}

const char *intern_get(struct intern_pool *pool, const char *s)
{
    if (!pool || !s)
        return NULL;
    size_t len = strlen(s);
    uint32_t h = hash_of(s, len);
    const char *out = NULL;
    pthread_mutex_lock(&pool->mu);
    for (struct member *m = *table_bucket(&pool->strings, h); m; m = m->next) {
        struct entry *e = (struct entry *)m;
        if (m->hash == h && strcmp(e->str, s) == 0 && m->refs < UINT32_MAX) {
            m->refs++;
            out = e->str;
            break;
        }
    }
    if (!out) {
        struct entry *e = malloc(sizeof(*e) + len + 1);
        if (e) {
            e->m.hash = h;
            e->m.refs = 1;
            memcpy(e->str, s, len + 1);
            out = e->str;
            table_add(&pool->strings, &e->m, heap_chunk(sizeof(*e) + len + 1));
        }
    }
    pthread_mutex_unlock(&pool->mu);
    return out;
}

void intern_put(struct intern_pool *pool, const char *pooled)
{
    if (!pool || !pooled)
        return;
    struct entry *e = entry_of(pooled);
    pthread_mutex_lock(&pool->mu);
    if (--e->m.refs == 0) {
        table_remove(&pool->strings, &e->m, heap_chunk(sizeof(*e) + strlen(e->str) + 1));
        free(e);
    }
    pthread_mutex_unlock(&pool->mu);
}

size_t intern_pool_count(struct intern_pool *pool)
{
    pthread_mutex_lock(&pool->mu);
    size_t n = pool->strings.count;
    pthread_mutex_unlock(&pool->mu);
    return n;
}

size_t intern_pool_bytes(struct intern_pool *pool)
{
    pthread_mutex_lock(&pool->mu);
    size_t n = heap_chunk(sizeof(*pool)) + table_bytes(&pool->strings) + table_bytes(&pool->chains);
    pthread_mutex_unlock(&pool->mu);
    return n;
}

size_t intern_chain_count(struct intern_pool *pool)
{
    pthread_mutex_lock(&pool->mu);
    size_t n = pool->chains.count;
    pthread_mutex_unlock(&pool->mu);
    return n;
}

/* ---- label chains ---- */

/* A label on its way into a chain: pooled key and value, and its place among the node's labels. */
struct label {
    const char *key, *value;
    size_t at;
};

/* Key order; labels with equal keys keep their order, so the first still answers a lookup. */
static int by_key(const void *a, const void *b)
{
    const struct label *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : (x->at > y->at) - (x->at < y->at);
}

/* The chain's hash: pooled strings are one per content, so their addresses stand for them. */
static uint32_t chain_hash(const struct label *labels, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        uintptr_t kv[2] = {(uintptr_t)labels[i].key, (uintptr_t)labels[i].value};
        const unsigned char *b = (const unsigned char *)kv;
        for (size_t j = 0; j < sizeof(kv); j++)
            h = (h ^ b[j]) * 16777619u;
    }
    return h;
}

static int chain_holds(const struct chain *c, const struct label *labels, size_t n)
{
    if (c->n != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (c->items[i].string != labels[i].key || c->items[i].valuestring != labels[i].value)
            return 0;
    return 1;
}

static struct chain *chain_of(cJSON *first)
{
    return (struct chain *)(void *)((char *)first - offsetof(struct chain, items));
}

/* An equal chain already in the table, with one more reference, or NULL. */
static struct chain *chain_find(struct intern_pool *pool, uint32_t h, const struct label *labels,
                                size_t n)
{
    struct chain *found = NULL;
    pthread_mutex_lock(&pool->mu);
    for (struct member *m = *table_bucket(&pool->chains, h); m; m = m->next) {
        if (m->hash == h && m->refs < UINT32_MAX && chain_holds((struct chain *)m, labels, n)) {
            m->refs++;
            found = (struct chain *)m;
            break;
        }
    }
    pthread_mutex_unlock(&pool->mu);
    return found;
}

/*
 * The shared chain of the `n` (n > 0) pooled labels sorted by key, with one
 * more reference.  The labels' pool references pass to it (given back at once
 * when an equal chain exists).  NULL when out of memory: they stay the caller's.
 */
static struct chain *chain_get(struct intern_pool *pool, const struct label *labels, size_t n)
{
    uint32_t h = chain_hash(labels, n);
    struct chain *c = chain_find(pool, h, labels, n);
    if (c) {
        for (size_t i = 0; i < n; i++) {
            intern_put(pool, labels[i].key);
            intern_put(pool, labels[i].value);
        }
        return c;
    }
    c = malloc(sizeof(*c) + n * sizeof(cJSON));
    if (!c)
        return NULL;
    c->m.hash = h;
    c->m.refs = 1;
    c->n = n;
    memset(c->items, 0, n * sizeof(cJSON));
    for (size_t i = 0; i < n; i++) {
        cJSON *item = &c->items[i];
        item->type = cJSON_String | cJSON_IsReference | cJSON_StringIsConst | CHAIN_ITEM;
        item->string = (char *)(uintptr_t)labels[i].key;
        item->valuestring = (char *)(uintptr_t)labels[i].value;
        item->next = i + 1 < n ? &c->items[i + 1] : NULL;
        item->prev = i ? &c->items[i - 1] : &c->items[n - 1]; /* the first keeps the tail */
    }
    pthread_mutex_lock(&pool->mu);
    table_add(&pool->chains, &c->m, heap_chunk(sizeof(*c) + n * sizeof(cJSON)));
    pthread_mutex_unlock(&pool->mu);
    return c;
}

/* Drops one reference to the chain starting at `first`; the last gives back its strings. */
static void chain_put(struct intern_pool *pool, cJSON *first)
{
    struct chain *c = chain_of(first);
    pthread_mutex_lock(&pool->mu);
    int last = --c->m.refs == 0;
    if (last)
        table_remove(&pool->chains, &c->m, heap_chunk(sizeof(*c) + c->n * sizeof(cJSON)));
    pthread_mutex_unlock(&pool->mu);
    if (!last)
        return;
    for (size_t i = 0; i < c->n; i++) {
        intern_put(pool, c->items[i].string);
        intern_put(pool, c->items[i].valuestring);
    }
    free(c);
}

/* Hangs the chain after the own items of `labels`; the head's prev becomes the chain's tail. */
static void link_chain(cJSON *labels, struct chain *c)
{
    cJSON *first = &c->items[0];
    if (labels->child)
        labels->child->prev->next = first;
    else
        labels->child = first;
    labels->child->prev = first->prev;
}

/* ---- trees ---- */

cJSON *intern_string(struct intern_pool *pool, const char *value)
{
    const char *v = intern_get(pool, value);
    if (!v)
        return NULL;
    cJSON *item = cJSON_CreateStringReference(v);
    if (!item)
        intern_put(pool, v);
    return item;
}

int intern_add(struct intern_pool *pool, cJSON *object, const char *key, cJSON *item)
{
    const char *k = item ? intern_get(pool, key) : NULL;
    if (!k || !cJSON_AddItemToObjectCS(object, k, item)) {
        intern_put(pool, k);
        intern_tree_delete(pool, item);
        return -1;
    }
    return 0;
}

/*
 * Gives back the pool references held by the children of `parent` and
 * everything under them.  A shared chain among them loses one reference and
 * is cut off the list, so freeing the items afterwards leaves it alone.
 */
static void release_refs(struct intern_pool *pool, cJSON *parent);

/* Gives back the pool references of `item` (not a chain item): its key, its value or its children.
 */
static void release_item(struct intern_pool *pool, cJSON *item)
{
    if (item->type & cJSON_StringIsConst)
        intern_put(pool, item->string);
    if (item->type & cJSON_IsReference) {
        if (cJSON_IsString(item))
            intern_put(pool, item->valuestring);
    } else {
        release_refs(pool, item);
    }
}

static void release_refs(struct intern_pool *pool, cJSON *parent)
{
    cJSON *prev = NULL;
    for (cJSON *item = parent->child; item; prev = item, item = item->next) {
        if (item->type & CHAIN_ITEM) {
            chain_put(pool, item);
            if (prev)
                prev->next = NULL;
            else
                parent->child = NULL;
            if (parent->child)
                parent->child->prev = prev;
            return;
        }
        release_item(pool, item);
    }
}

void intern_tree_delete(struct intern_pool *pool, cJSON *tree)
{
    if (!tree)
        return;
    if (tree->type & COMPACT_ROOT) {
        release_refs(pool, tree); /* the root: an object without a pooled key */
        free(tree);
        return;
    }
    release_item(pool, tree);
    tree->type &= ~cJSON_StringIsConst; /* its key, if any, is given back: do not free it */
    tree->string = NULL;
    cJSON_Delete(tree);
}

static cJSON *copy_container(struct intern_pool *pool, const cJSON *src)
{
    int object = cJSON_IsObject(src);
    cJSON *dst = object ? cJSON_CreateObject() : cJSON_CreateArray();
    if (!dst)
        return NULL;
    for (const cJSON *c = src->child; c; c = c->next) {
        if (object && !c->string)
            continue;
        cJSON *item = intern_copy(pool, c);
        if (!item)
            goto fail;
        if (object) {
            if (intern_add(pool, dst, c->string, item) != 0)
                goto fail;
        } else if (!cJSON_AddItemToArray(dst, item)) {
            intern_tree_delete(pool, item);
            goto fail;
        }
    }
    return dst;
fail:
    intern_tree_delete(pool, dst);
    return NULL;
}

cJSON *intern_copy(struct intern_pool *pool, const cJSON *src)
{
    if (!src)
        return NULL;
    switch (src->type & 0xFF) {
    case cJSON_False:
        return cJSON_CreateFalse();
    case cJSON_True:
        return cJSON_CreateTrue();
    case cJSON_NULL:
        return cJSON_CreateNull();
    case cJSON_Number:
        return cJSON_CreateNumber(src->valuedouble);
    case cJSON_String:
        return intern_string(pool, src->valuestring ? src->valuestring : "");
    case cJSON_Raw:
        return cJSON_CreateRaw(src->valuestring ? src->valuestring : "");
    case cJSON_Array:
    case cJSON_Object:
        return copy_container(pool, src);
    default:
        return NULL;
    }
}

/* Items in the tree under `item` (itself included, a shared chain not), or 0 when one owns a
 * string (not compactable). */
static size_t count_compactable(const cJSON *item)
{
    if (item->string && !(item->type & cJSON_StringIsConst))
        return 0;
    if (item->type & cJSON_IsReference)
        return 1;
    if (item->valuestring)
        return 0;
    size_t n = 1;
    for (const cJSON *c = item->child; c && !(c->type & CHAIN_ITEM); c = c->next) {
        size_t k = count_compactable(c);
        if (!k)
            return 0;
        n += k;
    }
    return n;
}

/* Copies `src` and everything under it into block[*at...], in document order; a shared chain is
 * linked, not copied. */
static cJSON *place(cJSON *block, size_t *at, const cJSON *src)
{
    cJSON *dst = &block[(*at)++];
    *dst = *src;
    cJSON *c = dst->child;
    dst->next = dst->prev = dst->child = NULL;
    if (src->type & cJSON_IsReference)
        return dst;
    cJSON *last = NULL;
    for (; c && !(c->type & CHAIN_ITEM); c = c->next) {
        cJSON *d = place(block, at, c);
        d->prev = last;
        if (last)
            last->next = d;
        else
            dst->child = d;
        last = d;
    }
    if (c) {
        if (last)
            last->next = c;
        else
            dst->child = c;
        last = c->prev; /* the chain's first item keeps the chain's tail */
    }
    if (dst->child)
        dst->child->prev = last; /* cJSON keeps the tail in the head's prev */
    return dst;
}

/* Cuts every shared chain off the lists of `tree` (its reference is not dropped: it moved). */
static void unlink_chains(cJSON *parent)
{
    cJSON *prev = NULL;
    for (cJSON *item = parent->child; item; prev = item, item = item->next) {
        if (item->type & CHAIN_ITEM) {
            if (prev)
                prev->next = NULL;
            else
                parent->child = NULL;
            return;
        }
        if (!(item->type & cJSON_IsReference))
            unlink_chains(item);
    }
}

/* `tree` laid out in one block (its pool references move along), or `tree` itself when it cannot
 * be. */
static cJSON *compact(cJSON *tree)
{
    size_t n = tree->string ? 0 : count_compactable(tree);
    cJSON *block = n ? malloc(n * sizeof(cJSON)) : NULL;
    if (!block)
        return tree;
    size_t at = 0;
    place(block, &at, tree);
    block->type |= COMPACT_ROOT;
    unlink_chains(tree); /* the block holds them now */
    cJSON_Delete(tree);  /* frees the items only: keys are constant, strings references */
    return block;
}

size_t intern_tree_bytes(const cJSON *tree)
{
    if (tree && (tree->type & COMPACT_ROOT))
        return HEAP_CHUNK(count_compactable(tree) * sizeof(cJSON));
    size_t n = 0;
    for (const cJSON *item = tree; item; item = item == tree ? NULL : item->next) {
        n += HEAP_CHUNK(sizeof(cJSON));
        if (item->string && !(item->type & cJSON_StringIsConst))
            n += HEAP_CHUNK(strlen(item->string) + 1);
        if (item->type & cJSON_IsReference)
            continue;
        if (item->valuestring)
            n += HEAP_CHUNK(strlen(item->valuestring) + 1);
        for (const cJSON *c = item->child; c && !(c->type & CHAIN_ITEM); c = c->next)
            n += intern_tree_bytes(c);
    }
    return n;
}

/* Copies each field of `src` named in `names` (when present) into `dst`; 0, or -1 when out of
 * memory. */
static int copy_fields(struct intern_pool *pool, cJSON *dst, const cJSON *src,
                       const char *const *names)
{
    for (; *names; names++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(src, *names);
        if (v && intern_add(pool, dst, *names, intern_copy(pool, v)) != 0)
            return -1;
    }
    return 0;
}

/* Labels a shared chain can hold: an object of strings. */
static int chainable(const cJSON *labels)
{
    if (!cJSON_IsObject(labels))
        return 0;
    for (const cJSON *c = labels->child; c; c = c->next)
        if (c->string && (!cJSON_IsString(c) || !c->valuestring))
            return 0;
    return 1;
}

/* A label naming the node itself, which no other node shares. */
static int is_own_label(const cJSON *label, const char *node_name)
{
    return strcmp(label->string, HOSTNAME_LABEL) == 0 ||
           (node_name[0] && strstr(label->valuestring, node_name));
}

/*
 * Splits the object of strings `labels` into own items of `dst` and a shared
 * chain after them.  0, or -1 when out of memory (`dst` then holds part).
 */
static int split_labels(struct intern_pool *pool, cJSON *dst, const cJSON *labels,
                        const char *node_name)
{
    size_t n = 0;
    for (const cJSON *c = labels->child; c; c = c->next)
        n++;
    struct label *shared = n ? malloc(n * sizeof(*shared)) : NULL;
    if (!n || !shared)
        return n ? -1 : 0;
    size_t ns = 0;
    int rc = 0;
    for (const cJSON *c = labels->child; c && rc == 0; c = c->next) {
        if (!c->string)
            continue;
        if (is_own_label(c, node_name)) {
            rc = intern_add(pool, dst, c->string, intern_string(pool, c->valuestring));
            continue;
        }
        const char *k = intern_get(pool, c->string), *v = intern_get(pool, c->valuestring);
        if (!k || !v) {
            intern_put(pool, k);
            intern_put(pool, v);
            rc = -1;
            break;
        }
        shared[ns].key = k;
        shared[ns].value = v;
        shared[ns].at = ns;
        ns++;
    }
    if (rc == 0 && ns) {
        qsort(shared, ns, sizeof(*shared), by_key);
        struct chain *chain = chain_get(pool, shared, ns);
        if (chain) {
            link_chain(dst, chain);
            ns = 0; /* its references are the chain's now */
        } else {
            rc = -1;
        }
    }
    for (size_t i = 0; i < ns; i++) {
        intern_put(pool, shared[i].key);
        intern_put(pool, shared[i].value);
    }
    free(shared);
    return rc;
}

/*
 * Adds the labels or the annotations (`key`) of a node to `meta`: labels that
 * are an object of strings as own items and a shared chain, an object of
 * annotations as the ones the rules read (rule_node_annotations); anything
 * else copied as it is (the rules check types).  0, or -1 when out of memory.
 */
static int add_map(struct intern_pool *pool, cJSON *meta, const char *key, const cJSON *src,
                   const char *node_name)
{
    int labels = strcmp(key, "labels") == 0;
    if (!src)
        return 0;
    if (labels ? !chainable(src) : !cJSON_IsObject(src))
        return intern_add(pool, meta, key, intern_copy(pool, src));
    cJSON *dst = cJSON_CreateObject();
    if (intern_add(pool, meta, key, dst) != 0)
        return -1;
    return labels ? split_labels(pool, dst, src, node_name)
                  : copy_fields(pool, dst, src, rule_node_annotations);
}

cJSON *intern_trimmed_node(struct intern_pool *pool, const cJSON *node)
{
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(node, "metadata");
    const cJSON *spec = cJSON_GetObjectItemCaseSensitive(node, "spec");
    if (!cJSON_IsObject(node) || !cJSON_IsObject(meta) ||
        !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(meta, "name")))
        return NULL;
    cJSON *t = cJSON_CreateObject();
    cJSON *tm = cJSON_CreateObject(), *ts = cJSON_CreateObject();
    if (!t || !tm || !ts) {
        cJSON_Delete(t);
        cJSON_Delete(tm);
        cJSON_Delete(ts);
        return NULL;
    }
    /* tm and ts join t first, so a failure below frees them with it */
    if (intern_add(pool, t, "apiVersion", intern_string(pool, "v1")) != 0 ||
        intern_add(pool, t, "kind", intern_string(pool, "Node")) != 0) {
        cJSON_Delete(tm);
        cJSON_Delete(ts);
        intern_tree_delete(pool, t);
        return NULL;
    }
    if (intern_add(pool, t, "metadata", tm) != 0) {
        cJSON_Delete(ts);
        intern_tree_delete(pool, t);
        return NULL;
    }
    const char *name = cJSON_GetObjectItemCaseSensitive(meta, "name")->valuestring;
    if (intern_add(pool, t, "spec", ts) != 0 ||
        copy_fields(pool, tm, meta, rule_node_metadata) != 0 ||
        add_map(pool, tm, "labels", cJSON_GetObjectItemCaseSensitive(meta, "labels"), name) != 0 ||
        add_map(pool, tm, "annotations", cJSON_GetObjectItemCaseSensitive(meta, "annotations"),
                name) != 0 ||
        (cJSON_IsObject(spec) && copy_fields(pool, ts, spec, rule_node_spec) != 0)) {
        intern_tree_delete(pool, t);
        return NULL;
    }
    return compact(t);
}
