/*
 * cluster/live.c - the cluster view over the Kubernetes API.
 *
 * Caches.  One thread per cached kind (Node, KubeVirt, MigrationPolicy)
 * lists the kind page by page, then watches from the list's resourceVersion
 * with bookmarks, applying each event to a private working set of trimmed
 * objects (only the fields the rules read; an update that changes none of
 * them, such as a Node status heartbeat, is dropped).  Objects are immutable and reference-counted,
 * so after each received chunk with changes a new snapshot is made cheaply: a
 * cJSON array of references to the current objects.  Readers take a snapshot
 * under the cache mutex and hold it through their scope, so a snapshot and
 * its objects stay valid while anyone reads them, and readers never touch
 * the network.  A 410 (HTTP or ERROR event) relists; other errors back off
 * (doubling, capped, with jitter) and resume from the last resourceVersion.
 * A cached kind the API server does not serve (404 on its list: KubeVirt or
 * the MigrationPolicy CRD not installed) is cached as empty and listed again
 * every ABSENT_RELIST_MS; for MigrationPolicies one line is logged the first
 * time (live_view_set_log).
 *
 * On demand.  Other kinds are fetched with one GET (or a paginated list with
 * a label selector) bounded by the scope's deadline; the answer is attached
 * to the scope.
 */
#include "cluster/live.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cluster/intern.h"
#include "cluster/watch.h"
#include "cluster/limits.h"
#include "kube/object.h"
#include "kube/rule_fields.h"
#include "kube/text.h"

/* How often a cached kind the API server does not serve is listed again. */
#define ABSENT_RELIST_MS (10L * 60 * 1000)

/* ---- the one line the view logs on its own ---- */

static void log_to_stderr(const char *msg, const char *detail)
{
    fprintf(stderr, "%s: %s\n", msg, detail);
}

static _Atomic(live_log_fn) log_sink = log_to_stderr;

void live_view_set_log(live_log_fn fn)
{
    atomic_store(&log_sink, fn ? fn : log_to_stderr);
}

/* ---- shared objects and snapshots ---- */

/* What the allocator spends on a request of n bytes (glibc: 8-byte header, 16-byte steps, 32
 * minimum). */
#define HEAP_CHUNK(n)                                                                              \
    ((((size_t)(n) + 8 + 15) & ~(size_t)15) < 32 ? 32 : (((size_t)(n) + 8 + 15) & ~(size_t)15))

/* One trimmed object, immutable once made, shared by the working set and snapshots. */
struct shared_obj {
    atomic_int refs;
    cJSON *obj;
    struct intern_pool *pool; /* the pool its keys and strings come from */
    size_t bytes;             /* heap it owns (pooled strings are counted with the pool) */
};

/* Wraps `obj` (built from `pool`; consumed in every case). */
static struct shared_obj *shared_new(struct intern_pool *pool, cJSON *obj)
{
    struct shared_obj *o = calloc(1, sizeof(*o));
    if (!o) {
        intern_tree_delete(pool, obj);
        return NULL;
    }
    atomic_init(&o->refs, 1);
    o->obj = obj;
    o->pool = pool;
    o->bytes = intern_tree_bytes(obj) + HEAP_CHUNK(sizeof(*o));
    return o;
}

static void shared_put(struct shared_obj *o)
{
    if (o && atomic_fetch_sub(&o->refs, 1) == 1) {
        intern_tree_delete(o->pool, o->obj);
        free(o);
    }
}

/* The cache thread's working set: references to shared objects, in arrival order. */
struct objset {
    struct shared_obj **v;
    size_t n, cap;
};

static int objset_append(struct objset *set, struct shared_obj *o)
{
    if (set->n == set->cap) {
        size_t cap = set->cap ? set->cap * 2 : 64;
        struct shared_obj **v = realloc(set->v, cap * sizeof(*v));
        if (!v)
            return -1;
        set->v = v;
        set->cap = cap;
    }
    set->v[set->n++] = o;
    return 0;
}

static void objset_remove_at(struct objset *set, size_t i)
{
    shared_put(set->v[i]);
    memmove(&set->v[i], &set->v[i + 1], (set->n - i - 1) * sizeof(set->v[0]));
    set->n--;
}

static void objset_clear(struct objset *set)
{
    for (size_t i = 0; i < set->n; i++)
        shared_put(set->v[i]);
    free(set->v);
    memset(set, 0, sizeof(*set));
}

/*
 * What readers see: an array of cJSON references to the shared objects (so
 * publishing costs one small node per object, not a deep copy), kept alive by
 * the snapshot's own references to them.
 */
struct snapshot {
    atomic_int refs;
    struct shared_obj **objs;
    size_t n;
    cJSON *items; /* array of references; deleting it leaves the objects */
    size_t bytes;
    struct cv_memo memo; /* facts derived from this version of the list */
};

