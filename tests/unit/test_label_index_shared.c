/* Unit tests for kube/label_index.c's cache: nodes whose labels share a tail (the static view's
 * label chains, and hand-linked lists joining anywhere) get the same answers through the cache as
 * one index each: the first item of a name in list order, unnamed items skipped. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "test_main.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/static.h"
#include "kube/label_index.h"
#include "kube/object.h"

/* The first item named `key` of the list, unnamed items skipped: what every index answers. */
static const cJSON *first_named(const cJSON *labels, const char *key)
{
    for (const cJSON *l = labels ? labels->child : NULL; l; l = l->next)
        if (l->string && strcmp(l->string, key) == 0)
            return l;
    return NULL;
}

/* Every node of `nodes` through one cache and alone answers `keys` as first_named; returns how
 * many indexes read a cache's table. */
static int same_answers(const cJSON *nodes, const char *const *keys, size_t nkeys)
{
    struct label_index_cache cache;
    label_index_cache_init(&cache);
    int borrowed = 0;
    const cJSON *node;
    cJSON_ArrayForEach (node, nodes) {
        const cJSON *labels = obj_object(obj_object(node, "metadata"), "labels");
        struct label_index cached, alone;
        label_index_init_cached(&cached, node, &cache);
        label_index_init(&alone, node);
        borrowed += cached.borrowed;
        assert_int_equal(cached.unnamed, alone.unnamed);
        for (size_t k = 0; k < nkeys; k++) {
            assert_ptr_equal(label_index_find(&cached, keys[k]), first_named(labels, keys[k]));
            assert_ptr_equal(label_index_find(&alone, keys[k]), first_named(labels, keys[k]));
        }
        for (const cJSON *l = labels ? labels->child : NULL; l; l = l->next)
            if (l->string)
                assert_ptr_equal(label_index_find(&cached, l->string),
                                 first_named(labels, l->string));
        label_index_free(&cached);
        label_index_free(&alone);
    }
    label_index_cache_free(&cache);
    return borrowed;
}

/* A Node named `name` with `nfeatures` feature labels of model `model`, its hostname label and
 * `nown` labels whose values contain its name (so they stay its own). */
static cJSON *node(const char *name, const char *model, int nfeatures, int nown)
{
    cJSON *n = cJSON_CreateObject();
    cJSON_AddStringToObject(n, "apiVersion", "v1");
    cJSON_AddStringToObject(n, "kind", "Node");
    cJSON *meta = cJSON_AddObjectToObject(n, "metadata");
    cJSON_AddStringToObject(meta, "name", name);
    cJSON *labels = cJSON_AddObjectToObject(meta, "labels");
    char key[96], value[96];
    cJSON_AddStringToObject(labels, "kubernetes.io/hostname", name);
    for (int i = 0; i < nown; i++) {
        snprintf(key, sizeof(key), "example.com/own-%d", i);
        snprintf(value, sizeof(value), "%s-%d", name, i);
        cJSON_AddStringToObject(labels, key, value);
    }
    cJSON_AddStringToObject(labels, "kubevirt.io/schedulable", "true");
    cJSON_AddStringToObject(labels, "dup", nown ? name : "shared"); /* own when it holds the name */
    cJSON_AddStringToObject(labels, "dup", "second");
    for (int i = 0; i < nfeatures; i++) {
        snprintf(key, sizeof(key), "cpu-feature.node.kubevirt.io/f%d", i);
        cJSON_AddStringToObject(labels, key, model);
    }
    return n;
}

