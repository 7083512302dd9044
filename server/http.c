/*
 * server/http.c - the HTTPS server on libmicrohttpd.
 *
 * One libmicrohttpd daemon per core, each with its own epoll thread, TLS
 * 1.2/1.3 through GnuTLS, fed evenly by server/acceptor.c.  Requests follow
 * the POST shape of libmicrohttpd's doc/examples: the first call for a request
 * allocates a per-request context (and answers at once when the path, method,
 * size or content type is wrong), the following calls append the body to it,
 * and the last call (no more upload data) answers.  The context is freed in
 * the completion callback, which also counts the request out of the in-flight
 * total used by draining.
 *
 * Checks in order, all on the first call (the headers are in, no body read
 * yet): 414 (request target over MW_HTTP_MAX_URL_BYTES or more than
 * MW_HTTP_MAX_QUERY_ARGS query arguments), 431 (headers over
 * MW_HTTP_MAX_HEADER_BYTES or MW_HTTP_MAX_HEADERS), 400 for ambiguous framing
 * (Transfer-Encoding with Content-Length, two different Content-Lengths, a
 * transfer coding other than chunked), 404, client certificate on /validate
 * and /mutate (403 when a client CA is set and the peer has no certificate it
 * signed for clientAuth, before any body is read; the kubelet's probes and
 * /metrics stay open), 405 (with Allow), 411 (a chunked review body: the API
 * server always sends Content-Length), 413 (from Content-Length), 415, then
 * the admission codec's 400s.  Every answer the server gives itself carries
 * the JSON error body; an error answered on the first call also closes the
 * connection.  The connection memory is sized so that requests somewhat over
 * these limits still reach the server (server/limits.h).
 *
 * The plain-HTTP listener (metrics_listen) serves GET/HEAD /healthz, /readyz
 * and /metrics and nothing else (404), under the same connection limits and
 * deadlines (server/acceptor.c) as the HTTPS one.
 *
 * Every answered review is counted in server/metrics (request counter,
 * latency histogram, rule hits, in-flight gauge).  Connections are bounded in
 * number (MW_HTTP_MAX_CONNECTIONS), in idle time and in buffer memory; a body
 * is held only up to the body limit.  Draining: after http_begin_drain every
 * answer carries `Connection: close` and /readyz says 503; http_finish closes
 * the listening socket and waits, bounded, for what is in flight.
 */
#include "server/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "kube/text.h"
#include "kube/utf8.h"
#include "server/acceptor.h"
#include "server/limits.h"
#include "server/log.h"
#include "server/metrics.h"

enum route { ROUTE_NONE, ROUTE_VALIDATE, ROUTE_MUTATE, ROUTE_HEALTHZ, ROUTE_READYZ, ROUTE_METRICS };

#define MW_STR_(x) #x
#define MW_STR(x) MW_STR_(x)
#define CONTENT_TYPE_JSON "application/json"
#define CONTENT_TYPE_METRICS "text/plain; version=0.0.4; charset=utf-8"

struct http_server;

/* One listening address with its daemons. */
struct listener {
    struct http_server *s;
    int plain;                                       /* HTTP, probes and metrics only */
    struct MHD_Daemon *daemons[MW_HTTP_MAX_THREADS]; /* one single-threaded daemon per core */
    unsigned ndaemons;
    struct acceptor *acceptor; /* the listening socket; hands connections to the daemons */
};

struct http_server {
    struct listener https, metrics; /* metrics.acceptor is NULL without a plain listener */
    const struct admission_context *admission;
    atomic_size_t max_body;
    int verify_clients;
    atomic_int draining;
    atomic_int in_flight;
};

/* Per-request state, owned by libmicrohttpd's *con_cls until completion. */
struct request {
    int started;       /* the first call happened */
    size_t uri_len;    /* the request target as sent, query included */
    size_t query_args; /* as sent (the query is cut when there are too many) */
    enum route route;
    int answered;  /* a response was queued on the first call */
    int in_gauge;  /* counted in the in-flight reviews gauge */
    int too_large; /* the body passed the limit while arriving */
    char *body;
    size_t len, cap;
    long long start_us;
};

static int is_review_route_id(enum route r)
{
    return r == ROUTE_VALIDATE || r == ROUTE_MUTATE;
}

static long long now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

