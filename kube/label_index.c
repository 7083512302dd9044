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

void label_index_init(struct label_index *ix, const cJSON *obj)
{
    ix->labels = obj_object(obj_object(obj, "metadata"), "labels");
    ix->slots = NULL;
    ix->mask = 0;
    if (!ix->labels)
        return;
    size_t n = 0;
    for (const cJSON *l = ix->labels->child; l; l = l->next)
        n++;
    size_t size = LABEL_INDEX_INLINE;
    while (size < 2 * n)
        size *= 2;
    if (size == LABEL_INDEX_INLINE) {
        memset(ix->inline_slots, 0, sizeof(ix->inline_slots));
        ix->slots = ix->inline_slots;
    } else if (!(ix->slots = calloc(size, sizeof(*ix->slots)))) {
        return; /* out of memory: linear lookups */
    }
    ix->mask = size - 1;
    for (const cJSON *l = ix->labels->child; l; l = l->next) {
        if (!l->string)
            continue;
        size_t i = (size_t)hash_key(l->string) & ix->mask;
        while (ix->slots[i] && strcmp(ix->slots[i]->string, l->string) != 0)
            i = (i + 1) & ix->mask;
        if (!ix->slots[i]) /* a later duplicate name does not replace the first */
            ix->slots[i] = l;
    }
}

const cJSON *label_index_find(const struct label_index *ix, const char *key)
{
    if (!ix->labels || !key)
        return NULL;
    if (!ix->slots)
        return cJSON_GetObjectItemCaseSensitive(ix->labels, key);
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
    if (ix->slots && ix->slots != ix->inline_slots)
        free(ix->slots);
    ix->slots = NULL;
    ix->labels = NULL;
}
