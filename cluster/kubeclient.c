/*
 * cluster/kubeclient.c - GETs and watch streams against the Kubernetes API
 * through libcurl, loaded by the first kube_client_new (cluster/curl_loader.h)
 * and called through its table.
 *
 * Each request borrows a curl easy handle from a small pool (a handle keeps
 * its connections, so reuse means TLS reuse), resets it, and sets the TLS
 * material, the bearer token and the time left.  The token file is stat()ed
 * before each request and re-read when it changed; a 401 forces a re-read and
 * one retry.  Non-2xx answers are turned into one line from their Status body.
 *
 * PEM data carried in the kubeconfig (certificate-authority-data,
 * client-certificate-data, client-key-data) reaches libcurl as a file name:
 * the TLS backend (GnuTLS) reads CA, certificate and key from files only, so
 * each is written once into an anonymous in-memory file (memfd, sealed, never
 * on disk) owned by the client and passed as "/proc/self/fd/N".  A configured
 * CA is the only trust anchor: the default CA directory is switched off.
 */
#include "cluster/kubeclient.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cluster/curl_loader.h"
#include "cluster/exec_credential.h"
#include "cluster/view.h"
#include "cluster/limits.h"
#include "kube/object.h"
#include "kube/text.h"

struct kube_client {
    const struct curl_api *curl; /* libcurl's functions */
    struct kube_config cfg;      /* deep copy */

    /* PEM data of cfg as in-memory files: "/proc/self/fd/N", or "" when absent */
    int ca_fd, cert_fd, key_fd; /* -1 when absent */
    char ca_path[32], cert_path[32], key_path[32];

    pthread_mutex_t token_mu;
    char *token;             /* current bearer token (from cfg.token or the file) */
    struct stat token_st;    /* the token file when last read */
    unsigned long token_gen; /* bumped when the token read differs */
    time_t token_expiry;     /* exec plugin: expirationTimestamp (0 = none) */
    unsigned long exec_runs; /* times the exec plugin ran */

    pthread_mutex_t pool_mu;
    CURL *idle[MW_KUBE_IDLE_HANDLES];
    size_t nidle;

    _Atomic unsigned long calls[KUBE_CODE_SLOTS];
};

/* ---- where each kind lives in the API ---- */

static const struct kube_resource resources[CV_KIND_COUNT] = {
    [CV_NODE] = {"/api/v1", "nodes", "v1"},
    [CV_VM] = {"/apis/kubevirt.io/v1", "virtualmachines", "kubevirt.io/v1"},
    [CV_VMI] = {"/apis/kubevirt.io/v1", "virtualmachineinstances", "kubevirt.io/v1"},
    [CV_VMIM] = {"/apis/kubevirt.io/v1", "virtualmachineinstancemigrations", "kubevirt.io/v1"},
    [CV_PVC] = {"/api/v1", "persistentvolumeclaims", "v1"},
    [CV_POD] = {"/api/v1", "pods", "v1"},
    [CV_KUBEVIRT] = {"/apis/kubevirt.io/v1", "kubevirts", "kubevirt.io/v1"},
    [CV_NAD] = {"/apis/k8s.cni.cncf.io/v1", "network-attachment-definitions", "k8s.cni.cncf.io/v1"},
    [CV_MIGRATION_POLICY] = {"/apis/migrations.kubevirt.io/v1alpha1", "migrationpolicies",
                             "migrations.kubevirt.io/v1alpha1"},
    [CV_NAMESPACE] = {"/api/v1", "namespaces", "v1"},
};

const struct kube_resource *kube_resource_of(enum cv_kind kind)
{
    return &resources[kind];
}

/* ---- bearer token ---- */

