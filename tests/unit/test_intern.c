/*
 * Unit tests for cluster/intern.c: one copy per distinct string, reference
 * counts that empty the pool, pooled trees that read like the original,
 * trimmed Nodes that keep exactly the fields the rules read, and label chains
 * shared between nodes that read like each node's own labels.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "test_main.h"
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
    "\"cpu-model.node.kubevirt.io/Skylake-Server\":\"true\"},\"annotations\":{\"a\":\"1\","
    "\"harvesterhci.io/drain-requested\":\"true\",\"csi.volume.kubernetes.io/nodeid\":\"{}\","
    "\"harvesterhci.io/maintain-status\":\"running\"}},"
    "\"spec\":{\"podCIDR\":\"10.0.0.0/24\",\"unschedulable\":true,\"taints\":[{\"key\":\"k\","
    "\"effect\":\"NoSchedule\"}]},\"status\":{\"capacity\":{\"cpu\":\"32\"},\"images\":[]}}";

static void trimmed_node_keeps_what_rules_read(void **state)
{
    (void)state;
    struct intern_pool *pool = intern_pool_new();
    cJSON *node = cJSON_Parse(NODE);
    cJSON *t = intern_trimmed_node(pool, node);
    assert_non_null(t);
    cJSON *expect = cJSON_Parse(
        "{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"node-a\","
        "\"uid\":\"u-1\","
        "\"labels\":{\"kubevirt.io/schedulable\":\"true\",\"cpu-model.node.kubevirt.io/"
        "Skylake-Server\":\"true\"},\"annotations\":{\"harvesterhci.io/drain-requested\":"
        "\"true\",\"harvesterhci.io/maintain-status\":\"running\"}},\"spec\":{"
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

/* A Node named `name` with the labels of `labels` (a JSON object text) and a few annotations. */
static cJSON *node_with_labels(const char *name, const char *labels)
{
    char text[4096];
    snprintf(text, sizeof(text),
             "{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"%s\","
             "\"labels\":%s,\"annotations\":{\"x\":\"y\"}}}",
             name, labels);
    cJSON *node = cJSON_Parse(text);
    assert_non_null(node);
    return node;
}

static const cJSON *labels_of(const cJSON *trimmed)
{
    return cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(trimmed, "metadata"),
                                            "labels");
}

/* The item after the first `own` labels: where the shared chain starts. */
static const cJSON *after_own(const cJSON *labels, int own)
{
    const cJSON *c = labels->child;
    while (own-- > 0)
        c = c->next;
    return c;
}

/* Every label of `want` is in `got` with its value, and `got` holds nothing else, each once. */
static void assert_same_labels(const cJSON *got, const cJSON *want)
{
    int n = 0;
    const cJSON *c;
    cJSON_ArrayForEach (c, got) {
        const cJSON *w = cJSON_GetObjectItemCaseSensitive(want, c->string);
        assert_non_null(w);
        assert_string_equal(c->valuestring, w->valuestring);
        assert_ptr_equal(cJSON_GetObjectItemCaseSensitive(got, c->string), c); /* once */
        n++;
    }
    assert_int_equal(n, cJSON_GetArraySize(want));
}

#define SHARED_LABELS                                                                              \
    "\"kubevirt.io/schedulable\":\"true\",\"cpu-model.node.kubevirt.io/Skylake-Server\":\"true\"," \
    "\"cpu-feature.node.kubevirt.io/avx2\":\"true\",\"beta.kubernetes.io/arch\":\"amd64\","        \
    "\"node-role.kubernetes.io/worker\":\"true\""

