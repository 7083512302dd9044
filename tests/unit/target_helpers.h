/*
 * tests/unit/target_helpers.h - building the objects of the target-node and
 * CPU-model tests: JSON written with single quotes (turned into double quotes
 * before parsing), fixtures from MW_TEST_DATA/target, nodes, and in-memory cluster views.
 */
#ifndef MW_TESTS_TARGET_HELPERS_H
#define MW_TESTS_TARGET_HELPERS_H

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

/* Parses JSON written with ' for " (test objects never contain a quote of their own). */
static inline cJSON *J(const char *text)
{
    char *copy = strdup(text);
    assert_non_null(copy);
    for (char *p = copy; *p; p++)
        if (*p == '\'')
            *p = '"';
    cJSON *json = cJSON_Parse(copy);
    if (!json)
        fail_msg("bad test JSON: %s", text);
    free(copy);
    return json;
}

/* The one JSON or YAML document of `path`, parsed by the project's own reader (caller frees). */
static inline cJSON *read_document(const char *path)
{
    char err[512];
    cJSON *docs = yaml_parse_file(path, err, sizeof(err));
    if (!docs)
        fail_msg("%s", err);
    if (cJSON_GetArraySize(docs) != 1)
        fail_msg("%s: expected one document", path);
    cJSON *doc = cJSON_DetachItemFromArray(docs, 0);
    cJSON_Delete(docs);
    return doc;
}

/* The parsed file MW_TEST_DATA/target/<name>. */
static inline cJSON *load_fixture(const char *name)
{
    const char *dir = getenv("MW_TEST_DATA");
    assert_non_null(dir);
    char path[1024];
    snprintf(path, sizeof(path), "%s/target/%s", dir, name);
    return read_document(path);
}

/* A copy of the item named `name` of a fixture List's items (or of an array). */
static inline cJSON *fixture_item(const char *file, const char *name)
{
    cJSON *doc = load_fixture(file);
    cJSON *items = cJSON_IsArray(doc) ? doc : cJSON_GetObjectItemCaseSensitive(doc, "items");
    cJSON *item, *found = NULL;
    cJSON_ArrayForEach (item, items) {
        cJSON *meta = cJSON_GetObjectItemCaseSensitive(item, "metadata");
        const char *n = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(meta, "name"));
        const char *g =
            cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(meta, "generateName"));
        if ((n && strcmp(n, name) == 0) || (!n && g && strcmp(g, name) == 0))
            found = cJSON_Duplicate(item, 1);
    }
    cJSON_Delete(doc);
    if (!found)
        fail_msg("%s has no item %s", file, name);
    return found;
}

/* A Node named `name` with labels from `labels_json` (single-quoted JSON object, may be NULL). */
static inline cJSON *make_node(const char *name, const char *labels_json)
{
    cJSON *node = J("{'apiVersion':'v1','kind':'Node','metadata':{},'spec':{}}");
    cJSON *meta = cJSON_GetObjectItemCaseSensitive(node, "metadata");
    cJSON_AddStringToObject(meta, "name", name);
    cJSON *labels = labels_json ? J(labels_json) : cJSON_CreateObject();
    cJSON_AddStringToObject(labels, "kubernetes.io/hostname", name);
    cJSON_AddItemToObject(meta, "labels", labels);
    return node;
}

/* Sets `obj`.<path...> = value (single-quoted JSON), creating objects on the way. */
static inline void set_path(cJSON *obj, const char *path, const char *value_json)
{
    char *copy = strdup(path), *save = NULL;
    cJSON *at = obj;
    char *part = strtok_r(copy, ".", &save);
    while (part) {
        char *next = strtok_r(NULL, ".", &save);
        /* "~" in a path part stands for "." inside a key (label keys have dots). */
        for (char *p = part; *p; p++)
            if (*p == '~')
                *p = '.';
        if (!next) {
            cJSON_DeleteItemFromObjectCaseSensitive(at, part);
            cJSON_AddItemToObject(at, part, J(value_json));
        } else {
            cJSON *child = cJSON_GetObjectItemCaseSensitive(at, part);
            if (!cJSON_IsObject(child)) {
                cJSON_DeleteItemFromObjectCaseSensitive(at, part);
                child = cJSON_AddObjectToObject(at, part);
            }
            at = child;
        }
        part = next;
    }
    free(copy);
}

