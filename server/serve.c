/*
 * server/serve.c - `migration-webhook serve`: read the settings (defaults <
 * --config file < flags), get the TLS certificate (files, or a throwaway one
 * with --dev), load the cluster view, start the HTTPS server, and wait for
 * SIGTERM or SIGINT (re-reading the certificate files when inotify or the slow
 * poll says they changed); then drain: readiness false and `Connection: close`
 * for timeouts.drainSeconds (a second signal cuts it short), then no new
 * connections and in-flight reviews finish within MW_DRAIN_FINISH_SECONDS,
 * and exit 0.
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

static void log_listening(const char *listen, unsigned port, const char *cluster)
{
    cJSON *f = cJSON_CreateObject();
    if (f) {
        cJSON_AddStringToObject(f, "listen", listen);
        cJSON_AddNumberToObject(f, "port", port);
        cJSON_AddStringToObject(f, "cluster", cluster);
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
 * Blocks until SIGTERM or SIGINT (read from `sigfd`) and returns it.  Meanwhile
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

/*
 * SIGTERM/SIGINT: readiness off and Connection: close for the drain period (a
 * second signal ends it early), then no new connections and a bounded wait
 * for what is in flight.
 */
static void drain_and_stop(struct http_server *srv, int sigfd, int sig, long long drain_seconds)
{
    cJSON *f = cJSON_CreateObject();
    if (f) {
        cJSON_AddNumberToObject(f, "signal", sig);
        cJSON_AddNumberToObject(f, "drainSeconds", (double)drain_seconds);
    }
    log_json(LOG_INFO, "draining", f);
    http_begin_drain(srv);
    if (drain_seconds > 0 && wait_for_signal(sigfd, NULL, drain_seconds * 1000LL) != 0)
        log_json(LOG_INFO, "second signal: drain period cut short", NULL);
    int left = http_finish(srv, MW_DRAIN_FINISH_SECONDS);
    if (left > 0)
        log_message(LOG_WARN, "stopping", "%d request(s) still running after %d s", left,
                    MW_DRAIN_FINISH_SECONDS);
}

static int run_server(struct mw_config *c)
{
    char err[1024] = "";
    struct tls_material tls = {0};
    struct sockaddr_storage addr;
    if (http_parse_listen(c->listen, &addr, err, sizeof(err)) != 0) {
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
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
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
        .tls = store,
        .client_ca_pem = tls.client_ca_pem,
        .max_body_bytes = c->max_body_bytes,
        .admission = &actx,
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
    log_listening(c->listen, port, cluster);
    if (c->dev)
        print_dev_hint(port);

    int sig = wait_for_signal(sigfd, store, -1);
    drain_and_stop(srv, sigfd, sig, c->drain_seconds);
    close(sigfd);
    http_stop(srv);
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
    if (c.dev && !c.listen_set) {
        free(c.listen);
        c.listen = strdup(MW_HTTP_DEV_LISTEN);
    }
    rc = c.listen ? run_server(&c) : 2;
    config_free(&c);
    return rc;
}
