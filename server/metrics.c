/*
 * server/metrics.c - Prometheus counters for the webhook (SPEC §11).
 *
 * Series with a fixed shape are arrays of atomics; the labelled request
 * counter is a small table searched under a mutex (a handful of distinct
 * label sets exist in practice).  metrics_render() writes the text format.
 */
#include "server/metrics.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const double bucket_bounds[MW_METRICS_BUCKETS] = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5,
};

struct request_series {
    char path[16], resource[64], operation[16], verdict[16];
    unsigned long long count;
};

static struct {
    pthread_mutex_t lock;
    struct request_series series[MW_METRICS_MAX_SERIES];
    size_t nseries;
    atomic_ullong buckets[MW_METRICS_BUCKETS + 1];
    atomic_ullong duration_count;
    atomic_ullong duration_sum_ns;
    atomic_ullong rule_hits[RULE_COUNT][MODE_OFF + 1];
    atomic_llong in_flight;
    _Atomic double cert_expiry;
    metrics_provider_fn provider;
    void *provider_ctx;
} m = {.lock = PTHREAD_MUTEX_INITIALIZER};

void metrics_init(void)
{
    pthread_mutex_lock(&m.lock);
    m.nseries = 0;
    pthread_mutex_unlock(&m.lock);
    for (int i = 0; i <= MW_METRICS_BUCKETS; i++)
        atomic_store(&m.buckets[i], 0);
    atomic_store(&m.duration_count, 0);
    atomic_store(&m.duration_sum_ns, 0);
    for (int r = 0; r < RULE_COUNT; r++)
        for (int k = 0; k <= MODE_OFF; k++)
            atomic_store(&m.rule_hits[r][k], 0);
    atomic_store(&m.in_flight, 0);
}

/* src (NULL = "") into dst, cut to cap - 1 bytes. */
static void copy_label(char *dst, size_t cap, const char *src)
{
    size_t n = src ? strnlen(src, cap - 1) : 0;
    memcpy(dst, src ? src : "", n);
    dst[n] = '\0';
}

static int series_matches(const struct request_series *s, const char *path, const char *resource,
                          const char *operation, const char *verdict)
{
    return strcmp(s->path, path) == 0 && strcmp(s->resource, resource) == 0 &&
           strcmp(s->operation, operation) == 0 && strcmp(s->verdict, verdict) == 0;
}

void metrics_record_request(const char *path, const char *resource, const char *operation,
                            const char *verdict, double seconds)
{
    struct request_series key;
    copy_label(key.path, sizeof(key.path), path);
    copy_label(key.resource, sizeof(key.resource), resource);
    copy_label(key.operation, sizeof(key.operation), operation);
    copy_label(key.verdict, sizeof(key.verdict), verdict);
    pthread_mutex_lock(&m.lock);
    size_t i;
    for (i = 0; i < m.nseries; i++)
        if (series_matches(&m.series[i], key.path, key.resource, key.operation, key.verdict))
            break;
    if (i == m.nseries) {
        if (m.nseries == MW_METRICS_MAX_SERIES) {
            /* Bounded: an unexpected flood of label sets folds into the last series. */
            i = MW_METRICS_MAX_SERIES - 1;
            copy_label(m.series[i].resource, sizeof(m.series[i].resource), "other");
        } else {
            key.count = 0;
            m.series[m.nseries++] = key;
        }
    }
    m.series[i].count++;
    pthread_mutex_unlock(&m.lock);

    int b = 0;
    while (b < MW_METRICS_BUCKETS && seconds > bucket_bounds[b])
        b++;
    atomic_fetch_add(&m.buckets[b], 1);
    atomic_fetch_add(&m.duration_count, 1);
    atomic_fetch_add(&m.duration_sum_ns, (unsigned long long)(seconds * 1e9));
}

void metrics_record_rule_hit(enum rule_id rule, enum rule_mode mode)
{
    if ((unsigned)rule < RULE_COUNT && (unsigned)mode <= MODE_OFF)
        atomic_fetch_add(&m.rule_hits[rule][mode], 1);
}

void metrics_in_flight(int delta)
{
    atomic_fetch_add(&m.in_flight, delta);
}

void metrics_set_certificate_expiry(double unix_seconds)
{
    atomic_store(&m.cert_expiry, unix_seconds);
}

void metrics_set_provider(metrics_provider_fn fn, void *ctx)
{
    m.provider = fn;
    m.provider_ctx = ctx;
}

/* ---------------------------------------------------------------- render */

struct textbuf {
    char *data;
    size_t len, cap;
    int failed;
};

