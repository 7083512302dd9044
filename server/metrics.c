/*
 * server/metrics.c - Prometheus counters for the webhook (docs/operations.md#metrics-and-alerts).
 *
 * Every series is an array of atomics: the request counter has one cell per
 * combination of its closed label sets, so recording takes no lock and
 * nothing from a request is stored.  metrics_render() writes the text format,
 * with the build's version and revision and the process collector's series
 * read from /proc at scrape time.
 */
#include "server/metrics.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kube/text.h"

/* MW_REVISION, the source revision, written at build time (cmake/revision.cmake). */
#include "mw_revision.h"

static const double bucket_bounds[MW_METRICS_BUCKETS] = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5,
};

/*
 * The label values of the request counter, a closed set: a value from a
 * request picks one of these by exact name and is never copied, so no review
 * can add a series, break the text format, or push real traffic out of the
 * table.  Index 0 of resource and operation is "" (a request refused before
 * its review was read); the last entry of each is "other".
 */
static const char *const path_names[] = {"/validate", "/mutate", "other"};
static const char *const resource_names[] = {"",
                                             "virtualmachineinstancemigrations",
                                             "virtualmachines",
                                             "virtualmachineinstances",
                                             "pods",
                                             "kubevirts",
                                             "other"};
static const char *const operation_names[] = {"", "CREATE", "UPDATE", "DELETE", "CONNECT", "other"};
static const char *const verdict_names[] = {"allowed", "denied", "patched",
                                            "warned",  "error",  "other"};
#define NELEMS(a) (sizeof(a) / sizeof((a)[0]))
#define NPATHS NELEMS(path_names)
#define NRESOURCES NELEMS(resource_names)
#define NOPERATIONS NELEMS(operation_names)
#define NVERDICTS NELEMS(verdict_names)

static struct {
    atomic_ullong requests[NPATHS][NRESOURCES][NOPERATIONS][NVERDICTS];
    atomic_ullong buckets[MW_METRICS_BUCKETS + 1];
    atomic_ullong duration_count;
    atomic_ullong duration_sum_ns;
    atomic_ullong rule_hits[RULE_COUNT][MODE_OFF + 1];
    atomic_llong in_flight;
    _Atomic double cert_expiry;
    metrics_provider_fn provider;
    void *provider_ctx;
} m;

void metrics_init(void)
{
    atomic_ullong *r = &m.requests[0][0][0][0];
    for (size_t i = 0; i < NPATHS * NRESOURCES * NOPERATIONS * NVERDICTS; i++)
        atomic_store(&r[i], 0);
    for (int i = 0; i <= MW_METRICS_BUCKETS; i++)
        atomic_store(&m.buckets[i], 0);
    atomic_store(&m.duration_count, 0);
    atomic_store(&m.duration_sum_ns, 0);
    for (int r2 = 0; r2 < RULE_COUNT; r2++)
        for (int k = 0; k <= MODE_OFF; k++)
            atomic_store(&m.rule_hits[r2][k], 0);
    atomic_store(&m.in_flight, 0);
}

/* Index of `value` in names[first..n-1]; NULL or "" is index 0 when names[0] is "";
 * anything else is the last entry, "other". */
static size_t label_index(const char *const *names, size_t n, const char *value)
{
    int i = text_name_index(names, (int)n - 1, value ? value : "");
    return i < 0 ? n - 1 : (size_t)i;
}

size_t metrics_label_of(enum metrics_label label, const char *value, const char **name)
{
    static const struct {
        const char *const *names;
        size_t n;
    } sets[] = {
        [METRICS_LABEL_PATH] = {path_names, NPATHS},
        [METRICS_LABEL_RESOURCE] = {resource_names, NRESOURCES},
        [METRICS_LABEL_OPERATION] = {operation_names, NOPERATIONS},
        [METRICS_LABEL_VERDICT] = {verdict_names, NVERDICTS},
    };
    size_t i = label_index(sets[label].names, sets[label].n, value);
    if (name)
        *name = sets[label].names[i];
    return i;
}

void metrics_record_request(const char *path, const char *resource, const char *operation,
                            const char *verdict, double seconds)
{
    size_t p = metrics_label_of(METRICS_LABEL_PATH, path, NULL);
    size_t r = metrics_label_of(METRICS_LABEL_RESOURCE, resource, NULL);
    size_t o = metrics_label_of(METRICS_LABEL_OPERATION, operation, NULL);
    size_t v = metrics_label_of(METRICS_LABEL_VERDICT, verdict, NULL);
    atomic_fetch_add_explicit(&m.requests[p][r][o][v], 1, memory_order_relaxed);

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

/* Label values are the build's own strings; escape what the format requires. */
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

/* ------------------------------------------------------------- process */

/* Reads a small /proc file whole into buf (NUL-terminated); -1 when it cannot. */
static int read_small_file(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, cap - 1, f);
    fclose(f);
    buf[n] = '\0';
    return n > 0 ? 0 : -1;
}