static int same_file_state(const struct stat *a, const struct stat *b)
{
    return a->st_ino == b->st_ino && a->st_dev == b->st_dev && a->st_size == b->st_size &&
           a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* Re-reads the token file when it changed (or when forced).  Call with token_mu held. */
static void refresh_token_locked(struct kube_client *c, int force)
{
    struct stat st;
    if (!c->cfg.token_file || stat(c->cfg.token_file, &st) != 0)
        return;
    if (!force && c->token && same_file_state(&st, &c->token_st))
        return;
    char tmp[128];
    char *t = kube_read_file(c->cfg.token_file, NULL, tmp, sizeof(tmp));
    if (!t)
        return;
    t[strcspn(t, "\r\n")] = '\0';
    if (!c->token || strcmp(c->token, t) != 0)
        c->token_gen++;
    free(c->token);
    c->token = t;
    c->token_st = st;
}

/* The token's generation after a forced re-read of its file. */
static unsigned long reread_token(struct kube_client *c)
{
    pthread_mutex_lock(&c->token_mu);
    refresh_token_locked(c, 1);
    unsigned long gen = c->token_gen;
    pthread_mutex_unlock(&c->token_mu);
    return gen;
}

/*
 * Runs the exec credential plugin when there is no token yet, when the last
 * one reached its expirationTimestamp, or when `force` (a 401).  Call with
 * token_mu held.  Returns 0, or -1 with one line in err.
 */
static int refresh_exec_locked(struct kube_client *c, int force, char *err, size_t errlen)
{
    if (!force && c->token && (c->token_expiry == 0 || time(NULL) < c->token_expiry))
        return 0;
    char *token = NULL;
    time_t expiry = 0;
    c->exec_runs++;
    if (exec_credential_run(&c->cfg.exec, &token, &expiry, err, errlen) != 0)
        return -1;
    if (!c->token || strcmp(c->token, token) != 0)
        c->token_gen++;
    free(c->token);
    c->token = token;
    c->token_expiry = expiry;
    return 0;
}

/*
 * "Authorization: Bearer <token>" for the next request (caller frees) in *h,
 * NULL when there is no token; *gen gets the token's generation.  Returns 0,
 * or -1 with one line in err when the exec plugin failed.
 */
static int authorization_header(struct kube_client *c, unsigned long *gen, char **h, char *err,
                                size_t errlen)
{
    int rc = 0;
    *h = NULL;
    pthread_mutex_lock(&c->token_mu);
    if (c->cfg.exec.command)
        rc = refresh_exec_locked(c, 0, err, errlen);
    else
        refresh_token_locked(c, 0);
    *gen = c->token_gen;
    if (rc == 0 && c->token && c->token[0] && asprintf(h, "Authorization: Bearer %s", c->token) < 0)
        *h = NULL;
    pthread_mutex_unlock(&c->token_mu);
    return rc;
}

/* After a 401 with an exec plugin: its token is dropped and the plugin runs again. */
static unsigned long rerun_exec(struct kube_client *c)
{
    char err[8];
    pthread_mutex_lock(&c->token_mu);
    (void)refresh_exec_locked(c, 1, err, sizeof(err));
    unsigned long gen = c->token_gen;
    pthread_mutex_unlock(&c->token_mu);
    return gen;
}

unsigned long kube_client_exec_runs(struct kube_client *c)
{
    pthread_mutex_lock(&c->token_mu);
    unsigned long n = c->exec_runs;
    pthread_mutex_unlock(&c->token_mu);
    return n;
}

/* ---- handle pool ---- */

static CURL *take_handle(struct kube_client *c)
{
    CURL *h = NULL;
    pthread_mutex_lock(&c->pool_mu);
    if (c->nidle > 0)
        h = c->idle[--c->nidle];
    pthread_mutex_unlock(&c->pool_mu);
    if (h)
        c->curl->easy_reset(h); /* keeps the connection cache */
    else
        h = c->curl->easy_init();
    return h;
}

static void give_back_handle(struct kube_client *c, CURL *h)
{
    pthread_mutex_lock(&c->pool_mu);
    if (c->nidle < MW_KUBE_IDLE_HANDLES) {
        c->idle[c->nidle++] = h;
        h = NULL;
    }
    pthread_mutex_unlock(&c->pool_mu);
    if (h)
        c->curl->easy_cleanup(h);
}

/* ---- PEM data as in-memory files ---- */

/*
 * Writes n bytes of data into a new sealed anonymous file and names it in
 * path ("/proc/self/fd/N").  Returns the descriptor (the client closes it) or
 * -1 with one line in err.
 */
static int pem_memfd(const char *what, const char *data, size_t n, char *path, size_t pathlen,
                     char *err, size_t errlen)
{
    int fd = memfd_create(what, MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0) {
        snprintf(err, errlen, "API client: %s: memfd_create: %s", what, strerror(errno));
        return -1;
    }
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(fd, data + done, n - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            snprintf(err, errlen, "API client: %s: write: %s", what,
                     w < 0 ? strerror(errno) : "short write");
            close(fd);
            return -1;
        }
        done += (size_t)w;
    }
    /* best effort: the content can no longer change */
    (void)fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
    snprintf(path, pathlen, "/proc/self/fd/%d", fd);
    return fd;
}

