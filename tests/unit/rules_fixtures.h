/*
 * tests/unit/rules_fixtures.h - shared by the rule tests: loads the test
 * objects under $MW_TEST_DATA/rules (YAML), builds static cluster views from them,
 * and runs a rule entry point into a finished verdict.
 */
#ifndef MW_TESTS_RULES_FIXTURES_H
#define MW_TESTS_RULES_FIXTURES_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/view.h"
#include "cluster/yaml.h"
#include "rules/rules.h"

/* Every object of a test data file, List items flattened (caller frees). */
static cJSON *fixture_objects(const char *file)
{
    const char *dir = getenv("MW_TEST_DATA");
    char path[1024];
    snprintf(path, sizeof(path), "%s/rules/%s", dir ? dir : "tests/data", file);
    char err[512];
    cJSON *docs = yaml_parse_file(path, err, sizeof(err));
    if (!docs)
        fail_msg("%s", err);
    cJSON *out = cJSON_CreateArray();
    cJSON *doc;
    cJSON_ArrayForEach (doc, docs) {
        const cJSON *kind = cJSON_GetObjectItemCaseSensitive(doc, "kind");
        if (cJSON_IsString(kind) && strcmp(kind->valuestring, "List") == 0) {
            cJSON *item;
            cJSON_ArrayForEach (item, cJSON_GetObjectItemCaseSensitive(doc, "items"))
                cJSON_AddItemToArray(out, cJSON_Duplicate(item, 1));
        } else {
            cJSON_AddItemToArray(out, cJSON_Duplicate(doc, 1));
        }
    }
    cJSON_Delete(docs);
    return out;
}

/* The n-th object of a file (caller frees). */
static cJSON *fixture_object(const char *file, int n)
{
    cJSON *all = fixture_objects(file);
    cJSON *item = cJSON_DetachItemFromArray(all, n);
    assert_non_null(item);
    cJSON_Delete(all);
    return item;
}

/* Parse a JSON literal (test input only). */
static cJSON *json(const char *text)
{
    cJSON *v = cJSON_Parse(text);
    if (!v)
        fail_msg("bad JSON in test: %s", text);
    return v;
}

/* Set obj.<path...> = value (creating objects), replacing what was there. */
static void set_at(cJSON *obj, const char *dotted, cJSON *value)
{
    char buf[512];
    snprintf(buf, sizeof(buf), "%s", dotted);
    char *save = NULL, *key = strtok_r(buf, ".", &save);
    while (key) {
        char *next = strtok_r(NULL, ".", &save);
        if (!next) {
            cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
            cJSON_AddItemToObject(obj, key, value);
            return;
        }
        cJSON *child = cJSON_GetObjectItemCaseSensitive(obj, key);
        if (!cJSON_IsObject(child)) {
            cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
            child = cJSON_AddObjectToObject(obj, key);
        }
        obj = child;
        key = next;
    }
}

/*
 * A small in-memory cluster view over a cJSON array of objects, so the rule
 * tests depend on nothing but the view interface.  Namespaced kinds match
 * metadata.namespace ("" and missing read "default").
 */
static const char *tv_meta(const cJSON *obj, const char *field)
{
    const cJSON *v =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(obj, "metadata"), field);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int tv_matches(const cJSON *obj, enum cv_kind kind, const char *ns)
{
    const char *k = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, "kind"));
    if (!k || cv_kind_from_name(k) != (int)kind)
        return 0;
    if (!ns || !cv_kind_namespaced(kind))
        return 1;
    const char *ons = tv_meta(obj, "namespace");
    return strcmp(ons && *ons ? ons : "default", *ns ? ns : "default") == 0;
}

static enum cv_result tv_get(const struct cluster_view *v, struct cv_scope *s, enum cv_kind kind,
                             const char *ns, const char *name, const cJSON **out)
{
    (void)s;
    const cJSON *obj;
    cJSON_ArrayForEach (obj, (const cJSON *)v->impl) {
        const char *n = tv_meta(obj, "name");
        if (n && strcmp(n, name) == 0 && tv_matches(obj, kind, ns ? ns : "")) {
            *out = obj;
            return CV_OK;
        }
    }
    return CV_NOT_FOUND;
}

static enum cv_result tv_list(const struct cluster_view *v, struct cv_scope *s, enum cv_kind kind,
                              const char *ns, const char *key, const char *value, const cJSON **out)
{
    cJSON *arr = cJSON_CreateArray();
    cv_scope_hold_json(s, arr);
    const cJSON *obj;
    cJSON_ArrayForEach (obj, (const cJSON *)v->impl) {
        if (!tv_matches(obj, kind, ns))
            continue;
        if (key) {
            const cJSON *labels = cJSON_GetObjectItemCaseSensitive(
                cJSON_GetObjectItemCaseSensitive(obj, "metadata"), "labels");
            const char *lv = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(labels, key));
            if (!lv || (value && strcmp(lv, value) != 0))
                continue;
        }
        cJSON_AddItemReferenceToArray(arr, (cJSON *)obj);
    }
    *out = arr;
    return CV_OK;
}

static void tv_destroy(struct cluster_view *v)
{
    cJSON_Delete(v->impl);
    free(v);
}

static const struct cluster_view_ops tv_ops = {
    .get = tv_get, .list = tv_list, .destroy = tv_destroy};

/* A view over `objects` (an array; taken).  Free with cv_destroy. */
static struct cluster_view *view_over(cJSON *objects)
{
    struct cluster_view *v = calloc(1, sizeof(*v));
    assert_non_null(v);
    v->ops = &tv_ops;
    v->impl = objects;
    return v;
}

/* Adds every object of `file` to the array `objects`. */
static void add_fixture(cJSON *objects, const char *file)
{
    cJSON *more = fixture_objects(file);
    while (more->child)
        cJSON_AddItemToArray(objects, cJSON_DetachItemViaPointer(more, more->child));
    cJSON_Delete(more);
}

typedef void (*rule_entry)(const struct rule_input *, struct verdict *);

/* Runs `entry` on `object` in namespace `ns` against `view`; fills `out` (verdict_free it). */
static void run_rule(rule_entry entry, const cJSON *object, const char *ns, const char *name,
                     const struct rule_settings *settings, const struct cluster_view *view,
                     struct verdict *out)
{
    struct cv_scope scope;
    cv_scope_init(&scope, 0);
    struct rule_input in = {.object = object,
                            .ns = ns,
                            .name = name,
                            .settings = settings,
                            .view = view,
                            .scope = &scope};
    verdict_init(out);
    entry(&in, out);
    cv_scope_release(&scope);
}

/* A cluster view whose every lookup fails, as an unreachable API server would. */
static enum cv_result failing_get(const struct cluster_view *v, struct cv_scope *s,
                                  enum cv_kind kind, const char *ns, const char *name,
                                  const cJSON **out)
{
    (void)v, (void)kind, (void)ns, (void)name, (void)out;
    return cv_scope_fail(s, "GET: connection refused");
}
static enum cv_result failing_list(const struct cluster_view *v, struct cv_scope *s,
                                   enum cv_kind kind, const char *ns, const char *k,
                                   const char *val, const cJSON **out)
{
    (void)v, (void)kind, (void)ns, (void)k, (void)val, (void)out;
    return cv_scope_fail(s, "LIST: connection refused");
}
static const struct cluster_view_ops failing_ops = {.get = failing_get, .list = failing_list};
static const struct cluster_view failing_view = {.ops = &failing_ops, .impl = NULL};

#endif
