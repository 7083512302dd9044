/*
 * tests/unit/test_config.c - the settings of `serve`: defaults, the config
 * file, the flags, their precedence, and the one-line errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include "test_main.h"

#include "server/config.h"
#include "server/limits.h"
#include "server/log.h"

static char data_path[4096];
static char err[512];

static const char *data(const char *name)
{
    const char *dir = getenv("MW_TEST_DATA");
    snprintf(data_path, sizeof(data_path), "%s/server/%s", dir ? dir : "tests/data", name);
    return data_path;
}

/* Applies a JSON text as if it were the config file; returns the rc, err filled. */
static int apply(struct mw_config *c, const char *json)
{
    cJSON *doc = cJSON_Parse(json);
    assert_non_null(doc);
    err[0] = '\0';
    int rc = config_from_json(c, doc, "webhook.yaml", err, sizeof(err));
    cJSON_Delete(doc);
    return rc;
}

/* The cases get a config set to its defaults as their state, freed after them. */
static int init_config(void **state)
{
    static struct mw_config c;
    err[0] = '\0';
    if (config_init(&c) != 0)
        return -1;
    *state = &c;
    return 0;
}

static int free_config(void **state)
{
    config_free(*state);
    return 0;
}

static void defaults_are_the_specified_ones(void **state)
{
    (void)state;
    struct mw_config c;
    assert_int_equal(config_init(&c), 0);
    assert_string_equal(c.listen, MW_HTTP_DEFAULT_LISTEN);
    assert_int_equal(c.max_body_bytes, 8u * 1024 * 1024);
    assert_int_equal(c.settings.migration[RULE_CDROM], MODE_DENY);
    assert_int_equal(c.settings.early[RULE_CDROM], MODE_WARN);
    assert_false(c.settings.default_timeouts);
    assert_null(c.cluster_dir);
    config_free(&c);
}

static void file_sets_every_section(void **state)
{
    struct mw_config *c = *state;
    assert_int_equal(config_load_file(c, data("config-full.yaml"), err, sizeof(err)), 0);
    assert_string_equal(c->listen, "127.0.0.1:9443");
    assert_string_equal(c->tls_cert, "/etc/webhook/tls.crt");
    assert_string_equal(c->cluster_dir, "/var/lib/cluster");
    assert_int_equal(c->settings.migration[RULE_CDROM], MODE_WARN);
    assert_int_equal(c->settings.migration[RULE_CONTAINER_DISK], MODE_OFF);
    assert_int_equal(c->settings.migration[RULE_HOST_DEVICE], MODE_DENY);
    assert_int_equal(c->settings.early[RULE_CLUSTER_CPU_MODEL], MODE_WARN);
    assert_int_equal(c->settings.early[RULE_GPU], MODE_DENY);
    assert_int_equal(c->settings.migration[RULE_GPU], MODE_DENY);
    assert_true(c->settings.default_timeouts);
    assert_int_equal(c->max_body_bytes, 1048576);
    assert_int_equal(c->review_timeout_margin_ms, 2000);
    assert_int_equal(c->drain_seconds, 5);
}

static void flags_override_the_file(void **state)
{
    struct mw_config *c = *state;
    char *argv[] = {"serve",
                    "--listen",
                    "0.0.0.0:10443",
                    "--config",
                    (char *)data("config-full.yaml"),
                    "--cluster-dir=/tmp/other",
                    "--tls-cert",
                    "/a.crt",
                    "--tls-key",
                    "/a.key"};
    assert_int_equal(config_from_args(c, 10, argv, err, sizeof(err)), 0);
    assert_string_equal(c->listen, "0.0.0.0:10443");   /* flag beats file */
    assert_string_equal(c->cluster_dir, "/tmp/other"); /* flag beats file */
    assert_string_equal(c->tls_cert, "/a.crt");
    assert_int_equal(c->settings.migration[RULE_CDROM], MODE_WARN); /* file beats default */
    assert_int_equal(c->drain_seconds, 5);
}

static void kubeconfig_flag_replaces_the_files_cluster_dir(void **state)
{
    struct mw_config *c = *state;
    char *argv[] = {"serve", "--config", (char *)data("config-full.yaml"), "--kubeconfig", "/kc"};
    assert_int_equal(config_from_args(c, 5, argv, err, sizeof(err)), 0);
    assert_null(c->cluster_dir);
    assert_string_equal(c->kubeconfig, "/kc");
}

