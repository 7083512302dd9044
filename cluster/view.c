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

#include "kube/text.h"

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

/* ---- derived facts ---- */

void cv_memo_init(struct cv_memo *m)
{
    memset(m, 0, sizeof(*m));
    pthread_mutex_init(&m->mu, NULL);
    for (int i = 0; i < CV_MEMO_SLOTS; i++)
        atomic_init(&m->slot[i].d, NULL);
}

void cv_memo_clear(struct cv_memo *m)
{
    for (int i = 0; i < CV_MEMO_SLOTS; i++) {
        const struct cv_derivation *d = atomic_load(&m->slot[i].d);
        if (d && m->slot[i].value)
            d->release(m->slot[i].value);
        atomic_store(&m->slot[i].d, NULL);
        m->slot[i].value = NULL;
    }
    pthread_mutex_destroy(&m->mu);
}

/* The slot holding d's value, or NULL (acquire: the value is complete when d is seen). */
static void *memo_lookup(struct cv_memo *m, const struct cv_derivation *d, int *found)
{
    for (int i = 0; i < CV_MEMO_SLOTS; i++)
        if (atomic_load_explicit(&m->slot[i].d, memory_order_acquire) == d) {
            *found = 1;
            return m->slot[i].value;
        }
    *found = 0;
    return NULL;
}

/* d over `all`, computed now and held by the scope. */
static enum cv_result derive_into_scope(struct cv_scope *s, const struct cv_derivation *d,
                                        const cJSON *all, const void **out)
{
    void *value = d->compute(all);
    if (!value || cv_scope_hold(s, d->release, value) != 0) {
        *out = NULL;
        return cv_scope_fail(s, "out of memory");
    }
    *out = value;
    return CV_OK;
}

enum cv_result cv_memo_get(struct cv_memo *m, struct cv_scope *s, const struct cv_derivation *d,
                           const cJSON *all, const void **out)
{
    int found;
    void *value = memo_lookup(m, d, &found);
    if (!found) {
        pthread_mutex_lock(&m->mu);
        value = memo_lookup(m, d, &found);
        if (!found) {
            int i = 0;
            while (i < CV_MEMO_SLOTS && atomic_load_explicit(&m->slot[i].d, memory_order_relaxed))
                i++;
            if (i == CV_MEMO_SLOTS) { /* every slot taken: computed for this scope only */
                pthread_mutex_unlock(&m->mu);
                return derive_into_scope(s, d, all, out);
            }
            value = d->compute(all);
            if (value) { /* out of memory is not remembered: the next reader tries again */
                m->slot[i].value = value;
                atomic_store_explicit(&m->slot[i].d, d, memory_order_release);
            }
        }
        pthread_mutex_unlock(&m->mu);
    }
    *out = value;
    return value ? CV_OK : cv_scope_fail(s, "out of memory");
}

enum cv_result cv_derive_from_list(const struct cluster_view *v, struct cv_scope *s,
                                   enum cv_kind kind, const struct cv_derivation *d,
                                   const void **out)
{
    const cJSON *all;
    enum cv_result r = cv_list(v, s, kind, NULL, NULL, NULL, &all);
    if (r != CV_OK)
        return r;
    return derive_into_scope(s, d, all, out);
}

enum cv_result cv_derive(const struct cluster_view *v, struct cv_scope *s, enum cv_kind kind,
                         const struct cv_derivation *d, const void **out)
{
    *out = NULL;
    if (v->ops->derive)
        return v->ops->derive(v, s, kind, d, out);
    if (v->base)
        return cv_derive(v->base, s, kind, d, out);
    return cv_derive_from_list(v, s, kind, d, out);
}

/* ---- lookups ---- */

enum cv_result cv_get(const struct cluster_view *v, struct cv_scope *s, enum cv_kind kind,
                      const char *ns, const char *name, const cJSON **out)
{
    *out = NULL;
    if (!name || !*name)
        return CV_NOT_FOUND;
    if (!v->ops->get)
        return cv_get(v->base, s, kind, ns, name, out);
    return v->ops->get(v, s, kind, ns, name, out);
}

enum cv_result cv_list(const struct cluster_view *v, struct cv_scope *s, enum cv_kind kind,
                       const char *ns, const char *label_key, const char *label_value,
                       const cJSON **out_array)
{
    *out_array = NULL;
    if (!v->ops->list)
        return cv_list(v->base, s, kind, ns, label_key, label_value, out_array);
    return v->ops->list(v, s, kind, ns, label_key, label_value, out_array);
}

int cv_ready(const struct cluster_view *v)
{
    if (v->ops->ready)
        return v->ops->ready(v);
    return v->base ? cv_ready(v->base) : 1;
}

void cv_stats(const struct cluster_view *v, struct cv_stats *out)
{
    memset(out, 0, sizeof(*out));
    if (v && v->ops->stats)
        v->ops->stats(v, out);
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
    [CV_MIGRATION_POLICY] = "MigrationPolicy",
    [CV_NAMESPACE] = "Namespace",
};

int cv_kind_from_name(const char *kind)
{
    return text_name_index(kind_names, CV_KIND_COUNT, kind);
}

const char *cv_kind_name(enum cv_kind kind)
{
    return (unsigned)kind < CV_KIND_COUNT ? kind_names[kind] : "?";
}

int cv_kind_namespaced(enum cv_kind kind)
{
    return kind != CV_NODE && kind != CV_MIGRATION_POLICY && kind != CV_NAMESPACE;
}

long long cv_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
