/*
 * server/metrics.h - the counters of SPEC §11, rendered in the Prometheus
 * text exposition format on GET /metrics.
 *
 * Recording is lock-free for the fixed-shape series (histogram, rule hits,
 * in-flight) and takes a short mutex for the labelled request counter.  Values
 * owned elsewhere (API-server calls, cache sizes) are read at render time
 * through a provider callback, so the owner keeps its own counters.
 */
#ifndef MW_SERVER_METRICS_H
#define MW_SERVER_METRICS_H

#include <stddef.h>
#include "rules/verdict.h"

/* Upper bounds (seconds) of the latency histogram buckets; +Inf is implicit. */
#define MW_METRICS_BUCKETS 14
/* Distinct (path, resource, operation, verdict) series kept; more are counted under resource
 * "other". */
#define MW_METRICS_MAX_SERIES 128

void metrics_init(void);

/* One review answered. Strings are copied; NULL counts as "". */
void metrics_record_request(const char *path, const char *resource, const char *operation,
                            const char *verdict, double seconds);
/* One rule finding that was kept (deny or warn). */
void metrics_record_rule_hit(enum rule_id rule, enum rule_mode mode);
/* A review started (+1) or ended (-1). */
void metrics_in_flight(int delta);
/* notAfter of the serving certificate, seconds since the epoch. */
void metrics_set_certificate_expiry(double unix_seconds);

/*
 * A provider appends its own series (text format, with HELP/TYPE lines) to the
 * output; `append` copies `text`.  Used by the live cluster view.
 */
typedef void (*metrics_append_fn)(void *buf, const char *text);
typedef void (*metrics_provider_fn)(void *ctx, metrics_append_fn append, void *buf);
void metrics_set_provider(metrics_provider_fn fn, void *ctx);

/* The whole exposition; caller frees.  NULL when out of memory. */
char *metrics_render(size_t *len);

#endif
