/*
 * server/view_metrics.c - the cluster view's series for /metrics, read from
 * the view at render time: the live view's API call counts by HTTP code
 * (live_view_stats) and its cache sizes, or a static view's object counts by
 * kind.  Each sample is one formatted line handed to the metrics renderer.
 */
#include "server/view_metrics.h"

#include <stdio.h>

#include "cluster/live.h"
#include "cluster/static.h"

#define SAMPLE_LINE_BYTES 160

static void append_header(metrics_append_fn append, void *buf, const char *name, const char *type,
                          const char *help)
{
    char line[SAMPLE_LINE_BYTES * 2];
    snprintf(line, sizeof(line), "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
    append(buf, line);
}

static void append_sample(metrics_append_fn append, void *buf, const char *name, const char *label,
                          const char *value, unsigned long long n)
{
    char line[SAMPLE_LINE_BYTES];
    snprintf(line, sizeof(line), "%s{%s=\"%s\"} %llu\n", name, label, value, n);
    append(buf, line);
}

static void append_api_calls(const struct live_stats *st, metrics_append_fn append, void *buf)
{
    static const char name[] = "migration_webhook_apiserver_requests_total";
    append_header(append, buf, name, "counter",
                  "Kubernetes API requests by HTTP status code (0 = no answer).");
    if (!st)
        return;
    for (int code = 0; code < KUBE_CODE_SLOTS; code++) {
        if (!st->api_calls[code])
            continue;
        char value[16];
        snprintf(value, sizeof(value), "%d", code);
        append_sample(append, buf, name, "code", value, st->api_calls[code]);
    }
}

static void append_cache_objects(const struct cluster_view *v, const struct live_stats *st,
                                 metrics_append_fn append, void *buf)
{
    static const char name[] = "migration_webhook_cache_objects";
    append_header(append, buf, name, "gauge", "Objects held by the cluster view, by kind.");
    if (st) {
        append_sample(append, buf, name, "kind", cv_kind_name(CV_NODE), st->nodes);
        append_sample(append, buf, name, "kind", cv_kind_name(CV_KUBEVIRT), st->kubevirts);
        append_sample(append, buf, name, "kind", cv_kind_name(CV_MIGRATION_POLICY),
                      st->migration_policies);
        return;
    }
    if (!static_view_is(v))
        return;
    for (int k = 0; k < CV_KIND_COUNT; k++)
        append_sample(append, buf, name, "kind", cv_kind_name((enum cv_kind)k),
                      static_view_count(v, (enum cv_kind)k));
}

void view_metrics_provide(void *ctx, metrics_append_fn append, void *buf)
{
    const struct cluster_view *v = ctx;
    if (!v)
        return;
    struct live_stats st;
    int live = live_view_stats(v, &st) == 0;
    append_api_calls(live ? &st : NULL, append, buf);
    append_cache_objects(v, live ? &st : NULL, append, buf);
}

void view_metrics_register(const struct cluster_view *view)
{
    metrics_set_provider(view_metrics_provide, (void *)view);
}
