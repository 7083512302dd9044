/*
 * cluster/view.h - the read-only cluster view that rules consult.
 *
 * A rule never talks to the Kubernetes API or reads files: it asks a
 * `struct cluster_view` for objects.  Two implementations exist:
 *
 *   cluster/static.c  objects loaded from YAML/JSON files (--cluster-dir):
 *                     the demo, offline `check`, and the tests;
 *   cluster/live.c    the Kubernetes API: watch caches for Nodes, KubeVirt
 *                     CRs and MigrationPolicies, on-demand GETs for everything
 *                     else.
 *
 * Ownership: every object a view hands out is borrowed.  It stays valid until
 * the `struct cv_scope` passed with the lookup is released (cv_scope_release).
 * A view that must allocate to answer (a live GET, a filtered list) attaches
 * the allocation to the scope, so callers never free what they are given.
 *
 * What a view hands out of a Node, a KubeVirt CR or a MigrationPolicy may be
 * trimmed to the fields the rules read, listed in kube/rule_fields.h: a rule
 * that starts reading another field of these kinds adds it there.
 *
 * Return codes of every lookup: CV_OK (found), CV_NOT_FOUND, CV_ERROR (the
 * view could not answer: API server unreachable, too slow, erroring).  On
 * CV_ERROR, scope->err holds one line saying why.
 */
#ifndef MW_CLUSTER_VIEW_H
#define MW_CLUSTER_VIEW_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>

enum cv_kind {
    CV_NODE,
    CV_VM,
    CV_VMI,
    CV_VMIM,
    CV_PVC,
    CV_POD,
    CV_KUBEVIRT,
    CV_NAD,
    CV_MIGRATION_POLICY, /* migrations.kubevirt.io MigrationPolicy, cluster-scoped */
    CV_NAMESPACE,
    CV_KIND_COUNT
};

enum cv_result { CV_OK = 0, CV_NOT_FOUND = 1, CV_ERROR = -1 };

/* One thing a scope must release when it ends. */
struct cv_hold {
    void (*release)(void *p);
    void *p;
};

/*
 * Per-lookup context: a deadline for views that do I/O, the allocations to
 * release at the end, and the last error.  Initialise with cv_scope_init.
 */
struct cv_scope {
    long long deadline_ms; /* CLOCK_MONOTONIC milliseconds; 0 = no deadline */
    struct cv_hold *holds;
    size_t nholds, capholds;
    char err[256];
};

/*
 * A fact derived from every object of a kind (e.g. "do the nodes' host CPU
 * models differ?"), so rules that ask on every review need not walk the whole
 * list each time.  `compute` must be pure: its result depends only on the list
 * it is given.  The view computes it at most once per version of the list and
 * shares it between readers until that version is gone (see cv_derive).
 * Derivations are static constants: the view keys its memo by their address.
 */
struct cv_derivation {
    void *(*compute)(const cJSON *all); /* NULL = out of memory */
    void (*release)(void *value);
};

/* Memo of derived facts for one version of one list (used by view implementations). */
#define CV_MEMO_SLOTS 4
struct cv_memo {
    pthread_mutex_t mu; /* taken only to fill a slot */
    struct {
        _Atomic(const struct cv_derivation *) d; /* published after value */
        void *value;
    } slot[CV_MEMO_SLOTS];
};

struct cluster_view;

/* Requests to the Kubernetes API counted by HTTP code, [0] = no HTTP answer. */
#define CV_API_CODE_SLOTS 600

/* What a view says about itself, for /metrics (cv_stats). */
struct cv_stats {
    bool api_calls_counted;                     /* the view talks to an API server */
    unsigned long api_calls[CV_API_CODE_SLOTS]; /* requests by HTTP code */
    bool held[CV_KIND_COUNT];                   /* the view holds objects of this kind */
    size_t objects[CV_KIND_COUNT];              /* how many, where held */
};

