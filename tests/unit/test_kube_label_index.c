/* Unit tests for kube/label_index.c: every lookup answers as meta_label does, for small and
 * large label sets (inline and allocated tables), duplicate names, values that are not strings,
 * and objects without labels. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "test_main.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/label_index.h"
#include "kube/object.h"

/* A node with n labels "cpu-feature.node.kubevirt.io/f<i>" = "true", plus a few odd ones. */
static cJSON *node_with_labels(int n)
{
    cJSON *node = cJSON_CreateObject();
    cJSON *labels = cJSON_AddObjectToObject(cJSON_AddObjectToObject(node, "metadata"), "labels");
    for (int i = 0; i < n; i++) {
        char key[64];
        snprintf(key, sizeof(key), "cpu-feature.node.kubevirt.io/f%d", i);
        cJSON_AddStringToObject(labels, key, i % 3 ? "true" : "false");
    }
    cJSON_AddStringToObject(labels, "kubevirt.io/schedulable", "true");
    cJSON_AddBoolToObject(labels, "boolean", 1);     /* not a string: no value */
    cJSON_AddStringToObject(labels, "dup", "first"); /* the first of a name wins */
    cJSON_AddStringToObject(labels, "dup", "second");
    cJSON_AddStringToObject(labels, "", "empty key");
    return node;
}

static void same_answers_as_meta_label(cJSON *node, int n)
{
    struct label_index ix;
    label_index_init(&ix, node);
    for (int i = -5; i < n + 5; i++) {
        char key[64];
        snprintf(key, sizeof(key), "cpu-feature.node.kubevirt.io/f%d", i);
        const char *want = meta_label(node, key), *got = label_index_get(&ix, key);
        if (want)
            assert_string_equal(got, want);
        else
            assert_null(got);
    }
    const char *keys[] = {"kubevirt.io/schedulable",      "boolean", "dup", "", "missing",
                          "cpu-feature.node.kubevirt.io/"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        const char *want = meta_label(node, keys[i]), *got = label_index_get(&ix, keys[i]);
        if (want)
            assert_string_equal(got, want);
        else
            assert_null(got);
    }
    assert_string_equal(label_index_get(&ix, "dup"), "first");
    assert_null(label_index_get(&ix, "boolean"));
    assert_null(label_index_get(&ix, NULL));
    label_index_free(&ix);
}

static void small_and_large_label_sets(void **state)
{
    (void)state;
    const int sizes[] = {0, 1, 60, 126, 127, 128, 129, 300, 5000};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        cJSON *node = node_with_labels(sizes[i]);
        same_answers_as_meta_label(node, sizes[i]);
        cJSON_Delete(node);
    }
}

static void objects_without_labels(void **state)
{
    (void)state;
    const char *texts[] = {"{}",
                           "[]",
                           "{\"metadata\":7}",
                           "{\"metadata\":{\"labels\":[1,2]}}",
                           "{\"metadata\":{\"labels\":null}}",
                           "\"node\""};
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        cJSON *obj = cJSON_Parse(texts[i]);
        assert_non_null(obj);
        struct label_index ix;
        label_index_init(&ix, obj);
        assert_null(label_index_get(&ix, "kubevirt.io/schedulable"));
        label_index_free(&ix);
        cJSON_Delete(obj);
    }
    struct label_index ix;
    label_index_init(&ix, NULL);
    assert_null(label_index_get(&ix, "x"));
    label_index_free(&ix);
}

TEST_MAIN(cmocka_unit_test(small_and_large_label_sets), cmocka_unit_test(objects_without_labels))
