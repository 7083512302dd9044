/* Unit tests for cluster/kubeconfig.c: kubeconfig files and the in-cluster service account. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "test_main.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cluster/exec_credential.h"
#include "cluster/kubeconfig.h"

/* Two clusters, two users, two contexts; "prod" is current. */
static const char KUBECONFIG[] =
    "{\"apiVersion\":\"v1\",\"kind\":\"Config\",\"current-context\":\"prod\","
    "\"clusters\":["
    " {\"name\":\"prod-cluster\",\"cluster\":{\"server\":\"https://10.0.0.1:6443/\","
    "   \"certificate-authority-data\":\"LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==\"}},"
    " {\"name\":\"lab-cluster\",\"cluster\":{\"server\":\"https://lab.example:443\","
    "   \"certificate-authority\":\"certs/ca.crt\",\"insecure-skip-tls-verify\":true}}],"
    "\"users\":["
    " {\"name\":\"admin\",\"user\":{\"token\":\"abc123\",\"client-certificate-data\":\"Y2VydA==\","
    "   \"client-key-data\":\"a2V5\"}},"
    " {\"name\":\"robot\",\"user\":{\"tokenFile\":\"tokens/robot\",\"client-certificate\":\"/abs/"
    "cert.pem\","
    "   \"client-key\":\"key.pem\"}}],"
    "\"contexts\":["
    " {\"name\":\"prod\",\"context\":{\"cluster\":\"prod-cluster\",\"user\":\"admin\","
    "\"namespace\":\"vms\"}},"
    " {\"name\":\"lab\",\"context\":{\"cluster\":\"lab-cluster\",\"user\":\"robot\"}},"
    " {\"name\":\"broken\",\"context\":{\"cluster\":\"nowhere\",\"user\":\"admin\"}}]}";

/* The error text of the last call. */
static char err[512];

/* kubeconfig_from_json() on the JSON text `json`, read from the directory `dir`. */
static int from_text(const char *json, const char *dir, const char *context, struct kube_config *c)
{
    cJSON *doc = cJSON_Parse(json);
    err[0] = '\0';
    int rc = kubeconfig_from_json(doc, dir, context, c, err, sizeof(err));
    cJSON_Delete(doc);
    return rc;
}

static void current_context_with_inline_data(void **state)
{
    (void)state;
    struct kube_config c;
    assert_int_equal(from_text(KUBECONFIG, "/etc/kube", NULL, &c), 0);
    assert_string_equal(c.server, "https://10.0.0.1:6443");
    assert_int_equal(c.ca_data_len, 28);
    assert_memory_equal(c.ca_data, "-----BEGIN CERTIFICATE-----\n", 28);
    assert_null(c.ca_file);
    assert_string_equal(c.token, "abc123");
    assert_null(c.token_file);
    assert_int_equal(c.cert_data_len, 4);
    assert_string_equal(c.cert_data, "cert");
    assert_string_equal(c.key_data, "key");
    assert_string_equal(c.namespace, "vms");
    assert_int_equal(c.insecure, 0);
    assert_string_equal(c.warning, "");
    kube_config_free(&c);
}

static void named_context_with_files_and_insecure(void **state)
{
    (void)state;
    struct kube_config c;
    assert_int_equal(from_text(KUBECONFIG, "/etc/kube", "lab", &c), 0);
    assert_string_equal(c.server, "https://lab.example:443");
    assert_string_equal(c.ca_file, "/etc/kube/certs/ca.crt");
    assert_null(c.ca_data);
    assert_string_equal(c.token_file, "/etc/kube/tokens/robot");
    assert_string_equal(c.cert_file, "/abs/cert.pem");
    assert_string_equal(c.key_file, "/etc/kube/key.pem");
    assert_string_equal(c.namespace, "default");
    assert_int_equal(c.insecure, 1);
    assert_string_equal(
        c.warning, "kubeconfig: insecure-skip-tls-verify is set: the API server's certificate is "
                   "not verified");
    kube_config_free(&c);
}