static void snapshot_release(void *p)
{
    struct snapshot *s = p;
    if (s && atomic_fetch_sub(&s->refs, 1) == 1) {
        cv_memo_clear(&s->memo);
        cJSON_Delete(s->items);
        for (size_t i = 0; i < s->n; i++)
            shared_put(s->objs[i]);
        free(s->objs);
        free(s);
    }
}

size_t live_json_bytes(const cJSON *item)
{
    size_t n = 0;
    for (; item; item = item->next) {
        n += HEAP_CHUNK(sizeof(cJSON));
        if (item->string && !(item->type & cJSON_StringIsConst))
            n += HEAP_CHUNK(strlen(item->string) + 1);
        if (item->type & cJSON_IsReference)
            continue; /* borrowed: its string or children belong to someone else */
        if (cJSON_IsString(item) && item->valuestring)
            n += HEAP_CHUNK(strlen(item->valuestring) + 1);
        n += live_json_bytes(item->child);
    }
    return n;
}

/* ---- the view ---- */

struct cache {
    struct live_view *lv;
    enum cv_kind kind;
    pthread_t thread;
    int started;

    pthread_mutex_t mu; /* guards snap, loaded, last_error */
    struct snapshot *snap;
    int loaded;
    char last_error[256];

    /* owned by the cache thread */
    struct objset work;
    char rv[128];
    int dirty, need_relist, stream_failed;
    char stream_err[256];
    struct watch_parser *parser;
    unsigned int seed;

    int absent;        /* the last list was a 404: the kind is not served */
    int absent_logged; /* the one line about it has been logged */

    atomic_ulong relists, watch_restarts, events;
};

enum { CACHE_NODES, CACHE_KUBEVIRT, CACHE_POLICIES, CACHE_COUNT };

struct live_view {
    struct cluster_view view;
    struct kube_client *client;
    struct intern_pool *pool; /* keys and strings of the cached Nodes */
    struct cache caches[CACHE_COUNT];
    pthread_mutex_t stop_mu;
    pthread_cond_t stop_cv;
    atomic_int stopping;
};

static struct cache *cache_for(const struct live_view *lv, enum cv_kind kind)
{
    if (kind == CV_NODE)
        return (struct cache *)&lv->caches[CACHE_NODES];
    if (kind == CV_KUBEVIRT)
        return (struct cache *)&lv->caches[CACHE_KUBEVIRT];
    if (kind == CV_MIGRATION_POLICY)
        return (struct cache *)&lv->caches[CACHE_POLICIES];
    return NULL;
}

/* The namespace a lookup of `kind` is filed under: NULL for cluster-scoped kinds. */
static const char *scoped_ns(enum cv_kind kind, const char *ns)
{
    return cv_kind_namespaced(kind) ? ns : NULL;
}

/* ---- trimming: keep only what the rules read ---- */

static int copy_field(cJSON *dst, const cJSON *src, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(src, name);
    if (!v)
        return 0;
    cJSON *d = cJSON_Duplicate(v, 1);
    return d && cJSON_AddItemToObject(dst, name, d) ? 0 : (cJSON_Delete(d), -1);
}

static int copy_fields(cJSON *dst, const cJSON *src, const char *const *names)
{
    for (; *names; names++)
        if (copy_field(dst, src, *names) != 0)
            return -1;
    return 0;
}

/*
 * What a cached KubeVirt CR or MigrationPolicy keeps: the fields the rules
 * read (kube/rule_fields.h).
 */
struct trim_fields {
    const char *const *spec, *const *status; /* NULL-terminated; status may be NULL */
};

static const struct trim_fields *trim_fields_of(enum cv_kind kind)
{
    static const struct trim_fields kv = {rule_kubevirt_spec, rule_kubevirt_status},
                                    policy = {rule_policy_spec, NULL};
    return kind == CV_MIGRATION_POLICY ? &policy : &kv;
}

/* Copies the `names` fields of src's object `section` into dst's, made only when one is there. */
static int copy_section(cJSON *dst, const cJSON *src, const char *section, const char *const *names)
{
    const cJSON *from = cJSON_GetObjectItemCaseSensitive(src, section);
    if (!names || !cJSON_IsObject(from))
        return 0;
    cJSON *to = NULL;
    for (; *names; names++) {
        if (!cJSON_GetObjectItemCaseSensitive(from, *names))
            continue;
        if (!to && !(to = cJSON_AddObjectToObject(dst, section)))
            return -1;
        if (copy_field(to, from, *names) != 0)
            return -1;
    }
    return 0;
}

