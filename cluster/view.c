/*
 * cluster/view.c - the parts of the cluster view shared by every
 * implementation: scopes (what a lookup must release), kind names, and the
 * thin wrappers over the ops table.
 */
#include "cluster/view.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void cv_scope_init(struct cv_scope *s, long long deadline_ms)
{
    memset(s, 0, sizeof(*s));
    s->deadline_ms = deadline_ms;
}

int cv_scope_hold(struct cv_scope *s, void (*release)(void *), void *p)
{
    if (s->nholds == s->capholds) {
        size_t cap = s->capholds ? s->capholds * 2 : 8;
        struct cv_hold *h = realloc(s->holds, cap * sizeof(*h));
        if (!h) {
            release(p);
            return -1;
        }
        s->holds = h;
        s->capholds = cap;
    }
    s->holds[s->nholds].release = release;
    s->holds[s->nholds].p = p;
    s->nholds++;
    return 0;
}

static void release_json(void *p)
{
    cJSON_Delete(p);
}

int cv_scope_hold_json(struct cv_scope *s, cJSON *json)
{
    if (!json)
        return -1;
    return cv_scope_hold(s, release_json, json);
}

void cv_scope_release(struct cv_scope *s)
{
    /* Release in reverse order: later holds may borrow from earlier ones. */
    while (s->nholds > 0) {
        struct cv_hold *h = &s->holds[--s->nholds];
        h->release(h->p);
    }
    free(s->holds);
    s->holds = NULL;
    s->capholds = 0;
}

enum cv_result cv_scope_fail(struct cv_scope *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->err, sizeof(s->err), fmt, ap);
    va_end(ap);
    return CV_ERROR;
}

enum cv_result cv_get(const struct cluster_view *v, struct cv_scope *s, enum cv_kind kind,
                      const char *ns, const char *name, const cJSON **out)
{
    *out = NULL;
    if (!name || !*name)
        return CV_NOT_FOUND;
    return v->ops->get(v, s, kind, ns, name, out);
}

enum cv_result cv_list(const struct cluster_view *v, struct cv_scope *s, enum cv_kind kind,
                       const char *ns, const char *label_key, const char *label_value,
                       const cJSON **out_array)
{
    *out_array = NULL;
    return v->ops->list(v, s, kind, ns, label_key, label_value, out_array);
}

int cv_ready(const struct cluster_view *v)
{
    return v->ops->ready ? v->ops->ready(v) : 1;
}

void cv_destroy(struct cluster_view *v)
{
    if (v)
        v->ops->destroy(v);
}

static const char *const kind_names[CV_KIND_COUNT] = {
    [CV_NODE] = "Node",
    [CV_VM] = "VirtualMachine",
    [CV_VMI] = "VirtualMachineInstance",
    [CV_VMIM] = "VirtualMachineInstanceMigration",
    [CV_PVC] = "PersistentVolumeClaim",
    [CV_POD] = "Pod",
    [CV_KUBEVIRT] = "KubeVirt",
    [CV_NAD] = "NetworkAttachmentDefinition",
};

int cv_kind_from_name(const char *kind)
{
    if (!kind)
        return -1;
    for (int k = 0; k < CV_KIND_COUNT; k++)
        if (strcmp(kind_names[k], kind) == 0)
            return k;
    return -1;
}

const char *cv_kind_name(enum cv_kind kind)
{
    return (unsigned)kind < CV_KIND_COUNT ? kind_names[kind] : "?";
}

int cv_kind_namespaced(enum cv_kind kind)
{
    return kind != CV_NODE;
}

long long cv_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