static void bad_contexts_are_errors(void **state)
{
    (void)state;
    struct kube_config c;
    assert_int_equal(from_text(KUBECONFIG, "/", "staging", &c), -1);
    assert_string_equal(err, "kubeconfig: context \"staging\" not found");
    assert_int_equal(from_text(KUBECONFIG, "/", "broken", &c), -1);
    assert_string_equal(err, "kubeconfig: cluster \"nowhere\" of context \"broken\" not found");

    assert_int_equal(from_text("{\"clusters\":[],\"contexts\":[]}", "/", NULL, &c), -1);
    assert_string_equal(err, "kubeconfig: no current-context");

    assert_int_equal(
        from_text("{\"current-context\":\"x\",\"contexts\":[{\"name\":\"x\",\"context\":{"
                  "\"cluster\":\"c\"}}],"
                  "\"clusters\":[{\"name\":\"c\",\"cluster\":{\"server\":\"https://h\","
                  "\"certificate-authority-data\":\"not base64!\"}}]}",
                  "/", NULL, &c),
        -1);
    assert_string_equal(err, "kubeconfig: certificate-authority-data is not valid base64");

    /* wrong types never crash */
    const char *wrong = "{\"current-context\":7,\"contexts\":{\"name\":\"x\"},\"clusters\":\"no\"}";
    assert_int_equal(from_text(wrong, "/", NULL, &c), -1);
    assert_int_equal(from_text(wrong, "/", "x", &c), -1);
    assert_int_equal(kubeconfig_from_json(NULL, "/", NULL, &c, err, sizeof(err)), -1);
}

/* A kubeconfig whose cluster has certificate-authority-data `b64`: 0 and the bytes in c, or -1. */
static int load_ca_data(const char *b64, struct kube_config *c)
{
    cJSON *doc =
        cJSON_Parse("{\"current-context\":\"x\",\"contexts\":[{\"name\":\"x\",\"context\":{"
                    "\"cluster\":\"c\"}}],"
                    "\"clusters\":[{\"name\":\"c\",\"cluster\":{\"server\":\"https://h\"}}]}");
    cJSON *cluster =
        cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "clusters"), 0), "cluster");
    cJSON_AddStringToObject(cluster, "certificate-authority-data", b64);
    int rc = kubeconfig_from_json(doc, "/", NULL, c, err, sizeof(err));
    cJSON_Delete(doc);
    return rc;
}

static void base64_data_may_be_wrapped_but_must_be_whole(void **state)
{
    (void)state;
    struct kube_config c;
    /* Wrapped the way `base64` and YAML block scalars wrap it. */
    assert_int_equal(load_ca_data("LS0tLS1CRUdJTiBD\r\nRVJUSUZJ Q0FURS0t\tLS0tCg==\n", &c), 0);
    assert_int_equal(c.ca_data_len, 28);
    assert_memory_equal(c.ca_data, "-----BEGIN CERTIFICATE-----\n", 28);
    kube_config_free(&c);
    /* One and two padding characters, and none. */
    const char *const good[] = {"QQ==", "QUI=", "QUJD"};
    const char *const want[] = {"A", "AB", "ABC"};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(load_ca_data(good[i], &c), 0);
        assert_int_equal(c.ca_data_len, strlen(want[i]));
        assert_string_equal(c.ca_data, want[i]);
        kube_config_free(&c);
    }
    /* Missing padding, padding inside, a character outside the alphabet, nothing at all. */
    const char *const bad[] = {"QUI", "QQ==QUJD", "QU=I", "QUJ-", "QUJD_w==", " \n "};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(load_ca_data(bad[i], &c), -1);
        assert_string_equal(err, "kubeconfig: certificate-authority-data is not valid base64");
    }
}

