/*
 * tests/unit/fake_view.h - the in-memory cluster views of the unit tests, so
 * rule tests depend on nothing but the view interface (cluster/view.h):
 *
 *   view_over(objects)     the static view (cluster/static.h) over a cJSON
 *                          array of objects (taken: build it whole first);
 *   view_of_array(objects) the same over a copy of them;
 *   failing_view           every lookup fails: the API server refuses the connection;
 *   silent_view            every lookup fails: the API server does not answer in time.
 *
 * The rule tests thus read objects exactly as `--cluster-dir` does: Nodes
 * trimmed to the fields rules read, lookups by kind, namespace and label.
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

#include "cluster/static.h"
#include "cluster/view.h"
#include "kube/object.h"

/* A view over `objects` (an array; taken).  Free with cv_destroy. */
static inline struct cluster_view *view_over(cJSON *objects)
{
    struct cluster_view *v = static_view_new(objects);
    assert_non_null(v);
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