/* The trimmed copy of a cached object (caller frees with intern_tree_delete), or NULL. */
static cJSON *trim_object(struct intern_pool *pool, enum cv_kind kind, const cJSON *obj)
{
    if (kind == CV_NODE)
        return intern_trimmed_node(pool, obj); /* labels repeat on every node: pooled */
    const struct trim_fields *keep = trim_fields_of(kind);
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
    if (!cJSON_IsObject(obj) || !cJSON_IsObject(meta) ||
        !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(meta, "name")))
        return NULL;
    const cJSON *spec = cJSON_GetObjectItemCaseSensitive(obj, "spec");
    cJSON *t = cJSON_CreateObject();
    cJSON *tm = cJSON_AddObjectToObject(t, "metadata");
    cJSON *ts = cJSON_AddObjectToObject(t, "spec");
    if (!t || !tm || !ts ||
        !cJSON_AddStringToObject(t, "apiVersion", kube_resource_of(kind)->api_version) ||
        !cJSON_AddStringToObject(t, "kind", cv_kind_name(kind)) ||
        copy_fields(tm, meta, rule_object_metadata) != 0 ||
        (cJSON_IsObject(spec) && copy_fields(ts, spec, keep->spec) != 0) ||
        copy_section(t, obj, "status", keep->status) != 0) {
        cJSON_Delete(t);
        return NULL;
    }
    return t;
}

static int same_object(const cJSON *a, const char *ns, const char *name)
{
    const char *an = meta_string(a, "name");
    const char *ans = meta_string(a, "namespace");
    return an && strcmp(an, name) == 0 && strcmp(ans ? ans : "", ns ? ns : "") == 0;
}

static cJSON *find_in(const cJSON *arr, const char *ns, const char *name)
{
    cJSON *o;
    cJSON_ArrayForEach (o, arr) {
        if (same_object(o, ns, name))
            return o;
    }
    return NULL;
}

/* ---- publishing (cache thread) ---- */

static void cache_note_error(struct cache *c, const char *msg)
{
    pthread_mutex_lock(&c->mu);
    snprintf(c->last_error, sizeof(c->last_error), "%s", msg);
    pthread_mutex_unlock(&c->mu);
}

static struct snapshot *snapshot_of(const struct objset *work)
{
    struct snapshot *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    atomic_init(&s->refs, 1);
    cv_memo_init(&s->memo);
    s->objs = malloc((work->n ? work->n : 1) * sizeof(s->objs[0]));
    s->items = cJSON_CreateArray();
    if (!s->objs || !s->items) {
        snapshot_release(s);
        return NULL;
    }
    for (size_t i = 0; i < work->n; i++) {
        struct shared_obj *o = work->v[i];
        if (!cJSON_AddItemReferenceToArray(s->items, o->obj)) {
            snapshot_release(s);
            return NULL;
        }
        atomic_fetch_add(&o->refs, 1);
        s->objs[s->n++] = o;
        s->bytes += o->bytes + HEAP_CHUNK(sizeof(cJSON)) + sizeof(s->objs[0]); /* + its reference */
    }
    return s;
}

static int cache_publish(struct cache *c)
{
    struct snapshot *s = snapshot_of(&c->work);
    if (!s)
        return -1;
    pthread_mutex_lock(&c->mu);
    struct snapshot *old = c->snap;
    c->snap = s;
    c->loaded = 1;
    c->last_error[0] = '\0'; /* the API server answered */
    pthread_mutex_unlock(&c->mu);
    snapshot_release(old);
    c->dirty = 0;
    return 0;
}

/* ---- the list (cache thread) ---- */

static int stopping(const struct live_view *lv)
{
    return atomic_load(&((struct live_view *)lv)->stopping);
}

/* Appends `s` percent-encoded (kube/text.h) to the string in dst. */
static void append_escaped(char *dst, size_t dstlen, const char *s)
{
    size_t n = strlen(dst);
    text_url_escape(s, dst + n, dstlen - n);
}

/* The path of the collection of `kind` into `path`: in namespace `ns` when given and the kind is
 * namespaced, else cluster-wide. */
static void collection_path(char *path, size_t len, enum cv_kind kind, const char *ns)
{
    const struct kube_resource *r = kube_resource_of(kind);
    if (ns && cv_kind_namespaced(kind)) {
        snprintf(path, len, "%s/namespaces/", r->prefix);
        append_escaped(path, len, ns_or_default(ns));
        snprintf(path + strlen(path), len - strlen(path), "/%s", r->plural);
    } else {
        snprintf(path, len, "%s/%s", r->prefix, r->plural);
    }
}

/* Frees an array of objects built from `pool` (NULL: plain cJSON). */
static void delete_items(struct intern_pool *pool, cJSON *arr)
{
    while (arr && arr->child)
        intern_tree_delete(pool, cJSON_DetachItemViaPointer(arr, arr->child));
    cJSON_Delete(arr);
}