static void write_at(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void file_paths_are_relative_to_the_kubeconfig(void **state)
{
    (void)state;
    char dir[] = "/tmp/mw-kubeconfig-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof(path), "%s/config", dir);
    write_at(path, KUBECONFIG);
    /* switch the current context to "lab" by loading a variant */
    cJSON *doc = cJSON_Parse(KUBECONFIG);
    cJSON_ReplaceItemInObject(doc, "current-context", cJSON_CreateString("lab"));
    char *text = cJSON_Print(doc);
    write_at(path, text);
    free(text);
    cJSON_Delete(doc);

    struct kube_config c;
    char want[300];
    assert_int_equal(kubeconfig_load(path, &c, err, sizeof(err)), 0);
    snprintf(want, sizeof(want), "%s/certs/ca.crt", dir);
    assert_string_equal(c.ca_file, want);
    snprintf(want, sizeof(want), "%s/tokens/robot", dir);
    assert_string_equal(c.token_file, want);
    kube_config_free(&c);

    snprintf(want, sizeof(want), "%s/missing", dir);
    assert_int_equal(kubeconfig_load(want, &c, err, sizeof(err)), -1);
    unlink(path);
    rmdir(dir);
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    write_at(path, text);
}

static void in_cluster_ipv4_and_ipv6(void **state)
{
    (void)state;
    char dir[] = "/tmp/mw-serviceaccount-XXXXXX";
    assert_non_null(mkdtemp(dir));
    write_file(dir, "token", "sa-token\n");
    write_file(dir, "ca.crt", "-----BEGIN CERTIFICATE-----\n");
    write_file(dir, "namespace", "harvester-system\n");
    setenv("MW_SERVICEACCOUNT_DIR", dir, 1);
    setenv("KUBERNETES_SERVICE_HOST", "10.43.0.1", 1);
    setenv("KUBERNETES_SERVICE_PORT", "443", 1);

    struct kube_config c;
    char want[300];
    assert_int_equal(kubeconfig_in_cluster(&c, err, sizeof(err)), 0);
    assert_string_equal(c.server, "https://10.43.0.1:443");
    snprintf(want, sizeof(want), "%s/token", dir);
    assert_string_equal(c.token_file, want);
    snprintf(want, sizeof(want), "%s/ca.crt", dir);
    assert_string_equal(c.ca_file, want);
    assert_string_equal(c.namespace, "harvester-system");
    assert_null(c.token);
    kube_config_free(&c);

    setenv("KUBERNETES_SERVICE_HOST", "fd00:10:43::1", 1);
    setenv("KUBERNETES_SERVICE_PORT", "6443", 1);
    assert_int_equal(kubeconfig_in_cluster(&c, err, sizeof(err)), 0);
    assert_string_equal(c.server, "https://[fd00:10:43::1]:6443");
    kube_config_free(&c);

    unsetenv("KUBERNETES_SERVICE_HOST");
    assert_int_equal(kubeconfig_in_cluster(&c, err, sizeof(err)), -1);
    assert_string_equal(err, "not running in a cluster: KUBERNETES_SERVICE_HOST/PORT are not set "
                             "(use --kubeconfig or --cluster-dir)");
    char path[300];
    const char *names[] = {"token", "ca.crt", "namespace"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
    unsetenv("MW_SERVICEACCOUNT_DIR");
}

/* A user's exec plugin: command (relative to the kubeconfig's directory when it has a '/'), args,
 * env. */
static void exec_plugin_is_read_and_copied(void **state)
{
    (void)state;
    cJSON *doc = cJSON_Parse(
        "{\"current-context\":\"c\",\"clusters\":[{\"name\":\"k\",\"cluster\":{\"server\":"
        "\"https://h:6443\"}}],\"users\":[{\"name\":\"sso\",\"user\":{\"exec\":{\"apiVersion\":"
        "\"client.authentication.k8s.io/v1\",\"command\":\"bin/login\",\"args\":[\"token\",\"-q\"],"
        "\"env\":[{\"name\":\"REGION\",\"value\":\"eu\"}],\"installHint\":\"get it\"}}}],"
        "\"contexts\":[{\"name\":\"c\",\"context\":{\"cluster\":\"k\",\"user\":\"sso\"}}]}");
    struct kube_config c, copy;
    assert_int_equal(kubeconfig_from_json(doc, "/home/u/.kube", NULL, &c, err, sizeof(err)), 0);
    assert_string_equal(c.exec.command, "/home/u/.kube/bin/login");
    assert_int_equal(c.exec.nargs, 2);
    assert_string_equal(c.exec.args[1], "-q");
    assert_int_equal(c.exec.nenv, 1);
    assert_string_equal(c.exec.env[0], "REGION=eu");
    assert_string_equal(c.exec.user, "sso");
    assert_string_equal(c.exec.install_hint, "get it");
    assert_string_equal(c.context, "c");
    assert_null(c.token);
    assert_int_equal(kube_config_copy(&copy, &c), 0);
    kube_config_free(&c);
    assert_string_equal(copy.exec.args[0], "token");
    assert_string_equal(copy.exec.env[0], "REGION=eu");
    assert_string_equal(copy.server, "https://h:6443");
    kube_config_free(&copy);

    /* a bare command name is looked up in PATH, as given */
    cJSON *exec = cJSON_GetObjectItem(
        cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "users"), 0), "user"),
        "exec");
    cJSON_ReplaceItemInObject(exec, "command", cJSON_CreateString("kubelogin"));
    assert_int_equal(kubeconfig_from_json(doc, "/home/u/.kube", NULL, &c, err, sizeof(err)), 0);
    assert_string_equal(c.exec.command, "kubelogin");
    kube_config_free(&c);

    /* an apiVersion we do not speak is an error naming the user */
    cJSON_ReplaceItemInObject(exec, "apiVersion",
                              cJSON_CreateString("client.authentication.k8s.io/v1alpha1"));
    assert_int_equal(kubeconfig_from_json(doc, "/", NULL, &c, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "user \"sso\""));
    assert_non_null(strstr(err, "v1alpha1"));
    cJSON_Delete(doc);
}

