/*
 * server/config.h - the settings of `serve`: defaults, then the YAML config
 * file (--config), then the command-line flags, each overriding the one before.
 *
 * Config file keys (all optional):
 *   listen: "ADDR:PORT"            tlsCert, tlsKey, clientCA: paths
 *   metricsListen: "ADDR:PORT"     plain HTTP for /healthz, /readyz, /metrics only
 *   logLevel: debug|info|warn|error
 *   clusterDir: DIR  | kubeconfig: FILE
 *   rules:         {<rule id>: deny|warn|off, ...}   modes of the migration rules
 *   earlyWarnings: {<rule id>: deny|warn|off, ...}   modes of the early VM/VMI warnings
 *   systemMigrations: {<rule id>: deny|warn|off, ...} modes for migrations KubeVirt starts
 *                  itself (node drain, workload update); unset rules: cdrom and
 *                  container-disk warn instead of deny, the others keep their mode
 *   kubevirt:      {defaultTimeouts: bool}
 *   limits:        {maxBodyBytes: int, maxConnectionsPerSource: int}
 *   timeouts:      {reviewTimeoutMarginMs: int, drainSeconds: int, shutdownSeconds: int,
 *                   headersSeconds: int, bodySeconds: int}
 * SIGHUP re-reads the file (and re-applies the flags): rules, earlyWarnings, systemMigrations,
 * kubevirt, limits, timeouts and logLevel change live; the listen addresses, TLS paths, client
 * CA and cluster source need a restart.
 * An unknown key, a bad mode or a wrong type is an error naming the file and key.
 */
#ifndef MW_SERVER_CONFIG_H
#define MW_SERVER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>

#include "rules/verdict.h"

struct mw_config {
    char *listen;         /* "ADDR:PORT"; owned */
    char *metrics_listen; /* plain-HTTP "ADDR:PORT" for probes and metrics; NULL: none */
    char *tls_cert;       /* owned paths, NULL when unset */
    char *tls_key;
    char *client_ca;
    char *cluster_dir;
    char *kubeconfig;
    char *config_file; /* the --config path, NULL when none */
    bool dev;          /* --dev: throwaway certificate, example cluster, 127.0.0.1:8443 */
    bool listen_set;   /* --listen or listen: given (so --dev does not replace it) */
    struct rule_settings settings;
    size_t max_body_bytes;
    long long review_timeout_margin_ms;
    long long drain_seconds;
    long long shutdown_seconds; /* drain + in-flight wait, all together */
    long long headers_seconds;  /* TLS handshake + headers deadline */
    long long body_seconds;     /* whole-body deadline */
    long long max_per_source;   /* open connections from one address, per listener */
    int log_level;              /* enum log_level (server/log.h) */
};

/* Defaults (no allocation failure possible beyond listen: returns -1 then). */
int config_init(struct mw_config *c);
/* Frees what the config owns; the struct may be re-initialised. */
void config_free(struct mw_config *c);

/*
 * Applies the settings of a parsed config document (a cJSON object) on top of
 * `c`.  `name` is the file name used in errors.  Returns 0, or -1 with one
 * line in err: "<name>: <key>: <problem>".
 */
int config_from_json(struct mw_config *c, const cJSON *doc, const char *name, char *err,
                     size_t errlen);

/* Reads a YAML config file (through yaml_parse_file) and applies it.  0 or -1 with err. */
int config_load_file(struct mw_config *c, const char *path, char *err, size_t errlen);

/*
 * The whole `serve` command line (argv[0] = "serve") on top of an initialised
 * config (config_init): the file
 * of --config, then the other flags.  Returns 0 ok, 1 when --help was asked
 * (nothing else done), or 2 with one line in err.
 */
int config_from_args(struct mw_config *c, int argc, char **argv, char *err, size_t errlen);

/* The usage text of `serve`. */
extern const char config_usage[];

#endif