/*
 * Lists every object at `base` (a collection path) with `query` (may be ""),
 * page by page.  Items get kind/apiVersion (and are trimmed, built from the
 * pool `trim`, when it is not NULL).  Returns the array (caller frees with
 * delete_items) and the list's resourceVersion in rv, or NULL with err
 * (*code = HTTP code of the failing page).
 */
static cJSON *list_pages(struct kube_client *client, enum cv_kind kind, const char *base,
                         const char *query, struct intern_pool *trim, long long deadline_ms,
                         char *rv, size_t rvlen, long *code, char *err, size_t errlen)
{
    cJSON *all = cJSON_CreateArray();
    char cont[1024] = "";
    if (!all) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    for (int page = 0; page < MW_KUBE_LIST_MAX_PAGES; page++) {
        char path[2048];
        snprintf(path, sizeof(path), "%s?limit=%d%s%s", base, MW_KUBE_LIST_PAGE_LIMIT,
                 *query ? "&" : "", query);
        if (*cont) {
            strncat(path, "&continue=", sizeof(path) - strlen(path) - 1);
            append_escaped(path, sizeof(path), cont);
        }
        cJSON *body = NULL;
        enum kube_result r = kube_get_json(client, path, deadline_ms, &body, code, err, errlen);
        if (r != KUBE_OK) {
            if (r == KUBE_NOT_FOUND)
                snprintf(err, errlen, "GET %s: 404 NotFound", base);
            delete_items(trim, all);
            return NULL;
        }
        cJSON *items = cJSON_GetObjectItemCaseSensitive(body, "items");
        cJSON *item;
        cJSON_ArrayForEach (item, items) {
            cJSON *o = trim ? trim_object(trim, kind, item) : cJSON_Duplicate(item, 1);
            if (!o)
                continue; /* not an object with a name: skip */
            if (!trim && !cJSON_HasObjectItem(o, "kind")) {
                cJSON_AddStringToObject(o, "kind", cv_kind_name(kind));
                cJSON_AddStringToObject(o, "apiVersion", kube_resource_of(kind)->api_version);
            }
            cJSON_AddItemToArray(all, o);
        }
        const cJSON *meta = cJSON_GetObjectItemCaseSensitive(body, "metadata");
        const char *list_rv =
            cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(meta, "resourceVersion"));
        const char *next = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(meta, "continue"));
        if (page == 0 && rv)
            snprintf(rv, rvlen, "%s", list_rv ? list_rv : "");
        snprintf(cont, sizeof(cont), "%s", next ? next : "");
        cJSON_Delete(body);
        if (!*cont)
            return all;
    }
    delete_items(trim, all);
    snprintf(err, errlen, "GET %s: more than %d pages", base, MW_KUBE_LIST_MAX_PAGES);
    return NULL;
}

static int cache_relist(struct cache *c, char *err, size_t errlen)
{
    char base[256];
    long code = 0;
    collection_path(base, sizeof(base), c->kind, NULL);
    cJSON *items = list_pages(c->lv->client, c->kind, base, "", c->lv->pool, 0, c->rv,
                              sizeof(c->rv), &code, err, errlen);
    c->absent = 0;
    if (!items) {
        if (code != 404 || c->kind == CV_NODE)
            return -1;
        items = cJSON_CreateArray(); /* KubeVirt or the CRD not installed: nothing to cache */
        if (!items)
            return -1;
        c->rv[0] = '\0';
        c->absent = 1;
        if (c->kind == CV_MIGRATION_POLICY && !c->absent_logged) {
            c->absent_logged = 1;
            char line[384];
            snprintf(line, sizeof(line),
                     "%.256s; no MigrationPolicy applies (listed again every %ld minutes)", err,
                     ABSENT_RELIST_MS / 60000);
            atomic_load (&log_sink)("MigrationPolicy resource not served", line);
        }
    }
    struct objset fresh = {0};
    while (items->child) {
        struct shared_obj *o =
            shared_new(c->lv->pool, cJSON_DetachItemViaPointer(items, items->child));
        if (!o || objset_append(&fresh, o) != 0) {
            shared_put(o);
            objset_clear(&fresh);
            delete_items(c->lv->pool, items);
            snprintf(err, errlen, "GET %.200s: out of memory", base);
            return -1;
        }
    }
    cJSON_Delete(items);
    objset_clear(&c->work);
    c->work = fresh;
    c->need_relist = 0;
    return cache_publish(c);
}

/* ---- the watch (cache thread) ---- */

/* Index of the object named ns/name in the working set, or -1. */
static long objset_find(const struct objset *set, const char *ns, const char *name)
{
    for (size_t i = 0; i < set->n; i++)
        if (same_object(set->v[i]->obj, ns, name))
            return (long)i;
    return -1;
}