/* The kubeconfig's PEM data as in-memory files; 0, or -1 with one line in err. */
static int open_pem_files(struct kube_client *c, char *err, size_t errlen)
{
    if (c->cfg.ca_data &&
        (c->ca_fd = pem_memfd("certificate-authority-data", c->cfg.ca_data, c->cfg.ca_data_len,
                              c->ca_path, sizeof(c->ca_path), err, errlen)) < 0)
        return -1;
    if (c->cfg.cert_data &&
        (c->cert_fd = pem_memfd("client-certificate-data", c->cfg.cert_data, c->cfg.cert_data_len,
                                c->cert_path, sizeof(c->cert_path), err, errlen)) < 0)
        return -1;
    if (c->cfg.key_data &&
        (c->key_fd = pem_memfd("client-key-data", c->cfg.key_data, c->cfg.key_data_len, c->key_path,
                               sizeof(c->key_path), err, errlen)) < 0)
        return -1;
    return 0;
}

static void close_pem_files(struct kube_client *c)
{
    int *fds[] = {&c->ca_fd, &c->cert_fd, &c->key_fd};
    for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
        if (*fds[i] >= 0) {
            close(*fds[i]);
            *fds[i] = -1;
        }
}

struct kube_client *kube_client_new(const struct kube_config *cfg, char *err, size_t errlen)
{
    if (!cfg->server || strncmp(cfg->server, "https://", 8) != 0) {
        snprintf(err, errlen, "API server URL \"%s\" is not https://",
                 cfg->server ? cfg->server : "");
        return NULL;
    }
    const struct curl_api *curl = curl_api_load(err, errlen);
    if (!curl)
        return NULL;
    struct kube_client *c = calloc(1, sizeof(*c));
    if (!c || kube_config_copy(&c->cfg, cfg) != 0 ||
        (cfg->token && !(c->token = strdup(cfg->token)))) {
        if (c) {
            kube_config_free(&c->cfg);
            free(c);
        }
        snprintf(err, errlen, "API client: out of memory");
        return NULL;
    }
    c->curl = curl;
    c->ca_fd = c->cert_fd = c->key_fd = -1;
    if (open_pem_files(c, err, errlen) != 0) {
        close_pem_files(c);
        free(c->token);
        kube_config_free(&c->cfg);
        free(c);
        return NULL;
    }
    pthread_mutex_init(&c->token_mu, NULL);
    pthread_mutex_init(&c->pool_mu, NULL);
    return c;
}

void kube_client_free(struct kube_client *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->nidle; i++)
        c->curl->easy_cleanup(c->idle[i]);
    pthread_mutex_destroy(&c->token_mu);
    pthread_mutex_destroy(&c->pool_mu);
    close_pem_files(c);
    free(c->token);
    kube_config_free(&c->cfg);
    free(c);
}

