/*
 * cluster/limits.h - the size, count and time limits of the Kubernetes API
 * client (cluster/kubeclient.c, cluster/kubeconfig.c, cluster/live.c) and of
 * the static view's loader (cluster/static_load.c).
 */
#ifndef MW_CLUSTER_LIMITS_H
#define MW_CLUSTER_LIMITS_H

/* ---- Kubernetes API client ---- */

/* Largest response body read from the API server (one list page). */
#define MW_KUBE_MAX_RESPONSE_BYTES (64L * 1024 * 1024)
/* Largest single watch event line. */
#define MW_KUBE_MAX_WATCH_LINE_BYTES (8L * 1024 * 1024)
/* Idle connections kept for reuse by on-demand reads. */
#define MW_KUBE_IDLE_HANDLES 8
/* Time kept back from a lookup's deadline for the answer to travel on. */
#define MW_KUBE_DEADLINE_MARGIN_MS 250
/* A lookup without a deadline gives up after this long. */
#define MW_KUBE_DEFAULT_TIMEOUT_MS 10000
/* Largest output read from an exec credential plugin (cluster/exec_credential.c). */
#define MW_KUBE_EXEC_MAX_OUTPUT (1024 * 1024)
/* Connecting (TCP + TLS) gives up after this long at most. */
#define MW_KUBE_CONNECT_TIMEOUT_MS 5000
/* Largest kubeconfig / token / CA file read. */
#define MW_KUBE_MAX_FILE_BYTES (1L * 1024 * 1024)
/* Objects per list page (limit=). */
#define MW_KUBE_LIST_PAGE_LIMIT 500
/* Pages per list before giving up (bounds a misbehaving server). */
#define MW_KUBE_LIST_MAX_PAGES 1000
/* Server-side length of one watch request (timeoutSeconds=). */
#define MW_KUBE_WATCH_TIMEOUT_SECONDS 300
/* A watch ending sooner than this with no event counts towards back-off. */
#define MW_KUBE_WATCH_MIN_LIFETIME_MS 1000
/* Back-off after cache errors: first delay and cap (doubling, with jitter). */
#define MW_KUBE_BACKOFF_MIN_MS 200
#define MW_KUBE_BACKOFF_MAX_MS 30000

/* ---- static view (--cluster-dir) ---- */
#define MW_MAX_CLUSTER_DIR_DEPTH 16 /* sub-directory levels static_load_dir descends */

#endif
