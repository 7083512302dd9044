/*
 * server/config.c - building the settings of `serve` from defaults, the YAML
 * config file and the flags.
 *
 * The file is parsed into cJSON by kube/yaml.h and walked here key by key:
 * every key is known or an error, every value has its type checked.  The
 * flags are then applied in order, so precedence is defaults < file < flags.
 */
#include "server/config.h"

#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/yaml.h"
#include "server/limits.h"
#include "server/log.h"

const char config_usage[] =
    "usage: migration-webhook serve [--config FILE] [--listen ADDR:PORT] [--metrics-listen "
    "ADDR:PORT] "
    "[--tls-cert FILE --tls-key FILE] [--client-ca FILE] "
    "[--cluster-dir DIR | --kubeconfig FILE] [--dev]\n"
    "\n"
    "  --config FILE        YAML settings: the flags below plus rules, earlyWarnings,\n"
    "                       systemMigrations, kubevirt, limits and timeouts (flags\n"
    "                       override the file)\n"
    "  --listen ADDR:PORT   where to serve HTTPS (default " MW_HTTP_DEFAULT_LISTEN ")\n"
    "  --metrics-listen ADDR:PORT\n"
    "                       also serve /healthz, /readyz and /metrics over plain HTTP there\n"
    "  --tls-cert, --tls-key FILE\n"
    "                       serving certificate and key (PEM), re-read when they change\n"
    "  --client-ca FILE     accept reviews only from clients with a certificate it signed\n"
    "  --cluster-dir DIR    cluster state from the YAML/JSON files under DIR\n"
    "  --kubeconfig FILE    cluster state from the Kubernetes API\n"
    "  --dev                throwaway certificate, example cluster, " MW_HTTP_DEV_LISTEN "\n";

int config_init(struct mw_config *c)
{
    memset(c, 0, sizeof(*c));
    rule_settings_default(&c->settings);
    c->max_body_bytes = MW_HTTP_MAX_BODY_BYTES;
    c->review_timeout_margin_ms = MW_REVIEW_TIMEOUT_MARGIN_MS;
    c->drain_seconds = MW_DRAIN_DEFAULT_SECONDS;
    c->shutdown_seconds = MW_SHUTDOWN_DEFAULT_SECONDS;
    c->headers_seconds = MW_HTTP_HEADERS_DEADLINE_S;
    c->body_seconds = MW_HTTP_BODY_DEADLINE_S;
    c->max_per_source = MW_HTTP_MAX_PER_SOURCE;
    c->log_level = LOG_INFO;
    c->listen = strdup(MW_HTTP_DEFAULT_LISTEN);
    return c->listen ? 0 : -1;
}

void config_free(struct mw_config *c)
{
    free(c->listen);
    free(c->metrics_listen);
    free(c->tls_cert);
    free(c->tls_key);
    free(c->client_ca);
    free(c->cluster_dir);
    free(c->kubeconfig);
    free(c->config_file);
    memset(c, 0, sizeof(*c));
}