/*
 * A view over a cJSON array of objects, for these tests only (so they do not
 * depend on the file loader): get by kind/namespace/name, list by
 * kind/namespace/label, like cluster/static.c.
 */
static inline const char *test_meta(const cJSON *o, const char *f)
{
    return cJSON_GetStringValue(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, "metadata"), f));
}

static inline int test_view_wants(const cJSON *o, enum cv_kind kind, const char *ns)
{
    if (cv_kind_from_name(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "kind"))) !=
        (int)kind)
        return 0;
    if (!ns || !cv_kind_namespaced(kind))
        return 1;
    const char *ons = test_meta(o, "namespace");
    return strcmp(ons && *ons ? ons : "default", *ns ? ns : "default") == 0;
}

static inline enum cv_result test_view_get(const struct cluster_view *v, struct cv_scope *s,
                                           enum cv_kind kind, const char *ns, const char *name,
                                           const cJSON **out)
{
    (void)s;
    const cJSON *o;
    cJSON_ArrayForEach (o, (const cJSON *)v->impl) {
        const char *n = test_meta(o, "name");
        if (n && strcmp(n, name) == 0 && test_view_wants(o, kind, ns ? ns : "")) {
            *out = o;
            return CV_OK;
        }
    }
    return CV_NOT_FOUND;
}

static inline enum cv_result test_view_list(const struct cluster_view *v, struct cv_scope *s,
                                            enum cv_kind kind, const char *ns, const char *key,
                                            const char *value, const cJSON **out)
{
    cJSON *arr = cJSON_CreateArray();
    cv_scope_hold_json(s, arr);
    const cJSON *o;
    cJSON_ArrayForEach (o, (const cJSON *)v->impl) {
        const cJSON *labels = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(o, "metadata"), "labels");
        const char *have =
            key ? cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(labels, key)) : NULL;
        if (test_view_wants(o, kind, ns) &&
            (!key || (have && (!value || strcmp(have, value) == 0))))
            cJSON_AddItemReferenceToArray(arr, (cJSON *)o);
    }
    *out = arr;
    return CV_OK;
}

static inline int test_view_ready(const struct cluster_view *v)
{
    (void)v;
    return 1;
}

static inline void test_view_destroy(struct cluster_view *v)
{
    cJSON_Delete(v->impl);
    free(v);
}

static const struct cluster_view_ops test_view_ops
    __attribute__((unused)) = {.get = test_view_get,
                               .list = test_view_list,
                               .ready = test_view_ready,
                               .destroy = test_view_destroy};

/* A view over a copy of the items of `objects`.  Free with cv_destroy. */
static inline struct cluster_view *view_of_array(const cJSON *objects)
{
    struct cluster_view *v = malloc(sizeof(*v));
    assert_non_null(v);
    v->ops = &test_view_ops;
    v->impl = cJSON_Duplicate(objects, 1);
    return v;
}

/* A view whose every lookup fails, as an unreachable API server does. */
static inline enum cv_result failing_get(const struct cluster_view *v, struct cv_scope *s,
                                         enum cv_kind kind, const char *ns, const char *name,
                                         const cJSON **out)
{
    (void)v, (void)kind, (void)ns, (void)name, (void)out;
    return cv_scope_fail(s, "the API server did not answer in time");
}

static inline enum cv_result failing_list(const struct cluster_view *v, struct cv_scope *s,
                                          enum cv_kind kind, const char *ns, const char *k,
                                          const char *val, const cJSON **out)
{
    (void)v, (void)kind, (void)ns, (void)k, (void)val, (void)out;
    return cv_scope_fail(s, "the API server did not answer in time");
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

#endif
