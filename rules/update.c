/*
 * rules/update.c - what an UPDATE review changed (see rules/update.h).
 *
 * cJSON_Compare treats two objects as equal only with their members in the
 * same order and compares numbers with an epsilon; an API server may
 * re-order nothing, but a client may, so the comparison here is our own:
 * members are matched by name, numbers and strings exactly.
 */
#include "rules/update.h"

#include <string.h>

#include "kube/object.h"

/* The number of members of an object or elements of an array. */
static size_t count_children(const cJSON *v)
{
    size_t n = 0;
    for (const cJSON *c = v->child; c; c = c->next)
        n++;
    return n;
}

bool json_same(const cJSON *a, const cJSON *b)
{
    if (!a || !b)
        return a == b;
    if ((a->type & 0xFF) != (b->type & 0xFF))
        return false;
    if (cJSON_IsString(a))
        return strcmp(a->valuestring, b->valuestring) == 0;
    if (cJSON_IsNumber(a))
        return a->valuedouble == b->valuedouble;
    if (cJSON_IsArray(a)) {
        const cJSON *x = a->child, *y = b->child;
        for (; x && y; x = x->next, y = y->next)
            if (!json_same(x, y))
                return false;
        return !x && !y;
    }
    if (cJSON_IsObject(a)) {
        if (count_children(a) != count_children(b))
            return false;
        for (const cJSON *x = a->child; x; x = x->next) {
            if (!x->string)
                return false;
            /* Duplicate names: the first of each name speaks, as obj_get reads it. */
            if (cJSON_GetObjectItemCaseSensitive(a, x->string) != x)
                continue;
            if (!json_same(x, cJSON_GetObjectItemCaseSensitive(b, x->string)))
                return false;
        }
        return true;
    }
    return true; /* null, true, false: the type says it all */
}

static const cJSON *at_path(const cJSON *obj, const char *const *path)
{
    for (; obj && *path; path++)
        obj = obj_get(obj, *path);
    return obj;
}

bool field_changed(const cJSON *object, const cJSON *old, const char *const *path)
{
    if (!old)
        return true;
    return !json_same(at_path(object, path), at_path(old, path));
}

bool object_is_virtual_machine(const cJSON *obj)
{
    const char *kind = obj_string(obj, "kind");
    if (kind)
        return strcmp(kind, "VirtualMachine") == 0;
    return obj_object(obj_object(obj, "spec"), "template") != NULL;
}

bool vm_update_unchanged(const cJSON *object, const cJSON *old)
{
    if (!cJSON_IsObject(object) || !cJSON_IsObject(old))
        return false;
    if (object_is_virtual_machine(object) != object_is_virtual_machine(old))
        return false;
    if (object_is_virtual_machine(object)) {
        static const char *const template_spec[] = {"spec", "template", "spec", NULL};
        static const char *const dv_templates[] = {"spec", "dataVolumeTemplates", NULL};
        static const char *const opt_in[] = {
            "spec", "template", "metadata", "annotations", ANNOTATION_ALLOW_POD_BRIDGE, NULL};
        return !field_changed(object, old, template_spec) &&
               !field_changed(object, old, dv_templates) && !field_changed(object, old, opt_in);
    }
    static const char *const spec[] = {"spec", NULL};
    static const char *const opt_in[] = {"metadata", "annotations", ANNOTATION_ALLOW_POD_BRIDGE,
                                         NULL};
    return !field_changed(object, old, spec) && !field_changed(object, old, opt_in);
}
