/*
 * cluster/view.h - the read-only cluster view that rules consult.
 *
 * A rule never talks to the Kubernetes API or reads files: it asks a
 * `struct cluster_view` for objects.  Two implementations exist:
 *
 *   cluster/static.c  objects loaded from YAML/JSON files (--cluster-dir):
 *                     the demo, offline `check`, and the tests;
 *   cluster/live.c    the Kubernetes API: watch caches for Nodes and KubeVirt
 *                     CRs, on-demand GETs for everything else.
 *
 * Ownership: every object a view hands out is borrowed.  It stays valid until
 * the `struct cv_scope` passed with the lookup is released (cv_scope_release).
 * A view that must allocate to answer (a live GET, a filtered list) attaches
 * the allocation to the scope, so callers never free what they are given.
 *
 * Return codes of every lookup: CV_OK (found), CV_NOT_FOUND, CV_ERROR (the
 * view could not answer: API server unreachable, too slow, erroring).  On
 * CV_ERROR, scope->err holds one line saying why.
 */
#ifndef MW_CLUSTER_VIEW_H
#define MW_CLUSTER_VIEW_H

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

struct cluster_view;

struct cluster_view_ops {
    /* Object of `kind` named `name` in namespace `ns` (NULL/"" for cluster-scoped kinds). */
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
    /* 1 when the view has loaded what it needs to answer (readiness). */
    int (*ready)(const struct cluster_view *v);
    /* Frees the view and everything it holds. */
    void (*destroy)(struct cluster_view *v);
};

struct cluster_view {
    const struct cluster_view_ops *ops;
    void *impl;
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
int cv_ready(const struct cluster_view *v);
void cv_destroy(struct cluster_view *v);

/* Kind of an object from its `kind` field ("Node", ...); -1 when not one of ours. */
int cv_kind_from_name(const char *kind);
/* "Node", "VirtualMachine", ... */
const char *cv_kind_name(enum cv_kind kind);
/* 1 when objects of this kind live in a namespace. */
int cv_kind_namespaced(enum cv_kind kind);

/* Monotonic clock in milliseconds (for deadlines). */
long long cv_now_ms(void);

#endif
