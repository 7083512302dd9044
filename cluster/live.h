/*
 * cluster/live.h - the cluster view over a real Kubernetes API server.
 *
 * Nodes, KubeVirt CRs and MigrationPolicies are kept in list+watch caches,
 * each maintained by its own thread; readers take an immutable,
 * reference-counted snapshot and never wait on the network.  VMs, VMIs,
 * VMIMs, PVCs, pods, NADs and Namespaces are read on demand, bounded by the
 * scope's deadline.  Ready once the first Node list has loaded.
 */
#ifndef MW_CLUSTER_LIVE_H
#define MW_CLUSTER_LIVE_H

#include <stddef.h>

#include "cluster/kubeclient.h"
#include "cluster/kubeconfig.h"
#include "cluster/view.h"

/*
 * A live view using `cfg` (copied).  Starts the cache threads and returns at
 * once (see cv_ready).  NULL with one line in err on failure.  Free with
 * cv_destroy().
 */
struct cluster_view *live_view_new(const struct kube_config *cfg, char *err, size_t errlen);

/* 1 when `v` is a live view. */
int live_view_is(const struct cluster_view *v);

/*
 * Waits up to timeout_ms for readiness and for every other cache to load or
 * fail once; returns cv_ready(v).
 */
int live_view_wait_ready(const struct cluster_view *v, long timeout_ms);

struct live_stats {
    unsigned long api_calls[KUBE_CODE_SLOTS];    /* by HTTP code; [0] = no HTTP answer */
    size_t nodes, kubevirts, migration_policies; /* objects in the caches */
    size_t node_cache_bytes;                     /* approximate bytes held by the Node snapshot */
    unsigned long relists;                       /* lists after the first, every cache */
    unsigned long watch_restarts;                /* watch requests after the first, every cache */
    unsigned long watch_events;                  /* events applied, every cache */
    char last_error[256]; /* current cache error, the Node cache's first ("" when healthy) */
};

/* Fills *out.  Returns 0, or -1 when `v` is not a live view. */
int live_view_stats(const struct cluster_view *v, struct live_stats *out);

/*
 * Where the view's own log lines go (the caches run on their own threads):
 * one call per line, `msg` a short summary and `detail` the rest.  Default:
 * "<msg>: <detail>" on stderr.  NULL restores the default.
 */
typedef void (*live_log_fn)(const char *msg, const char *detail);
void live_view_set_log(live_log_fn fn);

/* Approximate bytes a cJSON tree occupies: nodes + keys + strings. */
size_t live_json_bytes(const cJSON *item);

#endif
