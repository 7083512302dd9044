/*
 * server/limits.h - every size, count and time limit of the server, named, in
 * one place.  Sorted by area.  Each layer below keeps its own: the rules' in
 * rules/limits.h, the certificates' in certs/limits.h, the cluster views' in
 * cluster/limits.h, the readers of the ground floor's in kube/limits.h.
 */
#ifndef MW_SERVER_LIMITS_H
#define MW_SERVER_LIMITS_H

/* ---- configuration ---- */
#define MW_CONFIG_MAX_PATH 4096 /* longest path accepted in the config */

/* ---- HTTP ---- */
#define MW_HTTP_MAX_BODY_BYTES (8u * 1024u * 1024u) /* exactly 8 MiB is accepted */
#define MW_HTTP_MIN_BODY_BYTES 1024u     /* smallest limits.maxBodyBytes a config may set */
#define MW_HTTP_BODY_FIRST_BYTES 16384   /* first size of a review body's buffer (it doubles) */
#define MW_HTTP_CONNECTION_TIMEOUT_S 120 /* idle or stalled connections (above Go's 90 s idle) */
/* Per-connection pool: read buffer, request line, headers and libmicrohttpd's record of each
 * header and query argument (about 56 bytes each), plus room for the answer's headers.  Sized for
 * the largest request the limits below accept (an 8 KiB target with 64 arguments and 100 header
 * lines of 16 KiB in all: about 34 KiB), so that requests over them still reach the server's own
 * JSON 414/431 (an over-long or over-split query is cut before libmicrohttpd records its
 * arguments, server/http.c on_uri).  Only a head that needs more than the whole pool (some
 * thousand header lines) gets libmicrohttpd's own answer
 * (docs/operations.md#http-errors-from-the-http-library).  Measured: about 61 KiB of RSS per
 * kept-alive TLS connection (45 KiB with the former 32 KiB pool). */
#define MW_HTTP_CONNECTION_MEMORY (48u * 1024u)
#define MW_HTTP_MAX_URL_BYTES 8192     /* request target, query included; longer: 414 */
#define MW_HTTP_MAX_QUERY_ARGS 64      /* query arguments; more: 414 */
#define MW_HTTP_MAX_HEADER_BYTES 16384 /* all header lines together; more: 431 */
#define MW_HTTP_MAX_HEADERS 100        /* header lines; more: 431 */
/* Absolute deadlines per connection, enforced by the acceptor (server/acceptor.c). */
#define MW_HTTP_HEADERS_DEADLINE_S 10  /* TLS handshake plus request headers, from accept */
#define MW_HTTP_BODY_DEADLINE_S 30     /* the whole body, from the end of the headers */
#define MW_HTTP_MAX_DEADLINE_S 600     /* largest deadline a config may set */
#define MW_HTTP_MAX_PER_SOURCE 256     /* open connections from one source address, per listener */
#define MW_HTTP_DROP_LOG_INTERVAL_S 10 /* at most one "closed slow clients" line this often */
#define MW_HTTP_MAX_CONNECTIONS 2048   /* open connections, all threads together */
#define MW_HTTP_LISTEN_BACKLOG 512     /* connections waiting to be accepted */
#define MW_ACCEPT_FULL_PAUSE_MS 10     /* at the connection limit: look again after this long */
#define MW_HTTP_MAX_THREADS 64         /* upper bound on server threads (one daemon each) */
#define MW_HTTP_DEFAULT_LISTEN "0.0.0.0:8443"
#define MW_HTTP_DEV_LISTEN "127.0.0.1:8443"
/* TLS 1.3, and TLS 1.2 with ECDHE and AEAD ciphers only (forward secrecy, no CBC, no SHA-1 MAC);
 * the server's order wins and puts AES-128-GCM first. */
#define MW_HTTP_TLS_PRIORITIES                                                                     \
    "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:+AES-128-GCM:+CHACHA20-POLY1305:"      \
    "+AES-256-GCM:-MAC-ALL:+AEAD:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:%SERVER_PRECEDENCE"
#define MW_TLS_RELOAD_CHECK_MS                                                                     \
    10000 /* slow poll of the certificate files (inotify is the fast path) */
#define MW_TLS_MAX_PEM_BYTES (1024 * 1024) /* largest certificate or key file read */
#define MW_TLS_MAX_CHAIN 8                 /* certificates in the serving chain */
#define MW_TLS_RELOAD_SETTLE_MS 200        /* quiet time after a file event before reading */

/* ---- logs ---- */
#define MW_LOG_LINE_BYTES 4096     /* a log line printed on the stack; longer ones use the heap */
#define MW_LOG_MAX_FIELD_BYTES 256 /* longest request-supplied value (uid, name) in a log line */

/* ---- reviews ---- */
#define MW_REVIEW_DEFAULT_TIMEOUT_MS 10000 /* when the review has no ?timeout= */
#define MW_REVIEW_TIMEOUT_MARGIN_MS 1000   /* kept back from ?timeout= for the answer */
#define MW_REVIEW_MIN_BUDGET_MS 100        /* never give the rules less than this */
#define MW_REVIEW_MAX_TIMEOUT_MS 30000     /* the API server never waits longer */

/* ---- shutdown ---- */
#define MW_DRAIN_DEFAULT_SECONDS 5 /* still answering, with Connection: close, after SIGTERM */
#define MW_DRAIN_MAX_SECONDS 600
/* The whole shutdown (drain period + wait for in-flight reviews) fits in timeouts.shutdownSeconds;
 * the chart sets it from the pod's terminationGracePeriodSeconds minus a margin. */
#define MW_SHUTDOWN_DEFAULT_SECONDS 25 /* Kubernetes' default grace period of 30 s, minus 5 */
#define MW_SHUTDOWN_MAX_SECONDS 3600
#define MW_DRAIN_MIN_FINISH_SECONDS                                                                \
    5 /* the drain period is shortened to leave at least this for in-flight reviews */
#define MW_DRAIN_IDLE_GRACE_MS                                                                     \
    1000 /* nothing in flight this long: the open connections are idle                             \
          */

#endif