void kube_client_calls(const struct kube_client *c, unsigned long *counts)
{
    for (int i = 0; i < KUBE_CODE_SLOTS; i++)
        counts[i] = atomic_load(&((struct kube_client *)c)->calls[i]);
}

static void count_call(struct kube_client *c, long code)
{
    if (code < 0 || code >= KUBE_CODE_SLOTS)
        code = 0;
    atomic_fetch_add(&c->calls[code], 1);
}

/* ---- one exchange ---- */

struct exchange {
    const struct curl_api *curl;
    CURL *h;
    /* body buffer (whole answer, or the error body of a stream) */
    char *buf;
    size_t len, cap;
    int too_large;
    /* streaming */
    kube_data_fn data;
    kube_stop_fn stop;
    void *ctx;
    int ended_by_caller;
    /* the request: "GET" unless set, and its body (with its Content-Type) */
    const char *method;
    const char *body, *content_type;
};

static const char *method_of(const struct exchange *x)
{
    return x->method ? x->method : "GET";
}

static int append_body(struct exchange *x, const char *p, size_t n)
{
    if (x->len + n > (size_t)MW_KUBE_MAX_RESPONSE_BYTES) {
        x->too_large = 1;
        return -1;
    }
    if (text_reserve(&x->buf, &x->cap, x->len + n + 1, 16384, 0) != 0)
        return -1;
    memcpy(x->buf + x->len, p, n);
    x->len += n;
    x->buf[x->len] = '\0';
    return 0;
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *userdata)
{
    struct exchange *x = userdata;
    size_t n = size * nmemb;
    if (x->data) {
        long code = 0;
        x->curl->easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &code);
        if (code >= 200 && code < 300) {
            if (x->data(x->ctx, p, n) != 0) {
                x->ended_by_caller = 1;
                return 0;
            }
            return n;
        }
    }
    return append_body(x, p, n) == 0 ? n : 0;
}

static int on_progress(void *userdata, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
    struct exchange *x = userdata;
    if (x->stop && x->stop(x->ctx)) {
        x->ended_by_caller = 1;
        return 1;
    }
    return 0;
}

static void set_tls(struct kube_client *c, CURL *h)
{
    if (c->cfg.insecure) {
        c->curl->easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
        c->curl->easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    } else if (c->cfg.ca_data || c->cfg.ca_file) {
        /* the configured CA only, as kubectl: no default CA directory */
        c->curl->easy_setopt(h, CURLOPT_CAINFO, c->cfg.ca_data ? c->ca_path : c->cfg.ca_file);
        c->curl->easy_setopt(h, CURLOPT_CAPATH, (char *)NULL);
    }
    const char *cert = c->cfg.cert_data ? c->cert_path : c->cfg.cert_file;
    if (cert) {
        c->curl->easy_setopt(h, CURLOPT_SSLCERT, cert);
        c->curl->easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
    }
    const char *key = c->cfg.key_data ? c->key_path : c->cfg.key_file;
    if (key) {
        c->curl->easy_setopt(h, CURLOPT_SSLKEY, key);
        c->curl->easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
    }
}

static const char *reason_phrase(long code)
{
    switch (code) {
    case 400:
        return "BadRequest";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "NotFound";
    case 410:
        return "Expired";
    case 429:
        return "TooManyRequests";
    case 500:
        return "InternalError";
    case 503:
        return "ServiceUnavailable";
    case 504:
        return "Timeout";
    default:
        return code >= 500 ? "ServerError" : "Error";
    }
}

/* `path` without its query, for error lines. */
static int path_len(const char *path)
{
    return (int)strcspn(path, "?");
}