/* ------------------------------------------------------------------------ */
/* Answers                                                                   */
/* ------------------------------------------------------------------------ */

const char *http_clamp_for_log(char *buf, size_t cap, const char *text)
{
    if (!text)
        return NULL;
    if (cap < 4) {
        if (cap)
            buf[0] = '\0';
        return buf;
    }
    size_t n = strnlen(text, cap);
    if (n < cap) {
        memcpy(buf, text, n + 1);
        return buf;
    }
    n = utf8_prefix_len(text, cap - 4); /* room for "..." and the NUL; never inside a character */
    memcpy(buf, text, n);
    memcpy(buf + n, "...", 4);
    return buf;
}

static const char *route_label(enum route r)
{
    return r == ROUTE_VALIDATE ? "/validate" : r == ROUTE_MUTATE ? "/mutate" : "";
}

/* Queues `body` (malloc'd, taken over); while draining, or with `close`, it closes the
 * connection after the answer. */
static enum MHD_Result send_body_closing(struct http_server *s, struct MHD_Connection *conn,
                                         int status, char *body, size_t len,
                                         const char *content_type, const char *allow, int close)
{
    if (!body)
        return MHD_NO;
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    if (allow)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
    if (close || atomic_load(&s->draining))
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result send_body(struct http_server *s, struct MHD_Connection *conn, int status,
                                 char *body, size_t len, const char *content_type,
                                 const char *allow)
{
    return send_body_closing(s, conn, status, body, len, content_type, allow, 0);
}

static enum MHD_Result send_json(struct http_server *s, struct MHD_Connection *conn, int status,
                                 char *body, size_t len, const char *allow)
{
    return send_body(s, conn, status, body, len, CONTENT_TYPE_JSON, allow);
}

static enum MHD_Result send_error(struct http_server *s, struct MHD_Connection *conn, int status,
                                  const char *text, const char *allow)
{
    char *body = admission_error_body(status, text);
    return send_json(s, conn, status, body, body ? strlen(body) : 0, allow);
}

static void log_http_error(struct request *req, const char *path, int status, const char *text)
{
    char path_buf[MW_LOG_MAX_FIELD_BYTES];
    long long took = now_us() - req->start_us;
    struct review_log line = {.path = http_clamp_for_log(path_buf, sizeof(path_buf), path),
                              .verdict = "error",
                              .status = status,
                              .error = text,
                              .duration_us = took};
    log_review(&line);
    if (is_review_route_id(req->route))
        metrics_record_request(route_label(req->route), NULL, NULL, "error", (double)took / 1e6);
}

/* Answers on the first call, before any body is read, and closes the connection after it. */
static enum MHD_Result refuse(struct http_server *s, struct MHD_Connection *conn,
                              struct request *req, const char *path, int status, const char *text,
                              const char *allow)
{
    req->answered = 1;
    log_http_error(req, path, status, text);
    char *body = admission_error_body(status, text);
    return send_body_closing(s, conn, status, body, body ? strlen(body) : 0, CONTENT_TYPE_JSON,
                             allow, 1);
}

/* ------------------------------------------------------------------------ */
/* First call: route, method, size, content type                             */
/* ------------------------------------------------------------------------ */

static enum route route_of(const char *url)
{
    if (strcmp(url, "/validate") == 0)
        return ROUTE_VALIDATE;
    if (strcmp(url, "/mutate") == 0)
        return ROUTE_MUTATE;
    if (strcmp(url, "/healthz") == 0)
        return ROUTE_HEALTHZ;
    if (strcmp(url, "/readyz") == 0)
        return ROUTE_READYZ;
    if (strcmp(url, "/metrics") == 0)
        return ROUTE_METRICS;
    return ROUTE_NONE;
}

static int is_review_route(enum route r)
{
    return is_review_route_id(r);
}

/* application/json, parameters ignored, case-insensitive. */
static int is_json_content_type(const char *ct)
{
    if (!ct)
        return 0;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    static const char want[] = "application/json";
    size_t n = sizeof(want) - 1;
    if (strncasecmp(ct, want, n) != 0)
        return 0;
    ct += n;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    return *ct == '\0' || *ct == ';';
}

/* Content-Length as a number; -1 when absent, -2 when unreadable. */
static long long content_length(struct MHD_Connection *conn)
{
    const char *v =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (!v)
        return -1;
    char *end;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (errno || end == v || *end || n < 0)
        return -2;
    return n;
}

static int client_certificate_trusted(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    if (!info || !info->tls_session)
        return 0;
    /* With the clientAuth purpose: a certificate (or CA) that lists extended key usages must list
     * it; one without the extension passes, as in Go's crypto/tls and kube-apiserver. */
    gnutls_typed_vdata_st purpose = {
        .type = GNUTLS_DT_KEY_PURPOSE_OID, .data = (void *)GNUTLS_KP_TLS_WWW_CLIENT, .size = 0};
    unsigned status = 0;
    int rc =
        gnutls_certificate_verify_peers((gnutls_session_t)info->tls_session, &purpose, 1, &status);
    return rc == GNUTLS_E_SUCCESS && status == 0;
}

void http_head_add(struct http_head *h, const char *key, const char *value)
{
    if (!key)
        return;
    if (!value)
        value = "";
    h->bytes += strlen(key) + strlen(value) + 4; /* "key: value\r\n" */
    h->count++;
    if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
        if (!h->content_length)
            h->content_length = value;
        else if (strcmp(h->content_length, value) != 0)
            h->lengths_differ = 1;
    } else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) {
        h->transfer_encoding = value;
        h->transfer_encodings++;
    }
}

