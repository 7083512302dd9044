/*
 * rules/json_patch.c - JSON Pointer escaping and JSON-Patch "add" operations.
 *
 * Only building is done here; operations are stored as cJSON objects in the
 * verdict, so no JSON text is ever pasted together by hand.
 */
#include "rules/json_patch.h"

#include <stdlib.h>
#include <string.h>

char *json_pointer_escape(const char *token)
{
    size_t extra = 0;
    for (const char *p = token; *p; p++)
        extra += (*p == '~' || *p == '/');
    char *out = malloc(strlen(token) + extra + 1);
    if (!out)
        return NULL;
    char *q = out;
    for (const char *p = token; *p; p++) {
        if (*p == '~' || *p == '/') {
            *q++ = '~';
            *q++ = *p == '~' ? '0' : '1';
        } else {
            *q++ = *p;
        }
    }
    *q = '\0';
    return out;
}

char *json_pointer_append(const char *parent, const char *token)
{
    char *escaped = json_pointer_escape(token);
    if (!escaped)
        return NULL;
    size_t plen = strlen(parent), elen = strlen(escaped);
    char *out = malloc(plen + 1 + elen + 1);
    if (out) {
        memcpy(out, parent, plen);
        out[plen] = '/';
        memcpy(out + plen + 1, escaped, elen + 1);
    }
    free(escaped);
    return out;
}

int json_patch_add_member(struct verdict *v, const char *parent, const char *key, cJSON *value)
{
    char *path = json_pointer_append(parent, key);
    if (!path) {
        cJSON_Delete(value);
        return -1;
    }
    int rc = verdict_patch(v, "add", path, value);
    free(path);
    return rc;
}