/* Applies one event; on out of memory, asks for a relist. */
static void apply_change(struct cache *c, enum watch_type type, const cJSON *object)
{
    const char *name = meta_string(object, "name");
    const char *ns = meta_string(object, "namespace");
    if (!name)
        return;
    long at = objset_find(&c->work, scoped_ns(c->kind, ns), name);
    cJSON *t = type != WATCH_DELETED ? trim_object(c->lv->pool, c->kind, object) : NULL;
    if (at >= 0 && t && cJSON_Compare(c->work.v[at]->obj, t, 1)) {
        intern_tree_delete(c->lv->pool,
                           t); /* nothing the rules read has changed: no new snapshot */
        return;
    }
    if (at >= 0)
        objset_remove_at(&c->work, (size_t)at);
    c->dirty = 1;
    if (!t)
        return;
    struct shared_obj *o = shared_new(c->lv->pool, t);
    if (!o || objset_append(&c->work, o) != 0) {
        shared_put(o);
        c->need_relist = 1;
    }
}

static int on_watch_event(void *ctx, enum watch_type type, cJSON *event, cJSON *object)
{
    struct cache *c = ctx;
    if (type == WATCH_ERROR) {
        int code = watch_error_code(object);
        if (code == 410) {
            c->need_relist = 1;
        } else {
            const char *msg =
                cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(object, "message"));
            c->stream_failed = 1;
            snprintf(c->stream_err, sizeof(c->stream_err), "watch %s: ERROR event %d: %s",
                     kube_resource_of(c->kind)->plural, code, msg ? msg : "");
        }
        return 1;
    }
    if (type != WATCH_BOOKMARK)
        apply_change(c, type, object);
    const char *rv = watch_resource_version(object);
    if (rv)
        snprintf(c->rv, sizeof(c->rv), "%s", rv);
    atomic_fetch_add(&c->events, 1);
    return 0;
}

static int on_watch_data(void *ctx, const char *data, size_t len)
{
    struct cache *c = ctx;
    enum watch_feed_result r =
        watch_feed(c->parser, data, len, c->stream_err, sizeof(c->stream_err));
    if (r == WATCH_FEED_ERROR)
        c->stream_failed = 1;
    if (c->dirty && cache_publish(c) != 0) {
        c->stream_failed = 1;
        snprintf(c->stream_err, sizeof(c->stream_err), "watch %s: out of memory",
                 kube_resource_of(c->kind)->plural);
    }
    return r != WATCH_FEED_OK || c->stream_failed || stopping(c->lv);
}

static int on_watch_poll(void *ctx)
{
    struct cache *c = ctx;
    return stopping(c->lv);
}

/* One watch request.  Returns 0 when it ended normally (or with a 410), -1 on errors. */
static int cache_watch_once(struct cache *c, char *err, size_t errlen)
{
    char path[512];
    long code = 0;
    snprintf(path, sizeof(path),
             "%s/%s?watch=1&allowWatchBookmarks=true&resourceVersion=%s&timeoutSeconds=%d",
             kube_resource_of(c->kind)->prefix, kube_resource_of(c->kind)->plural, c->rv,
             MW_KUBE_WATCH_TIMEOUT_SECONDS);
    watch_parser_reset(c->parser);
    c->stream_failed = 0;
    enum kube_result r =
        kube_stream(c->lv->client, path, (MW_KUBE_WATCH_TIMEOUT_SECONDS + 30) * 1000L,
                    on_watch_data, on_watch_poll, c, &code, err, errlen);
    if (r != KUBE_OK && code == 410)
        c->need_relist = 1;
    if (c->need_relist)
        return 0;
    if (r != KUBE_OK)
        return -1;
    if (c->stream_failed) {
        snprintf(err, errlen, "%s", c->stream_err);
        return -1;
    }
    return 0;
}

/* Sleeps up to ms, waking early when the view stops. */
static void pause_unless_stopping(struct live_view *lv, long ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&lv->stop_mu);
    while (!stopping(lv))
        if (pthread_cond_timedwait(&lv->stop_cv, &lv->stop_mu, &ts) != 0)
            break;
    pthread_mutex_unlock(&lv->stop_mu);
}

static long next_backoff(struct cache *c, int failures)
{
    long ms = MW_KUBE_BACKOFF_MIN_MS;
    for (int i = 1; i < failures && ms < MW_KUBE_BACKOFF_MAX_MS; i++)
        ms *= 2;
    if (ms > MW_KUBE_BACKOFF_MAX_MS)
        ms = MW_KUBE_BACKOFF_MAX_MS;
    return ms / 2 + (long)(rand_r(&c->seed) % (unsigned)(ms / 2 + 1)); /* jitter: [ms/2, ms] */
}