static void system_migrations_set_their_own_modes(void **state)
{
    struct mw_config *c = *state;
    for (int i = 0; i < RULE_COUNT; i++)
        assert_false(c->settings.system_migration_set[i]);
    assert_int_equal(config_load_file(c, data("config-system-migrations.yaml"), err, sizeof(err)),
                     0);
    assert_true(c->settings.system_migration_set[RULE_CDROM]);
    assert_int_equal(c->settings.system_migration[RULE_CDROM], MODE_DENY);
    assert_true(c->settings.system_migration_set[RULE_NOT_MIGRATABLE]);
    assert_int_equal(c->settings.system_migration[RULE_NOT_MIGRATABLE], MODE_WARN);
    assert_false(c->settings.system_migration_set[RULE_CONTAINER_DISK]);
    /* The user-started modes are untouched. */
    assert_int_equal(c->settings.migration[RULE_CDROM], MODE_DENY);
    assert_int_equal(c->settings.migration[RULE_NOT_MIGRATABLE], MODE_DENY);
    assert_int_equal(c->settings.migration[RULE_GPU], MODE_WARN);
}

static void file_errors_name_the_file_and_key(void **state)
{
    (void)state;
    struct {
        const char *json, *err;
    } cases[] = {
        {"{\"listn\":\"x\"}", "webhook.yaml: listn: unknown key"},
        {"{\"rules\":{\"cdrom\":\"block\"}}",
         "webhook.yaml: rules.cdrom: mode must be deny, warn or off"},
        {"{\"rules\":{\"floppy\":\"deny\"}}", "webhook.yaml: rules.floppy: unknown rule"},
        {"{\"rules\":{\"cdrom\":true}}",
         "webhook.yaml: rules.cdrom: mode must be deny, warn or off"},
        {"{\"rules\":[\"cdrom\"]}",
         "webhook.yaml: rules: must be a mapping of rule id to deny|warn|off"},
        {"{\"earlyWarnings\":{\"gpu\":\"loud\"}}",
         "webhook.yaml: earlyWarnings.gpu: mode must be deny, warn or off"},
        {"{\"systemMigrations\":{\"cdrom\":\"allow\"}}",
         "webhook.yaml: systemMigrations.cdrom: mode must be deny, warn or off"},
        {"{\"systemMigrations\":{\"cdrom\":null}}",
         "webhook.yaml: systemMigrations.cdrom: mode must be deny, warn or off"},
        {"{\"systemMigrations\":{\"floppy\":\"warn\"}}",
         "webhook.yaml: systemMigrations.floppy: unknown rule"},
        {"{\"systemMigrations\":{\"vmim-no-vmi\":\"warn\"}}",
         "webhook.yaml: systemMigrations.vmim-no-vmi: unknown rule"},
        {"{\"systemMigrations\":{\"migration-timeouts\":\"warn\"}}",
         "webhook.yaml: systemMigrations.migration-timeouts: not a migration rule"},
        {"{\"systemMigrations\":\"warn\"}",
         "webhook.yaml: systemMigrations: must be a mapping of rule id to deny|warn|off"},
        {"{\"kubevirt\":{\"defaultTimeouts\":\"yes\"}}",
         "webhook.yaml: kubevirt.defaultTimeouts: must be true or false"},
        {"{\"kubevirt\":{\"other\":1}}", "webhook.yaml: kubevirt.other: unknown key"},
        {"{\"limits\":{\"maxBodyBytes\":\"8Mi\"}}",
         "webhook.yaml: limits.maxBodyBytes: must be an integer"},
        {"{\"limits\":{\"maxBodyBytes\":99999999999}}",
         "webhook.yaml: limits.maxBodyBytes: must be between 1024 and 8388608, got 99999999999"},
        {"{\"timeouts\":{\"drainSeconds\":1.5}}",
         "webhook.yaml: timeouts.drainSeconds: must be an integer"},
        {"{\"timeouts\":{\"grace\":1}}", "webhook.yaml: timeouts.grace: unknown key"},
        {"{\"listen\":8443}", "webhook.yaml: listen: must be a non-empty string"},
        {"[1]", "webhook.yaml: the top level must be a mapping"},
        {"{\"clusterDir\":\"/a\",\"kubeconfig\":\"/b\"}",
         "webhook.yaml: clusterDir and kubeconfig exclude each other"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct mw_config c;
        config_init(&c);
        assert_int_equal(apply(&c, cases[i].json), -1);
        assert_string_equal(err, cases[i].err);
        config_free(&c);
    }
}

static void flag_errors_are_one_line_and_exit_2(void **state)
{
    (void)state;
    struct {
        int argc;
        char *argv[4];
        const char *err;
    } cases[] = {
        {2, {"serve", "--port"}, "unknown option \"--port\" (try --help)"},
        {2, {"serve", "--listen"}, "--listen needs a value"},
        {2, {"serve", "--listen="}, "--listen needs a non-empty value"},
        {3, {"serve", "--dev", "stray"}, "unexpected argument \"stray\" (try --help)"},
        {2, {"serve", "--dev=yes"}, "unknown option \"--dev=yes\" (try --help)"},
        {3, {"serve", "--tls-cert", "/a"}, "--tls-cert and --tls-key go together"},
        {3, {"serve", "--config", "/nonexistent/webhook.yaml"}, NULL},
        {4,
         {"serve", "--cluster-dir", "/a", "--kubeconfig=/b"},
         "--cluster-dir and --kubeconfig exclude each other"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct mw_config c;
        err[0] = '\0';
        config_init(&c);
        assert_int_equal(config_from_args(&c, cases[i].argc, cases[i].argv, err, sizeof(err)), 2);
        if (cases[i].err)
            assert_string_equal(err, cases[i].err);
        else
            assert_non_null(strstr(err, "/nonexistent/webhook.yaml"));
        assert_null(strchr(err, '\n'));
        config_free(&c);
    }
}

static void help_is_reported(void **state)
{
    struct mw_config *c = *state;
    char *argv[] = {"serve", "--bogus", "--help"};
    assert_int_equal(config_from_args(c, 3, argv, err, sizeof(err)), 1);
}

/* The settings of the hardening keys: the plain listener, log level, deadlines, caps, budget. */
static void hardening_keys(void **state)
{
    struct mw_config *c = *state;
    assert_null(c->metrics_listen);
    assert_int_equal(c->log_level, LOG_INFO);
    assert_int_equal(c->shutdown_seconds, MW_SHUTDOWN_DEFAULT_SECONDS);
    assert_int_equal(c->headers_seconds, MW_HTTP_HEADERS_DEADLINE_S);
    assert_int_equal(c->body_seconds, MW_HTTP_BODY_DEADLINE_S);
    assert_int_equal(c->max_per_source, MW_HTTP_MAX_PER_SOURCE);
    assert_int_equal(apply(c, "{\"metricsListen\":\"127.0.0.1:8080\",\"logLevel\":\"debug\","
                              "\"limits\":{\"maxConnectionsPerSource\":7},"
                              "\"timeouts\":{\"shutdownSeconds\":55,\"headersSeconds\":3,"
                              "\"bodySeconds\":4}}"),
                     0);
    assert_string_equal(c->metrics_listen, "127.0.0.1:8080");
    assert_int_equal(c->log_level, LOG_DEBUG);
    assert_int_equal(c->max_per_source, 7);
    assert_int_equal(c->shutdown_seconds, 55);
    assert_int_equal(c->headers_seconds, 3);
    assert_int_equal(c->body_seconds, 4);
    assert_int_equal(apply(c, "{\"logLevel\":\"loud\"}"), -1);
    assert_non_null(strstr(err, "webhook.yaml: logLevel"));
    assert_int_equal(apply(c, "{\"timeouts\":{\"headersSeconds\":0}}"), -1);
    assert_non_null(strstr(err, "timeouts.headersSeconds"));
    assert_int_equal(apply(c, "{\"limits\":{\"maxConnectionsPerSource\":0}}"), -1);
    assert_non_null(strstr(err, "limits.maxConnectionsPerSource"));
    config_free(c);

    char *argv[] = {"serve", "--metrics-listen", "[::1]:9090", NULL};
    config_init(c);
    assert_int_equal(config_from_args(c, 3, argv, err, sizeof(err)), 0);
    assert_string_equal(c->metrics_listen, "[::1]:9090");
}

TEST_MAIN(cmocka_unit_test(defaults_are_the_specified_ones),
          cmocka_unit_test_setup_teardown(file_sets_every_section, init_config, free_config),
          cmocka_unit_test_setup_teardown(flags_override_the_file, init_config, free_config),
          cmocka_unit_test_setup_teardown(kubeconfig_flag_replaces_the_files_cluster_dir,
                                          init_config, free_config),
          cmocka_unit_test_setup_teardown(system_migrations_set_their_own_modes, init_config,
                                          free_config),
          cmocka_unit_test(file_errors_name_the_file_and_key),
          cmocka_unit_test(flag_errors_are_one_line_and_exit_2),
          cmocka_unit_test_setup_teardown(help_is_reported, init_config, free_config),
          cmocka_unit_test_setup_teardown(hardening_keys, init_config, free_config))
