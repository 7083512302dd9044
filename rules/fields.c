/*
 * rules/fields.c - type-checked reads of Kubernetes objects (see fields.h).
 */
#include "rules/fields.h"

#include <string.h>

const cJSON *obj_get(const cJSON *obj, const char *key)
{
    if (!cJSON_IsObject(obj) || !key)
        return NULL;
    return cJSON_GetObjectItemCaseSensitive(obj, key);
}

const cJSON *obj_object(const cJSON *obj, const char *key)
{
    const cJSON *v = obj_get(obj, key);
    return cJSON_IsObject(v) ? v : NULL;
}

const cJSON *obj_array(const cJSON *obj, const char *key)
{
    const cJSON *v = obj_get(obj, key);
    return cJSON_IsArray(v) ? v : NULL;
}

const char *obj_string(const cJSON *obj, const char *key)
{
    const cJSON *v = obj_get(obj, key);
    return cJSON_IsString(v) && v->valuestring ? v->valuestring : NULL;
}

const char *obj_nonempty(const cJSON *obj, const char *key)
{
    const char *s = obj_string(obj, key);
    return s && *s ? s : NULL;
}

const char *obj_string_or(const cJSON *obj, const char *key, const char *fallback)
{
    const char *s = obj_string(obj, key);
    return s ? s : fallback;
}

const char *meta_name(const cJSON *obj)
{
    return obj_string(obj_object(obj, "metadata"), "name");
}

const char *meta_uid(const cJSON *obj)
{
    return obj_string(obj_object(obj, "metadata"), "uid");
}

const char *meta_label(const cJSON *obj, const char *key)
{
    return obj_string(obj_object(obj_object(obj, "metadata"), "labels"), key);
}

const char *meta_annotation(const cJSON *obj, const char *key)
{
    return obj_string(obj_object(obj_object(obj, "metadata"), "annotations"), key);
}

bool meta_label_is_true(const cJSON *obj, const char *key)
{
    const char *v = meta_label(obj, key);
    return v && strcmp(v, "true") == 0;
}