size_t http_query_args(const char *target)
{
    size_t n = 0;
    for (const char *p = target ? strchr(target, '?') : NULL; p; p = strchr(p + 1, '&'))
        n++;
    return n;
}

static enum MHD_Result scan_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
    (void)kind;
    http_head_add(cls, key, value);
    return MHD_YES;
}

/* Transfer-Encoding is exactly "chunked" (case-insensitive, blanks around). */
static int is_chunked_only(const char *te)
{
    while (*te == ' ' || *te == '\t')
        te++;
    if (strncasecmp(te, "chunked", 7) != 0)
        return 0;
    te += 7;
    while (*te == ' ' || *te == '\t')
        te++;
    return *te == '\0';
}

int http_head_verdict(const struct http_head *h, const char **text)
{
    if (h->query_args > MW_HTTP_MAX_QUERY_ARGS) {
        *text = "the query has more than " MW_STR(MW_HTTP_MAX_QUERY_ARGS) " arguments";
        return 414;
    }
    if (h->target_len > MW_HTTP_MAX_URL_BYTES) {
        *text = "the request target is longer than " MW_STR(MW_HTTP_MAX_URL_BYTES) " bytes";
        return 414;
    }
    if (h->bytes > MW_HTTP_MAX_HEADER_BYTES || h->count > MW_HTTP_MAX_HEADERS) {
        *text = "the request headers are larger than " MW_STR(
            MW_HTTP_MAX_HEADER_BYTES) " bytes or more than " MW_STR(MW_HTTP_MAX_HEADERS) " lines";
        return 431;
    }
    if (h->transfer_encoding && h->content_length) {
        *text = "Transfer-Encoding and Content-Length together";
        return 400;
    }
    if (h->lengths_differ) {
        *text = "two different Content-Length values";
        return 400;
    }
    if (h->transfer_encodings > 1 ||
        (h->transfer_encoding && !is_chunked_only(h->transfer_encoding))) {
        *text = "the only transfer coding accepted is chunked";
        return 400;
    }
    return 0;
}

/* Size and framing checks that apply to every route; 0 when the request passes. */
static int request_shape_error(struct MHD_Connection *conn, const struct request *req,
                               const char **text)
{
    struct http_head h = {.target_len = req->uri_len, .query_args = req->query_args};
    MHD_get_connection_values(conn, MHD_HEADER_KIND, scan_header, &h);
    return http_head_verdict(&h, text);
}

