/*
 * rules/common_models.c - the CPU models every schedulable VM node supports:
 * the advice of the no-target rule and of the host-model warning
 * (docs/rules.md#no-target).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "kube/object.h"
#include "kube/text.h"
#include "rules/affinity.h"
#include "rules/target_node.h"

/*
 * The distinct models M of the labels cpu-model.node.kubevirt.io/<M>=true of
 * `node`, in label order (borrowed from the labels); -1 when out of memory.
 */
static int models_of_node(const cJSON *node, const char ***models, size_t *n)
{
    *models = NULL;
    *n = 0;
    const cJSON *labels = obj_get(obj_get(node, "metadata"), "labels"), *label;
    size_t cap = (size_t)cJSON_GetArraySize(labels);
    if (cap && !(*models = malloc(cap * sizeof(**models))))
        return -1;
    cJSON_ArrayForEach (label, labels) {
        const char *key = label->string;
        if (!key || !text_starts_with(key, LABEL_CPU_MODEL) || !key[strlen(LABEL_CPU_MODEL)] ||
            !cJSON_IsString(label) || strcmp(label->valuestring, "true") != 0)
            continue;
        const char *model = key + strlen(LABEL_CPU_MODEL);
        bool known = false;
        for (size_t i = 0; i < *n && !known; i++)
            known = strcmp((*models)[i], model) == 0;
        if (!known && *n < cap)
            (*models)[(*n)++] = model;
    }
    return 0;
}

/*
 * Clears present[i] for each model the node does not carry as "true".  One
 * walk over the labels; like a lookup by key, only the first label with a
 * given key counts and the walk ends at the first unnamed item.
 */
static void keep_models_of_node(const cJSON *node, const char *const *models, size_t n,
                                bool *present, bool *decided)
{
    memset(decided, 0, n * sizeof(*decided));
    const cJSON *label;
    cJSON_ArrayForEach (label, obj_get(obj_get(node, "metadata"), "labels")) {
        if (!label->string)
            break;
        if (!text_starts_with(label->string, LABEL_CPU_MODEL))
            continue;
        const char *model = label->string + strlen(LABEL_CPU_MODEL);
        for (size_t i = 0; i < n; i++) {
            if (decided[i] || strcmp(models[i], model) != 0)
                continue;
            decided[i] = true;
            if (!(cJSON_IsString(label) && strcmp(label->valuestring, "true") == 0))
                present[i] = false;
            break;
        }
    }
    for (size_t i = 0; i < n; i++)
        if (!decided[i])
            present[i] = false;
}

char *join_sorted(const char **items, size_t n)
{
    size_t len = 1;
    for (size_t i = 0; i < n; i++)
        len += strlen(items[i]) + 2;
    qsort(items, n, sizeof(*items), text_compare_ptrs);
    char *out = malloc(len), *p = out;
    if (out)
        *p = '\0';
    for (size_t i = 0; out && i < n; i++)
        p = stpcpy(i ? stpcpy(p, ", ") : p, items[i]);
    return out;
}

/* "A, B, C" of the models whose `keep` is set, sorted; "none" when there are none.  Caller frees.
 */
static char *join_sorted_models(const char **models, size_t n, const bool *keep)
{
    size_t kept = 0;
    for (size_t i = 0; i < n; i++)
        if (keep[i])
            models[kept++] = models[i];
    return kept ? join_sorted(models, kept) : strdup("none");
}

/*
 * The models of the first schedulable node, kept when every schedulable node
 * carries them too: one walk over each node's labels.
 */
char *common_cpu_models(const cJSON *nodes)
{
    const cJSON *first = NULL, *node;
    cJSON_ArrayForEach (node, nodes)
        if (node_is_schedulable(node)) {
            first = node;
            break;
        }
    const char **models = NULL;
    size_t n = 0;
    if (models_of_node(first, &models, &n) != 0)
        return NULL;
    bool *present = n ? malloc(n * sizeof(*present)) : NULL;
    bool *decided = n ? malloc(n * sizeof(*decided)) : NULL;
    char *out = NULL;
    if (n == 0 || (present && decided)) {
        for (size_t i = 0; i < n; i++)
            present[i] = true;
        for (node = first; node && n; node = node->next)
            if (node_is_schedulable(node))
                keep_models_of_node(node, models, n, present, decided);
        out = join_sorted_models(models, n, present);
    }
    free(present);
    free(decided);
    free(models);
    return out;
}

static void *compute_common_cpu_models(const cJSON *nodes)
{
    return common_cpu_models(nodes);
}

const struct cv_derivation common_cpu_models_derivation = {
    .compute = compute_common_cpu_models,
    .release = free,
};
