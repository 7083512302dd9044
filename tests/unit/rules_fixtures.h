/*
 * tests/unit/rules_fixtures.h - shared by the rule tests: loads the test
 * objects under $MW_TEST_DATA/rules (YAML), puts them in in-memory cluster
 * views (fake_view.h), and runs a rule entry point into a finished verdict.
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
#include "fake_view.h"
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

#endif
