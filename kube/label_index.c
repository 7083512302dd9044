/*
 * kube/label_index.c - an object's labels indexed for many lookups (see
 * kube/label_index.h).  Among members of the same name the first one wins,
 * as cJSON_GetObjectItemCaseSensitive (and so meta_label) finds it.
 */
#include "kube/label_index.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kube/object.h"

/*
 * Label keys share long prefixes ("cpu-feature.node.kubevirt.io/...") and
 * differ at their end, so the hash mixes the length with the last eight
 * bytes: cheap (one vectorised strlen) and well spread for such keys.
 */
static uint64_t hash_key(const char *s)
{
    size_t len = strlen(s);
    uint64_t tail = 0;
    memcpy(&tail, s + (len > 8 ? len - 8 : 0), len > 8 ? 8 : len);
    uint64_t h = (tail ^ (len * 0x9E3779B97F4A7C15ULL)) * 0xBF58476D1CE4E5B9ULL;
    return h ^ (h >> 31);
}

/* Items from `from` to the end of its list; *unnamed set when one has no name. */
static size_t count_items(const cJSON *from, bool *unnamed)
{
    size_t n = 0;
    *unnamed = false;
    for (const cJSON *l = from; l; l = l->next, n++)
        *unnamed = *unnamed || !l->string;
    return n;
}

/* The smallest power of two >= `least` holding n items at most half full. */
static size_t table_size(size_t n, size_t least)
{
    size_t size = least;
    while (size < 2 * n)
        size *= 2;
    return size;
}

/* Puts the named items from `from` to the end of its list into the empty table. */
static void fill_table(const cJSON **slots, size_t mask, const cJSON *from)
{
    for (const cJSON *l = from; l; l = l->next) {
        if (!l->string)
            continue;
        size_t i = (size_t)hash_key(l->string) & mask;
        while (slots[i] && strcmp(slots[i]->string, l->string) != 0)
            i = (i + 1) & mask;
        if (!slots[i]) /* a later duplicate name does not replace the first */
            slots[i] = l;
    }
}

void label_index_init(struct label_index *ix, const cJSON *obj)
{
    ix->labels = obj_object(obj_object(obj, "metadata"), "labels");
    ix->slots = NULL;
    ix->mask = 0;
    ix->own_end = NULL;
    ix->borrowed = false;
    ix->unnamed = false;
    if (!ix->labels)
        return;
    ix->own_end = ix->labels->child; /* the table holds every item */
    size_t size = table_size(count_items(ix->labels->child, &ix->unnamed), LABEL_INDEX_INLINE);
    if (size == LABEL_INDEX_INLINE) {
        memset(ix->inline_slots, 0, sizeof(ix->inline_slots));
        ix->slots = ix->inline_slots;
    } else if (!(ix->slots = calloc(size, sizeof(*ix->slots)))) {
        return; /* out of memory: linear lookups */
    }
    ix->mask = size - 1;
    fill_table(ix->slots, ix->mask, ix->labels->child);
}

/*
 * Indexes what the list starting at `head` shares with the entry's first list
 * (the items from where the two lists join to their common end).  0, or -1
 * when they share nothing or out of memory.
 */
static int index_shared(struct label_index_cache *cache, size_t e, const cJSON *head)
{
    const cJSON *a = cache->entry[e].head, *b = head;
    bool unnamed;
    size_t na = count_items(a, &unnamed), nb = count_items(b, &unnamed);
    for (; na > nb; na--)
        a = a->next;
    for (; nb > na; nb--)
        b = b->next;
    while (a != b) {
        a = a->next;
        b = b->next;
    }
    if (!a)
        return -1;
    size_t size = table_size(count_items(a, &unnamed), 16);
    const cJSON **slots = calloc(size, sizeof(*slots));
    if (!slots)
        return -1;
    fill_table(slots, size - 1, a);
    cache->entry[e].first = a;
    cache->entry[e].slots = slots;
    cache->entry[e].mask = size - 1;
    cache->entry[e].unnamed = unnamed;
    return 0;
}

void label_index_init_cached(struct label_index *ix, const cJSON *obj,
                             struct label_index_cache *cache)
{
    const cJSON *labels = obj_object(obj_object(obj, "metadata"), "labels");
    const cJSON *head = labels ? labels->child : NULL;
    const cJSON *tail = head ? head->prev : NULL; /* cJSON keeps the last item there */
    if (!tail || tail->next) {
        label_index_init(ix, obj);
        return;
    }
    size_t e = 0;
    while (e < cache->n && cache->entry[e].tail != tail)
        e++;
    if (e == cache->n) { /* the first list with this end: remembered, indexed alone */
        if (cache->n < LABEL_INDEX_CACHED) {
            cache->entry[e].tail = tail;
            cache->entry[e].head = head;
            cache->n++;
        }
        label_index_init(ix, obj);
        return;
    }
    if (!cache->entry[e].first && cache->entry[e].head && index_shared(cache, e, head) != 0)
        cache->entry[e].head = NULL; /* nothing to share: every list of it indexed alone */
    const cJSON *first = cache->entry[e].first, *l = head;
    bool unnamed = false;
    for (size_t own = 0; first && l && l != first && own < LABEL_INDEX_OWN_MAX; l = l->next, own++)
        unnamed = unnamed || !l->string;
    if (!first || l != first) { /* joins the shared items later, or has too many of its own */
        label_index_init(ix, obj);
        return;
    }
    ix->labels = labels;
    ix->slots = cache->entry[e].slots;
    ix->mask = cache->entry[e].mask;
    ix->own_end = first;
    ix->borrowed = true;
    ix->unnamed = unnamed || cache->entry[e].unnamed;
}

const cJSON *label_index_find(const struct label_index *ix, const char *key)
{
    if (!ix->labels || !key)
        return NULL;
    if (!ix->slots)
        return cJSON_GetObjectItemCaseSensitive(ix->labels, key);
    for (const cJSON *l = ix->labels->child; l != ix->own_end; l = l->next)
        if (l->string && strcmp(l->string, key) == 0)
            return l;
    size_t i = (size_t)hash_key(key) & ix->mask;
    for (const cJSON *l; (l = ix->slots[i]); i = (i + 1) & ix->mask)
        if (strcmp(l->string, key) == 0)
            return l;
    return NULL;
}

const char *label_index_get(const struct label_index *ix, const char *key)
{
    const cJSON *l = label_index_find(ix, key);
    return cJSON_IsString(l) ? l->valuestring : NULL;
}

void label_index_free(struct label_index *ix)
{
    if (ix->slots && ix->slots != ix->inline_slots && !ix->borrowed)
        free(ix->slots);
    ix->slots = NULL;
    ix->labels = NULL;
}

void label_index_cache_init(struct label_index_cache *cache)
{
    memset(cache, 0, sizeof(*cache));
}

void label_index_cache_free(struct label_index_cache *cache)
{
    for (size_t e = 0; e < cache->n; e++)
        free(cache->entry[e].slots);
    label_index_cache_init(cache);
}