static void expiration_timestamps(void **state)
{
    (void)state;
    assert_int_equal(exec_credential_parse_time("1970-01-01T00:01:00Z"), 60);
    assert_int_equal(exec_credential_parse_time("2026-12-07T15:04:05Z"), 1796655845);
    assert_int_equal(exec_credential_parse_time("2026-12-07T15:04:05.123456Z"), 1796655845);
    assert_int_equal(exec_credential_parse_time("2026-12-07T16:04:05+01:00"), 1796655845);
    assert_int_equal(exec_credential_parse_time("2026-12-07 15:04:05"), -1);
    assert_int_equal(exec_credential_parse_time("2026-12-07T15:04:05Zjunk"), -1);
    assert_int_equal(exec_credential_parse_time("tomorrow"), -1);
    assert_int_equal(exec_credential_parse_time(NULL), -1);
}

static char search_dir[] = "/tmp/mw-kubeconfig-XXXXXX";

/* kubectl's search order: --kubeconfig, $KUBECONFIG (merged, first wins), ~/.kube/config. */
static void search_order_and_merge(void **state)
{
    (void)state;
    assert_non_null(mkdtemp(search_dir));
    char a[256], b[256], home[256], kube[256], cfg[256], list[1024];
    snprintf(a, sizeof(a), "%s/a.yaml", search_dir);
    snprintf(b, sizeof(b), "%s/b.yaml", search_dir);
    snprintf(home, sizeof(home), "%s/home", search_dir);
    snprintf(kube, sizeof(kube), "%s/home/.kube", search_dir);
    snprintf(cfg, sizeof(cfg), "%s/home/.kube/config", search_dir);
    assert_int_equal(mkdir(home, 0700), 0);
    assert_int_equal(mkdir(kube, 0700), 0);
    write_at(a, "current-context: one\n"
                "contexts:\n- name: one\n  context: {cluster: k, user: u, namespace: ns-a}\n");
    write_at(b,
             "current-context: two\n"
             "clusters:\n- name: k\n  cluster: {server: 'https://b:1', certificate-authority: ca}\n"
             "users:\n- name: u\n  user: {tokenFile: tok}\n"
             "contexts:\n- name: one\n  context: {cluster: k, user: u, namespace: ns-b}\n"
             "- name: two\n  context: {cluster: k, user: u}\n");
    write_at(cfg,
             "current-context: h\nclusters:\n- name: k\n  cluster: {server: 'https://home:1'}\n"
             "contexts:\n- name: h\n  context: {cluster: k}\n");
    setenv("HOME", home, 1);
    snprintf(list, sizeof(list), "%s:%s/missing.yaml:%s", a, search_dir, b);
    setenv("KUBECONFIG", list, 1);
    struct kube_config c;
    char source[512];
    assert_int_equal(kubeconfig_resolve(NULL, NULL, &c, source, sizeof(source), err, sizeof(err)),
                     0);
    assert_string_equal(c.context, "one");        /* a.yaml's current-context */
    assert_string_equal(c.namespace, "ns-a");     /* a.yaml's context "one", not b.yaml's */
    assert_string_equal(c.server, "https://b:1"); /* the cluster only b.yaml names */
    char want[512];
    snprintf(want, sizeof(want), "%s/ca", search_dir); /* relative to b.yaml */
    assert_string_equal(c.ca_file, want);
    snprintf(want, sizeof(want), "%s/tok", search_dir);
    assert_string_equal(c.token_file, want);
    kube_config_free(&c);
    assert_int_equal(kubeconfig_resolve(NULL, "two", &c, source, sizeof(source), err, sizeof(err)),
                     0);
    assert_string_equal(c.namespace, "default");
    kube_config_free(&c);

    /* --kubeconfig wins over $KUBECONFIG; without either, ~/.kube/config */
    assert_int_equal(kubeconfig_resolve(cfg, NULL, &c, source, sizeof(source), err, sizeof(err)),
                     0);
    assert_string_equal(c.server, "https://home:1");
    kube_config_free(&c);
    unsetenv("KUBECONFIG");
    assert_int_equal(kubeconfig_resolve(NULL, NULL, &c, source, sizeof(source), err, sizeof(err)),
                     0);
    assert_string_equal(c.server, "https://home:1");
    assert_non_null(strstr(source, cfg));
    kube_config_free(&c);
    assert_int_equal(kubeconfig_resolve(NULL, "nope", &c, source, sizeof(source), err, sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "context \"nope\" not found"));

    /* nothing at all (and not in a cluster): one line saying where it looked */
    unlink(cfg);
    unsetenv("KUBERNETES_SERVICE_HOST");
    assert_int_equal(kubeconfig_resolve(NULL, NULL, &c, source, sizeof(source), err, sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "~/.kube/config"));
    assert_null(strchr(err, '\n'));
    unlink(a);
    unlink(b);
    rmdir(kube);
    rmdir(home);
    rmdir(search_dir);
}

TEST_MAIN(cmocka_unit_test(current_context_with_inline_data),
          cmocka_unit_test(named_context_with_files_and_insecure),
          cmocka_unit_test(bad_contexts_are_errors),
          cmocka_unit_test(base64_data_may_be_wrapped_but_must_be_whole),
          cmocka_unit_test(file_paths_are_relative_to_the_kubeconfig),
          cmocka_unit_test(in_cluster_ipv4_and_ipv6),
          cmocka_unit_test(exec_plugin_is_read_and_copied), cmocka_unit_test(expiration_timestamps),
          cmocka_unit_test(search_order_and_merge))
