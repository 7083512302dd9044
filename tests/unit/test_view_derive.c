/*
 * Unit tests for derived facts of the cluster view (cv_derive): a fact is
 * computed once per version of a list and shared; the static view keeps it for
 * its life; the overlay uses its base's fact unless the manifests add objects
 * of that kind, and then the fact covers them; a view without a memo computes
 * per call; out of memory is an error, not a wrong answer.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "test_main.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/overlay.h"
#include "cluster/static.h"
#include "cluster/view.h"

/* ---- a derivation that counts its calls: the names of the objects, joined */

static int computed;
static int fail_next;

static void *join_names(const cJSON *all)
{
    computed++;
    if (fail_next) {
        fail_next = 0;
        return NULL;
    }
    char *out = calloc(1, 256);
    const cJSON *o;
    cJSON_ArrayForEach (o, all) {
        const cJSON *name = cJSON_GetObjectItem(cJSON_GetObjectItem(o, "metadata"), "name");
        if (out && cJSON_IsString(name) && strlen(out) + strlen(name->valuestring) + 2 < 256) {
            if (*out)
                strcat(out, ",");
            strcat(out, name->valuestring);
        }
    }
    return out;
}

static const struct cv_derivation names = {.compute = join_names, .release = free};

static cJSON *nodes(const char *const *names_, size_t n)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++) {
        char text[256];
        snprintf(text, sizeof(text),
                 "{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"%s\","
                 "\"labels\":{\"kubernetes.io/hostname\":\"%s\"}}}",
                 names_[i], names_[i]);
        cJSON_AddItemToArray(arr, cJSON_Parse(text));
    }
    return arr;
}

/* d's value over `kind` in its own scope, copied out (the scope is released). */
static char *derived(const struct cluster_view *v, enum cv_kind kind, enum cv_result *r)
{
    struct cv_scope s;
    cv_scope_init(&s, 0);
    const void *value = NULL;
    *r = cv_derive(v, &s, kind, &names, &value);
    char *copy = value ? strdup(value) : NULL;
    cv_scope_release(&s);
    return copy;
}

static void static_view_computes_once(void **state)
{
    (void)state;
    const char *n[] = {"node-a", "node-b"};
    struct cluster_view *v = static_view_new(nodes(n, 2));
    assert_non_null(v);
    computed = 0;
    for (int i = 0; i < 3; i++) {
        enum cv_result r;
        char *value = derived(v, CV_NODE, &r);
        assert_int_equal(r, CV_OK);
        assert_string_equal(value, "node-a,node-b");
        free(value);
    }
    assert_int_equal(computed, 1);

    /* Another kind has its own memo: an empty list is a list too. */
    enum cv_result r;
    char *value = derived(v, CV_PVC, &r);
    assert_int_equal(r, CV_OK);
    assert_string_equal(value, "");
    free(value);
    assert_int_equal(computed, 2);
    cv_destroy(v);
}

static void out_of_memory_is_an_error_and_not_remembered(void **state)
{
    (void)state;
    const char *n[] = {"node-a"};
    struct cluster_view *v = static_view_new(nodes(n, 1));
    computed = 0;
    fail_next = 1;
    enum cv_result r;
    char *value = derived(v, CV_NODE, &r);
    assert_int_equal(r, CV_ERROR);
    assert_null(value);
    value = derived(v, CV_NODE, &r);
    assert_int_equal(r, CV_OK);
    assert_string_equal(value, "node-a");
    free(value);
    assert_int_equal(computed, 2);
    cv_destroy(v);
}

static void overlay_uses_base_memo_unless_it_adds_objects(void **state)
{
    (void)state;
    const char *n[] = {"node-a", "node-b"};
    struct cluster_view *base = static_view_new(nodes(n, 2));
    computed = 0;

    /* Manifests without nodes: the base's fact, computed once for both views. */
    cJSON *vm = cJSON_Parse("[{\"apiVersion\":\"kubevirt.io/v1\",\"kind\":\"VirtualMachine\","
                            "\"metadata\":{\"name\":\"vm\",\"namespace\":\"default\"}}]");
    struct cluster_view *ov = overlay_view_new(base, vm);
    enum cv_result r;
    char *value = derived(ov, CV_NODE, &r);
    assert_int_equal(r, CV_OK);
    assert_string_equal(value, "node-a,node-b");
    free(value);
    value = derived(base, CV_NODE, &r);
    assert_string_equal(value, "node-a,node-b");
    free(value);
    assert_int_equal(computed, 1);
    cv_destroy(ov);

    /* A manifest that adds a node: the fact covers the merged list. */
    const char *extra[] = {"node-c"};
    ov = overlay_view_new(base, nodes(extra, 1));
    value = derived(ov, CV_NODE, &r);
    assert_int_equal(r, CV_OK);
    assert_string_equal(value, "node-a,node-b,node-c");
    free(value);
    cv_destroy(ov);
    cv_destroy(base);
}

/* ---- a view with no derive op: the fact is computed on each call */

static enum cv_result plain_get(const struct cluster_view *v, struct cv_scope *s, enum cv_kind kind,
                                const char *ns, const char *name, const cJSON **out)
{
    (void)v, (void)s, (void)kind, (void)ns, (void)name, (void)out;
    return CV_NOT_FOUND;
}

static enum cv_result plain_list(const struct cluster_view *v, struct cv_scope *s,
                                 enum cv_kind kind, const char *ns, const char *key,
                                 const char *value, const cJSON **out)
{
    (void)s, (void)kind, (void)ns, (void)key, (void)value;
    *out = v->impl;
    return CV_OK;
}

static int plain_ready(const struct cluster_view *v)
{
    (void)v;
    return 1;
}

static void plain_destroy(struct cluster_view *v)
{
    (void)v;
}

static const struct cluster_view_ops plain_ops = {
    .get = plain_get, .list = plain_list, .ready = plain_ready, .destroy = plain_destroy};

static void view_without_memo_computes_per_call(void **state)
{
    (void)state;
    const char *n[] = {"node-x"};
    cJSON *arr = nodes(n, 1);
    struct cluster_view v = {.ops = &plain_ops, .impl = arr};
    computed = 0;
    for (int i = 0; i < 2; i++) {
        enum cv_result r;
        char *value = derived(&v, CV_NODE, &r);
        assert_int_equal(r, CV_OK);
        assert_string_equal(value, "node-x");
        free(value);
    }
    assert_int_equal(computed, 2);
    cJSON_Delete(arr);
}

TEST_MAIN(cmocka_unit_test(static_view_computes_once),
          cmocka_unit_test(out_of_memory_is_an_error_and_not_remembered),
          cmocka_unit_test(overlay_uses_base_memo_unless_it_adds_objects),
          cmocka_unit_test(view_without_memo_computes_per_call))