static void *cache_thread(void *arg)
{
    struct cache *c = arg;
    int failures = 0, listed = 0, watched = 0, quick_ends = 0;
    char err[256];
    c->need_relist = 1;
    while (!stopping(c->lv)) {
        int rc;
        err[0] = '\0';
        if (c->need_relist) {
            rc = cache_relist(c, err, sizeof(err));
            if (listed++)
                atomic_fetch_add(&c->relists, 1);
            if (rc == 0 && c->absent) { /* nothing to watch: list again, rarely */
                failures = 0;
                c->need_relist = 1;
                pause_unless_stopping(c->lv, ABSENT_RELIST_MS);
                continue;
            }
        } else {
            if (watched++)
                atomic_fetch_add(&c->watch_restarts, 1);
            long long started = cv_now_ms();
            unsigned long events = atomic_load(&c->events);
            rc = cache_watch_once(c, err, sizeof(err));
            /* A watch that ends at once with nothing in it must not spin: back off. */
            if (rc == 0 && cv_now_ms() - started < MW_KUBE_WATCH_MIN_LIFETIME_MS &&
                atomic_load(&c->events) == events)
                pause_unless_stopping(c->lv, next_backoff(c, ++quick_ends));
            else
                quick_ends = 0;
        }
        if (stopping(c->lv))
            break;
        if (rc == 0) {
            if (failures)
                cache_note_error(c, ""); /* recovered */
            failures = 0;
            continue;
        }
        cache_note_error(c, err);
        pause_unless_stopping(c->lv, next_backoff(c, ++failures));
    }
    return NULL;
}

/* ---- readers ---- */

static struct snapshot *snapshot_take(struct cache *c)
{
    pthread_mutex_lock(&c->mu);
    struct snapshot *s = c->snap;
    if (s)
        atomic_fetch_add(&s->refs, 1);
    pthread_mutex_unlock(&c->mu);
    return s;
}

/* The cache's snapshot, held by the scope; NULL (scope->err set) when not loaded. */
static struct snapshot *snapshot_for_scope(struct cache *c, struct cv_scope *s)
{
    struct snapshot *snap = snapshot_take(c);
    if (!snap) {
        cv_scope_fail(s, "the %s cache is not loaded yet", cv_kind_name(c->kind));
        return NULL;
    }
    if (cv_scope_hold(s, snapshot_release, snap) != 0) {
        cv_scope_fail(s, "out of memory");
        return NULL;
    }
    return snap;
}

static enum cv_result cached_get(struct cache *c, struct cv_scope *s, const char *ns,
                                 const char *name, const cJSON **out)
{
    struct snapshot *snap = snapshot_for_scope(c, s);
    if (!snap)
        return CV_ERROR;
    *out = find_in(snap->items, cv_kind_namespaced(c->kind) ? ns_or_default(ns) : NULL, name);
    return *out ? CV_OK : CV_NOT_FOUND;
}

static enum cv_result cached_list(struct cache *c, struct cv_scope *s, const char *ns,
                                  const char *key, const char *value, const cJSON **out)
{
    struct snapshot *snap = snapshot_for_scope(c, s);
    if (!snap)
        return CV_ERROR;
    if (!key && (!ns || !cv_kind_namespaced(c->kind))) {
        *out = snap->items;
        return CV_OK;
    }
    cJSON *arr = cJSON_CreateArray();
    if (!arr || cv_scope_hold_json(s, arr) != 0)
        return cv_scope_fail(s, "out of memory");
    const cJSON *o;
    cJSON_ArrayForEach (o, snap->items) {
        const char *ons = meta_string(o, "namespace");
        if (ns && cv_kind_namespaced(c->kind) &&
            strcmp(ons ? ons : "default", ns_or_default(ns)) != 0)
            continue;
        if (meta_label_matches(o, key, value) && !cJSON_AddItemReferenceToArray(arr, (cJSON *)o))
            return cv_scope_fail(s, "out of memory");
    }
    *out = arr;
    return CV_OK;
}

static enum cv_result fetched_get(const struct live_view *lv, struct cv_scope *s, enum cv_kind kind,
                                  const char *ns, const char *name, const cJSON **out)
{
    char path[1024];
    char err[256];
    collection_path(path, sizeof(path), kind, ns_or_default(ns));
    strncat(path, "/", sizeof(path) - strlen(path) - 1);
    append_escaped(path, sizeof(path), name);
    cJSON *obj = NULL;
    err[0] = '\0';
    enum kube_result kr =
        kube_get_json(lv->client, path, s->deadline_ms, &obj, NULL, err, sizeof(err));
    if (kr == KUBE_NOT_FOUND)
        return CV_NOT_FOUND;
    if (kr != KUBE_OK)
        return cv_scope_fail(s, "%s", err);
    if (cv_scope_hold_json(s, obj) != 0)
        return cv_scope_fail(s, "out of memory");
    *out = obj;
    return CV_OK;
}

