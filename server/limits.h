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
#define MW_HTTP_CONNECTION_TIMEOUT_S 120            /* idle keep-alive connections */
#define MW_HTTP_CONNECTION_MEMORY (256u * 1024u)    /* per-connection read buffer */
#define MW_HTTP_MAX_THREADS 64                      /* upper bound on the thread pool */
#define MW_HTTP_DEFAULT_LISTEN "0.0.0.0:8443"
#define MW_HTTP_DEV_LISTEN "127.0.0.1:8443"
#define MW_HTTP_TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"
#define MW_TLS_RELOAD_CHECK_MS 1000                 /* how often the certificate files are checked */

/* ---- reviews ---- */
#define MW_REVIEW_DEFAULT_TIMEOUT_MS 10000  /* when the review has no ?timeout= */
#define MW_REVIEW_TIMEOUT_MARGIN_MS 1000    /* kept back from ?timeout= for the answer */
#define MW_REVIEW_MIN_BUDGET_MS 100         /* never give the rules less than this */
#define MW_REVIEW_MAX_TIMEOUT_MS 30000      /* the API server never waits longer */

/* ---- shutdown ---- */
#define MW_DRAIN_DEFAULT_SECONDS 10    /* wait at most this long for in-flight reviews */
#define MW_DRAIN_MAX_SECONDS 600

#endif
