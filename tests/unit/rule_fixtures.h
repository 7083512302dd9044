/*
 * tests/unit/rule_fixtures.h - what the rule tests build their cases from:
 * the test objects under $MW_TEST_DATA/rules and $MW_TEST_DATA/target (YAML
 * or JSON, read by the project's own reader), JSON literals (json(), or J()
 * written with ' for "), nodes, paths set inside objects, in-memory cluster
 * views over the objects (fake_view.h), and a rule entry point run into a
 * finished verdict.
 */
#ifndef MW_TESTS_RULE_FIXTURES_H
#define MW_TESTS_RULE_FIXTURES_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/view.h"
#include "kube/yaml.h"
#include "fake_view.h"
#include "rules/rules.h"

/* Every object of a test data file, List items flattened (caller frees). */
static inline cJSON *fixture_objects(const char *file)
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
static inline cJSON *fixture_object(const char *file, int n)
{
    cJSON *all = fixture_objects(file);
    cJSON *item = cJSON_DetachItemFromArray(all, n);
    assert_non_null(item);
    cJSON_Delete(all);
    return item;
}

/* Parse a JSON literal (test input only). */
static inline cJSON *json(const char *text)
{
    cJSON *v = cJSON_Parse(text);
    if (!v)
        fail_msg("bad JSON in test: %s", text);
    return v;
}

/*
 * The object that holds the last part of the dotted path under `obj`, that part copied into `key`
 * ("~" in a part stands for "." inside a key: label keys have dots); objects are created on the
 * way when `create`, else NULL when one is missing.
 */
static inline cJSON *path_parent(cJSON *obj, const char *dotted, bool create, char key[256])
{
    char buf[512];
    snprintf(buf, sizeof(buf), "%s", dotted);
    char *save = NULL, *part = strtok_r(buf, ".", &save);
    while (part) {
        for (char *p = part; *p; p++)
            if (*p == '~')
                *p = '.';
        char *next = strtok_r(NULL, ".", &save);
        if (!next)
            break;
        cJSON *child = cJSON_GetObjectItemCaseSensitive(obj, part);
        if (!cJSON_IsObject(child)) {
            if (!create)
                return NULL;
            cJSON_DeleteItemFromObjectCaseSensitive(obj, part);
            child = cJSON_AddObjectToObject(obj, part);
        }
        obj = child;
        part = next;
    }
    snprintf(key, 256, "%s", part ? part : "");
    return obj;
}

/* Sets obj.<path...> = value (taken), creating objects on the way and replacing what was there. */
static inline void set_at(cJSON *obj, const char *dotted, cJSON *value)
{
    char key[256];
    cJSON *parent = path_parent(obj, dotted, true, key);
    cJSON_DeleteItemFromObjectCaseSensitive(parent, key);
    cJSON_AddItemToObject(parent, key, value);
}

/* Removes obj.<path...> (set_at's path), if it is there. */
static inline void drop_at(cJSON *obj, const char *dotted)
{
    char key[256];
    cJSON_DeleteItemFromObjectCaseSensitive(path_parent(obj, dotted, false, key), key);
}

/* Adds every object of `file` to the array `objects`. */
static inline void add_fixture(cJSON *objects, const char *file)
{
    cJSON *more = fixture_objects(file);
    while (more->child)
        cJSON_AddItemToArray(objects, cJSON_DetachItemViaPointer(more, more->child));
    cJSON_Delete(more);
}

/* An array of the objects given (taken), up to a NULL. */
static inline cJSON *array_of(cJSON *first, ...)
{
    cJSON *out = cJSON_CreateArray();
    va_list ap;
    va_start(ap, first);
    for (cJSON *item = first; item; item = va_arg(ap, cJSON *))
        cJSON_AddItemToArray(out, item);
    va_end(ap);
    return out;
}

/* The cluster most rule tests run against: the CPU-labelled nodes, the RWX and RWO PVCs, and
 * Harvester's KubeVirt CR (caller frees, or hands it to view_over). */
static inline cJSON *fixture_cluster(void)
{
    cJSON *objects = cJSON_CreateArray();
    add_fixture(objects, "constructed-nodes-cpu-labels.yaml");
    add_fixture(objects, "constructed-pvcs-rwx-vs-rwo.yaml");
    add_fixture(objects, "harvester-kubevirt-cr-from-chart.yaml");
    return objects;
}

/* The default rule settings (rule_settings_default) as a value. */
static inline struct rule_settings default_settings(void)
{
    struct rule_settings s;
    rule_settings_default(&s);
    return s;
}

typedef void (*rule_entry)(const struct rule_input *, struct verdict *);

/* Runs `entry` on `object` in namespace `ns` against `view`; fills `out` (verdict_free it). */
static inline void run_rule(rule_entry entry, const cJSON *object, const char *ns, const char *name,
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

/* Sets `obj`.<path...> = value (single-quoted JSON), creating objects on the way (set_at). */
static inline void set_path(cJSON *obj, const char *path, const char *value_json)
{
    set_at(obj, path, J(value_json));
}

/* set_path with the value written printf-style. */
__attribute__((format(printf, 3, 4))) static inline void set_pathf(cJSON *obj, const char *path,
                                                                   const char *format, ...)
{
    char value[2048];
    va_list ap;
    va_start(ap, format);
    vsnprintf(value, sizeof(value), format, ap);
    va_end(ap);
    set_path(obj, path, value);
}

/* An array of `n` objects, the i-th parsed from `format` (single-quoted JSON with one %05d for i),
 * counting up or, `reversed`, down. */
static inline cJSON *numbered_objects(int n, bool reversed, const char *format)
{
    cJSON *out = cJSON_CreateArray();
    for (int k = 0; k < n; k++) {
        char text[512];
        snprintf(text, sizeof(text), format, reversed ? n - 1 - k : k);
        cJSON_AddItemToArray(out, J(text));
    }
    return out;
}

/* "line N": where it stands in a test, for the shared checks below to name when they fail. */
#define LINE_TEXT_(n) #n
#define LINE_TEXT(n) LINE_TEXT_(n)
#define HERE "line " LINE_TEXT(__LINE__)

/*
 * A check shared by many cases says which case it runs (HERE at its call, or a table's own name
 * for the case) before one of its assertions fails, since cmocka reports the line inside it.
 */
static inline void name_failing_case(const char *what, bool failing)
{
    if (failing)
        print_message("failing case: %s\n", what);
}

#endif
