/*
 * cluster/static_load_pending.c - placeholder until cluster/yaml.c and the
 * --cluster-dir loader land: yaml_parse and yaml_parse_file accept JSON only
 * (JSON is YAML), and static_load_dir reads the *.json files of a directory,
 * in name order, without recursion.  Delete this file when the real
 * implementations arrive.
 */
#include "cluster/static.h"
#include "cluster/yaml.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PENDING_MAX_FILE_BYTES (16L * 1024 * 1024)

cJSON *yaml_parse(const char *text, size_t len, const char *name, char *err, size_t errlen)
{
    cJSON *docs = cJSON_CreateArray();
    if (!docs) {
        snprintf(err, errlen, "%s: out of memory", name);
        return NULL;
    }
    size_t i = 0;
    while (i < len && strchr(" \t\r\n", text[i]))
        i++;
    if (i == len)
        return docs;
    cJSON *doc = cJSON_ParseWithLength(text, len);
    if (!doc) {
        snprintf(err, errlen, "%s:1:1: not JSON (YAML support is not built yet)", name);
        cJSON_Delete(docs);
        return NULL;
    }
    cJSON_AddItemToArray(docs, doc);
    return docs;
}

cJSON *yaml_parse_file(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open", path);
        return NULL;
    }
    char *buf = malloc(PENDING_MAX_FILE_BYTES);
    size_t n = buf ? fread(buf, 1, PENDING_MAX_FILE_BYTES, f) : 0;
    fclose(f);
    if (!buf) {
        snprintf(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    cJSON *docs = yaml_parse(buf, n, path, err, errlen);
    free(buf);
    return docs;
}

static int has_suffix(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

static int add_objects(cJSON *objects, cJSON *doc)
{
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(doc, "kind");
    cJSON *items = cJSON_GetObjectItemCaseSensitive(doc, "items");
    if (cJSON_IsString(kind) && has_suffix(kind->valuestring, "List") && cJSON_IsArray(items)) {
        while (items->child)
            cJSON_AddItemToArray(objects, cJSON_DetachItemViaPointer(items, items->child));
        cJSON_Delete(doc);
    } else {
        cJSON_AddItemToArray(objects, doc);
    }
    return 0;
}

cJSON *static_load_dir(const char *dir, char *err, size_t errlen)
{
    struct dirent **names = NULL;
    if (errlen)
        err[0] = '\0';
    int n = scandir(dir, &names, NULL, alphasort);
    if (n < 0) {
        snprintf(err, errlen, "%s: cannot read the directory", dir);
        return NULL;
    }
    cJSON *objects = cJSON_CreateArray();
    for (int i = 0; i < n; i++) {
        if (objects && has_suffix(names[i]->d_name, ".json")) {
            char path[4096];
            snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
            cJSON *docs = yaml_parse_file(path, err, errlen);
            if (!docs) {
                cJSON_Delete(objects);
                objects = NULL;
            } else {
                while (docs->child)
                    add_objects(objects, cJSON_DetachItemViaPointer(docs, docs->child));
                cJSON_Delete(docs);
            }
        }
        free(names[i]);
    }
    free(names);
    if (!objects && err[0] == '\0')
        snprintf(err, errlen, "%s: out of memory", dir);
    return objects;
}