static enum cv_result fetched_list(const struct live_view *lv, struct cv_scope *s,
                                   enum cv_kind kind, const char *ns, const char *key,
                                   const char *value, const cJSON **out)
{
    char base[512], query[768] = "", err[256];
    collection_path(base, sizeof(base), kind, ns);
    if (key) {
        char selector[512];
        snprintf(selector, sizeof(selector), "%s%s%s", key, value ? "=" : "", value ? value : "");
        strcpy(query, "labelSelector=");
        append_escaped(query, sizeof(query), selector);
    }
    long code = 0;
    err[0] = '\0';
    cJSON *items = list_pages(lv->client, kind, base, query, NULL, s->deadline_ms, NULL, 0, &code,
                              err, sizeof(err));
    if (!items && code == 404) {
        items = cJSON_CreateArray(); /* the kind is not served: nothing of it exists */
        if (!items)
            return cv_scope_fail(s, "out of memory");
    }
    if (!items)
        return cv_scope_fail(s, "%s", err);
    if (cv_scope_hold_json(s, items) != 0)
        return cv_scope_fail(s, "out of memory");
    *out = items;
    return CV_OK;
}

static enum cv_result live_get(const struct cluster_view *v, struct cv_scope *s, enum cv_kind kind,
                               const char *ns, const char *name, const cJSON **out)
{
    const struct live_view *lv = v->impl;
    if ((unsigned)kind >= CV_KIND_COUNT)
        return CV_NOT_FOUND;
    struct cache *c = cache_for(lv, kind);
    return c ? cached_get(c, s, ns, name, out) : fetched_get(lv, s, kind, ns, name, out);
}

static enum cv_result live_list(const struct cluster_view *v, struct cv_scope *s, enum cv_kind kind,
                                const char *ns, const char *key, const char *value,
                                const cJSON **out)
{
    const struct live_view *lv = v->impl;
    if ((unsigned)kind >= CV_KIND_COUNT)
        return cv_scope_fail(s, "unknown kind");
    struct cache *c = cache_for(lv, kind);
    return c ? cached_list(c, s, ns, key, value, out)
             : fetched_list(lv, s, kind, ns, key, value, out);
}

/* Cached kinds: memoised per snapshot, so a fact is computed once per change of the list. */
static enum cv_result live_derive(const struct cluster_view *v, struct cv_scope *s,
                                  enum cv_kind kind, const struct cv_derivation *d,
                                  const void **out)
{
    const struct live_view *lv = v->impl;
    if ((unsigned)kind >= CV_KIND_COUNT)
        return cv_scope_fail(s, "unknown kind");
    struct cache *c = cache_for(lv, kind);
    if (!c) /* fetched on demand: nothing to remember it with */
        return cv_derive_from_list(v, s, kind, d, out);
    struct snapshot *snap = snapshot_for_scope(c, s);
    if (!snap)
        return CV_ERROR;
    return cv_memo_get(&snap->memo, s, d, snap->items, out);
}

static int live_ready(const struct cluster_view *v)
{
    struct live_view *lv = v->impl;
    struct cache *c = &lv->caches[CACHE_NODES];
    pthread_mutex_lock(&c->mu);
    int loaded = c->loaded;
    pthread_mutex_unlock(&c->mu);
    return loaded;
}

/* ---- life cycle ---- */

static void live_destroy(struct cluster_view *v)
{
    struct live_view *lv = v->impl;
    pthread_mutex_lock(&lv->stop_mu);
    atomic_store(&lv->stopping, 1);
    pthread_cond_broadcast(&lv->stop_cv);
    pthread_mutex_unlock(&lv->stop_mu);
    for (int i = 0; i < CACHE_COUNT; i++) {
        struct cache *c = &lv->caches[i];
        if (c->started)
            pthread_join(c->thread, NULL);
        snapshot_release(c->snap);
        objset_clear(&c->work);
        watch_parser_free(c->parser);
        pthread_mutex_destroy(&c->mu);
    }
    kube_client_free(lv->client);
    intern_pool_free(lv->pool);
    pthread_cond_destroy(&lv->stop_cv);
    pthread_mutex_destroy(&lv->stop_mu);
    free(lv);
}

static void live_stats_op(const struct cluster_view *v, struct cv_stats *out);

static const struct cluster_view_ops live_ops = {
    .get = live_get,
    .list = live_list,
    .derive = live_derive,
    .ready = live_ready,
    .stats = live_stats_op,
    .destroy = live_destroy,
};

int live_view_is(const struct cluster_view *v)
{
    return v && v->ops == &live_ops;
}

