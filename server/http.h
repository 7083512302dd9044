/*
 * server/http.h - the HTTPS front: libmicrohttpd with its GnuTLS, one
 * internal epoll thread pool, the routes /validate, /mutate, /healthz and
 * /readyz, the HTTP error answers (404, 405, 413, 415, 400) and graceful
 * draining.
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
    const struct admission_context *admission; /* borrowed; outlives the server */
};

struct http_server;

/*
 * Starts serving.  The options' strings are copied by libmicrohttpd as it
 * needs them; `tls` and `admission` are borrowed and must outlive the server.  Returns the server, or NULL with one
 * line in err.  Stop with http_stop.
 */
struct http_server *http_start(const struct http_options *opt, char *err, size_t errlen);

/* The TCP port actually bound (useful with port 0). */
unsigned http_port(const struct http_server *s);

/*
 * Graceful end: readiness goes false, the listening socket closes, and
 * in-flight requests get up to `seconds` to finish.  Returns the number of
 * requests still running when the time ran out (0 normally).
 */
int http_drain(struct http_server *s, long long seconds);

/* Stops the threads, closes every connection and frees the server. */
void http_stop(struct http_server *s);

/* Splits "ADDR:PORT" into a socket address.  0, or -1 with err. */
struct sockaddr_storage;
int http_parse_listen(const char *listen, struct sockaddr_storage *out, char *err, size_t errlen);

#endif