/* "<METHOD> <path>: <code> <reason>: <message>" from a Status body (or without one). */
static void format_http_error(const char *method, const char *path, long code, const char *body,
                              char *err, size_t errlen)
{
    cJSON *st = body ? cJSON_Parse(body) : NULL;
    const char *reason = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(st, "reason"));
    const char *message = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(st, "message"));
    if (!reason || !*reason)
        reason = reason_phrase(code);
    if (message && *message)
        snprintf(err, errlen, "%s %.*s: %ld %s: %s", method, path_len(path), path, code, reason,
                 message);
    else
        snprintf(err, errlen, "%s %.*s: %ld %s", method, path_len(path), path, code, reason);
    /* one line, always */
    for (char *p = err; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    cJSON_Delete(st);
}

/*
 * Runs one request (x->method, default GET).  Returns the HTTP code (0 = no answer, with err set).
 * The body of a non-streamed or failed exchange is left in x->buf.
 */
static long perform_once(struct kube_client *c, struct exchange *x, const char *path,
                         long timeout_ms, unsigned long *token_gen, char *err, size_t errlen)
{
    char *url = NULL;
    char curl_err[CURL_ERROR_SIZE];
    const char *method = method_of(x);
    curl_err[0] = '\0';
    if (asprintf(&url, "%s%s", c->cfg.server, path) < 0) {
        snprintf(err, errlen, "%s %.*s: out of memory", method, path_len(path), path);
        return 0;
    }
    char *auth = NULL;
    if (authorization_header(c, token_gen, &auth, err, errlen) != 0) {
        free(url);
        return 0;
    }
    char *content_type = NULL;
    struct curl_slist *headers = c->curl->slist_append(NULL, "Accept: application/json");
    if (auth)
        headers = c->curl->slist_append(headers, auth);
    CURL *h = x->h;
    if (x->body) {
        if (asprintf(&content_type, "Content-Type: %s",
                     x->content_type ? x->content_type : "application/json") >= 0)
            headers = c->curl->slist_append(headers, content_type);
        c->curl->easy_setopt(h, CURLOPT_POSTFIELDS, x->body);
        c->curl->easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(x->body));
    }
    if (strcmp(method, "GET") != 0)
        c->curl->easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    c->curl->easy_setopt(h, CURLOPT_URL, url);
    c->curl->easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    c->curl->easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    c->curl->easy_setopt(h, CURLOPT_ERRORBUFFER, curl_err);
    c->curl->easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    c->curl->easy_setopt(h, CURLOPT_WRITEDATA, x);
    c->curl->easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
    c->curl->easy_setopt(
        h, CURLOPT_CONNECTTIMEOUT_MS,
        timeout_ms < MW_KUBE_CONNECT_TIMEOUT_MS ? timeout_ms : (long)MW_KUBE_CONNECT_TIMEOUT_MS);
    c->curl->easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
    c->curl->easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
    if (x->stop) {
        c->curl->easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
        c->curl->easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
        c->curl->easy_setopt(h, CURLOPT_XFERINFODATA, x);
    }
    set_tls(c, h);
    x->len = 0;
    x->too_large = 0;
    CURLcode rc = c->curl->easy_perform(h);
    long code = 0;
    c->curl->easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    c->curl->slist_free_all(headers);
    free(content_type);
    free(auth);
    free(url);
    count_call(c, rc == CURLE_OK || code ? code : 0);
    int streamed_ok = x->data && code >= 200 && code < 300 &&
                      (x->ended_by_caller || rc == CURLE_OPERATION_TIMEDOUT);
    if (rc == CURLE_OK || streamed_ok)
        return code;
    if (x->too_large)
        snprintf(err, errlen, "%s %.*s: answer larger than %ld bytes", method, path_len(path), path,
                 (long)MW_KUBE_MAX_RESPONSE_BYTES);
    else if (rc == CURLE_OPERATION_TIMEDOUT)
        snprintf(err, errlen, "%s %.*s: no answer within %ld ms", method, path_len(path), path,
                 timeout_ms);
    else
        snprintf(err, errlen, "%s %.*s: %s", method, path_len(path), path,
                 curl_err[0] ? curl_err : c->curl->easy_strerror(rc));
    return 0;
}