struct cluster_view_ops {
    /* Object of `kind` named `name` in namespace `ns` (NULL/"" for cluster-scoped kinds).
     * May be NULL in a view with a base, as may list. */
    enum cv_result (*get)(const struct cluster_view *v, struct cv_scope *s, enum cv_kind kind,
                          const char *ns, const char *name, const cJSON **out);
    /*
     * All objects of `kind` in `ns` (NULL = every namespace) whose label
     * `label_key` equals `label_value` (label_key NULL = no filter), as a
     * cJSON array.  An empty result is CV_OK with an empty array.
     */
    enum cv_result (*list)(const struct cluster_view *v, struct cv_scope *s, enum cv_kind kind,
                           const char *ns, const char *label_key, const char *label_value,
                           const cJSON **out_array);
    /*
     * d's value over every object of `kind` (the list `list` gives with no
     * namespace and no filter), borrowed like any object until the scope is
     * released.  May be NULL: the base's value, or without a base computed on
     * each call (cv_derive_from_list).
     */
    enum cv_result (*derive)(const struct cluster_view *v, struct cv_scope *s, enum cv_kind kind,
                             const struct cv_derivation *d, const void **out);
    /* 1 when the view has loaded what it needs to answer (readiness).  May be
     * NULL: the base's answer, or 1 without a base. */
    int (*ready)(const struct cluster_view *v);
    /* Fills what the view can say about itself (struct cv_stats, zeroed first).  May be NULL. */
    void (*stats)(const struct cluster_view *v, struct cv_stats *out);
    /* Frees the view and everything it holds. */
    void (*destroy)(struct cluster_view *v);
};

struct cluster_view {
    const struct cluster_view_ops *ops;
    void *impl;
    /* The view this one wraps, or NULL: get, list, derive and ready left NULL
     * in ops are answered by it. */
    const struct cluster_view *base;
};

/* Initialise a scope; deadline_ms = 0 means none. */
void cv_scope_init(struct cv_scope *s, long long deadline_ms);
/* Attach an allocation to the scope; returns 0, or -1 (and releases p) when out of memory. */
int cv_scope_hold(struct cv_scope *s, void (*release)(void *), void *p);
/* Attach a cJSON tree to the scope (freed with cJSON_Delete). */
int cv_scope_hold_json(struct cv_scope *s, cJSON *json);
/* Release everything attached to the scope; the scope may be reused after cv_scope_init. */
void cv_scope_release(struct cv_scope *s);
/* Record an error line in the scope (printf-style) and return CV_ERROR. */
enum cv_result cv_scope_fail(struct cv_scope *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Convenience wrappers over the ops table. */
enum cv_result cv_get(const struct cluster_view *v, struct cv_scope *s, enum cv_kind kind,
                      const char *ns, const char *name, const cJSON **out);
enum cv_result cv_list(const struct cluster_view *v, struct cv_scope *s, enum cv_kind kind,
                       const char *ns, const char *label_key, const char *label_value,
                       const cJSON **out_array);
/*
 * d's value over every object of `kind`: from the view's memo when the list
 * has not changed since it was computed, else computed now.  CV_ERROR when
 * the list cannot be read (scope->err) or out of memory.
 */
enum cv_result cv_derive(const struct cluster_view *v, struct cv_scope *s, enum cv_kind kind,
                         const struct cv_derivation *d, const void **out);
int cv_ready(const struct cluster_view *v);
/* Fills *out (all zero and nothing held for a view that says nothing). */
void cv_stats(const struct cluster_view *v, struct cv_stats *out);
void cv_destroy(struct cluster_view *v);

/*
 * For implementations.  cv_memo_init / cv_memo_clear: an empty memo; its
 * values released.  cv_memo_get: d's value over `all` (one version of a list)
 * from the memo, computed under its lock at most once; when every slot is
 * taken it is computed for this scope only.  cv_derive_from_list: d over the
 * view's own `list` of `kind`, computed now and held by the scope.  Both give
 * CV_ERROR (scope->err) when out of memory or the list cannot be read.
 */
void cv_memo_init(struct cv_memo *m);
void cv_memo_clear(struct cv_memo *m);
enum cv_result cv_memo_get(struct cv_memo *m, struct cv_scope *s, const struct cv_derivation *d,
                           const cJSON *all, const void **out);
enum cv_result cv_derive_from_list(const struct cluster_view *v, struct cv_scope *s,
                                   enum cv_kind kind, const struct cv_derivation *d,
                                   const void **out);

/* Kind of an object from its `kind` field ("Node", ...); -1 when not one of ours. */
int cv_kind_from_name(const char *kind);
/* "Node", "VirtualMachine", ... */
const char *cv_kind_name(enum cv_kind kind);
/* 1 when objects of this kind live in a namespace. */
int cv_kind_namespaced(enum cv_kind kind);

/* Monotonic clock in milliseconds (for deadlines). */
long long cv_now_ms(void);

#endif
