/*
 * server/serve.c - `migration-webhook serve`: read the settings (defaults <
 * --config file < flags), get the TLS certificate (files, or a throwaway one
 * with --dev), load the cluster view, start the HTTPS server, and wait for
 * SIGTERM or SIGINT (re-reading the certificate files when they change);
 * then drain (readiness false, no new connections,
 * in-flight reviews finish within timeouts.drainSeconds) and exit 0.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "certs/certs.h"
#include "cluster/open.h"
#include "rules/rules.h"
#include "server/admission.h"
#include "server/commands.h"
#include "server/config.h"
#include "server/http.h"
#include "server/limits.h"
#include "server/log.h"
#include "server/view_metrics.h"

#ifndef MW_SOURCE_DIR
#define MW_SOURCE_DIR "."
#endif

#define MAX_PEM_BYTES (1024 * 1024)

static const struct admission_handlers rule_handlers = {
    .vmim_validate = rules_vmim_validate,
    .vm_validate = rules_vm_validate,
    .kubevirt_validate = rules_kubevirt_validate,
    .pod_mutate = rules_pod_mutate,
    .vmim_mutate = rules_vmim_mutate,
    .kubevirt_mutate = rules_kubevirt_mutate,
};

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
        snprintf(err, errlen, "%s: %s", path, !buf ? "out of memory" : n == 0 ? "empty" : "too large");
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
        snprintf(err, errlen, "--tls-cert and --tls-key are required (or --dev for a throwaway certificate)");
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
    const char *dir = is_directory("examples/cluster") ? "examples/cluster" : MW_SOURCE_DIR "/examples/cluster";
    c->cluster_dir = strdup(dir);
    if (!c->cluster_dir) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

static void print_dev_hint(unsigned port)
{
    const char *reviews = is_directory("examples/reviews") ? "examples/reviews" : MW_SOURCE_DIR "/examples/reviews";
    printf("migration-webhook is serving on https://127.0.0.1:%u (self-signed certificate). Try:\n"
           "  curl -sk https://127.0.0.1:%u/validate -H 'Content-Type: application/json' "
           "--data @%s/vmim-cdrom.json\n",
           port, port, reviews);
    fflush(stdout);
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

/* Takes a rotated certificate and key into use; logs what happened. */
static void reload_certificate(struct tls_store *store)
{
    char err[512] = "";
    int rc = tls_store_reload_if_changed(store, err, sizeof(err));
    if (rc > 0)
        log_json(LOG_INFO, "certificate reloaded", NULL);
    else if (rc < 0)
        log_message(LOG_WARN, "certificate not reloaded", "%s (the previous one stays in use)", err);
}

/* Blocks until SIGTERM or SIGINT, checking the certificate files meanwhile; returns the signal. */
static int wait_for_stop_signal(const sigset_t *set, struct tls_store *store)
{
    const struct timespec tick = {MW_TLS_RELOAD_CHECK_MS / 1000, (MW_TLS_RELOAD_CHECK_MS % 1000) * 1000000L};
    for (;;) {
        int sig = sigtimedwait(set, NULL, &tick);
        if (sig > 0)
            return sig;
        if (errno == EAGAIN)
            reload_certificate(store);
    }
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
    char warning[256], cluster[512];
    struct cluster_view *view = cluster_view_open(c->cluster_dir, c->kubeconfig, warning, sizeof(warning), cluster,
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
        .handlers = &rule_handlers,
        .settings = &c->settings,
        .view = view,
        .timeout_margin_ms = c->review_timeout_margin_ms,
    };
    /* Server threads inherit this mask: only this thread takes the signals. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct tls_store *store = tls_store_new(tls.cert_pem, tls.key_pem, c->tls_cert, c->tls_key, err, sizeof(err));
    if (!store) {
        fprintf(stderr, "migration-webhook serve: %s\n", err);
        cv_destroy(view);
        tls_material_free(&tls);
        return 2;
    }
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
        tls_store_free(store);
        cv_destroy(view);
        tls_material_free(&tls);
        return 2;
    }
    unsigned port = http_port(srv);
    log_listening(c->listen, port, cluster);
    if (c->dev)
        print_dev_hint(port);

    int sig = wait_for_stop_signal(&stop, store);
    log_message(LOG_INFO, "draining", "signal %d: readiness off, finishing in-flight reviews", sig);
    int left = http_drain(srv, c->drain_seconds);
    if (left > 0)
        log_message(LOG_WARN, "stopping", "%d review(s) still running after %lld s", left, c->drain_seconds);
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
