/*
 * Unit tests for cluster/intern.c: one copy per distinct string, reference
 * counts that empty the pool, pooled trees that read like the original, and
 * trimmed Nodes that keep exactly the fields the rules read.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/intern.h"

static void one_copy_per_string(void **state)
{
    (void)state;
    struct intern_pool *pool = intern_pool_new();
    char a[] = "cpu-feature.node.kubevirt.io/avx2", b[] = "cpu-feature.node.kubevirt.io/avx2";
    const char *x = intern_get(pool, a), *y = intern_get(pool, b), *z = intern_get(pool, "true");
    assert_ptr_equal(x, y);
    assert_ptr_not_equal(x, a);
    assert_string_equal(x, a);
    assert_string_equal(z, "true");
    assert_int_equal(intern_pool_count(pool), 2);
    intern_put(pool, x);
    assert_int_equal(intern_pool_count(pool), 2); /* y still holds it */
    intern_put(pool, y);
    intern_put(pool, z);
    assert_int_equal(intern_pool_count(pool), 0);
    intern_pool_free(pool);
}

static void grows_and_keeps_every_string(void **state)
{
    (void)state;
    struct intern_pool *pool = intern_pool_new();
    enum { N = 5000 };
    static const char *held[N];
    char s[32];
    for (int i = 0; i < N; i++) {
        snprintf(s, sizeof(s), "node-%05d", i);
        held[i] = intern_get(pool, s);
    }
    assert_int_equal(intern_pool_count(pool), N);
    for (int i = 0; i < N; i++) {
        snprintf(s, sizeof(s), "node-%05d", i);
        const char *again = intern_get(pool, s);
        assert_ptr_equal(again, held[i]);
        intern_put(pool, again);
    }
    for (int i = 0; i < N; i += 2)
        intern_put(pool, held[i]);
    assert_int_equal(intern_pool_count(pool), N / 2);
    intern_pool_free(pool); /* frees what is still held */
}

static const char *NODE =
    "{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"node-a\",\"uid\":\"u-1\","
    "\"resourceVersion\":\"42\",\"labels\":{\"kubevirt.io/schedulable\":\"true\","
    "\"cpu-model.node.kubevirt.io/Skylake-Server\":\"true\"},\"annotations\":{\"a\":\"1\"}},"
    "\"spec\":{\"podCIDR\":\"10.0.0.0/24\",\"unschedulable\":true,\"taints\":[{\"key\":\"k\","
    "\"effect\":\"NoSchedule\"}]},\"status\":{\"capacity\":{\"cpu\":\"32\"},\"images\":[]}}";

static void trimmed_node_keeps_what_rules_read(void **state)
{
    (void)state;
    struct intern_pool *pool = intern_pool_new();
    cJSON *node = cJSON_Parse(NODE);
    cJSON *t = intern_trimmed_node(pool, node);
    assert_non_null(t);
    cJSON *expect =
        cJSON_Parse("{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"node-a\","
                    "\"uid\":\"u-1\","
                    "\"labels\":{\"kubevirt.io/schedulable\":\"true\",\"cpu-model.node.kubevirt.io/"
                    "Skylake-Server\":\"true\"},\"annotations\":{\"a\":\"1\"}},\"spec\":{"
                    "\"unschedulable\":true,"
                    "\"taints\":[{\"key\":\"k\",\"effect\":\"NoSchedule\"}]}}");
    assert_true(cJSON_Compare(t, expect, 1));

    /* a second node shares every repeated string */
    cJSON *t2 = intern_trimmed_node(pool, node);
    const cJSON *l1 =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(t, "metadata"), "labels");
    const cJSON *l2 = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(t2, "metadata"), "labels");
    assert_ptr_equal(l1->child->string, l2->child->string);
    assert_ptr_equal(l1->child->valuestring, l2->child->valuestring);
    assert_true(cJSON_IsString(l1->child));

    /* printing and duplicating read the same values */
    char *printed = cJSON_PrintUnformatted(t);
    cJSON *reparsed = cJSON_Parse(printed);
    assert_true(cJSON_Compare(reparsed, expect, 1));
    cJSON *dup = cJSON_Duplicate(t, 1);
    assert_true(cJSON_Compare(dup, expect, 1));
    cJSON_Delete(dup); /* before t: its keys are the pool's */

    intern_tree_delete(pool, t);
    intern_tree_delete(pool, t2);
    assert_int_equal(intern_pool_count(pool), 0);
    free(printed);
    cJSON_Delete(reparsed);
    cJSON_Delete(expect);
    cJSON_Delete(node);
    intern_pool_free(pool);
}

static void trimmed_node_refuses_bad_shapes(void **state)
{
    (void)state;
    struct intern_pool *pool = intern_pool_new();
    static const char *bad[] = {"[]", "{}", "{\"metadata\":[]}", "{\"metadata\":{\"name\":7}}",
                                "\"x\""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cJSON *j = cJSON_Parse(bad[i]);
        assert_null(intern_trimmed_node(pool, j));
        cJSON_Delete(j);
    }
    /* wrong types below metadata are copied as they are: the rules check types */
    cJSON *odd = cJSON_Parse("{\"metadata\":{\"name\":\"n\",\"labels\":[1,null,false,\"x\"]},"
                             "\"spec\":\"nope\"}");
    cJSON *t = intern_trimmed_node(pool, odd);
    assert_non_null(t);
    const cJSON *labels =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(t, "metadata"), "labels");
    assert_true(cJSON_IsArray(labels));
    assert_int_equal(cJSON_GetArraySize(labels), 4);
    assert_true(cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(t, "spec")));
    intern_tree_delete(pool, t);
    cJSON_Delete(odd);
    assert_int_equal(intern_pool_count(pool), 0);
    intern_pool_free(pool);
}

struct worker {
    struct intern_pool *pool;
    int id;
};

static void *intern_a_lot(void *arg)
{
    struct worker *w = arg;
    char s[32];
    for (int round = 0; round < 200; round++) {
        const char *held[50];
        for (int i = 0; i < 50; i++) {
            snprintf(s, sizeof(s), "label-%d-%d", i, i % 2 ? w->id : 0);
            held[i] = intern_get(w->pool, s);
        }
        for (int i = 0; i < 50; i++)
            intern_put(w->pool, held[i]);
    }
    return NULL;
}

static void threads_share_a_pool(void **state)
{
    (void)state;
    struct intern_pool *pool = intern_pool_new();
    pthread_t t[4];
    struct worker w[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (struct worker){pool, i};
        pthread_create(&t[i], NULL, intern_a_lot, &w[i]);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(intern_pool_count(pool), 0);
    intern_pool_free(pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(one_copy_per_string),
        cmocka_unit_test(grows_and_keeps_every_string),
        cmocka_unit_test(trimmed_node_keeps_what_rules_read),
        cmocka_unit_test(trimmed_node_refuses_bad_shapes),
        cmocka_unit_test(threads_share_a_pool),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
