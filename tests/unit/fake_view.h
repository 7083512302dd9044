/*
 * tests/unit/fake_view.h - the in-memory cluster views of the unit tests, so
 * rule tests depend on nothing but the view interface (cluster/view.h):
 *
 *   view_over(objects)     a view over a cJSON array of objects (taken);
 *   view_of_array(objects) the same over a copy of them;
 *   failing_view           every lookup fails: the API server refuses the connection;
 *   silent_view            every lookup fails: the API server does not answer in time.
 *
 * Lookups go by kind, namespace ("" and a missing one read "default"), name
 * and label, like cluster/static.c.
 */
#ifndef MW_TESTS_FAKE_VIEW_H
#define MW_TESTS_FAKE_VIEW_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/view.h"
#include "kube/object.h"

static inline int fake_view_wants(const cJSON *o, enum cv_kind kind, const char *ns)
{
    const char *k = obj_string(o, "kind");
    if (!k || cv_kind_from_name(k) != (int)kind)
        return 0;
    if (!ns || !cv_kind_namespaced(kind))
        return 1;
    const char *ons = meta_namespace(o);
    return strcmp(ons && *ons ? ons : "default", *ns ? ns : "default") == 0;
}

static inline enum cv_result fake_view_get(const struct cluster_view *v, struct cv_scope *s,
                                           enum cv_kind kind, const char *ns, const char *name,
                                           const cJSON **out)
{
    (void)s;
    const cJSON *o;
    cJSON_ArrayForEach (o, (const cJSON *)v->impl) {
        const char *n = meta_name(o);
        if (n && strcmp(n, name) == 0 && fake_view_wants(o, kind, ns ? ns : "")) {
            *out = o;
            return CV_OK;
        }
    }
    return CV_NOT_FOUND;
}

static inline enum cv_result fake_view_list(const struct cluster_view *v, struct cv_scope *s,
                                            enum cv_kind kind, const char *ns, const char *key,
                                            const char *value, const cJSON **out)
{
    cJSON *arr = cJSON_CreateArray();
    cv_scope_hold_json(s, arr);
    const cJSON *o;
    cJSON_ArrayForEach (o, (const cJSON *)v->impl)
        if (fake_view_wants(o, kind, ns) && meta_label_matches(o, key, value))
            cJSON_AddItemReferenceToArray(arr, (cJSON *)o);
    *out = arr;
    return CV_OK;
}

static inline int fake_view_ready(const struct cluster_view *v)
{
    (void)v;
    return 1;
}

static inline void fake_view_destroy(struct cluster_view *v)
{
    cJSON_Delete(v->impl);
    free(v);
}

static const struct cluster_view_ops fake_view_ops
    __attribute__((unused)) = {.get = fake_view_get,
                               .list = fake_view_list,
                               .ready = fake_view_ready,
                               .destroy = fake_view_destroy};

/* A view over `objects` (an array; taken).  Free with cv_destroy. */
static inline struct cluster_view *view_over(cJSON *objects)
{
    struct cluster_view *v = calloc(1, sizeof(*v));
    assert_non_null(v);
    v->ops = &fake_view_ops;
    v->impl = objects;
    return v;
}

/* A view over a copy of the items of `objects`.  Free with cv_destroy. */
static inline struct cluster_view *view_of_array(const cJSON *objects)
{
    return view_over(cJSON_Duplicate(objects, 1));
}

/*
 * A view whose every lookup fails.  Its impl names what a failed GET and a
 * failed LIST say (struct failing_says); without one both say that the API
 * server did not answer in time.
 */
struct failing_says {
    const char *get, *list;
};

static inline enum cv_result failing_get(const struct cluster_view *v, struct cv_scope *s,
                                         enum cv_kind kind, const char *ns, const char *name,
                                         const cJSON **out)
{
    (void)kind, (void)ns, (void)name, (void)out;
    const struct failing_says *says = v->impl;
    return cv_scope_fail(s, "%s", says ? says->get : "the API server did not answer in time");
}

static inline enum cv_result failing_list(const struct cluster_view *v, struct cv_scope *s,
                                          enum cv_kind kind, const char *ns, const char *k,
                                          const char *val, const cJSON **out)
{
    (void)kind, (void)ns, (void)k, (void)val, (void)out;
    const struct failing_says *says = v->impl;
    return cv_scope_fail(s, "%s", says ? says->list : "the API server did not answer in time");
}

static inline int failing_ready(const struct cluster_view *v)
{
    (void)v;
    return 0;
}

static inline void failing_destroy(struct cluster_view *v)
{
    (void)v;
}

static const struct cluster_view_ops failing_ops __attribute__((unused)) = {
    .get = failing_get, .list = failing_list, .ready = failing_ready, .destroy = failing_destroy};

/* A failing view whose API server does not answer in time. */
static const struct cluster_view silent_view __attribute__((unused)) = {.ops = &failing_ops};

/* The failing view of the rule tests: the API server refuses the connection. */
static const struct failing_says refused
    __attribute__((unused)) = {"GET: connection refused", "LIST: connection refused"};
static const struct cluster_view failing_view
    __attribute__((unused)) = {.ops = &failing_ops, .impl = (void *)&refused};

#endif