static enum MHD_Result first_call(struct listener *l, struct MHD_Connection *conn,
                                  struct request *req, const char *url, const char *method)
{
    struct http_server *s = l->s;
    const char *text = NULL;
    int shape = request_shape_error(conn, req, &text);
    if (shape)
        return refuse(s, conn, req, url, shape, text, NULL);
    req->route = route_of(url);
    if (l->plain && is_review_route_id(req->route))
        req->route = ROUTE_NONE; /* reviews only over HTTPS */
    if (req->route == ROUTE_NONE)
        return refuse(s, conn, req, url, 404, "no such path", NULL);
    if (is_review_route(req->route)) {
        /* Probes come from the kubelet, which has no client certificate. */
        if (s->verify_clients && !client_certificate_trusted(conn))
            return refuse(s, conn, req, url, 403,
                          "a client certificate signed by the client CA, for client "
                          "authentication, is required",
                          NULL);
        if (strcmp(method, MHD_HTTP_METHOD_POST) != 0)
            return refuse(s, conn, req, url, 405, "method not allowed; use POST",
                          MHD_HTTP_METHOD_POST);
        if (MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING))
            return refuse(s, conn, req, url, 411,
                          "a review body needs Content-Length (chunked is not accepted)", NULL);
        long long cl = content_length(conn);
        if (cl == -2)
            return refuse(s, conn, req, url, 400, "Content-Length is not a number", NULL);
        if (cl > (long long)atomic_load(&s->max_body))
            return refuse(s, conn, req, url, 413, "the body is larger than the limit", NULL);
        const char *ct =
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
        if (!is_json_content_type(ct))
            return refuse(s, conn, req, url, 415, "Content-Type must be application/json", NULL);
        if (cl > 0) {
            req->body = malloc((size_t)cl + 1);
            if (!req->body)
                return refuse(s, conn, req, url, 500, "out of memory", NULL);
            req->cap = (size_t)cl + 1;
        }
        return MHD_YES;
    }
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
        return refuse(s, conn, req, url, 405, "method not allowed; use GET", "GET, HEAD");
    return MHD_YES;
}

/* ------------------------------------------------------------------------ */
/* Body and last call                                                        */
/* ------------------------------------------------------------------------ */

static void append_body(struct http_server *s, struct request *req, const char *data, size_t n)
{
    if (req->answered || req->too_large || !is_review_route(req->route))
        return;
    size_t max_body = atomic_load(&s->max_body);
    /* Over the limit, or cannot be held (answered like an oversized body). */
    if (req->len > max_body || n > max_body - req->len ||
        text_reserve(&req->body, &req->cap, req->len + n + 1, MW_HTTP_BODY_FIRST_BYTES,
                     max_body + 1) != 0) {
        req->too_large = 1;
        free(req->body);
        req->body = NULL;
        req->len = req->cap = 0;
        return;
    }
    memcpy(req->body + req->len, data, n);
    req->len += n;
}

static int server_ready(struct http_server *s)
{
    return !atomic_load(&s->draining) && s->admission && s->admission->view &&
           cv_ready(s->admission->view);
}

static enum MHD_Result answer_probe(struct http_server *s, struct MHD_Connection *conn,
                                    struct request *req)
{
    if (req->route == ROUTE_READYZ && !server_ready(s))
        return send_error(s, conn, 503,
                          atomic_load(&s->draining) ? "draining" : "the cluster view is not loaded",
                          NULL);
    if (req->route == ROUTE_METRICS) {
        size_t len = 0;
        char *text = metrics_render(&len);
        if (!text)
            return send_error(s, conn, 500, "out of memory", NULL);
        return send_body(s, conn, 200, text, len, CONTENT_TYPE_METRICS, NULL);
    }
    cJSON *o = cJSON_CreateObject();
    char *body = NULL;
    if (o && cJSON_AddStringToObject(o, "status", "ok"))
        body = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return send_json(s, conn, 200, body, body ? strlen(body) : 0, NULL);
}

/* Counter, histogram and rule hits for one answered review. */
static void record_review_metrics(enum route route, const struct admission_outcome *out,
                                  long long took_us)
{
    metrics_record_request(route_label(route), out->resource, out->operation, out->verdict,
                           (double)took_us / 1e6);
    for (size_t i = 0; i < out->nfired && i < RULE_COUNT; i++)
        metrics_record_rule_hit(out->fired[i], out->fired_mode[i]);
}

