/*
 * server/metrics.h - the webhook's series (docs/operations.md#metrics-and-alerts), rendered in the
 * Prometheus text exposition format on GET /metrics: the request counter, latency histogram, rule
 * hits, in-flight reviews, certificate expiry, build info and the standard process_* series.
 *
 * Recording is lock-free: every series is a fixed array of atomics.  Values
 * owned elsewhere (API-server calls, cache sizes) are read at render time
 * through a provider callback, so the owner keeps its own counters.
 */
#ifndef MW_SERVER_METRICS_H
#define MW_SERVER_METRICS_H

#include <stddef.h>
#include "rules/verdict.h"

/* Upper bounds (seconds) of the latency histogram buckets; +Inf is implicit. */
#define MW_METRICS_BUCKETS 14

void metrics_init(void);

/*
 * One review answered.  Each value only selects a label from a closed set
 * (metrics_label_of): a known path, resource, operation or verdict by its
 * exact name, NULL or "" as "" for resource and operation, anything else
 * "other".  The series also carries webhook="<path>".
 */
void metrics_record_request(const char *path, const char *resource, const char *operation,
                            const char *verdict, double seconds);
/* One rule finding that was kept (deny or warn). */
enum metrics_label {
    METRICS_LABEL_PATH,
    METRICS_LABEL_RESOURCE,
    METRICS_LABEL_OPERATION,
    METRICS_LABEL_VERDICT
};
/* The label `value` is counted under: its index in the set, and its text in *name (may be NULL). */
size_t metrics_label_of(enum metrics_label label, const char *value, const char **name);

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

/* What the process_* series show, read from /proc (proc_dir: "/proc/self" or "/proc/<pid>"). */
struct metrics_process {
    double cpu_seconds, resident_bytes, virtual_bytes, start_time_seconds;
    long open_fds;  /* descriptors open, not counting the one used to count them */
    double max_fds; /* soft limit; -1 when unlimited or unknown */
};
/* 0 on success, -1 when /proc cannot be read. */
int metrics_read_process(const char *proc_dir, struct metrics_process *out);

/* The whole exposition; caller frees.  NULL when out of memory. */
char *metrics_render(size_t *len);

#endif
