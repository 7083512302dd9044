/*
 * server/http.h - the HTTPS front: libmicrohttpd with its GnuTLS, one epoll
 * daemon thread per core fed by one accepting thread, the routes /validate,
 * /mutate, /healthz, /readyz and /metrics, the HTTP error answers (400, 403,
 * 404, 405, 411, 413, 414, 415, 431), bounded connections, and graceful
 * draining in two steps (http_begin_drain, then http_finish).  Optionally a
 * plain-HTTP listener serving only GET/HEAD /healthz, /readyz and /metrics.
 */
#ifndef MW_SERVER_HTTP_H
#define MW_SERVER_HTTP_H

#include <stddef.h>

#include "server/admission.h"
#include "server/tls.h"

struct http_options {
    const char *listen;        /* "ADDR:PORT", "[v6]:PORT" or ":PORT"; port 0 = any free port */
    struct tls_store *tls;     /* serving certificate and key (server/tls.h); borrowed */
    const char *client_ca_pem; /* when set, clients must present a certificate it signed */
    size_t max_body_bytes;     /* 0 = MW_HTTP_MAX_BODY_BYTES */
    unsigned threads;          /* 0 = one per core */
    unsigned max_connections;  /* 0 = MW_HTTP_MAX_CONNECTIONS */
    const struct admission_context *admission; /* borrowed; outlives the server */
    const char
        *metrics_listen; /* plain-HTTP "ADDR:PORT" for /healthz, /readyz, /metrics; NULL: none */
    unsigned headers_seconds; /* per-connection deadlines (server/acceptor.h); 0 = default */
    unsigned body_seconds;
    unsigned max_per_source; /* open connections from one address, per listener; 0 = default */
};

struct http_server;

/* What SIGHUP may change while serving. */
struct http_live_limits {
    size_t max_body_bytes;                                  /* 0 = MW_HTTP_MAX_BODY_BYTES */
    unsigned headers_seconds, body_seconds, max_per_source; /* 0 = defaults */
};
void http_set_limits(struct http_server *s, const struct http_live_limits *l);

struct http_server;

/*
 * Starts serving.  The options' strings are copied by libmicrohttpd as it
 * needs them; `tls` and `admission` are borrowed and must outlive the server.  Returns the server,
 * or NULL with one line in err.  Stop with http_stop.
 */
struct http_server *http_start(const struct http_options *opt, char *err, size_t errlen);

/* The TCP port actually bound (useful with port 0). */
unsigned http_port(const struct http_server *s);

/* The plain-HTTP port bound, 0 when there is none. */
unsigned http_metrics_port(const struct http_server *s);

/*
 * First step of a graceful end: /readyz answers 503 from now on and every
 * answer carries `Connection: close`, so clients move to another replica while
 * this one still serves whatever reaches it.
 */
void http_begin_drain(struct http_server *s);

/*
 * Second step: the listening socket closes, and requests in flight get up to
 * `seconds` to finish (it returns earlier once nothing has been in flight for
 * MW_DRAIN_IDLE_GRACE_MS).  Returns the number of requests still running when
 * the time ran out (0 normally).  Call http_stop after it.
 */
int http_finish(struct http_server *s, long long seconds);

/* Requests being answered now (all routes). */
int http_in_flight(const struct http_server *s);

/* Stops the threads, closes every connection and frees the server. */
void http_stop(struct http_server *s);

/*
 * Copies at most `cap`-1 bytes of `text` into `buf`, cut on a UTF-8 character
 * boundary, with "..." when cut: request-supplied values (uid, name) in log
 * lines stay short.  Returns buf, or NULL when text is NULL.
 */
const char *http_clamp_for_log(char *buf, size_t cap, const char *text);

/*
 * The size and framing checks of a request head, applied before any route
 * (docs/operations.md#http-errors-from-the-http-library): fill an
 * http_head (target length, query arguments, then http_head_add for each
 * header line, values borrowed) and ask http_head_verdict: 0 when the request
 * may go on, else 414, 431 or 400 with a one-line reason in *text.
 */
struct http_head {
    size_t target_len, query_args;
    size_t bytes, count;
    const char *content_length; /* the first one */
    int lengths_differ;         /* another Content-Length with a different value */
    const char *transfer_encoding;
    unsigned transfer_encodings;
};
void http_head_add(struct http_head *h, const char *key, const char *value);
int http_head_verdict(const struct http_head *h, const char **text);
/* Query arguments in a request target as libmicrohttpd splits them (0 without a query). */
size_t http_query_args(const char *target);

/* Splits "ADDR:PORT" into a socket address.  0, or -1 with err. */
struct sockaddr_storage;
int http_parse_listen(const char *listen, struct sockaddr_storage *out, char *err, size_t errlen);

#endif