static enum MHD_Result answer_review(struct http_server *s, struct MHD_Connection *conn,
                                     struct request *req, const char *url)
{
    if (req->too_large)
        return refuse(s, conn, req, url, 413, "the body is larger than the limit", NULL);
    const char *timeout = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "timeout");
    struct admission_outcome out;
    admission_review(s->admission,
                     req->route == ROUTE_VALIDATE ? ADMISSION_VALIDATE : ADMISSION_MUTATE,
                     req->body, req->len, timeout, &out);
    long long took = now_us() - req->start_us;
    /* Request-supplied values are clamped: a log line never carries a whole object. */
    char uid[MW_LOG_MAX_FIELD_BYTES], res[MW_LOG_MAX_FIELD_BYTES], op[MW_LOG_MAX_FIELD_BYTES];
    char ns[MW_LOG_MAX_FIELD_BYTES], name[MW_LOG_MAX_FIELD_BYTES];
    struct review_log line = {
        .uid = http_clamp_for_log(uid, sizeof(uid), out.uid),
        .path = route_label(req->route),
        .resource = http_clamp_for_log(res, sizeof(res), out.resource),
        .operation = http_clamp_for_log(op, sizeof(op), out.operation),
        .ns = http_clamp_for_log(ns, sizeof(ns), out.ns),
        .name = http_clamp_for_log(name, sizeof(name), out.name),
        .verdict = out.verdict,
        .rules = out.fired,
        .nrules = out.nfired,
        .status = out.status,
        .error = out.error,
        .duration_us = took,
    };
    log_review(&line);
    record_review_metrics(req->route, &out, took);
    char *body = out.body;
    size_t len = out.body_len;
    int status = out.status;
    out.body = NULL; /* handed to libmicrohttpd */
    admission_outcome_free(&out);
    return send_json(s, conn, status, body, len, NULL);
}

/* MHD_OPTION_URI_LOG_CALLBACK: the request target as sent, before libmicrohttpd splits off
 * the query; the per-request context starts here. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    (void)cls;
    acceptor_request_line_received(conn);
    struct request *req = calloc(1, sizeof(*req));
    if (req) {
        req->start_us = now_us();
        req->uri_len = uri ? strlen(uri) : 0;
    }
    /*
     * An over-long target is answered 414 on the first call.  Its query is
     * cut here, in libmicrohttpd's read buffer, before libmicrohttpd splits
     * it into arguments: thousands of 1-byte arguments would otherwise fill
     * the connection's memory with their records before that first call, and
     * the client would get no answer at all.
     */
    char *query = uri && req ? strchr(uri, '?') : NULL;
    if (query) {
        req->query_args = http_query_args(uri);
        if (req->uri_len > MW_HTTP_MAX_URL_BYTES || req->query_args > MW_HTTP_MAX_QUERY_ARGS)
            query[1] = '\0';
    }
    return req;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    struct listener *l = cls;
    struct http_server *s = l->s;
    struct request *req = *con_cls;
    (void)version;
    if (!req || !req->started) {
        if (!req) {
            req = calloc(1, sizeof(*req));
            if (!req)
                return MHD_NO;
            req->start_us = now_us();
            req->uri_len = strlen(url);
            *con_cls = req;
        }
        req->started = 1;
        atomic_fetch_add(&s->in_flight, 1);
        acceptor_headers_received(conn);
        enum MHD_Result rc = first_call(l, conn, req, url, method);
        if (is_review_route(req->route) && !req->answered) {
            req->in_gauge = 1;
            metrics_in_flight(+1);
        }
        return rc;
    }
    if (*upload_data_size) {
        append_body(s, req, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (req->answered)
        return MHD_YES;
    req->answered = 1;
    acceptor_body_received(conn);
    if (is_review_route(req->route))
        return answer_review(s, conn, req, url);
    return answer_probe(s, conn, req);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct listener *l = cls;
    struct request *req = *con_cls;
    if (toe == MHD_REQUEST_TERMINATED_COMPLETED_OK)
        acceptor_request_done(conn); /* the next request's deadline runs */
    if (!req)
        return;
    if (req->in_gauge)
        metrics_in_flight(-1);
    if (req->started)
        atomic_fetch_sub(&l->s->in_flight, 1);
    free(req->body);
    free(req);
    *con_cls = NULL;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char text[512];
    (void)cls;
    vsnprintf(text, sizeof(text), fmt, ap);
    size_t n = strlen(text);
    while (n && (text[n - 1] == '\n' || text[n - 1] == '\r'))
        text[--n] = '\0';
    /* libmicrohttpd says this of every failed handshake, a TCP probe that closes at once
     * included; the acceptor logs what happened (server/acceptor.c, on_closed). */
    if (strcmp(text, "Error: received handshake message out of context.") == 0) {
        log_message(LOG_DEBUG, "http", "%s", text);
        return;
    }
    log_message(LOG_WARN, "http", "%s", text);
}

/* ------------------------------------------------------------------------ */
/* Start and stop                                                            */
/* ------------------------------------------------------------------------ */

int http_parse_listen(const char *listen, struct sockaddr_storage *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    const char *colon = listen ? strrchr(listen, ':') : NULL;
    if (!colon) {
        snprintf(err, errlen, "listen address \"%s\" must be ADDR:PORT", listen ? listen : "");
        return -1;
    }
    char *end;
    errno = 0;
    long port = strtol(colon + 1, &end, 10);
    if (errno || end == colon + 1 || *end || port < 0 || port > 65535) {
        snprintf(err, errlen, "listen address \"%s\": bad port", listen);
        return -1;
    }
    char host[64];
    size_t hl = (size_t)(colon - listen);
    if (hl >= 2 && listen[0] == '[' && listen[hl - 1] == ']') {
        listen++;
        hl -= 2;
    }
    if (hl >= sizeof(host)) {
        snprintf(err, errlen, "listen address \"%s\": bad address", listen);
        return -1;
    }
    memcpy(host, listen, hl);
    host[hl] = '\0';
    struct sockaddr_in *v4 = (struct sockaddr_in *)out;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)out;
    if (hl == 0 || inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((unsigned short)port);
        if (hl == 0)
            v4->sin_addr.s_addr = htonl(INADDR_ANY);
        return 0;
    }
    if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((unsigned short)port);
        return 0;
    }
    snprintf(err, errlen, "listen address \"%s\": \"%s\" is not an IP address", listen, host);
    return -1;
}

