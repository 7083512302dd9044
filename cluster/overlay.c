/*
 * cluster/overlay.c - objects in front of another view.
 *
 * get: the overlay answers when it holds the object, else the base does.
 * list: the base's answer, with the overlay's matching objects replacing
 * base objects of the same namespace/name and the rest appended.
 */
#include "cluster/overlay.h"

#include <stdlib.h>
#include <string.h>

#include "cluster/static.h"
#include "kube/object.h"

struct overlay_view {
    struct cluster_view view;   /* its base: the view under the overlay */
    struct cluster_view *front; /* a static view over the overlay objects */
};

static int same_object(const cJSON *a, const cJSON *b)
{
    const char *na = meta_string(a, "name"), *nb = meta_string(b, "name");
    const char *sa = meta_string(a, "namespace"), *sb = meta_string(b, "namespace");
    return na && nb && strcmp(na, nb) == 0 && strcmp(sa ? sa : "", sb ? sb : "") == 0;
}

static enum cv_result overlay_get(const struct cluster_view *v, struct cv_scope *s,
                                  enum cv_kind kind, const char *ns, const char *name,
                                  const cJSON **out)
{
    const struct overlay_view *ov = v->impl;
    enum cv_result r = cv_get(ov->front, s, kind, ns, name, out);
    if (r != CV_NOT_FOUND)
        return r;
    return cv_get(v->base, s, kind, ns, name, out);
}

static enum cv_result overlay_list(const struct cluster_view *v, struct cv_scope *s,
                                   enum cv_kind kind, const char *ns, const char *label_key,
                                   const char *label_value, const cJSON **out_array)
{
    const struct overlay_view *ov = v->impl;
    const cJSON *front, *base;
    enum cv_result r = cv_list(ov->front, s, kind, ns, label_key, label_value, &front);
    if (r != CV_OK)
        return r;
    r = cv_list(v->base, s, kind, ns, label_key, label_value, &base);
    if (r != CV_OK)
        return r;
    if (cJSON_GetArraySize(front) == 0) {
        *out_array = base;
        return CV_OK;
    }
    cJSON *merged = cJSON_CreateArray();
    if (!merged || cv_scope_hold_json(s, merged) != 0)
        return cv_scope_fail(s, "out of memory");
    const cJSON *obj, *f;
    cJSON_ArrayForEach (obj, base) {
        const cJSON *pick = obj;
        cJSON_ArrayForEach (f, front)
            if (same_object(f, obj))
                pick = f;
        cJSON_AddItemReferenceToArray(merged, (cJSON *)pick);
    }
    cJSON_ArrayForEach (f, front) {
        int seen = 0;
        cJSON_ArrayForEach (obj, base)
            seen = seen || same_object(f, obj);
        if (!seen)
            cJSON_AddItemReferenceToArray(merged, (cJSON *)f);
    }
    *out_array = merged;
    return CV_OK;
}

/* The base's (memoised) value when the manifests hold no object of `kind`; computed per call
 * over the merged list otherwise. */
static enum cv_result overlay_derive(const struct cluster_view *v, struct cv_scope *s,
                                     enum cv_kind kind, const struct cv_derivation *d,
                                     const void **out)
{
    const struct overlay_view *ov = v->impl;
    const cJSON *front;
    enum cv_result r = cv_list(ov->front, s, kind, NULL, NULL, NULL, &front);
    if (r != CV_OK)
        return r;
    if (cJSON_GetArraySize(front) == 0)
        return cv_derive(v->base, s, kind, d, out);
    return cv_derive_from_list(v, s, kind, d, out);
}

static void overlay_destroy(struct cluster_view *v)
{
    struct overlay_view *ov = v->impl;
    cv_destroy(ov->front);
    free(ov);
}

/* ready: the base's (struct cluster_view) */
static const struct cluster_view_ops overlay_ops = {
    .get = overlay_get,
    .list = overlay_list,
    .derive = overlay_derive,
    .destroy = overlay_destroy,
};

struct cluster_view *overlay_view_new(const struct cluster_view *base, cJSON *objects)
{
    struct overlay_view *ov = calloc(1, sizeof(*ov));
    if (!ov) {
        cJSON_Delete(objects);
        return NULL;
    }
    ov->front = static_view_new(objects);
    if (!ov->front) {
        free(ov);
        return NULL;
    }
    ov->view.base = base;
    ov->view.ops = &overlay_ops;
    ov->view.impl = ov;
    return &ov->view;
}
