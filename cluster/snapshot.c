/*
 * cluster/snapshot.c - one paged list per kind (kube_list_all), the items
 * moved into a static view.  Kinds are read one after the other: a command
 * line tool has nothing to do until all of them are in.
 */
#include "cluster/snapshot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/static.h"
#include "kube/object.h"

/* The labelSelector of a kind's list (NULL: every object): only KubeVirt's launcher pods. */
static const char *const selectors[CV_KIND_COUNT] = {[CV_POD] = "kubevirt.io%2Fcreated-by"};

/* Kinds narrowed to the namespace asked for (the others are read whole). */
static int narrowed(enum cv_kind kind)
{
    return kind == CV_VM || kind == CV_VMI || kind == CV_VMIM || kind == CV_PVC || kind == CV_POD;
}

struct page_ctx {
    snapshot_progress_fn progress;
    void *ctx;
    enum cv_kind kind;
    unsigned long pages;
};

static void on_page(void *p, size_t n)
{
    struct page_ctx *pc = p;
    pc->pages++;
    if (pc->progress)
        pc->progress(pc->ctx, pc->kind, n);
}

/* Whether `ns` can name a namespace: a DNS label of 1-63 characters (a-z, 0-9, -), so it needs no
 * escaping in a path segment; anything else is refused. */
static int valid_namespace(const char *ns)
{
    if (!*ns || strlen(ns) > 63)
        return 0;
    for (const char *p = ns; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
            return 0;
    return 1;
}

struct cluster_view *snapshot_view_load(struct kube_client *client, const char *ns,
                                        snapshot_progress_fn progress, void *ctx,
                                        struct snapshot_stats *stats, char *err, size_t errlen)
{
    struct snapshot_stats local;
    if (!stats)
        stats = &local;
    memset(stats, 0, sizeof(*stats));
    if (ns && !valid_namespace(ns)) {
        snprintf(err, errlen, "namespace \"%s\" is not a valid namespace name", ns);
        return NULL;
    }
    cJSON *objects = cJSON_CreateArray();
    if (!objects) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    for (int k = 0; k < CV_KIND_COUNT; k++) {
        const struct kube_resource *r = kube_resource_of((enum cv_kind)k);
        char path[512];
        if (ns && narrowed((enum cv_kind)k))
            snprintf(path, sizeof(path), "%s/namespaces/%s/%s", r->prefix, ns, r->plural);
        else
            snprintf(path, sizeof(path), "%s/%s", r->prefix, r->plural);
        if (selectors[k]) {
            size_t n = strlen(path);
            snprintf(path + n, sizeof(path) - n, "?labelSelector=%s", selectors[k]);
        }
        struct page_ctx pc = {progress, ctx, (enum cv_kind)k, 0};
        cJSON *items = NULL;
        enum kube_result res =
            kube_list_all(client, path, SNAPSHOT_PAGE_LIMIT, 0, on_page, &pc, &items, err, errlen);
        stats->requests += pc.pages + (res != KUBE_OK);
        if (res == KUBE_NOT_FOUND)
            continue; /* the resource is not served: nothing of that kind */
        if (res != KUBE_OK) {
            cJSON_Delete(objects);
            return NULL;
        }
        stats->objects[k] = (size_t)cJSON_GetArraySize(items);
        while (items->child)
            cJSON_AddItemToArray(objects, cJSON_DetachItemViaPointer(items, items->child));
        cJSON_Delete(items);
    }
    struct cluster_view *v = static_view_new(objects);
    if (!v)
        snprintf(err, errlen, "out of memory");
    return v;
}

/* ---- pods indexed by the VMI that created them ---- */

#define LABEL_CREATED_BY_KEY "kubevirt.io/created-by"

struct indexed_view {
    struct cluster_view view; /* its base: the view it was made from, taken */
    struct name_index pods;   /* by created-by label; equal uids keep the base's order */
};

static const char *created_by(const cJSON *pod)
{
    return meta_label(pod, LABEL_CREATED_BY_KEY);
}

static enum cv_result indexed_list(const struct cluster_view *v, struct cv_scope *s,
                                   enum cv_kind kind, const char *ns, const char *label_key,
                                   const char *label_value, const cJSON **out_array)
{
    const struct indexed_view *iv = v->impl;
    if (kind != CV_POD || !label_key || !label_value ||
        strcmp(label_key, LABEL_CREATED_BY_KEY) != 0)
        return cv_list(v->base, s, kind, ns, label_key, label_value, out_array);
    cJSON *arr = cJSON_CreateArray();
    if (!arr || cv_scope_hold_json(s, arr) != 0)
        return cv_scope_fail(s, "out of memory");
    const char *want_ns = ns ? (*ns ? ns : "default") : NULL;
    for (size_t i = name_index_first(&iv->pods, label_value);
         i < iv->pods.n && strcmp(iv->pods.entries[i].name, label_value) == 0; i++) {
        const cJSON *pod = iv->pods.entries[i].item;
        const char *pod_ns = meta_namespace(pod);
        if ((!want_ns || strcmp(pod_ns && *pod_ns ? pod_ns : "default", want_ns) == 0) &&
            !cJSON_AddItemReferenceToArray(arr, (cJSON *)pod))
            return cv_scope_fail(s, "out of memory");
    }
    *out_array = arr;
    return CV_OK;
}

static void indexed_destroy(struct cluster_view *v)
{
    struct indexed_view *iv = v->impl;
    cv_destroy((struct cluster_view *)v->base); /* taken by snapshot_view_indexed */
    name_index_free(&iv->pods);
    free(iv);
}

/* get, derive and ready: the base's (struct cluster_view) */
static const struct cluster_view_ops indexed_ops = {
    .list = indexed_list,
    .destroy = indexed_destroy,
};

struct cluster_view *snapshot_view_indexed(struct cluster_view *base)
{
    struct indexed_view *iv = calloc(1, sizeof(*iv));
    struct cv_scope s;
    cv_scope_init(&s, 0);
    const cJSON *pods = NULL;
    if (!iv || cv_list(base, &s, CV_POD, NULL, NULL, NULL, &pods) != CV_OK)
        goto fail;
    if (name_index_build(&iv->pods, pods, created_by) != 0)
        goto fail;
    cv_scope_release(&s);
    iv->view.base = base;
    iv->view.ops = &indexed_ops;
    iv->view.impl = iv;
    return &iv->view;
fail:
    cv_scope_release(&s);
    if (iv)
        name_index_free(&iv->pods);
    free(iv);
    cv_destroy(base);
    return NULL;
}
