/*
 * tests/unit/migration_fixture.h - the migration context (rules/target_node.h) of a VMI in
 * namespace default over an in-memory cluster, set up and torn down in one call each:
 *
 *   struct migration_fixture f;
 *   migration_open(HERE, &f, cluster, vmi, CV_OK);   (cluster and vmi taken)
 *   ... f.ctx ...
 *   migration_close(&f);
 */
#ifndef MW_TESTS_MIGRATION_FIXTURE_H
#define MW_TESTS_MIGRATION_FIXTURE_H

#include "rule_fixtures.h"
#include "rules/target_node.h"

struct migration_fixture {
    struct cluster_view *view; /* over the cluster, or NULL for silent_view */
    cJSON *vmi;
    struct cv_scope scope;
    struct migration_ctx ctx;
};

/* The case `what`: opens the context of `vmi` over `cluster` (NULL: silent_view), and
 * migration_ctx_init returns `want`.  Takes both. */
static inline void migration_open(const char *what, struct migration_fixture *f, cJSON *cluster,
                                  cJSON *vmi, enum cv_result want)
{
    f->view = cluster ? view_over(cluster) : NULL;
    f->vmi = vmi;
    cv_scope_init(&f->scope, 0);
    enum cv_result got =
        migration_ctx_init(&f->ctx, vmi, "default", f->view ? f->view : &silent_view, &f->scope);
    name_failing_case(what, got != want);
    assert_int_equal(got, want);
}

static inline void migration_close(struct migration_fixture *f)
{
    migration_ctx_free(&f->ctx);
    cv_scope_release(&f->scope);
    if (f->view)
        cv_destroy(f->view);
    cJSON_Delete(f->vmi);
}

#endif
