/*
 * server/limits.h - the named limits of the server process: sizes, timeouts
 * and counts.  Sorted by area; every number the server enforces lives here.
 */
#ifndef MW_SERVER_LIMITS_H
#define MW_SERVER_LIMITS_H

/* ---- certificates ---- */
#define MW_CERT_DEFAULT_DAYS 365       /* validity of `certs create` output */
#define MW_CERT_MAX_DAYS 36500         /* refuse absurd --days values */
#define MW_CERT_MAX_HOSTS 64           /* SAN entries per certificate */
#define MW_CERT_DEV_DAYS 7             /* the throwaway --dev certificate */

/* ---- configuration ---- */
#define MW_CONFIG_MAX_PATH 4096        /* longest path accepted in the config */

/* ---- HTTP ---- */
#define MW_HTTP_MAX_BODY_BYTES (8u * 1024u * 1024u) /* exactly 8 MiB is accepted */
#define MW_HTTP_CONNECTION_TIMEOUT_S 120            /* idle or stalled connections (above Go's 90 s idle) */
#define MW_HTTP_CONNECTION_MEMORY (256u * 1024u)    /* per-connection read buffer */
#define MW_HTTP_MAX_CONNECTIONS 2048                /* open connections, all threads together */
#define MW_HTTP_LISTEN_BACKLOG 512                  /* connections waiting to be accepted */
#define MW_HTTP_MAX_THREADS 64                      /* upper bound on the thread pool */
#define MW_HTTP_DEFAULT_LISTEN "0.0.0.0:8443"
#define MW_HTTP_DEV_LISTEN "127.0.0.1:8443"
#define MW_HTTP_TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"
#define MW_TLS_RELOAD_CHECK_MS 10000                /* slow poll of the certificate files (inotify is the fast path) */
#define MW_TLS_RELOAD_SETTLE_MS 200                 /* quiet time after a file event before reading */

/* ---- logs ---- */
#define MW_LOG_MAX_FIELD_BYTES 256     /* longest request-supplied value (uid, name) in a log line */

/* ---- reviews ---- */
#define MW_REVIEW_DEFAULT_TIMEOUT_MS 10000  /* when the review has no ?timeout= */
#define MW_REVIEW_TIMEOUT_MARGIN_MS 1000    /* kept back from ?timeout= for the answer */
#define MW_REVIEW_MIN_BUDGET_MS 100         /* never give the rules less than this */
#define MW_REVIEW_MAX_TIMEOUT_MS 30000      /* the API server never waits longer */

/* ---- shutdown ---- */
#define MW_DRAIN_DEFAULT_SECONDS 5     /* still answering, with Connection: close, after SIGTERM */
#define MW_DRAIN_MAX_SECONDS 600
#define MW_DRAIN_FINISH_SECONDS 35     /* then wait at most this long for in-flight reviews (> review timeout) */
#define MW_DRAIN_IDLE_GRACE_MS 1000    /* nothing in flight this long: the open connections are idle */

#endif