/* Performs a request, retrying once after a 401 when re-reading the token file gives a new token.
 */
static long perform(struct kube_client *c, struct exchange *x, const char *path, long timeout_ms,
                    char *err, size_t errlen)
{
    unsigned long gen = 0;
    long long start = cv_now_ms();
    long code = perform_once(c, x, path, timeout_ms, &gen, err, errlen);
    long left = timeout_ms - (long)(cv_now_ms() - start);
    if (code == 401 && left > 0 &&
        ((c->cfg.token_file && reread_token(c) != gen) ||
         (c->cfg.exec.command && rerun_exec(c) != gen))) {
        c->curl->easy_reset(x->h);
        code = perform_once(c, x, path, left, &gen, err, errlen);
    }
    return code;
}

/* One request with an optional body; see kube_get_json and kube_request_json. */
static enum kube_result request_json(struct kube_client *c, const char *method, const char *path,
                                     const char *content_type, const char *body,
                                     long long deadline_ms, cJSON **out, long *code_out, char *err,
                                     size_t errlen)
{
    *out = NULL;
    if (code_out)
        *code_out = 0;
    long timeout_ms = MW_KUBE_DEFAULT_TIMEOUT_MS;
    if (deadline_ms > 0) {
        long long left = deadline_ms - cv_now_ms() - MW_KUBE_DEADLINE_MARGIN_MS;
        if (left <= 0) {
            snprintf(err, errlen, "%s %.*s: no time left before the deadline", method,
                     path_len(path), path);
            return KUBE_ERROR;
        }
        if (left < timeout_ms)
            timeout_ms = (long)left;
    }
    struct exchange x = {.curl = c->curl,
                         .h = take_handle(c),
                         .method = method,
                         .body = body,
                         .content_type = content_type};
    if (!x.h) {
        snprintf(err, errlen, "%s %.*s: out of memory", method, path_len(path), path);
        return KUBE_ERROR;
    }
    long code = perform(c, &x, path, timeout_ms, err, errlen);
    give_back_handle(c, x.h);
    if (code_out)
        *code_out = code;
    enum kube_result r = KUBE_ERROR;
    if (code == 0) {
        /* err already says why */
    } else if (code == 404) {
        r = KUBE_NOT_FOUND;
    } else if (code < 200 || code >= 300) {
        format_http_error(method, path, code, x.buf, err, errlen);
    } else if (!(*out = x.buf ? cJSON_ParseWithLength(x.buf, x.len) : NULL) ||
               !cJSON_IsObject(*out)) {
        cJSON_Delete(*out);
        *out = NULL;
        snprintf(err, errlen, "%s %.*s: %ld answer is not a JSON object", method, path_len(path),
                 path, code);
    } else {
        r = KUBE_OK;
    }
    free(x.buf);
    return r;
}

enum kube_result kube_get_json(struct kube_client *c, const char *path, long long deadline_ms,
                               cJSON **out, long *code_out, char *err, size_t errlen)
{
    return request_json(c, "GET", path, NULL, NULL, deadline_ms, out, code_out, err, errlen);
}

enum kube_result kube_request_json(struct kube_client *c, const char *method, const char *path,
                                   const char *content_type, const cJSON *body,
                                   long long deadline_ms, cJSON **out, long *code, char *err,
                                   size_t errlen)
{
    char *text = NULL;
    if (body && !(text = cJSON_PrintUnformatted(body))) {
        *out = NULL;
        if (code)
            *code = 0;
        snprintf(err, errlen, "%s %.*s: out of memory", method, path_len(path), path);
        return KUBE_ERROR;
    }
    enum kube_result r =
        request_json(c, method, path, content_type, text, deadline_ms, out, code, err, errlen);
    free(text);
    return r;
}