static void nodes_share_label_chains(void **state)
{
    (void)state;
    struct intern_pool *pool = intern_pool_new();
    cJSON *a = node_with_labels("node-a", "{\"kubernetes.io/hostname\":\"node-a\"," SHARED_LABELS
                                          ",\"example.io/id\":\"id-node-a-1\"}");
    cJSON *b =
        node_with_labels("node-b", "{" SHARED_LABELS ",\"kubernetes.io/hostname\":\"node-b\","
                                   "\"example.io/id\":\"id-node-b-2\"}");
    cJSON *c = node_with_labels("node-c", "{" SHARED_LABELS "}");
    cJSON *d = node_with_labels("node-d", "{" SHARED_LABELS ",\"example.io/rack\":\"r7\"}");
    cJSON *ta = intern_trimmed_node(pool, a), *tb = intern_trimmed_node(pool, b);
    cJSON *tc = intern_trimmed_node(pool, c), *td = intern_trimmed_node(pool, d);
    assert_non_null(ta);
    assert_non_null(tb);
    assert_non_null(tc);
    assert_non_null(td);
    const cJSON *la = labels_of(ta), *lb = labels_of(tb), *lc = labels_of(tc), *ld = labels_of(td);

    /* own labels first, in document order, then the shared ones sorted by key */
    assert_string_equal(la->child->string, "kubernetes.io/hostname");
    assert_string_equal(la->child->next->string, "example.io/id");
    assert_string_equal(after_own(la, 2)->string, "beta.kubernetes.io/arch");
    assert_string_equal(la->child->prev->string, "node-role.kubernetes.io/worker"); /* the tail */
    assert_null(la->child->prev->next);
    assert_ptr_not_equal(la->child, lb->child);

    /* same shared labels, same chain; a node without own labels starts on it */
    assert_ptr_equal(after_own(la, 2), after_own(lb, 2));
    assert_ptr_equal(lc->child, after_own(la, 2));
    assert_ptr_not_equal(ld->child, after_own(la, 2)); /* one more label: a chain of its own */
    assert_int_equal(intern_chain_count(pool), 2);

    /* lookups and iteration see every label once */
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(la, "kubernetes.io/hostname")->valuestring,
                        "node-a");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(lb, "example.io/id")->valuestring,
                        "id-node-b-2");
    assert_string_equal(
        cJSON_GetObjectItemCaseSensitive(lb, "beta.kubernetes.io/arch")->valuestring, "amd64");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(ld, "example.io/rack")->valuestring, "r7");
    assert_null(cJSON_GetObjectItemCaseSensitive(lc, "kubernetes.io/hostname"));
    const cJSON *src_labels[] = {labels_of(a), labels_of(b), labels_of(c), labels_of(d)};
    const cJSON *got[] = {la, lb, lc, ld};
    for (int i = 0; i < 4; i++)
        assert_same_labels(got[i], src_labels[i]);

    /* a node's own block holds its own items only: the chain is the pool's */
    assert_true(intern_tree_bytes(tc) < intern_tree_bytes(ta));
    assert_true(intern_tree_bytes(tc) < 14 * sizeof(cJSON));

    /* freeing one node leaves the others whole */
    intern_tree_delete(pool, ta);
    assert_same_labels(lb, src_labels[1]);
    assert_same_labels(lc, src_labels[2]);
    intern_tree_delete(pool, tc);
    assert_same_labels(lb, src_labels[1]);
    assert_int_equal(intern_chain_count(pool), 2);
    char *printed = cJSON_PrintUnformatted(tb);
    cJSON *reparsed = cJSON_Parse(printed);
    assert_true(cJSON_Compare(labels_of(reparsed), src_labels[1], 1));
    intern_tree_delete(pool, tb);
    assert_int_equal(intern_chain_count(pool), 1);
    intern_tree_delete(pool, td);
    assert_int_equal(intern_chain_count(pool), 0);
    assert_int_equal(intern_pool_count(pool), 0); /* every reference given back */

    free(printed);
    cJSON_Delete(reparsed);
    cJSON_Delete(a);
    cJSON_Delete(b);
    cJSON_Delete(c);
    cJSON_Delete(d);
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

TEST_MAIN(cmocka_unit_test(one_copy_per_string), cmocka_unit_test(grows_and_keeps_every_string),
          cmocka_unit_test(trimmed_node_keeps_what_rules_read),
          cmocka_unit_test(nodes_share_label_chains),
          cmocka_unit_test(trimmed_node_refuses_bad_shapes), cmocka_unit_test(threads_share_a_pool))
