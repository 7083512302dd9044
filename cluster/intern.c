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
 */
#include "cluster/intern.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct entry {
    struct entry *next;
    uint32_t hash;
    uint32_t refs;
    char str[];
};

struct intern_pool {
    pthread_mutex_t mu;
    struct entry **buckets;
    size_t nbuckets; /* a power of two */
    size_t count;
    size_t entry_bytes; /* heap held by the entries, allocator overhead included */
};

enum { INITIAL_BUCKETS = 256 };

#define COMPACT_ROOT (1 << 14) /* root of a tree laid out in one block */

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

struct intern_pool *intern_pool_new(void)
{
    struct intern_pool *pool = calloc(1, sizeof(*pool));
    if (!pool)
        return NULL;
    pool->buckets = calloc(INITIAL_BUCKETS, sizeof(pool->buckets[0]));
    if (!pool->buckets) {
        free(pool);
        return NULL;
    }
    pool->nbuckets = INITIAL_BUCKETS;
    pthread_mutex_init(&pool->mu, NULL);
    return pool;
}

void intern_pool_free(struct intern_pool *pool)
{
    if (!pool)
        return;
    for (size_t i = 0; i < pool->nbuckets; i++) {
        for (struct entry *e = pool->buckets[i], *next; e; e = next) {
            next = e->next;
            free(e);
        }
    }
    free(pool->buckets);
    pthread_mutex_destroy(&pool->mu);
    free(pool);
}

/* Doubles the table; keeps the old one when out of memory (lookups stay correct, only slower). */
static void grow(struct intern_pool *pool)
{
    size_t n = pool->nbuckets * 2;
    struct entry **b = calloc(n, sizeof(*b));
    if (!b)
        return;
    for (size_t i = 0; i < pool->nbuckets; i++) {
        for (struct entry *e = pool->buckets[i], *next; e; e = next) {
            next = e->next;
            e->next = b[e->hash & (n - 1)];
            b[e->hash & (n - 1)] = e;
        }
    }
    free(pool->buckets);
    pool->buckets = b;
    pool->nbuckets = n;
}

const char *intern_get(struct intern_pool *pool, const char *s)
{
    if (!pool || !s)
        return NULL;
    size_t len = strlen(s);
    uint32_t h = hash_of(s, len);
    const char *out = NULL;
    pthread_mutex_lock(&pool->mu);
    struct entry **slot = &pool->buckets[h & (pool->nbuckets - 1)];
    for (struct entry *e = *slot; e; e = e->next) {
        if (e->hash == h && strcmp(e->str, s) == 0 && e->refs < UINT32_MAX) {
            e->refs++;
            out = e->str;
            break;
        }
    }
    if (!out) {
        struct entry *e = malloc(sizeof(*e) + len + 1);
        if (e) {
            e->hash = h;
            e->refs = 1;
            memcpy(e->str, s, len + 1);
            e->next = *slot;
            *slot = e;
            pool->count++;
            pool->entry_bytes += heap_chunk(sizeof(*e) + len + 1);
            out = e->str;
            if (pool->count > pool->nbuckets)
                grow(pool);
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
    if (--e->refs == 0) {
        struct entry **p = &pool->buckets[e->hash & (pool->nbuckets - 1)];
        while (*p && *p != e)
            p = &(*p)->next;
        if (*p)
            *p = e->next;
        pool->count--;
        pool->entry_bytes -= heap_chunk(sizeof(*e) + strlen(e->str) + 1);
        free(e);
    }
    pthread_mutex_unlock(&pool->mu);
}

size_t intern_pool_count(struct intern_pool *pool)
{
    pthread_mutex_lock(&pool->mu);
    size_t n = pool->count;
    pthread_mutex_unlock(&pool->mu);
    return n;
}

size_t intern_pool_bytes(struct intern_pool *pool)
{
    pthread_mutex_lock(&pool->mu);
    size_t n = heap_chunk(sizeof(*pool)) + heap_chunk(pool->nbuckets * sizeof(pool->buckets[0])) +
               pool->entry_bytes;
    pthread_mutex_unlock(&pool->mu);
    return n;
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

/* Gives back the pool references held by `item`, its siblings and everything under them. */
static void release_refs(struct intern_pool *pool, cJSON *item)
{
    for (; item; item = item->next) {
        if (item->type & cJSON_StringIsConst)
            intern_put(pool, item->string);
        if (item->type & cJSON_IsReference) {
            if (cJSON_IsString(item))
                intern_put(pool, item->valuestring);
        } else {
            release_refs(pool, item->child);
        }
    }
}

void intern_tree_delete(struct intern_pool *pool, cJSON *tree)
{
    if (!tree)
        return;
    if (tree->type & COMPACT_ROOT) {
        release_refs(pool, tree->child); /* the root: an object without a pooled key */
        free(tree);
        return;
    }
    if (tree->type & cJSON_StringIsConst)
        intern_put(pool, tree->string);
    if (tree->type & cJSON_IsReference) {
        if (cJSON_IsString(tree))
            intern_put(pool, tree->valuestring);
    } else {
        release_refs(pool, tree->child);
    }
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

/* Items in the tree under `item` (itself included), or 0 when one owns a string (not compactable).
 */
static size_t count_compactable(const cJSON *item)
{
    if (item->string && !(item->type & cJSON_StringIsConst))
        return 0;
    if (item->type & cJSON_IsReference)
        return 1;
    if (item->valuestring)
        return 0;
    size_t n = 1;
    for (const cJSON *c = item->child; c; c = c->next) {
        size_t k = count_compactable(c);
        if (!k)
            return 0;
        n += k;
    }
    return n;
}

/* Copies `src` and everything under it into block[*at...], in document order. */
static cJSON *place(cJSON *block, size_t *at, const cJSON *src)
{
    cJSON *dst = &block[(*at)++];
    *dst = *src;
    dst->next = dst->prev = dst->child = NULL;
    if (src->type & cJSON_IsReference)
        return dst;
    cJSON *last = NULL;
    for (const cJSON *c = src->child; c; c = c->next) {
        cJSON *d = place(block, at, c);
        d->prev = last;
        if (last)
            last->next = d;
        else
            dst->child = d;
        last = d;
    }
    if (dst->child)
        dst->child->prev = last; /* cJSON keeps the tail in the head's prev */
    return dst;
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
    cJSON_Delete(tree); /* frees the items only: keys are constant, strings references */
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
        for (const cJSON *c = item->child; c; c = c->next)
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

cJSON *intern_trimmed_node(struct intern_pool *pool, const cJSON *node)
{
    static const char *const meta_fields[] = {"name", "uid", "labels", "annotations", NULL};
    static const char *const spec_fields[] = {"unschedulable", "taints", NULL};
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
    if (intern_add(pool, t, "spec", ts) != 0 || copy_fields(pool, tm, meta, meta_fields) != 0 ||
        (cJSON_IsObject(spec) && copy_fields(pool, ts, spec, spec_fields) != 0)) {
        intern_tree_delete(pool, t);
        return NULL;
    }
    return compact(t);
}