enum kube_result kube_stream(struct kube_client *c, const char *path, long timeout_ms,
                             kube_data_fn data, kube_stop_fn stop, void *ctx, long *code_out,
                             char *err, size_t errlen)
{
    struct exchange x = {
        .curl = c->curl, .h = c->curl->easy_init(), .data = data, .stop = stop, .ctx = ctx};
    if (code_out)
        *code_out = 0;
    if (!x.h) {
        snprintf(err, errlen, "GET %.*s: out of memory", path_len(path), path);
        return KUBE_ERROR;
    }
    long code = perform(c, &x, path, timeout_ms, err, errlen);
    c->curl->easy_cleanup(x.h);
    if (code_out)
        *code_out = code;
    enum kube_result r = KUBE_OK;
    if (code == 0) {
        r = KUBE_ERROR;
    } else if (code < 200 || code >= 300) {
        format_http_error("GET", path, code, x.buf, err, errlen);
        r = KUBE_ERROR;
    }
    free(x.buf);
    return r;
}

/* ---- paged lists ---- */

enum kube_result kube_list_all(struct kube_client *c, const char *path, int limit,
                               long long deadline_ms, void (*page)(void *ctx, size_t n), void *ctx,
                               cJSON **items, char *err, size_t errlen)
{
    *items = cJSON_CreateArray();
    if (!*items) {
        snprintf(err, errlen, "GET %s: out of memory", path);
        return KUBE_ERROR;
    }
    char *cont = NULL;
    size_t count = 0;
    enum kube_result r = KUBE_OK;
    do {
        char escaped[4096] = "";
        char *url = NULL;
        if (cont)
            text_url_escape(cont, escaped, sizeof(escaped));
        if (asprintf(&url, "%s%slimit=%d%s%s", path, strchr(path, '?') ? "&" : "?", limit,
                     cont ? "&continue=" : "", escaped) < 0) {
            snprintf(err, errlen, "GET %s: out of memory", path);
            r = KUBE_ERROR;
            break;
        }
        free(cont);
        cont = NULL;
        cJSON *list = NULL;
        r = kube_get_json(c, url, deadline_ms, &list, NULL, err, errlen);
        free(url);
        if (r != KUBE_OK)
            break;
        const char *list_kind = obj_string(list, "kind"), *api = obj_string(list, "apiVersion");
        char kind[128] = "";
        if (list_kind) {
            size_t n = strlen(list_kind);
            if (n > 4 && strcmp(list_kind + n - 4, "List") == 0)
                n -= 4;
            snprintf(kind, sizeof(kind), "%.*s", (int)n, list_kind);
        }
        cJSON *arr = cJSON_DetachItemFromObjectCaseSensitive(list, "items");
        const char *next = meta_string(list, "continue");
        if (next && *next && !(cont = strdup(next)))
            r = KUBE_ERROR;
        while (r == KUBE_OK && cJSON_IsArray(arr) && arr->child) {
            cJSON *item = cJSON_DetachItemViaPointer(arr, arr->child);
            if (!cJSON_IsObject(item)) {
                cJSON_Delete(item);
                continue;
            }
            if (kind[0] && !cJSON_HasObjectItem(item, "kind"))
                cJSON_AddStringToObject(item, "kind", kind);
            if (api && !cJSON_HasObjectItem(item, "apiVersion"))
                cJSON_AddStringToObject(item, "apiVersion", api);
            cJSON_AddItemToArray(*items, item);
            count++;
        }
        cJSON_Delete(arr);
        cJSON_Delete(list);
        if (r != KUBE_OK)
            snprintf(err, errlen, "GET %s: out of memory", path);
        else if (page)
            page(ctx, count);
    } while (r == KUBE_OK && cont);
    free(cont);
    if (r != KUBE_OK) {
        cJSON_Delete(*items);
        *items = NULL;
    }
    return r;
}
