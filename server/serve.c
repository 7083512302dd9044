/*
 * server/serve.c - `migration-webhook serve`: read the settings (defaults <
 * --config file < flags), get the TLS certificate (files, or a throwaway one
 * with --dev), load the cluster view, start the HTTPS server (and the plain
 * one for probes and metrics with --metrics-listen), and wait for SIGTERM or
 * SIGINT (re-reading the certificate files when inotify or the slow poll says
 * they changed).  SIGHUP re-reads the certificate and the config file (the
 * live settings change, a changed address or cluster source is logged as
 * needing a restart, a bad file keeps the settings in use); SIGUSR1 and
 * SIGUSR2 are logged and ignored.  Then drain: readiness false and
 * `Connection: close` for timeouts.drainSeconds (a second signal cuts it
 * short), then no new connections and in-flight reviews finish; the whole of
 * it within timeouts.shutdownSeconds, and exit 0.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "certs/certs.h"
#include "cluster/live.h"
#include "cluster/open.h"
#include "rules/rules.h"
#include "server/admission.h"
#include "server/commands.h"
#include "server/config.h"
#include "server/http.h"
#include "server/limits.h"
#include "server/json_arena.h"
#include "server/log.h"
#include "server/metrics.h"
#include "server/view_metrics.h"

#ifndef MW_SOURCE_DIR
#define MW_SOURCE_DIR "."
#endif

#define MAX_PEM_BYTES (1024 * 1024)

/* The TLS material the server runs with; all owned. */
struct tls_material {
    char *cert_pem, *key_pem, *client_ca_pem;
};

static void tls_material_free(struct tls_material *t)
{
    free(t->cert_pem);
    free(t->key_pem);
    free(t->client_ca_pem);
    memset(t, 0, sizeof(*t));
}

