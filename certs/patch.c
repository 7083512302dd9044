/*
 * certs/patch.c - `migration-webhook certs patch`: the serving certificate of
 * an installation, set up inside the cluster (the Helm chart's certgen Jobs).
 *
 * Step 1 (always): GET the Secret NS/S.  When it exists its ca.crt is read and
 * nothing else changes (never rotated under the API server); when it does not,
 * a CA and a serving certificate for --host are made (certs_generate) and
 * POSTed as a kubernetes.io/tls Secret with ca.crt, tls.crt and tls.key.  A
 * 409 (another run made it meanwhile) reads that one instead.
 *
 * Step 2 (with --webhook-name W): for the ValidatingWebhookConfiguration W
 * and then the MutatingWebhookConfiguration W: GET it, set
 * webhooks[*].clientConfig.caBundle to the base64 of the CA PEM, PUT it back
 * (the `update` verb; the resourceVersion read makes a concurrent change a
 * 409, after which the round is repeated).  A configuration that does not
 * exist is reported in one line, exit 1.
 *
 * The API server comes from --kubeconfig, else the pod's service account.
 */
#include "certs/patch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certs/args.h"
#include "certs/certs.h"
#include "certs/limits.h"
#include "cluster/kubeclient.h"
#include "cluster/kubeconfig.h"
#include "kube/base64.h"

#define WEBHOOK_API "/apis/admissionregistration.k8s.io/v1"

struct patch_args {
    const char *namespace, *secret_name, *webhook_name, *host, *days, *kubeconfig;
    int ndays;
};

/* ---- arguments ---- */

static int usage_error(const char *what, const char *arg)
{
    fprintf(stderr, "certs patch: ");
    fprintf(stderr, what, arg);
    fputc('\n', stderr);
    return 2;
}

/* A Kubernetes object name (DNS subdomain): lower-case letters, digits, '-' and '.', 1 to 253. */
static int is_object_name(const char *s)
{
    size_t n = strlen(s);
    return n > 0 && n <= 253 && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-.") == n;
}

/* 0 parsed, 1 --help printed, 2 usage error printed. */
static int parse_patch_args(int argc, char **argv, struct patch_args *a)
{
    memset(a, 0, sizeof(*a));
    a->ndays = MW_CERT_DEFAULT_DAYS;
    const struct certs_option options[] = {
        {"namespace", 'n', &a->namespace},
        {"secret-name", 's', &a->secret_name},
        {"webhook-name", 'w', &a->webhook_name},
        {"host", 'H', &a->host},
        {"days", 'd', &a->days},
        {"kubeconfig", 'k', &a->kubeconfig},
    };
    int parsed = certs_parse_options(argc, argv, "patch", ":n:h", options,
                                     sizeof(options) / sizeof(options[0]), true);
    if (parsed)
        return parsed;
    if (!a->namespace || !a->secret_name || !a->host)
        return usage_error("%s", "--namespace, --secret-name and --host are required (try --help)");
    const char *const names[] = {a->namespace, a->secret_name, a->webhook_name};
    for (int i = 0; i < 3; i++)
        if (names[i] && !is_object_name(names[i]))
            return usage_error("\"%s\" is not a valid object name", names[i]);
    if (a->days && certs_parse_days(a->days, &a->ndays) != 0) {
        fprintf(stderr, "certs patch: --days must be a whole number from 1 to %d\n",
                MW_CERT_MAX_DAYS);
        return 2;
    }
    return 0;
}

/* ---- the Secret ---- */

static cJSON *tls_secret(const struct patch_args *a, const struct certs_bundle *b)
{
    cJSON *s = cJSON_CreateObject();
    cJSON *meta = cJSON_AddObjectToObject(s, "metadata");
    cJSON *labels = cJSON_AddObjectToObject(meta, "labels");
    cJSON *data = cJSON_AddObjectToObject(s, "data");
    const char *const keys[] = {"ca.crt", "tls.crt", "tls.key"};
    const char *const pems[] = {b->ca_cert_pem, b->cert_pem, b->key_pem};
    int ok = s && meta && labels && data && cJSON_AddStringToObject(s, "apiVersion", "v1") &&
             cJSON_AddStringToObject(s, "kind", "Secret") &&
             cJSON_AddStringToObject(s, "type", "kubernetes.io/tls") &&
             cJSON_AddStringToObject(meta, "name", a->secret_name) &&
             cJSON_AddStringToObject(meta, "namespace", a->namespace) &&
             cJSON_AddStringToObject(labels, "app.kubernetes.io/managed-by", "migration-webhook");
    for (int i = 0; ok && i < 3; i++) {
        char *b64 = base64_encode(pems[i], strlen(pems[i]));
        ok = b64 && cJSON_AddStringToObject(data, keys[i], b64);
        free(b64);
    }
    if (!ok) {
        cJSON_Delete(s);
        return NULL;
    }
    return s;
}