static unsigned thread_count(unsigned asked)
{
    long cores = asked ? (long)asked : sysconf(_SC_NPROCESSORS_ONLN);
    if (cores < 1)
        cores = 1;
    if (cores > MW_HTTP_MAX_THREADS)
        cores = MW_HTTP_MAX_THREADS;
    return (unsigned)cores;
}

/* Opens `listen` and starts `n` daemons behind it (TLS unless l->plain). 0, or -1 with err. */
static int start_listener(struct listener *l, const struct http_options *opt, const char *listen,
                          unsigned n, unsigned max_connections, char *err, size_t errlen)
{
    struct sockaddr_storage addr;
    if (http_parse_listen(listen, &addr, err, errlen) != 0)
        return -1;
    l->acceptor = acceptor_open(&addr, l->plain ? "metrics" : "https", err, errlen);
    if (!l->acceptor) {
        char why[256];
        snprintf(why, sizeof(why), "%s", err);
        snprintf(err, errlen, "cannot listen on %s: %s", listen, why);
        return -1;
    }
    struct acceptor_limits limits = {opt->headers_seconds, opt->body_seconds, opt->max_per_source};
    acceptor_set_limits(l->acceptor, &limits);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
                     MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ERROR_LOG;
    if (!l->plain)
        flags |= MHD_USE_TLS;
    struct MHD_OptionItem tls[] = {
        {l->plain ? MHD_OPTION_END : MHD_OPTION_HTTPS_CERT_CALLBACK, 0,
         l->plain ? NULL : tls_store_activate(opt->tls)},
        {MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)MW_HTTP_TLS_PRIORITIES},
        {opt->client_ca_pem ? MHD_OPTION_HTTPS_MEM_TRUST : MHD_OPTION_END, 0,
         (void *)opt->client_ca_pem},
        {MHD_OPTION_END, 0, NULL},
    };
    for (l->ndaemons = 0; l->ndaemons < n; l->ndaemons++) {
        struct MHD_Daemon *d = MHD_start_daemon(
            flags, 0, NULL, NULL, on_request, l, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
            MHD_OPTION_URI_LOG_CALLBACK, on_uri, l, MHD_OPTION_CONNECTION_TIMEOUT,
            (unsigned)MW_HTTP_CONNECTION_TIMEOUT_S, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
            (size_t)MW_HTTP_CONNECTION_MEMORY, MHD_OPTION_CONNECTION_LIMIT, max_connections,
            MHD_OPTION_NOTIFY_COMPLETED, on_completed, l, MHD_OPTION_NOTIFY_CONNECTION,
            acceptor_on_connection, acceptor_counter(l->acceptor, l->ndaemons), MHD_OPTION_ARRAY,
            l->plain ? tls + 3 : tls, MHD_OPTION_END);
        if (!d) {
            snprintf(err, errlen, "cannot start the %s server on %s%s", l->plain ? "HTTP" : "HTTPS",
                     listen, l->plain ? "" : " (a bad certificate or key)");
            return -1;
        }
        l->daemons[l->ndaemons] = d;
    }
    return acceptor_start(l->acceptor, l->daemons, l->ndaemons, max_connections, err, errlen);
}

