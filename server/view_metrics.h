/*
 * server/view_metrics.h - the cluster view's series on GET /metrics:
 * migration_webhook_apiserver_requests_total{code} (calls to the Kubernetes
 * API by HTTP code; "0" = no answer) and migration_webhook_cache_objects{kind}
 * (objects the view holds: the Node and KubeVirt caches of the live view, or
 * every kind of a static view).  The values stay with the view; they are read
 * when /metrics is rendered.
 */
#ifndef MW_SERVER_VIEW_METRICS_H
#define MW_SERVER_VIEW_METRICS_H

#include "cluster/view.h"
#include "server/metrics.h"

/*
 * A metrics_provider_fn: `ctx` is the view (const struct cluster_view *,
 * borrowed; NULL appends nothing).  Appends both series with their HELP and
 * TYPE lines through `append`.
 */
void view_metrics_provide(void *ctx, metrics_append_fn append, void *buf);

/* Makes /metrics show `view`'s series (metrics_set_provider).  The view must outlive the HTTP
 * server. */
void view_metrics_register(const struct cluster_view *view);

#endif