static void tb_printf(struct textbuf *tb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void tb_printf(struct textbuf *tb, const char *fmt, ...)
{
    if (tb->failed)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(tb->data + tb->len, tb->cap - tb->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            tb->failed = 1;
            return;
        }
        if ((size_t)n < tb->cap - tb->len) {
            tb->len += (size_t)n;
            return;
        }
        size_t cap = (tb->cap + (size_t)n + 1) * 2;
        char *d = realloc(tb->data, cap);
        if (!d) {
            tb->failed = 1;
            return;
        }
        tb->data = d;
        tb->cap = cap;
    }
}

static void tb_append(void *buf, const char *text)
{
    tb_printf(buf, "%s", text);
}

/* Label values are ours or API field values; escape what the format requires. */
static void tb_label(struct textbuf *tb, const char *v)
{
    for (; *v; v++) {
        if (*v == '\\' || *v == '"')
            tb_printf(tb, "\\%c", *v);
        else if (*v == '\n')
            tb_printf(tb, "\\n");
        else
            tb_printf(tb, "%c", *v);
    }
}

char *metrics_render(size_t *len)
{
    struct textbuf tb = {.cap = 4096};
    tb.data = malloc(tb.cap);
    if (!tb.data)
        return NULL;
    tb.data[0] = '\0';

    tb_printf(&tb, "# HELP migration_webhook_requests_total Admission reviews answered.\n"
                   "# TYPE migration_webhook_requests_total counter\n");
    pthread_mutex_lock(&m.lock);
    for (size_t i = 0; i < m.nseries; i++) {
        const struct request_series *s = &m.series[i];
        tb_printf(&tb, "migration_webhook_requests_total{path=\"");
        tb_label(&tb, s->path);
        tb_printf(&tb, "\",resource=\"");
        tb_label(&tb, s->resource);
        tb_printf(&tb, "\",operation=\"");
        tb_label(&tb, s->operation);
        tb_printf(&tb, "\",verdict=\"");
        tb_label(&tb, s->verdict);
        tb_printf(&tb, "\"} %llu\n", s->count);
    }
    pthread_mutex_unlock(&m.lock);

    tb_printf(&tb, "# HELP migration_webhook_request_duration_seconds Time to answer a review.\n"
                   "# TYPE migration_webhook_request_duration_seconds histogram\n");
    unsigned long long cumulative = 0;
    for (int b = 0; b < MW_METRICS_BUCKETS; b++) {
        cumulative += atomic_load(&m.buckets[b]);
        tb_printf(&tb, "migration_webhook_request_duration_seconds_bucket{le=\"%g\"} %llu\n",
                  bucket_bounds[b], cumulative);
    }
    cumulative += atomic_load(&m.buckets[MW_METRICS_BUCKETS]);
    tb_printf(&tb, "migration_webhook_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
              cumulative);
    tb_printf(&tb, "migration_webhook_request_duration_seconds_sum %.9f\n",
              (double)atomic_load(&m.duration_sum_ns) / 1e9);
    tb_printf(&tb, "migration_webhook_request_duration_seconds_count %llu\n",
              (unsigned long long)atomic_load(&m.duration_count));

    tb_printf(&tb,
              "# HELP migration_webhook_rule_hits_total Rule findings kept, by rule and mode.\n"
              "# TYPE migration_webhook_rule_hits_total counter\n");
    for (int r = 0; r < RULE_COUNT; r++)
        for (int k = 0; k < MODE_OFF; k++) {
            unsigned long long n = atomic_load(&m.rule_hits[r][k]);
            if (n)
                tb_printf(&tb, "migration_webhook_rule_hits_total{rule=\"%s\",mode=\"%s\"} %llu\n",
                          rule_id_name(r), rule_mode_name(k), n);
        }

    tb_printf(&tb,
              "# HELP migration_webhook_requests_in_flight Reviews being answered now.\n"
              "# TYPE migration_webhook_requests_in_flight gauge\n"
              "migration_webhook_requests_in_flight %lld\n",
              (long long)atomic_load(&m.in_flight));
    double expiry = atomic_load(&m.cert_expiry);
    if (expiry > 0)
        tb_printf(&tb,
                  "# HELP migration_webhook_certificate_expiry_timestamp_seconds notAfter of the "
                  "serving certificate.\n"
                  "# TYPE migration_webhook_certificate_expiry_timestamp_seconds gauge\n"
                  "migration_webhook_certificate_expiry_timestamp_seconds %.0f\n",
                  expiry);
    if (m.provider)
        m.provider(m.provider_ctx, tb_append, &tb);
    if (tb.failed) {
        free(tb.data);
        return NULL;
    }
    if (len)
        *len = tb.len;
    return tb.data;
}
