/* Unit tests for the node facts rules/eligibility.c takes from the view's memo: whatever version
 * of the node list the view derived them from (a live view's list may change between the review's
 * list and its derive), the candidate list and the no-target pass answer as when every node is
 * judged from the review's own list. */
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
#include "kube/object.h"
#include "rules/target_node.h"

/* A view over `base` (its lookups the base's) whose Node facts are derived from `stale` (NULL: no
 * memo at all). */
struct stale_view {
    const cJSON *stale;
    struct cv_memo memo;
};

static enum cv_result stale_derive(const struct cluster_view *v, struct cv_scope *s,
                                   enum cv_kind kind, const struct cv_derivation *d,
                                   const void **out)
{
    struct stale_view *sv = v->impl;
    if (kind == CV_NODE)
        return cv_memo_get(&sv->memo, s, d, sv->stale, out);
    return cv_derive(v->base, s, kind, d, out);
}

static void stale_destroy(struct cluster_view *v)
{
    struct stale_view *sv = v->impl;
    cv_memo_clear(&sv->memo);
    free(sv);
    free(v);
}

static const struct cluster_view_ops stale_ops = {.derive = stale_derive, .destroy = stale_destroy};
static const struct cluster_view_ops plain_ops = {.derive = cv_derive_from_list,
                                                  .destroy = stale_destroy};

static struct cluster_view *stale_view(const struct cluster_view *base, const cJSON *stale)
{
    struct cluster_view *v = calloc(1, sizeof(*v));
    struct stale_view *sv = calloc(1, sizeof(*sv));
    assert_non_null(v);
    assert_non_null(sv);
    sv->stale = stale;
    cv_memo_init(&sv->memo);
    v->ops = stale ? &stale_ops : &plain_ops;
    v->base = base;
    v->impl = sv;
    return v;
}

/* "name step reason; ..." of the candidate list of `vmi` on `view`, then the no-target pass. */
static char *answers(const struct cluster_view *view, const cJSON *vmi)
{
    struct cv_scope scope;
    cv_scope_init(&scope, 0);
    struct migration_ctx ctx;
    char *out = strdup("");
    if (migration_ctx_init(&ctx, vmi, meta_namespace(vmi), view, &scope) == CV_OK) {
        struct node_check *checks = NULL;
        size_t n = 0;
        assert_int_equal(target_node_candidates(&ctx, &checks, &n), 0);
        for (int pass = 0; pass < 2; pass++) {
            for (size_t i = 0; i < n; i++) {
                char *more;
                assert_true(asprintf(&more, "%s%s %d %s; ", out,
                                     checks[i].name ? checks[i].name : "-", checks[i].step,
                                     checks[i].reason ? checks[i].reason : "-") > 0);
                free(out);
                out = more;
            }
            node_checks_free(checks, n);
            checks = NULL;
            n = 0;
            if (pass == 0) {
                int any = target_node_any_candidate(&ctx, 2, &checks, &n);
                char *more;
                assert_true(asprintf(&more, "%s| any %d: ", out, any) > 0);
                free(out);
                out = more;
            }
        }
    }
    migration_ctx_free(&ctx);
    cv_scope_release(&scope);
    return out;
}

/* Every running VMI of the example cluster answers the same on `view` as on `reference`. */
static int same_answers(const struct cluster_view *reference, const struct cluster_view *view)
{
    struct cv_scope scope;
    cv_scope_init(&scope, 0);
    const cJSON *vmis = NULL, *vmi;
    assert_int_equal(cv_list(reference, &scope, CV_VMI, NULL, NULL, NULL, &vmis), CV_OK);
    int compared = 0;
    cJSON_ArrayForEach (vmi, vmis) {
        char *want = answers(reference, vmi), *got = answers(view, vmi);
        assert_string_equal(got, want);
        compared += *want != '\0';
        free(want);
        free(got);
    }
    cv_scope_release(&scope);
    return compared;
}

static struct cluster_view *example_cluster(void)
{
    const char *src = getenv("MW_SOURCE_DIR");
    char dir[1024], err[512];
    snprintf(dir, sizeof(dir), "%s/examples/cluster", src ? src : ".");
    struct cluster_view *v = static_view_load(dir, err, sizeof(err));
    if (!v)
        fail_msg("%s", err);
    return v;
}

/* `nodes` as references, but `changed` (by name) replaced by a copy with `field` = true in its
 * spec, `dropped` left out, and a copy of the first node named "node-zz" added at the end. */
static cJSON *version_of(const cJSON *nodes, const char *changed, const char *field,
                         const char *dropped)
{
    cJSON *out = cJSON_CreateArray(), *node;
    cJSON_ArrayForEach (node, nodes) {
        const char *name = meta_name(node);
        if (dropped && strcmp(name, dropped) == 0)
            continue;
        if (changed && strcmp(name, changed) == 0) {
            cJSON *copy = cJSON_Duplicate(node, 1);
            cJSON *spec = cJSON_GetObjectItemCaseSensitive(copy, "spec");
            if (!spec)
                spec = cJSON_AddObjectToObject(copy, "spec");
            cJSON_DeleteItemFromObjectCaseSensitive(spec, field);
            cJSON_AddTrueToObject(spec, field);
            cJSON_AddItemToArray(out, copy);
        } else {
            cJSON_AddItemReferenceToArray(out, node);
        }
    }
    cJSON *extra = cJSON_Duplicate(nodes->child, 1);
    cJSON_ReplaceItemInObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(extra, "metadata"),
                                           "name", cJSON_CreateString("node-zz"));
    cJSON_AddItemToArray(out, extra);
    return out;
}

static void facts_of_another_version(void **state)
{
    (void)state;
    struct cluster_view *base = example_cluster();
    struct cv_scope scope;
    cv_scope_init(&scope, 0);
    const cJSON *nodes = NULL;
    assert_int_equal(cv_list(base, &scope, CV_NODE, NULL, NULL, NULL, &nodes), CV_OK);
    struct cluster_view *reference = stale_view(base, NULL);
    /* the same list; a node cordoned in the memo's version only; one left out of it (every
     * later node is then at another place); the memo's version is the base's own list */
    cJSON *versions[] = {
        version_of(nodes, NULL, NULL, NULL),
        version_of(nodes, "node-b", "unschedulable", NULL),
        version_of(nodes, "node-a", "unschedulable", "node-c"),
    };
    for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
        struct cluster_view *view = stale_view(base, versions[i]);
        assert_true(same_answers(reference, view) > 3);
        cv_destroy(view);
        cJSON_Delete(versions[i]);
    }
    struct cluster_view *own = stale_view(base, nodes);
    assert_true(same_answers(reference, own) > 3);
    assert_true(same_answers(reference, base) > 3); /* the static view's memo */
    cv_destroy(own);
    cv_destroy(reference);
    cv_scope_release(&scope);
    cv_destroy(base);
}

TEST_MAIN(cmocka_unit_test(facts_of_another_version))