/* The CA PEM of an existing Secret (caller frees), or NULL with err. */
static char *ca_of_secret(const struct patch_args *a, const cJSON *secret, char *err, size_t errlen)
{
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(secret, "data");
    const char *b64 = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(data, "ca.crt"));
    char *pem = b64 ? base64_decode(b64, NULL) : NULL;
    if (!pem || !strstr(pem, "-----BEGIN CERTIFICATE-----")) {
        snprintf(err, errlen, "Secret %s/%s exists but has no CA certificate in data[\"ca.crt\"]",
                 a->namespace, a->secret_name);
        free(pem);
        return NULL;
    }
    return pem;
}

/* Makes a CA and a serving certificate and POSTs them as the Secret.  0, or -1 with err; *code =
 * HTTP code. */
static int create_secret(struct kube_client *kc, const struct patch_args *a, char **ca_pem,
                         long *code, char *err, size_t errlen)
{
    char *list = strdup(a->host);
    const char *hosts[MW_CERT_MAX_HOSTS];
    int n = list ? certs_split_hosts(list, hosts, MW_CERT_MAX_HOSTS) : -1;
    struct certs_bundle b = {0};
    *code = 0;
    if (n <= 0) {
        snprintf(err, errlen, "--host must be 1 to %d comma-separated names", MW_CERT_MAX_HOSTS);
        free(list);
        return -1;
    }
    int rc = certs_generate(hosts, (size_t)n, a->ndays, &b, err, errlen);
    free(list);
    if (rc != 0)
        return -1;
    cJSON *secret = tls_secret(a, &b);
    char path[1024];
    snprintf(path, sizeof(path), "/api/v1/namespaces/%s/secrets", a->namespace);
    cJSON *answer = NULL;
    rc = -1;
    if (!secret)
        snprintf(err, errlen, "out of memory");
    else if (kube_request_json(kc, "POST", path, NULL, secret, 0, &answer, code, err, errlen) ==
                 KUBE_OK &&
             (*ca_pem = strdup(b.ca_cert_pem)))
        rc = 0;
    cJSON_Delete(answer);
    cJSON_Delete(secret);
    certs_bundle_free(&b);
    return rc;
}

/* Reads (or creates) the Secret and returns its CA PEM (caller frees), or NULL with err. */
static char *ensure_secret(struct kube_client *kc, const struct patch_args *a, char *err,
                           size_t errlen)
{
    char path[1024];
    snprintf(path, sizeof(path), "/api/v1/namespaces/%s/secrets/%s", a->namespace, a->secret_name);
    for (int round = 0; round < 2; round++) {
        cJSON *secret = NULL;
        enum kube_result r = kube_get_json(kc, path, 0, &secret, NULL, err, errlen);
        if (r == KUBE_OK) {
            char *pem = ca_of_secret(a, secret, err, errlen);
            cJSON_Delete(secret);
            if (pem)
                printf("kept Secret %s/%s (its CA stays)\n", a->namespace, a->secret_name);
            return pem;
        }
        if (r != KUBE_NOT_FOUND)
            return NULL;
        char *pem = NULL;
        long code = 0;
        if (create_secret(kc, a, &pem, &code, err, errlen) == 0) {
            printf("created Secret %s/%s (kubernetes.io/tls, for %s, valid %d days)\n",
                   a->namespace, a->secret_name, a->host, a->ndays);
            return pem;
        }
        if (code != 409)
            return NULL; /* otherwise another run made it meanwhile: read that one */
    }
    return NULL;
}

/* ---- the webhook configurations ---- */

/* Sets caBundle on every webhook of `config`.  Returns how many, or -1 when the object is
 * malformed. */