struct cluster_view *live_view_new(const struct kube_config *cfg, char *err, size_t errlen)
{
    struct live_view *lv = calloc(1, sizeof(*lv));
    if (!lv) {
        snprintf(err, errlen, "live view: out of memory");
        return NULL;
    }
    lv->view.ops = &live_ops;
    lv->view.impl = lv;
    pthread_mutex_init(&lv->stop_mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&lv->stop_cv, &ca);
    pthread_condattr_destroy(&ca);
    static const enum cv_kind kinds[CACHE_COUNT] = {[CACHE_NODES] = CV_NODE,
                                                    [CACHE_KUBEVIRT] = CV_KUBEVIRT,
                                                    [CACHE_POLICIES] = CV_MIGRATION_POLICY};
    for (int i = 0; i < CACHE_COUNT; i++) {
        struct cache *c = &lv->caches[i];
        c->lv = lv;
        c->kind = kinds[i];
        c->seed = (unsigned)time(NULL) ^ (unsigned)(i * 7919);
        pthread_mutex_init(&c->mu, NULL);
        c->parser = watch_parser_new(MW_KUBE_MAX_WATCH_LINE_BYTES, on_watch_event, c);
    }
    lv->pool = intern_pool_new();
    lv->client = kube_client_new(cfg, err, errlen);
    int parsers = 1;
    for (int i = 0; i < CACHE_COUNT; i++)
        parsers = parsers && lv->caches[i].parser;
    if (!lv->client || !lv->pool || !parsers) {
        if (lv->client)
            snprintf(err, errlen, "live view: out of memory");
        live_destroy(&lv->view);
        return NULL;
    }
    for (int i = 0; i < CACHE_COUNT; i++) {
        struct cache *c = &lv->caches[i];
        if (pthread_create(&c->thread, NULL, cache_thread, c) != 0) {
            snprintf(err, errlen, "live view: cannot start the cache thread");
            live_destroy(&lv->view);
            return NULL;
        }
        c->started = 1;
    }
    return &lv->view;
}

/* 1 when every cache has loaded or failed once (it has something to say). */
static int caches_answered(const struct live_view *lv)
{
    int answered = 1;
    for (int i = 0; i < CACHE_COUNT; i++) {
        struct cache *c = (struct cache *)&lv->caches[i];
        pthread_mutex_lock(&c->mu);
        answered = answered && (c->loaded || c->last_error[0]);
        pthread_mutex_unlock(&c->mu);
    }
    return answered;
}

int live_view_wait_ready(const struct cluster_view *v, long timeout_ms)
{
    long long until = cv_now_ms() + timeout_ms;
    while ((!cv_ready(v) || !caches_answered(v->impl)) && cv_now_ms() < until) {
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
    }
    return cv_ready(v);
}

int live_view_stats(const struct cluster_view *v, struct live_stats *out)
{
    memset(out, 0, sizeof(*out));
    if (!live_view_is(v))
        return -1;
    struct live_view *lv = v->impl;
    kube_client_calls(lv->client, out->api_calls);
    for (int i = 0; i < CACHE_COUNT; i++) {
        struct cache *c = &lv->caches[i];
        struct snapshot *snap = snapshot_take(c);
        size_t n = snap ? (size_t)cJSON_GetArraySize(snap->items) : 0;
        if (c->kind == CV_NODE) {
            out->nodes = n;
            out->node_cache_bytes = snap ? snap->bytes + intern_pool_bytes(lv->pool) : 0;
        } else if (c->kind == CV_KUBEVIRT) {
            out->kubevirts = n;
        } else {
            out->migration_policies = n;
        }
        snapshot_release(snap);
        out->relists += atomic_load(&c->relists);
        out->watch_restarts += atomic_load(&c->watch_restarts);
        out->watch_events += atomic_load(&c->events);
        pthread_mutex_lock(&c->mu);
        if (c->last_error[0] && !out->last_error[0]) /* the Node cache's error first */
            snprintf(out->last_error, sizeof(out->last_error), "%s", c->last_error);
        pthread_mutex_unlock(&c->mu);
    }
    return 0;
}

_Static_assert(CV_API_CODE_SLOTS == KUBE_CODE_SLOTS, "API call counts by HTTP code: one size");

/* The view's stats: API calls by code and the caches' object counts. */
static void live_stats_op(const struct cluster_view *v, struct cv_stats *out)
{
    struct live_stats st;
    if (live_view_stats(v, &st) != 0)
        return;
    out->api_calls_counted = true;
    memcpy(out->api_calls, st.api_calls, sizeof(out->api_calls));
    const struct {
        enum cv_kind kind;
        size_t n;
    } held[] = {{CV_NODE, st.nodes},
                {CV_KUBEVIRT, st.kubevirts},
                {CV_MIGRATION_POLICY, st.migration_policies}};
    for (size_t i = 0; i < sizeof(held) / sizeof(held[0]); i++) {
        out->held[held[i].kind] = true;
        out->objects[held[i].kind] = held[i].n;
    }
}