static int set_string(char **slot, const char *value)
{
    char *copy = strdup(value);
    if (!copy)
        return -1;
    free(*slot);
    *slot = copy;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* The config file                                                           */
/* ------------------------------------------------------------------------ */

struct file_ctx {
    struct mw_config *c;
    const char *name;
    char *err;
    size_t errlen;
};

#define FILE_ERROR(fc, ...)                                                                        \
    do {                                                                                           \
        char detail_[512];                                                                         \
        snprintf(detail_, sizeof(detail_), __VA_ARGS__);                                           \
        snprintf((fc)->err, (fc)->errlen, "%s: %s", (fc)->name, detail_);                          \
        return -1;                                                                                 \
    } while (0)

static int path_value(struct file_ctx *fc, const cJSON *item, char **slot)
{
    if (!cJSON_IsString(item) || !*item->valuestring)
        FILE_ERROR(fc, "%s: must be a non-empty string", item->string);
    if (strlen(item->valuestring) >= MW_CONFIG_MAX_PATH)
        FILE_ERROR(fc, "%s: too long", item->string);
    if (set_string(slot, item->valuestring) != 0)
        FILE_ERROR(fc, "out of memory");
    return 0;
}

static int integer_value(struct file_ctx *fc, const char *key, const cJSON *item, long long min,
                         long long max, long long *out)
{
    if (!cJSON_IsNumber(item) || item->valuedouble != (double)(long long)item->valuedouble)
        FILE_ERROR(fc, "%s: must be an integer", key);
    long long v = (long long)item->valuedouble;
    if (v < min || v > max)
        FILE_ERROR(fc, "%s: must be between %lld and %lld, got %lld", key, min, max, v);
    *out = v;
    return 0;
}

/* The docs/rules.md#early-warnings and docs/rules.md#kubevirt-cr rule ids live in both tables;
 * everything else in the one asked for. */
static int is_early_and_cluster_rule(int id)
{
    return id == RULE_CPU_MODEL_UNSUPPORTED || id == RULE_HOST_MODEL_HETEROGENEOUS ||
           id == RULE_CLUSTER_CPU_MODEL || id == RULE_MIGRATION_TIMEOUTS;
}

/* The rule id of `item` in the mapping `where`; -1 after an error. */
static int rule_of(struct file_ctx *fc, const char *where, const cJSON *item)
{
    int id = rule_id_from_name(item->string);
    if (id < 0 || id == RULE_VMIM_NO_VMI)
        FILE_ERROR(fc, "%s.%s: unknown rule", where, item->string);
    return id;
}

/* The mode `item` of the mapping `where` sets; -1 after an error. */
static int mode_of(struct file_ctx *fc, const char *where, const cJSON *item)
{
    int mode = cJSON_IsString(item) ? rule_mode_from_name(item->valuestring) : -1;
    if (mode < 0)
        FILE_ERROR(fc, "%s.%s: mode must be deny, warn or off", where, item->string);
    return mode;
}

/* rules: and earlyWarnings: {<rule id>: deny|warn|off}. */
static int rule_mode_item(struct file_ctx *fc, const cJSON *map, const cJSON *item)
{
    bool early = strcmp(map->string, "earlyWarnings") == 0;
    int id = rule_of(fc, map->string, item);
    int mode = id < 0 ? -1 : mode_of(fc, map->string, item);
    if (mode < 0)
        return -1;
    if (early || is_early_and_cluster_rule(id))
        fc->c->settings.early[id] = (enum rule_mode)mode;
    if (!early || is_early_and_cluster_rule(id))
        fc->c->settings.migration[id] = (enum rule_mode)mode;
    return 0;
}

/*
 * systemMigrations: {<rule id>: deny|warn|off}, the modes of the migration
 * rules for migrations KubeVirt starts itself (docs/rules.md#system-migrations).  Only the rules a
 * migration review runs can be set.
 */
static int system_migration_item(struct file_ctx *fc, const cJSON *map, const cJSON *item)
{
    int id = rule_of(fc, map->string, item);
    if (id < 0)
        return -1;
    if (is_early_and_cluster_rule(id))
        FILE_ERROR(fc, "%s.%s: not a migration rule", map->string, item->string);
    int mode = mode_of(fc, map->string, item);
    if (mode < 0)
        return -1;
    fc->c->settings.system_migration[id] = (enum rule_mode)mode;
    fc->c->settings.system_migration_set[id] = true;
    return 0;
}

static int kubevirt_item(struct file_ctx *fc, const cJSON *map, const cJSON *item)
{
    if (strcmp(item->string, "defaultTimeouts") != 0)
        FILE_ERROR(fc, "kubevirt.%s: unknown key", item->string);
    if (!cJSON_IsBool(item))
        FILE_ERROR(fc, "kubevirt.defaultTimeouts: must be true or false");
    fc->c->settings.default_timeouts = cJSON_IsTrue(item);
    return 0;
}

/*
 * The whole numbers of the limits: and timeouts: sections, one row each: the
 * key, its range and the long long (or, `size`, the size_t) in struct
 * mw_config it sets.
 */
static const struct number_key {
    const char *name;
    long long min, max;
    size_t at;
    bool size;
} number_keys[] = {
    {"limits.maxConnectionsPerSource", 1, MW_HTTP_MAX_CONNECTIONS,
     offsetof(struct mw_config, max_per_source), false},
    {"limits.maxBodyBytes", MW_HTTP_MIN_BODY_BYTES, MW_HTTP_MAX_BODY_BYTES,
     offsetof(struct mw_config, max_body_bytes), true},
    {"timeouts.reviewTimeoutMarginMs", 0, MW_REVIEW_MAX_TIMEOUT_MS,
     offsetof(struct mw_config, review_timeout_margin_ms), false},
    {"timeouts.drainSeconds", 0, MW_DRAIN_MAX_SECONDS, offsetof(struct mw_config, drain_seconds),
     false},
    {"timeouts.shutdownSeconds", 1, MW_SHUTDOWN_MAX_SECONDS,
     offsetof(struct mw_config, shutdown_seconds), false},
    {"timeouts.headersSeconds", 1, MW_HTTP_MAX_DEADLINE_S,
     offsetof(struct mw_config, headers_seconds), false},
    {"timeouts.bodySeconds", 1, MW_HTTP_MAX_DEADLINE_S, offsetof(struct mw_config, body_seconds),
     false},
};

/* A key of limits: or timeouts:, a row of number_keys. */
static int number_item(struct file_ctx *fc, const cJSON *map, const cJSON *item)
{
    char name[512];
    snprintf(name, sizeof(name), "%s.%s", map->string, item->string);
    const struct number_key *k = NULL;
    for (size_t i = 0; !k && i < sizeof(number_keys) / sizeof(number_keys[0]); i++)
        if (strcmp(number_keys[i].name, name) == 0)
            k = &number_keys[i];
    if (!k)
        FILE_ERROR(fc, "%s: unknown key", name);
    long long v;
    if (integer_value(fc, name, item, k->min, k->max, &v) != 0)
        return -1;
    if (k->size)
        *(size_t *)(void *)((char *)fc->c + k->at) = (size_t)v;
    else
        *(long long *)(void *)((char *)fc->c + k->at) = v;
    return 0;
}

/* The sections of the file that are mappings: each key read by `item`. */
static const struct section {
    const char *name;
    int (*item)(struct file_ctx *fc, const cJSON *map, const cJSON *item);
    const char *of; /* what the mapping maps, for the error */
} sections[] = {
    {"rules", rule_mode_item, " of rule id to deny|warn|off"},
    {"earlyWarnings", rule_mode_item, " of rule id to deny|warn|off"},
    {"systemMigrations", system_migration_item, " of rule id to deny|warn|off"},
    {"kubevirt", kubevirt_item, ""},
    {"limits", number_item, ""},
    {"timeouts", number_item, ""},
};

/* The section named like the mapping `map`: 0, 1 when there is none, or -1 after an error. */
static int section(struct file_ctx *fc, const cJSON *map)
{
    const struct section *sec = NULL;
    for (size_t i = 0; !sec && i < sizeof(sections) / sizeof(sections[0]); i++)
        if (strcmp(sections[i].name, map->string) == 0)
            sec = &sections[i];
    if (!sec)
        return 1;
    if (!cJSON_IsObject(map))
        FILE_ERROR(fc, "%s: must be a mapping%s", map->string, sec->of);
    const cJSON *item;
    cJSON_ArrayForEach (item, map) {
        if (sec->item(fc, map, item) != 0)
            return -1;
    }
    return 0;
}

static int log_level_value(struct file_ctx *fc, const cJSON *item)
{
    static const char *const names[] = {"debug", "info", "warn", "error"};
    static const int levels[] = {LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR};
    for (size_t i = 0; cJSON_IsString(item) && i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(item->valuestring, names[i]) == 0) {
            fc->c->log_level = levels[i];
            return 0;
        }
    FILE_ERROR(fc, "logLevel: must be debug, info, warn or error");
}

static int top_level_key(struct file_ctx *fc, const cJSON *item)
{
    const char *k = item->string;
    struct mw_config *c = fc->c;
    if (strcmp(k, "listen") == 0) {
        c->listen_set = true;
        return path_value(fc, item, &c->listen);
    }
    if (strcmp(k, "metricsListen") == 0)
        return path_value(fc, item, &c->metrics_listen);
    if (strcmp(k, "logLevel") == 0)
        return log_level_value(fc, item);
    if (strcmp(k, "tlsCert") == 0)
        return path_value(fc, item, &c->tls_cert);
    if (strcmp(k, "tlsKey") == 0)
        return path_value(fc, item, &c->tls_key);
    if (strcmp(k, "clientCA") == 0)
        return path_value(fc, item, &c->client_ca);
    if (strcmp(k, "clusterDir") == 0)
        return path_value(fc, item, &c->cluster_dir);
    if (strcmp(k, "kubeconfig") == 0)
        return path_value(fc, item, &c->kubeconfig);
    int rc = section(fc, item);
    if (rc <= 0)
        return rc;
    FILE_ERROR(fc, "%s: unknown key", k);
}

int config_from_json(struct mw_config *c, const cJSON *doc, const char *name, char *err,
                     size_t errlen)
{
    struct file_ctx fc = {c, name ? name : "config", err, errlen};
    if (cJSON_IsNull(doc))
        return 0;
    if (!cJSON_IsObject(doc))
        FILE_ERROR(&fc, "the top level must be a mapping");
    const cJSON *item;
    cJSON_ArrayForEach (item, doc) {
        if (top_level_key(&fc, item) != 0)
            return -1;
    }
    if (c->cluster_dir && c->kubeconfig)
        FILE_ERROR(&fc, "clusterDir and kubeconfig exclude each other");
    return 0;
}

int config_load_file(struct mw_config *c, const char *path, char *err, size_t errlen)
{
    cJSON *docs = yaml_parse_file(path, err, errlen);
    if (!docs)
        return -1;
    int rc = 0;
    int n = cJSON_GetArraySize(docs);
    if (n > 1) {
        snprintf(err, errlen, "%s: holds %d documents; the config is one mapping", path, n);
        rc = -1;
    } else if (n == 1) {
        rc = config_from_json(c, cJSON_GetArrayItem(docs, 0), path, err, errlen);
    }
    cJSON_Delete(docs);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* The flags                                                                 */
/* ------------------------------------------------------------------------ */

enum flag_kind { FLAG_STRING, FLAG_SWITCH };

/*
 * The flags of `serve`, one row each: the option table of getopt_long is
 * built from these rows (the name without its "--"), so a new flag is one row
 * here, one field in struct mw_config and one line of config_usage.
 */
struct flag {
    const char *name; /* "--listen" */
    enum flag_kind kind;
    size_t offset; /* of the char * (string) or bool (switch) in struct mw_config */
};

static const struct flag flags[] = {
    {"--config", FLAG_STRING, offsetof(struct mw_config, config_file)},
    {"--listen", FLAG_STRING, offsetof(struct mw_config, listen)},
    {"--metrics-listen", FLAG_STRING, offsetof(struct mw_config, metrics_listen)},
    {"--tls-cert", FLAG_STRING, offsetof(struct mw_config, tls_cert)},
    {"--tls-key", FLAG_STRING, offsetof(struct mw_config, tls_key)},
    {"--client-ca", FLAG_STRING, offsetof(struct mw_config, client_ca)},
    {"--cluster-dir", FLAG_STRING, offsetof(struct mw_config, cluster_dir)},
    {"--kubeconfig", FLAG_STRING, offsetof(struct mw_config, kubeconfig)},
    {"--dev", FLAG_SWITCH, offsetof(struct mw_config, dev)},
};

/* Number of flags in the table. */
#define NFLAGS (sizeof(flags) / sizeof(flags[0]))

/*
 * One getopt_long pass over argv (`--flag value` and `--flag=value`); the
 * option table is built from `flags`, each option's val its index + 256.
 * With `only_config` it records --config alone (first pass), else every flag
 * but --config (second pass, after the file).  seen[i] is set for each flag
 * given.
 */
static int apply_flags(struct mw_config *c, int argc, char **argv, bool only_config, bool *seen,
                       char *err, size_t errlen)
{
    struct option options[NFLAGS + 1];
    for (size_t i = 0; i < NFLAGS; i++)
        options[i] = (struct option){flags[i].name + 2,
                                     flags[i].kind == FLAG_STRING ? required_argument : no_argument,
                                     NULL, (int)i + 256};
    options[NFLAGS] = (struct option){NULL, 0, NULL, 0};
    opterr = 0;
    optind = 0; /* a fresh scan */
    int opt;
    while ((opt = getopt_long(argc, argv, ":", options, NULL)) != -1) {
        if (opt == ':') {
            snprintf(err, errlen, "%s needs a value", argv[optind - 1]);
            return 2;
        }
        if (opt < 256 || opt >= 256 + (int)NFLAGS) {
            snprintf(err, errlen, "unknown option \"%s\" (try --help)", argv[optind - 1]);
            return 2;
        }
        const struct flag *f = &flags[opt - 256];
        seen[opt - 256] = true;
        if (f->kind == FLAG_SWITCH) {
            if (!only_config)
                *(bool *)((char *)c + f->offset) = true;
            continue;
        }
        if (!*optarg) {
            snprintf(err, errlen, "%s needs a non-empty value", f->name);
            return 2;
        }
        bool is_config = strcmp(f->name, "--config") == 0;
        if (is_config != only_config)
            continue;
        if (set_string((char **)((char *)c + f->offset), optarg) != 0) {
            snprintf(err, errlen, "out of memory");
            return 2;
        }
        if (strcmp(f->name, "--listen") == 0)
            c->listen_set = true;
    }
    if (optind < argc) {
        snprintf(err, errlen, "unexpected argument \"%s\" (try --help)", argv[optind]);
        return 2;
    }
    return 0;
}

/* 1 when the flag named `name` was given. */
static bool flag_seen(const bool *seen, const char *name)
{
    for (size_t i = 0; i < NFLAGS; i++)
        if (strcmp(flags[i].name, name) == 0)
            return seen[i];
    return false;
}

int config_from_args(struct mw_config *c, int argc, char **argv, char *err, size_t errlen)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return 1;
    bool seen[NFLAGS];
    memset(seen, 0, sizeof(seen));
    int rc = apply_flags(c, argc, argv, true, seen, err, errlen);
    if (rc != 0)
        return rc;
    if (c->config_file && config_load_file(c, c->config_file, err, errlen) != 0)
        return 2;
    rc = apply_flags(c, argc, argv, false, seen, err, errlen);
    if (rc != 0)
        return rc;
    bool cluster_dir_flag = flag_seen(seen, "--cluster-dir");
    bool kubeconfig_flag = flag_seen(seen, "--kubeconfig");
    if (cluster_dir_flag && kubeconfig_flag) {
        snprintf(err, errlen, "--cluster-dir and --kubeconfig exclude each other");
        return 2;
    }
    /* A flag for one source replaces the file's choice of the other. */
    if (cluster_dir_flag) {
        free(c->kubeconfig);
        c->kubeconfig = NULL;
    } else if (kubeconfig_flag) {
        free(c->cluster_dir);
        c->cluster_dir = NULL;
    }
    if ((c->tls_cert == NULL) != (c->tls_key == NULL)) {
        snprintf(err, errlen, "--tls-cert and --tls-key go together");
        return 2;
    }
    return 0;
}