static int set_ca_bundles(cJSON *config, const char *ca_b64)
{
    cJSON *hooks = cJSON_GetObjectItemCaseSensitive(config, "webhooks");
    if (!cJSON_IsArray(hooks))
        return -1;
    int n = 0;
    cJSON *hook;
    cJSON_ArrayForEach (hook, hooks) {
        if (!cJSON_IsObject(hook))
            return -1;
        cJSON *cc = cJSON_GetObjectItemCaseSensitive(hook, "clientConfig");
        if (!cc)
            cc = cJSON_AddObjectToObject(hook, "clientConfig");
        if (!cJSON_IsObject(cc))
            return -1;
        cJSON *v = cJSON_CreateString(ca_b64);
        if (!v)
            return -1;
        if (cJSON_HasObjectItem(cc, "caBundle"))
            cJSON_ReplaceItemInObjectCaseSensitive(cc, "caBundle", v);
        else
            cJSON_AddItemToObject(cc, "caBundle", v);
        n++;
    }
    return n;
}

/*
 * GET, set, PUT one configuration (plural e.g. "validatingwebhookconfigurations").
 * Returns 0, 1 when it does not exist (err says so), -1 with err.
 */
static int patch_configuration(struct kube_client *kc, const char *plural, const char *kind,
                               const char *name, const char *ca_b64, char *err, size_t errlen)
{
    char path[1024];
    snprintf(path, sizeof(path), WEBHOOK_API "/%s/%s", plural, name);
    for (int round = 0; round < MW_CERT_PATCH_RETRIES; round++) {
        cJSON *config = NULL, *answer = NULL;
        enum kube_result r = kube_get_json(kc, path, 0, &config, NULL, err, errlen);
        if (r == KUBE_NOT_FOUND) {
            snprintf(err, errlen,
                     "%s %s does not exist yet (install the webhook configurations first)", kind,
                     name);
            return 1;
        }
        if (r != KUBE_OK)
            return -1;
        int n = set_ca_bundles(config, ca_b64);
        if (n < 0) {
            snprintf(err, errlen, "%s %s: webhooks is not a list of objects", kind, name);
            cJSON_Delete(config);
            return -1;
        }
        long code = 0;
        r = kube_request_json(kc, "PUT", path, NULL, config, 0, &answer, &code, err, errlen);
        cJSON_Delete(config);
        cJSON_Delete(answer);
        if (r == KUBE_OK) {
            printf("set caBundle on %d webhook(s) of %s %s\n", n, kind, name);
            return 0;
        }
        if (code != 409)
            return -1;
    }
    return -1; /* err holds the last 409 */
}

/* ---- the command ---- */

static struct kube_client *open_client(const struct patch_args *a, char *err, size_t errlen)
{
    struct kube_config cfg;
    char why[512];
    int rc = a->kubeconfig ? kubeconfig_load(a->kubeconfig, &cfg, why, sizeof(why))
                           : kubeconfig_in_cluster(&cfg, why, sizeof(why));
    if (rc != 0) {
        if (a->kubeconfig)
            snprintf(err, errlen, "%s", why);
        else
            snprintf(err, errlen, "not in a cluster (%s): give --kubeconfig FILE", why);
        return NULL;
    }
    if (cfg.warning[0])
        fprintf(stderr, "certs patch: %s\n", cfg.warning);
    struct kube_client *kc = kube_client_new(&cfg, err, errlen);
    kube_config_free(&cfg);
    return kc;
}

int certs_patch(int argc, char **argv)
{
    struct patch_args a;
    int rc = parse_patch_args(argc, argv, &a);
    if (rc != 0)
        return rc == 1 ? 0 : 2;
    char err[1024] = "";
    struct kube_client *kc = open_client(&a, err, sizeof(err));
    if (!kc) {
        fprintf(stderr, "certs patch: %s\n", err);
        return 2;
    }
    char *ca_pem = ensure_secret(kc, &a, err, sizeof(err));
    char *ca_b64 = ca_pem ? base64_encode(ca_pem, strlen(ca_pem)) : NULL;
    rc = ca_b64 ? 0 : 1;
    if (ca_pem && !ca_b64)
        snprintf(err, sizeof(err), "out of memory");
    if (rc == 0 && a.webhook_name) {
        rc = patch_configuration(kc, "validatingwebhookconfigurations",
                                 "ValidatingWebhookConfiguration", a.webhook_name, ca_b64, err,
                                 sizeof(err));
        if (rc == 0)
            rc = patch_configuration(kc, "mutatingwebhookconfigurations",
                                     "MutatingWebhookConfiguration", a.webhook_name, ca_b64, err,
                                     sizeof(err));
        rc = rc == 0 ? 0 : 1;
    }
    if (rc != 0)
        fprintf(stderr, "certs patch: %s\n", err);
    free(ca_b64);
    free(ca_pem);
    kube_client_free(kc);
    return rc;
}