static int is_directory(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Reads a whole (small) file as a string; caller frees.  NULL with err. */
static char *read_text_file(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = malloc(MAX_PEM_BYTES + 1);
    size_t n = buf ? fread(buf, 1, MAX_PEM_BYTES + 1, f) : 0;
    fclose(f);
    if (!buf || n > MAX_PEM_BYTES || n == 0) {
        snprintf(err, errlen, "%s: %s", path,
                 !buf     ? "out of memory"
                 : n == 0 ? "empty"
                          : "too large");
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    return buf;
}

static int load_tls(const struct mw_config *c, struct tls_material *t, char *err, size_t errlen)
{
    memset(t, 0, sizeof(*t));
    if (c->tls_cert) {
        t->cert_pem = read_text_file(c->tls_cert, err, errlen);
        t->key_pem = t->cert_pem ? read_text_file(c->tls_key, err, errlen) : NULL;
        if (!t->key_pem)
            return -1;
    } else if (c->dev) {
        static const char *const dev_hosts[] = {"localhost", "127.0.0.1"};
        struct certs_bundle b;
        if (certs_generate(dev_hosts, 2, MW_CERT_DEV_DAYS, &b, err, errlen) != 0)
            return -1;
        t->cert_pem = b.cert_pem;
        t->key_pem = b.key_pem;
        b.cert_pem = b.key_pem = NULL;
        certs_bundle_free(&b);
    } else {
        snprintf(err, errlen,
                 "--tls-cert and --tls-key are required (or --dev for a throwaway certificate)");
        return -1;
    }
    if (c->client_ca && !(t->client_ca_pem = read_text_file(c->client_ca, err, errlen)))
        return -1;
    return 0;
}

/*
 * --dev without --cluster-dir or --kubeconfig: ./examples/cluster, else the
 * source tree's.  Otherwise the choice stays with cluster_view_open: the
 * directory, the kubeconfig, or in-cluster.
 */
static int choose_cluster_dir(struct mw_config *c, char *err, size_t errlen)
{
    if (c->cluster_dir || c->kubeconfig || !c->dev)
        return 0;
    const char *dir =
        is_directory("examples/cluster") ? "examples/cluster" : MW_SOURCE_DIR "/examples/cluster";
    c->cluster_dir = strdup(dir);
    if (!c->cluster_dir) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

static void print_dev_hint(unsigned port)
{
    const char *reviews =
        is_directory("examples/reviews") ? "examples/reviews" : MW_SOURCE_DIR "/examples/reviews";
    printf("migration-webhook is serving on https://127.0.0.1:%u (self-signed certificate). Try:\n"
           "  curl -sk https://127.0.0.1:%u/validate -H 'Content-Type: application/json' "
           "--data @%s/vmim-cdrom.json\n",
           port, port, reviews);
    fflush(stdout);
}

/* A line the live cluster view logs on its own (a cache thread's). */
static void log_cluster_view_line(const char *msg, const char *detail)
{
    log_message(LOG_WARN, msg, "%s", detail);
}

static void log_listening(const char *listen, unsigned port, const char *cluster,
                          const char *metrics_listen, unsigned metrics_port)
{
    cJSON *f = cJSON_CreateObject();
    if (f) {
        cJSON_AddStringToObject(f, "listen", listen);
        cJSON_AddNumberToObject(f, "port", port);
        cJSON_AddStringToObject(f, "cluster", cluster);
        if (metrics_listen) {
            cJSON_AddStringToObject(f, "metricsListen", metrics_listen);
            cJSON_AddNumberToObject(f, "metricsPort", metrics_port);
        }
    }
    log_json(LOG_INFO, "listening", f);
}

static void publish_certificate_expiry(struct tls_store *store)
{
    metrics_set_certificate_expiry((double)tls_store_expiry(store));
}

/* Takes a rotated certificate and key into use; logs what happened. */
static void reload_certificate(struct tls_store *store)
{
    char err[512] = "";
    int rc = tls_store_reload_if_changed(store, err, sizeof(err));
    if (rc > 0) {
        publish_certificate_expiry(store);
        cJSON *f = cJSON_CreateObject();
        if (f)
            cJSON_AddNumberToObject(f, "notAfter", (double)tls_store_expiry(store));
        log_json(LOG_INFO, "certificate reloaded", f);
    } else if (rc < 0) {
        log_message(LOG_WARN, "certificate not reloaded", "%s (the previous one stays in use)",
                    err);
    }
}

/* The signal read from a readable signalfd, 0 when none. */
static int read_signal(int sigfd)
{
    struct signalfd_siginfo si;
    return read(sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si) ? (int)si.ssi_signo : 0;
}

/*
 * Blocks until a signal (read from `sigfd`) and returns it.  Meanwhile
 * certificate file events (when `store` is set) lead to a reload once the
 * directory has been quiet for MW_TLS_RELOAD_SETTLE_MS (a Secret update
 * writes several files); the slow poll catches what inotify misses.  With
 * `limit_ms` >= 0 it returns 0 when that much time passed without a signal.
 */
static int wait_for_signal(int sigfd, struct tls_store *store, long long limit_ms)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int watch = store ? tls_store_watch_fd(store) : -1;
    int settling = 0;
    for (;;) {
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        long long elapsed = (t.tv_sec - t0.tv_sec) * 1000LL + (t.tv_nsec - t0.tv_nsec) / 1000000L;
        long long timeout = settling ? MW_TLS_RELOAD_SETTLE_MS : MW_TLS_RELOAD_CHECK_MS;
        if (limit_ms >= 0) {
            if (elapsed >= limit_ms)
                return 0;
            if (limit_ms - elapsed < timeout)
                timeout = limit_ms - elapsed;
        }
        struct pollfd fds[2] = {{.fd = sigfd, .events = POLLIN}, {.fd = watch, .events = POLLIN}};
        int n = poll(fds, watch >= 0 ? 2 : 1, (int)timeout);
        if (n < 0 && errno != EINTR)
            return SIGTERM; /* cannot wait: behave as if asked to stop */
        if (n > 0 && (fds[0].revents & POLLIN)) {
            int sig = read_signal(sigfd);
            if (sig)
                return sig;
        }
        if (n > 0 && watch >= 0 && (fds[1].revents & POLLIN)) {
            if (tls_store_watch_consume(store))
                settling = 1; /* other files in the directory (a log, say) do not count */
            continue;
        }
        if (n == 0 && store) {
            settling = 0;
            reload_certificate(store);
        }
    }
}

static long long monotonic_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000LL + t.tv_nsec / 1000000L;
}

static int is_stop_signal(int sig)
{
    return sig == SIGTERM || sig == SIGINT;
}

static void log_ignored_signal(int sig)
{
    cJSON *f = cJSON_CreateObject();
    if (f) {
        cJSON_AddNumberToObject(f, "signal", sig);
        cJSON_AddStringToObject(f, "name", sig == SIGUSR1 ? "SIGUSR1" : "SIGUSR2");
    }
    log_json(LOG_INFO, "signal ignored", f);
}

/*
 * The drain period that fits the shutdown budget: it leaves at least
 * MW_DRAIN_MIN_FINISH_SECONDS of `shutdown_seconds` for in-flight reviews.
 */
static long long drain_within_budget(long long drain_seconds, long long shutdown_seconds)
{
    long long most = shutdown_seconds - MW_DRAIN_MIN_FINISH_SECONDS;
    if (most < 0)
        most = 0;
    return drain_seconds < most ? drain_seconds : most;
}

/*
 * SIGTERM/SIGINT: readiness off and Connection: close for the drain period (a
 * second signal ends it early), then no new connections and a wait for what is
 * in flight; all of it within `shutdown_seconds` of the signal (the chart's
 * terminationGracePeriodSeconds minus a margin), whatever is still arriving.
 */
static void drain_and_stop(struct http_server *srv, int sigfd, int sig, long long drain_seconds,
                           long long shutdown_seconds)
{
    long long t0 = monotonic_ms();
    long long drain = drain_within_budget(drain_seconds, shutdown_seconds);
    cJSON *f = cJSON_CreateObject();
    if (f) {
        cJSON_AddNumberToObject(f, "signal", sig);
        cJSON_AddNumberToObject(f, "drainSeconds", (double)drain);
        cJSON_AddNumberToObject(f, "shutdownSeconds", (double)shutdown_seconds);
    }
    log_json(LOG_INFO, "draining", f);
    http_begin_drain(srv);
    long long drain_end = t0 + drain * 1000LL;
    while (monotonic_ms() < drain_end) {
        int next = wait_for_signal(sigfd, NULL, drain_end - monotonic_ms());
        if (next == 0)
            break;
        if (is_stop_signal(next)) {
            log_json(LOG_INFO, "second signal: drain period cut short", NULL);
            break;
        }
        if (next == SIGUSR1 || next == SIGUSR2)
            log_ignored_signal(next);
        /* SIGHUP while draining: nothing to reload for a server on its way out. */
    }
    long long left_ms = t0 + shutdown_seconds * 1000LL - monotonic_ms();
    long long finish = left_ms > 1000 ? left_ms / 1000 : 1;
    int left = http_finish(srv, finish);
    if (left > 0)
        log_message(LOG_WARN, "stopping", "%d request(s) still running after %lld s", left,
                    shutdown_seconds);
}

/* ------------------------------------------------------------------------ */
/* SIGHUP                                                                    */
/* ------------------------------------------------------------------------ */

/* What a reload needs; the settings a reload replaced stay allocated until the end, since a
 * review may still read them. */
struct live {
    struct mw_config *c;
    int argc;
    char **argv;
    struct http_server *srv;
    struct admission_context *actx;
    struct tls_store *store;
    struct rule_settings **retired;
    size_t nretired;
};

static int same_text(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void log_needs_restart(const char *setting)
{
    cJSON *f = cJSON_CreateObject();
    if (f)
        cJSON_AddStringToObject(f, "setting", setting);
    log_json(LOG_WARN, "changed setting needs a restart; the running value stays", f);
}

static struct http_live_limits live_limits(const struct mw_config *c)
{
    struct http_live_limits l = {
        .max_body_bytes = c->max_body_bytes,
        .headers_seconds = (unsigned)c->headers_seconds,
        .body_seconds = (unsigned)c->body_seconds,
        .max_per_source = (unsigned)c->max_per_source,
    };
    return l;
}

static int choose_cluster_dir(struct mw_config *c, char *err, size_t errlen);
static void settle_listen(struct mw_config *c);

/* SIGHUP: the certificate, then the config file and flags again. */
static void reload(struct live *lv)
{
    reload_certificate(lv->store);
    struct mw_config fresh;
    char err[1024] = "";
    if (config_init(&fresh) != 0) {
        log_message(LOG_ERROR, "config not reloaded", "out of memory");
        return;
    }
    int rc = config_from_args(&fresh, lv->argc, lv->argv, err, sizeof(err));
    if (rc == 0 && choose_cluster_dir(&fresh, err, sizeof(err)) != 0)
        rc = 2;
    struct rule_settings *settings = rc == 0 ? malloc(sizeof(*settings)) : NULL;
    struct rule_settings **retired =
        settings ? realloc(lv->retired, (lv->nretired + 1) * sizeof(*retired)) : NULL;
    if (rc != 0 || !settings || !retired) {
        log_message(LOG_ERROR, "config not reloaded", "%s (the settings in use stay)",
                    rc != 0 ? err : "out of memory");
        free(settings);
        config_free(&fresh);
        return;
    }
    settle_listen(&fresh);
    struct mw_config *c = lv->c;
    const struct {
        const char *name;
        const char *was, *now;
    } fixed[] = {
        {"listen", c->listen, fresh.listen},
        {"metricsListen", c->metrics_listen, fresh.metrics_listen},
        {"tlsCert", c->tls_cert, fresh.tls_cert},
        {"tlsKey", c->tls_key, fresh.tls_key},
        {"clientCA", c->client_ca, fresh.client_ca},
        {"clusterDir", c->cluster_dir, fresh.cluster_dir},
        {"kubeconfig", c->kubeconfig, fresh.kubeconfig},
    };
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        if (!same_text(fixed[i].was, fixed[i].now))
            log_needs_restart(fixed[i].name);
    /* The live settings. */
    *settings = fresh.settings;
    lv->retired = retired;
    lv->retired[lv->nretired++] = settings;
    __atomic_store_n(&lv->actx->settings, settings, __ATOMIC_RELEASE);
    __atomic_store_n(&lv->actx->timeout_margin_ms, fresh.review_timeout_margin_ms,
                     __ATOMIC_RELEASE);
    c->settings = fresh.settings;
    c->max_body_bytes = fresh.max_body_bytes;
    c->review_timeout_margin_ms = fresh.review_timeout_margin_ms;
    c->drain_seconds = fresh.drain_seconds;
    c->shutdown_seconds = fresh.shutdown_seconds;
    c->headers_seconds = fresh.headers_seconds;
    c->body_seconds = fresh.body_seconds;
    c->max_per_source = fresh.max_per_source;
    c->log_level = fresh.log_level;
    struct http_live_limits limits = live_limits(c);
    http_set_limits(lv->srv, &limits);
    log_set_level((enum log_level)c->log_level);
    config_free(&fresh);
    cJSON *f = cJSON_CreateObject();
    if (f) {
        cJSON_AddStringToObject(f, "config", c->config_file ? c->config_file : "");
        cJSON_AddNumberToObject(f, "maxBodyBytes", (double)c->max_body_bytes);
        cJSON_AddNumberToObject(f, "maxConnectionsPerSource", (double)c->max_per_source);
        cJSON_AddNumberToObject(f, "drainSeconds", (double)c->drain_seconds);
        cJSON_AddNumberToObject(f, "shutdownSeconds", (double)c->shutdown_seconds);
    }
    log_json(LOG_INFO, "config reloaded", f);
}

/* --dev without --listen (or listen:) serves on MW_HTTP_DEV_LISTEN. */
static void settle_listen(struct mw_config *c)
{
    if (c->dev && !c->listen_set) {
        char *dev = strdup(MW_HTTP_DEV_LISTEN);
        if (dev) {
            free(c->listen);
            c->listen = dev;
        }
    }
}

static int run_server(struct mw_config *c, int argc, char **argv)
{
    char err[1024] = "";
    struct tls_material tls = {0};
    struct sockaddr_storage addr;
    if (http_parse_listen(c->listen, &addr, err, sizeof(err)) != 0 ||
        (c->metrics_listen && http_parse_listen(c->metrics_listen, &addr, err, sizeof(err)) != 0)) {
        fprintf(stderr, "migration-webhook serve: %s\n", err);
        return 2;
    }
    if (load_tls(c, &tls, err, sizeof(err)) != 0 || choose_cluster_dir(c, err, sizeof(err)) != 0) {
        fprintf(stderr, "migration-webhook serve: %s\n", err);
        tls_material_free(&tls);
        return 2;
    }
    /*
     * Every thread started from here on (the live view's caches, the HTTP
     * pool) inherits this mask: only this thread takes the signals.
     */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGHUP);
    sigaddset(&stop, SIGUSR1);
    sigaddset(&stop, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    log_set_level((enum log_level)c->log_level);
    signal(SIGPIPE, SIG_IGN);
    json_arena_install(); /* before any thread starts: cJSON's hooks are process-wide */
    live_view_set_log(log_cluster_view_line);
    char warning[256], cluster[512];
    struct cluster_view *view =
        cluster_view_open(c->cluster_dir, c->kubeconfig, warning, sizeof(warning), cluster,
                          sizeof(cluster), err, sizeof(err));
    if (warning[0])
        log_message(LOG_WARN, "cluster view", "%s", warning);
    if (!view) {
        fprintf(stderr, "migration-webhook serve: %s\n", err);
        tls_material_free(&tls);
        return 2;
    }
    view_metrics_register(view);
    struct admission_context actx = {
        .handlers = &admission_rule_handlers,
        .settings = &c->settings,
        .view = view,
        .timeout_margin_ms = c->review_timeout_margin_ms,
    };
    int sigfd = signalfd(-1, &stop, SFD_CLOEXEC);
    if (sigfd < 0) {
        fprintf(stderr, "migration-webhook serve: signalfd: %s\n", strerror(errno));
        cv_destroy(view);
        tls_material_free(&tls);
        return 2;
    }

    struct tls_store *store =
        tls_store_new(tls.cert_pem, tls.key_pem, c->tls_cert, c->tls_key, err, sizeof(err));
    if (!store) {
        fprintf(stderr, "migration-webhook serve: %s\n", err);
        close(sigfd);
        cv_destroy(view);
        tls_material_free(&tls);
        return 2;
    }
    metrics_init();
    publish_certificate_expiry(store);
    struct http_options opt = {
        .listen = c->listen,
        .metrics_listen = c->metrics_listen,
        .tls = store,
        .client_ca_pem = tls.client_ca_pem,
        .max_body_bytes = c->max_body_bytes,
        .admission = &actx,
        .headers_seconds = (unsigned)c->headers_seconds,
        .body_seconds = (unsigned)c->body_seconds,
        .max_per_source = (unsigned)c->max_per_source,
    };
    struct http_server *srv = http_start(&opt, err, sizeof(err));
    if (!srv) {
        fprintf(stderr, "migration-webhook serve: %s\n", err);
        close(sigfd);
        tls_store_free(store);
        cv_destroy(view);
        tls_material_free(&tls);
        return 2;
    }
    unsigned port = http_port(srv);
    log_listening(c->listen, port, cluster, c->metrics_listen, http_metrics_port(srv));
    if (c->dev)
        print_dev_hint(port);
    if (drain_within_budget(c->drain_seconds, c->shutdown_seconds) < c->drain_seconds)
        log_message(LOG_WARN, "shutdown budget",
                    "timeouts.drainSeconds %lld is shortened to %lld to leave %d of "
                    "timeouts.shutdownSeconds %lld for in-flight reviews",
                    c->drain_seconds, drain_within_budget(c->drain_seconds, c->shutdown_seconds),
                    MW_DRAIN_MIN_FINISH_SECONDS, c->shutdown_seconds);

    struct live lv = {
        .c = c, .argc = argc, .argv = argv, .srv = srv, .actx = &actx, .store = store};
    int sig;
    while (!is_stop_signal(sig = wait_for_signal(sigfd, store, -1))) {
        if (sig == SIGHUP)
            reload(&lv);
        else if (sig == SIGUSR1 || sig == SIGUSR2)
            log_ignored_signal(sig);
    }
    drain_and_stop(srv, sigfd, sig, c->drain_seconds, c->shutdown_seconds);
    close(sigfd);
    http_stop(srv);
    for (size_t i = 0; i < lv.nretired; i++)
        free(lv.retired[i]);
    free(lv.retired);
    tls_store_free(store);
    cv_destroy(view);
    tls_material_free(&tls);
    log_json(LOG_INFO, "stopped", NULL);
    return 0;
}

int cmd_serve(int argc, char **argv)
{
    struct mw_config c;
    char err[1024] = "";
    if (config_init(&c) != 0) {
        fprintf(stderr, "migration-webhook serve: out of memory\n");
        return 2;
    }
    int rc = config_from_args(&c, argc, argv, err, sizeof(err));
    if (rc == 1) {
        fputs(config_usage, stdout);
        config_free(&c);
        return 0;
    }
    if (rc != 0) {
        fprintf(stderr, "migration-webhook serve: %s\n", err);
        config_free(&c);
        return 2;
    }
    settle_listen(&c);
    rc = c.listen ? run_server(&c, argc, argv) : 2;
    config_free(&c);
    return rc;
}