struct http_server *http_start(const struct http_options *opt, char *err, size_t errlen)
{
    struct sockaddr_storage addr;
    if (http_parse_listen(opt->listen, &addr, err, errlen) != 0)
        return NULL;
    if (opt->metrics_listen && http_parse_listen(opt->metrics_listen, &addr, err, errlen) != 0)
        return NULL;
    if (!opt->tls) {
        snprintf(err, errlen, "no TLS certificate and key");
        return NULL;
    }
    struct http_server *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->https.s = s->metrics.s = s;
    s->metrics.plain = 1;
    s->admission = opt->admission;
    atomic_store(&s->max_body, opt->max_body_bytes ? opt->max_body_bytes : MW_HTTP_MAX_BODY_BYTES);
    s->verify_clients = opt->client_ca_pem != NULL;
    unsigned max_connections =
        opt->max_connections ? opt->max_connections : (unsigned)MW_HTTP_MAX_CONNECTIONS;
    if (start_listener(&s->https, opt, opt->listen, thread_count(opt->threads), max_connections,
                       err, errlen) != 0 ||
        (opt->metrics_listen && start_listener(&s->metrics, opt, opt->metrics_listen, 1,
                                               max_connections, err, errlen) != 0)) {
        http_stop(s);
        return NULL;
    }
    return s;
}

void http_set_limits(struct http_server *s, const struct http_live_limits *l)
{
    atomic_store(&s->max_body, l->max_body_bytes ? l->max_body_bytes : MW_HTTP_MAX_BODY_BYTES);
    struct acceptor_limits al = {l->headers_seconds, l->body_seconds, l->max_per_source};
    acceptor_set_limits(s->https.acceptor, &al);
    if (s->metrics.acceptor)
        acceptor_set_limits(s->metrics.acceptor, &al);
}

unsigned http_port(const struct http_server *s)
{
    return acceptor_port(s->https.acceptor);
}

unsigned http_metrics_port(const struct http_server *s)
{
    return s->metrics.acceptor ? acceptor_port(s->metrics.acceptor) : 0;
}

void http_begin_drain(struct http_server *s)
{
    atomic_store(&s->draining, 1);
}

int http_in_flight(const struct http_server *s)
{
    return atomic_load(&((struct http_server *)s)->in_flight);
}

static unsigned open_connections(const struct http_server *s)
{
    return acceptor_open_connections(s->https.acceptor) +
           (s->metrics.acceptor ? acceptor_open_connections(s->metrics.acceptor) : 0);
}

int http_finish(struct http_server *s, long long seconds)
{
    atomic_store(&s->draining, 1);
    acceptor_close(s->https.acceptor); /* new connections are refused from here on */
    acceptor_close(s->metrics.acceptor);
    /* A connection accepted just before may still be sending its headers: wait until
       nothing is open, or nothing has been in flight for a short grace time. */
    long long deadline = now_us() + seconds * 1000000LL;
    long long quiet_since = now_us();
    while (now_us() < deadline) {
        if (atomic_load(&s->in_flight) > 0)
            quiet_since = now_us();
        else if (open_connections(s) == 0 ||
                 now_us() - quiet_since >= MW_DRAIN_IDLE_GRACE_MS * 1000LL)
            break;
        struct timespec pause = {0, 10 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    return atomic_load(&s->in_flight);
}

static void stop_listener(struct listener *l)
{
    acceptor_close(l->acceptor); /* first: its thread hands connections to the daemons */
    for (unsigned i = 0; i < l->ndaemons; i++)
        MHD_stop_daemon(l->daemons[i]);
    acceptor_free(l->acceptor); /* last: the daemons count closing connections out in it */
}

void http_stop(struct http_server *s)
{
    if (!s)
        return;
    stop_listener(&s->https);
    stop_listener(&s->metrics);
    free(s);
}