static void view_label_chains(void **state)
{
    (void)state;
    cJSON *objects = cJSON_CreateArray();
    char name[32];
    for (int i = 0; i < 14; i++) {
        snprintf(name, sizeof(name), "node-%02d", i);
        /* models a (60 features) and b (20), one or two own labels; node-12 has twelve own
         * labels, more than are searched before a shared table; node-13 has none at all */
        cJSON *n = i == 13 ? cJSON_CreateObject()
                           : node(name, i % 3 ? "a" : "b", i % 3 ? 60 : 20, i == 12 ? 12 : i % 2);
        if (i == 13) {
            cJSON_AddStringToObject(n, "kind", "Node");
            cJSON_AddStringToObject(cJSON_AddObjectToObject(n, "metadata"), "name", name);
        }
        cJSON_AddItemToArray(objects, n);
    }
    struct cluster_view *view = static_view_new(objects);
    assert_non_null(view);
    struct cv_scope scope;
    cv_scope_init(&scope, 0);
    const cJSON *nodes = NULL;
    assert_int_equal(cv_list(view, &scope, CV_NODE, NULL, NULL, NULL, &nodes), CV_OK);
    const char *keys[] = {"dup",
                          "kubevirt.io/schedulable",
                          "kubernetes.io/hostname",
                          "example.com/own-0",
                          "example.com/own-11",
                          "cpu-feature.node.kubevirt.io/f0",
                          "cpu-feature.node.kubevirt.io/f59",
                          "cpu-feature.node.kubevirt.io/f60",
                          "missing",
                          ""};
    /* Four label chains: model a or b, with "dup"="shared" (no own label but the hostname) or
     * without (the first "dup" holds the name).  a: 1 5 7 11 and 2 4 8 10; b: 0 6 and 3 9 12.
     * All but the first node of each and node-12 read a shared table. */
    assert_int_equal(same_answers(nodes, keys, sizeof(keys) / sizeof(keys[0])), 8);
    cv_scope_release(&scope);
    cv_destroy(view);
}

/* ---- hand-linked lists ---- */

#define ITEMS 40

static cJSON items[ITEMS];

static cJSON *item(int i, const char *key, const char *value)
{
    memset(&items[i], 0, sizeof(items[i]));
    items[i].type = cJSON_String | cJSON_IsReference | cJSON_StringIsConst;
    items[i].string = (char *)key;
    items[i].valuestring = (char *)value;
    return &items[i];
}

/* Links `list` (NULL-ended) in order; the head's prev is `tail` (the last one when NULL). */
static cJSON *link_items(cJSON **list, cJSON *tail)
{
    size_t n = 0;
    while (list[n])
        n++;
    for (size_t i = 0; i + 1 < n; i++)
        list[i]->next = list[i + 1];
    list[0]->prev = tail ? tail : list[n - 1];
    return list[0];
}

/* A node object (no cJSON allocations below its labels) whose labels start at `head`. */
static cJSON *hand_node(cJSON *head)
{
    cJSON *n = cJSON_CreateObject();
    cJSON *labels = cJSON_AddObjectToObject(cJSON_AddObjectToObject(n, "metadata"), "labels");
    labels->child = head;
    return n;
}

static void hand_linked_lists(void **state)
{
    (void)state;
    /* shared: s0 .. s5, with an unnamed item and a duplicate name */
    cJSON *s[] = {item(0, "s0", "0"),
                  item(1, "s1", "1"),
                  item(2, NULL, "unnamed"),
                  item(3, "s3", "3"),
                  item(4, "s1", "again"),
                  item(5, "s5", "5"),
                  NULL};
    link_items(s, NULL);
    cJSON *a[] = {item(10, "a", "a"), item(11, "s3", "own s3"), s[0], NULL};
    cJSON *b[] = {item(12, "b", "b"), s[0], NULL};
    cJSON *c[] = {item(13, "c", "c"), item(14, NULL, "own unnamed"), s[3], NULL}; /* joins later */
    cJSON *d[] = {s[0], NULL};                                                    /* nothing own */
    cJSON *e[] = {item(15, "e", "e"), item(16, "s5", "e's"), NULL}; /* lies: no join */
    cJSON *heads[] = {link_items(a, s[5]), link_items(b, s[5]), link_items(c, s[5]),
                      link_items(d, s[5]), link_items(e, s[5])};
    items[16].next = NULL;
    cJSON *nodes = cJSON_CreateArray();
    for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++)
        cJSON_AddItemToArray(nodes, hand_node(heads[i]));
    /* e's head claims s5 as its tail without reaching it: stops the walk, answers alone */
    const char *keys[] = {"a", "b", "c", "e", "s0", "s1", "s3", "s5", "x", ""};
    int borrowed = same_answers(nodes, keys, sizeof(keys) / sizeof(keys[0]));
    assert_int_equal(borrowed, 2); /* b and d: a is the first, c joins after s0, e never */
    /* the labels are not the tree's: detach them before deleting it */
    cJSON *node;
    cJSON_ArrayForEach (node, nodes)
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(node, "metadata"),
                                         "labels")
            ->child = NULL;
    cJSON_Delete(nodes);
}

TEST_MAIN(cmocka_unit_test(view_label_chains), cmocka_unit_test(hand_linked_lists))
