/*
 * tests/unit/target_helpers.h - building the objects of the target-node and
 * CPU-model tests: JSON written with single quotes (turned into double quotes
 * before parsing), fixtures from MW_TEST_DATA/target and nodes; the in-memory
 * cluster views are fake_view.h's.
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
#include "fake_view.h"

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

#endif
