/*
 * cluster/snapshot.c - one paged list per kind (kube_list_all), the items
 * moved into a static view.  Kinds are read one after the other: a command
 * line tool has nothing to do until all of them are in.
 */
#include "cluster/snapshot.h"

#include <stdio.h>
#include <string.h>

#include "cluster/static.h"

struct snapshot_resource {
    const char *prefix; /* "/api/v1" or "/apis/<group>/<version>" */
    const char *plural;
    const char *selector; /* labelSelector of the list, NULL = every object */
};

/* Every kind of the view: a kind without an entry here is not read. */
static const struct snapshot_resource resources[CV_KIND_COUNT] = {
    [CV_NODE] = {"/api/v1", "nodes", NULL},
    [CV_VM] = {"/apis/kubevirt.io/v1", "virtualmachines", NULL},
    [CV_VMI] = {"/apis/kubevirt.io/v1", "virtualmachineinstances", NULL},
    [CV_VMIM] = {"/apis/kubevirt.io/v1", "virtualmachineinstancemigrations", NULL},
    [CV_PVC] = {"/api/v1", "persistentvolumeclaims", NULL},
    [CV_POD] = {"/api/v1", "pods", "kubevirt.io%2Fcreated-by"},
    [CV_KUBEVIRT] = {"/apis/kubevirt.io/v1", "kubevirts", NULL},
    [CV_NAD] = {"/apis/k8s.cni.cncf.io/v1", "network-attachment-definitions", NULL},
};

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

/* `ns` escaped for a path segment (names are DNS labels; anything else is refused). */
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
        const struct snapshot_resource *r = &resources[k];
        if (!r->prefix)
            continue;
        char path[512];
        if (ns && narrowed((enum cv_kind)k))
            snprintf(path, sizeof(path), "%s/namespaces/%s/%s", r->prefix, ns, r->plural);
        else
            snprintf(path, sizeof(path), "%s/%s", r->prefix, r->plural);
        if (r->selector) {
            size_t n = strlen(path);
            snprintf(path + n, sizeof(path) - n, "?labelSelector=%s", r->selector);
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