int metrics_read_process(const char *proc_dir, struct metrics_process *out)
{
    char path[256], buf[4096];
    memset(out, 0, sizeof(*out));
    long ticks = sysconf(_SC_CLK_TCK);
    long page = sysconf(_SC_PAGESIZE);
    if (ticks <= 0 || page <= 0)
        return -1;

    /* stat: fields after the command name, which is in parentheses and may hold spaces. */
    snprintf(path, sizeof(path), "%s/stat", proc_dir);
    if (read_small_file(path, buf, sizeof(buf)) != 0)
        return -1;
    const char *p = strrchr(buf, ')');
    unsigned long utime, stime, vsize;
    unsigned long long starttime;
    long rss;
    /* state(3) ... utime(14) stime(15) ... starttime(22) vsize(23) rss(24) */
    if (!p || sscanf(p + 1,
                     " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu %*d %*d %*d %*d %*d "
                     "%*d %llu %lu %ld",
                     &utime, &stime, &starttime, &vsize, &rss) != 5)
        return -1;
    out->cpu_seconds = (double)(utime + stime) / (double)ticks;
    out->resident_bytes = (double)rss * (double)page;
    out->virtual_bytes = (double)vsize;

    /* The boot time anchors starttime (ticks since boot). */
    if (read_small_file("/proc/stat", buf, sizeof(buf)) != 0)
        return -1;
    const char *bt = strstr(buf, "\nbtime ");
    unsigned long long btime;
    if (!bt || sscanf(bt, "\nbtime %llu", &btime) != 1)
        return -1;
    out->start_time_seconds = (double)btime + (double)starttime / (double)ticks;

    snprintf(path, sizeof(path), "%s/fd", proc_dir);
    DIR *d = opendir(path);
    if (!d)
        return -1;
    long fds = 0;
    const struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.')
            fds++;
    closedir(d);
    /* Reading our own table counted the directory stream's descriptor too. */
    out->open_fds = strcmp(proc_dir, "/proc/self") == 0 ? fds - 1 : fds;

    snprintf(path, sizeof(path), "%s/limits", proc_dir);
    out->max_fds = -1;
    if (read_small_file(path, buf, sizeof(buf)) == 0) {
        const char *l = strstr(buf, "Max open files");
        char soft[32];
        if (l && sscanf(l + strlen("Max open files"), " %31s", soft) == 1)
            out->max_fds = strcmp(soft, "unlimited") == 0 ? -1 : atof(soft);
    }
    return 0;
}

static void render_process(struct textbuf *tb)
{
    struct metrics_process pm;
    if (metrics_read_process("/proc/self", &pm) != 0)
        return;
    tb_printf(tb,
              "# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.\n"
              "# TYPE process_cpu_seconds_total counter\n"
              "process_cpu_seconds_total %.2f\n"
              "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
              "# TYPE process_resident_memory_bytes gauge\n"
              "process_resident_memory_bytes %.0f\n"
              "# HELP process_virtual_memory_bytes Virtual memory size in bytes.\n"
              "# TYPE process_virtual_memory_bytes gauge\n"
              "process_virtual_memory_bytes %.0f\n"
              "# HELP process_start_time_seconds Start time of the process since unix epoch in "
              "seconds.\n"
              "# TYPE process_start_time_seconds gauge\n"
              "process_start_time_seconds %.2f\n"
              "# HELP process_open_fds Number of open file descriptors.\n"
              "# TYPE process_open_fds gauge\n"
              "process_open_fds %ld\n",
              pm.cpu_seconds, pm.resident_bytes, pm.virtual_bytes, pm.start_time_seconds,
              pm.open_fds);
    if (pm.max_fds >= 0)
        tb_printf(tb,
                  "# HELP process_max_fds Maximum number of open file descriptors.\n"
                  "# TYPE process_max_fds gauge\n"
                  "process_max_fds %.0f\n",
                  pm.max_fds);
}

static void render_build_info(struct textbuf *tb)
{
    tb_printf(tb, "# HELP migration_webhook_build_info The version and source revision of the "
                  "running binary.\n"
                  "# TYPE migration_webhook_build_info gauge\n"
                  "migration_webhook_build_info{version=\"");
    tb_label(tb, MW_VERSION);
    tb_printf(tb, "\",revision=\"");
    tb_label(tb, MW_REVISION);
    tb_printf(tb, "\"} 1\n");
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
    for (size_t p = 0; p < NPATHS; p++)
        for (size_t r = 0; r < NRESOURCES; r++)
            for (size_t o = 0; o < NOPERATIONS; o++)
                for (size_t v = 0; v < NVERDICTS; v++) {
                    unsigned long long n =
                        atomic_load_explicit(&m.requests[p][r][o][v], memory_order_relaxed);
                    if (n)
                        tb_printf(&tb,
                                  "migration_webhook_requests_total{path=\"%s\",resource=\"%s\","
                                  "operation=\"%s\",verdict=\"%s\",webhook=\"%s\"} %llu\n",
                                  path_names[p], resource_names[r], operation_names[o],
                                  verdict_names[v], path_names[p], n);
                }

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
    render_build_info(&tb);
    render_process(&tb);
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
