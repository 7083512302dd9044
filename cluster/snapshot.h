/*
 * cluster/snapshot.h - the whole cluster read once: every object the rules
 * may ask about, listed page by page from the API server, held in a static
 * view (cluster/static.h).  For commands that evaluate many VMs at once
 * (`check --all`, `check --node`): one list per kind instead of a GET per VM.
 */
#ifndef MW_CLUSTER_SNAPSHOT_H
#define MW_CLUSTER_SNAPSHOT_H

#include <stddef.h>

#include "cluster/kubeclient.h"
#include "cluster/view.h"

/* Items per page of each list (the `limit` query parameter). */
#define SNAPSHOT_PAGE_LIMIT 500

/* Called after each page: the kind being read and how many of it so far. */
typedef void (*snapshot_progress_fn)(void *ctx, enum cv_kind kind, size_t n);

struct snapshot_stats {
    size_t objects[CV_KIND_COUNT]; /* objects read, by kind */
    unsigned long requests;        /* list pages fetched */
};

/*
 * Lists every kind the view holds with `client` and returns a static view of
 * them.  `ns` (NULL = every namespace) narrows the VMs, VMIs, VMIMs, PVCs and
 * pods to one namespace; nodes, KubeVirt CRs, NADs, MigrationPolicies and
 * Namespaces are always listed whole.  Pods are only KubeVirt's launcher pods (label
 * kubevirt.io/created-by).  A kind whose resource the server does not serve
 * (its CRD is not installed) is empty.  `progress` may be NULL; `stats` may
 * be NULL.  Returns the view (cv_destroy), or NULL with one line in err.
 */
struct cluster_view *snapshot_view_load(struct kube_client *client, const char *ns,
                                        snapshot_progress_fn progress, void *ctx,
                                        struct snapshot_stats *stats, char *err, size_t errlen);

/*
 * A view over `base` (a static view; owned, destroyed with the result) that
 * answers the lookup every rule evaluation makes once per VM, "the launcher
 * pods of VMI <uid>" (pods by label kubevirt.io/created-by), from an index
 * built once, instead of scanning every pod.  Everything else is `base`'s
 * answer.  NULL when out of memory (base destroyed).
 */
struct cluster_view *snapshot_view_indexed(struct cluster_view *base);

#endif
