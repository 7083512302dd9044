/*
 * cluster/yaml_pending.c - JSON-only stand-in for the YAML converter of
 * cluster/yaml.h, replaced by cluster/yaml.c.  Accepts one JSON document and
 * returns it as a one-item array, as yaml_parse does.
 */
#include "cluster/yaml.h"

#include <stdio.h>
#include <stdlib.h>

#include "server/limits.h"

cJSON *yaml_parse(const char *text, size_t len, const char *name, char *err, size_t errlen)
{
    cJSON *doc = cJSON_ParseWithLength(text, len);
    if (!doc) {
        snprintf(err, errlen, "%s:1:1: not valid JSON", name);
        return NULL;
    }
    cJSON *arr = cJSON_CreateArray();
    if (!arr || !cJSON_AddItemToArray(arr, doc)) {
        cJSON_Delete(doc);
        cJSON_Delete(arr);
        snprintf(err, errlen, "%s: out of memory", name);
        return NULL;
    }
    return arr;
}

cJSON *yaml_parse_file(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open", path);
        return NULL;
    }
    char *buf = malloc(MW_KUBE_MAX_FILE_BYTES + 1);
    size_t n = buf ? fread(buf, 1, MW_KUBE_MAX_FILE_BYTES + 1, f) : 0;
    fclose(f);
    if (!buf || n > MW_KUBE_MAX_FILE_BYTES) {
        free(buf);
        snprintf(err, errlen, "%s: too large or out of memory", path);
        return NULL;
    }
    cJSON *arr = yaml_parse(buf, n, path, err, errlen);
    free(buf);
    return arr;
}
