/*
 * cluster/kubeconfig.c - resolving a kubeconfig (or the in-cluster service
 * account) into one struct kube_config.
 *
 * The kubeconfig is parsed into cJSON by cluster/yaml.h, then looked up the
 * way kubectl does: context -> cluster + user by name.  Base64 data fields
 * are decoded with GnuTLS; file fields are made absolute against the
 * kubeconfig's directory.
 */
#include "cluster/kubeconfig.h"

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>

#include "cluster/yaml.h"
#include "server/limits.h"

void kube_config_free(struct kube_config *c)
{
    free(c->server);
    free(c->ca_data);
    free(c->ca_file);
    free(c->token);
    free(c->token_file);
    free(c->cert_data);
    free(c->cert_file);
    free(c->key_data);
    free(c->key_file);
    free(c->namespace);
    memset(c, 0, sizeof(*c));
}

char *kube_read_file(const char *path, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open", path);
        return NULL;
    }
    char *buf = malloc(MW_KUBE_MAX_FILE_BYTES + 1);
    size_t n = buf ? fread(buf, 1, MW_KUBE_MAX_FILE_BYTES + 1, f) : 0;
    int bad = ferror(f);
    fclose(f);
    if (!buf || bad || n > MW_KUBE_MAX_FILE_BYTES) {
        free(buf);
        snprintf(err, errlen, "%s: %s", path,
                 !buf  ? "out of memory"
                 : bad ? "read error"
                       : "file too large");
        return NULL;
    }
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

/* ---- lookups in the parsed kubeconfig ---- */

static const char *str_field(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(v) && v->valuestring[0] ? v->valuestring : NULL;
}

/* The `inner` object of the entry named `name` in the list `list` (clusters/users/contexts). */
static const cJSON *find_named(const cJSON *doc, const char *list, const char *inner,
                               const char *name)
{
    const cJSON *entries = cJSON_GetObjectItemCaseSensitive(doc, list);
    const cJSON *e;
    if (!cJSON_IsArray(entries))
        return NULL;
    cJSON_ArrayForEach (e, entries) {
        const char *n = str_field(e, "name");
        const cJSON *body = cJSON_GetObjectItemCaseSensitive(e, inner);
        if (n && strcmp(n, name) == 0 && cJSON_IsObject(body))
            return body;
    }
    return NULL;
}

/*
 * Decodes standard padded base64, whitespace (line breaks of a wrapped value)
 * ignored.  Returns the bytes, NUL-terminated (caller frees), or NULL when
 * invalid.
 */
static char *base64_decode(const char *in, size_t *outlen)
{
    size_t n = strlen(in);
    char *clean = malloc(n + 1);
    if (!clean)
        return NULL;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (in[i] != ' ' && in[i] != '\n' && in[i] != '\r' && in[i] != '\t')
            clean[m++] = in[i];
    clean[m] = '\0';
    char *out = NULL;
    const gnutls_datum_t b64 = {(unsigned char *)clean, (unsigned)m};
    gnutls_datum_t raw = {NULL, 0};
    if (m > 0 && m % 4 == 0 && gnutls_base64_decode2(&b64, &raw) == 0 &&
        (out = malloc((size_t)raw.size + 1))) {
        memcpy(out, raw.data, raw.size);
        out[raw.size] = '\0';
        *outlen = raw.size;
    }
    gnutls_free(raw.data);
    free(clean);
    return out;
}

/* `path` made absolute against `base_dir` (caller frees). */
static char *resolve_path(const char *base_dir, const char *path)
{
    char *out = NULL;
    if (path[0] == '/' || !base_dir || !*base_dir)
        return strdup(path);
    return asprintf(&out, "%s/%s", base_dir, path) < 0 ? NULL : out;
}

/* A `<name>-data` base64 field, else a `<name>` file field. */
static int take_data_or_file(const cJSON *obj, const char *data_field, const char *file_field,
                             const char *base_dir, char **data, size_t *data_len, char **file,
                             char *err, size_t errlen)
{
    const char *d = str_field(obj, data_field);
    const char *f = str_field(obj, file_field);
    if (d) {
        *data = base64_decode(d, data_len);
        if (!*data) {
            snprintf(err, errlen, "kubeconfig: %s is not valid base64", data_field);
            return -1;
        }
    } else if (f) {
        *file = resolve_path(base_dir, f);
        if (!*file) {
            snprintf(err, errlen, "kubeconfig: out of memory");
            return -1;
        }
    }
    return 0;
}

static int dup_into(char **dst, const char *src)
{
    if (!src)
        return 0;
    *dst = strdup(src);
    return *dst ? 0 : -1;
}

static char *server_without_trailing_slash(const char *server)
{
    char *s = strdup(server);
    if (!s)
        return NULL;
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == '/')
        s[--n] = '\0';
    return s;
}

static int read_cluster(const cJSON *cluster, const char *base_dir, struct kube_config *out,
                        char *err, size_t errlen)
{
    const char *server = str_field(cluster, "server");
    if (!server) {
        snprintf(err, errlen, "kubeconfig: cluster has no server");
        return -1;
    }
    out->server = server_without_trailing_slash(server);
    if (!out->server)
        goto oom;
    if (take_data_or_file(cluster, "certificate-authority-data", "certificate-authority", base_dir,
                          &out->ca_data, &out->ca_data_len, &out->ca_file, err, errlen) != 0)
        return -1;
    const cJSON *insecure = cJSON_GetObjectItemCaseSensitive(cluster, "insecure-skip-tls-verify");
    if (cJSON_IsTrue(insecure)) {
        out->insecure = 1;
        snprintf(out->warning, sizeof(out->warning),
                 "kubeconfig: insecure-skip-tls-verify is set: the API server's certificate is not "
                 "verified");
    }
    return 0;
oom:
    snprintf(err, errlen, "kubeconfig: out of memory");
    return -1;
}

static int read_user(const cJSON *user, const char *base_dir, struct kube_config *out, char *err,
                     size_t errlen)
{
    const char *token_file = str_field(user, "tokenFile");
    if (dup_into(&out->token, str_field(user, "token")) != 0)
        goto oom;
    if (token_file && !(out->token_file = resolve_path(base_dir, token_file)))
        goto oom;
    if (take_data_or_file(user, "client-certificate-data", "client-certificate", base_dir,
                          &out->cert_data, &out->cert_data_len, &out->cert_file, err, errlen) != 0)
        return -1;
    if (take_data_or_file(user, "client-key-data", "client-key", base_dir, &out->key_data,
                          &out->key_data_len, &out->key_file, err, errlen) != 0)
        return -1;
    return 0;
oom:
    snprintf(err, errlen, "kubeconfig: out of memory");
    return -1;
}

int kubeconfig_from_json(const cJSON *doc, const char *base_dir, const char *context,
                         struct kube_config *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    if (!cJSON_IsObject(doc)) {
        snprintf(err, errlen, "kubeconfig: not a mapping");
        return -1;
    }
    const char *ctx_name = context ? context : str_field(doc, "current-context");
    if (!ctx_name) {
        snprintf(err, errlen, "kubeconfig: no current-context");
        return -1;
    }
    const cJSON *ctx = find_named(doc, "contexts", "context", ctx_name);
    if (!ctx) {
        snprintf(err, errlen, "kubeconfig: context \"%s\" not found", ctx_name);
        return -1;
    }
    const char *cluster_name = str_field(ctx, "cluster");
    const char *user_name = str_field(ctx, "user");
    const cJSON *cluster =
        cluster_name ? find_named(doc, "clusters", "cluster", cluster_name) : NULL;
    if (!cluster) {
        snprintf(err, errlen, "kubeconfig: cluster \"%s\" of context \"%s\" not found",
                 cluster_name ? cluster_name : "", ctx_name);
        return -1;
    }
    const cJSON *user = user_name ? find_named(doc, "users", "user", user_name) : NULL;
    if (user_name && !user) {
        snprintf(err, errlen, "kubeconfig: user \"%s\" of context \"%s\" not found", user_name,
                 ctx_name);
        return -1;
    }
    const char *ns = str_field(ctx, "namespace");
    if (read_cluster(cluster, base_dir, out, err, errlen) != 0 ||
        (user && read_user(user, base_dir, out, err, errlen) != 0)) {
        kube_config_free(out);
        return -1;
    }
    if (dup_into(&out->namespace, ns ? ns : "default") != 0) {
        snprintf(err, errlen, "kubeconfig: out of memory");
        kube_config_free(out);
        return -1;
    }
    return 0;
}

int kubeconfig_load(const char *path, struct kube_config *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    cJSON *docs = yaml_parse_file(path, err, errlen);
    if (!docs)
        return -1;
    char *copy = strdup(path);
    if (!copy) {
        cJSON_Delete(docs);
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    char sub[200];
    sub[0] = '\0';
    err[0] = '\0';
    int rc = kubeconfig_from_json(cJSON_GetArrayItem(docs, 0), dirname(copy), NULL, out, sub,
                                  sizeof(sub));
    if (rc != 0)
        snprintf(err, errlen, "%s: %s", path, sub);
    free(copy);
    cJSON_Delete(docs);
    return rc;
}

/* The service account's namespace file, trimmed; "default" when absent. */
static char *read_namespace(const char *dir)
{
    char tmp[64];
    char *path = resolve_path(dir, "namespace");
    if (!path)
        return NULL;
    char *ns = kube_read_file(path, NULL, tmp, sizeof(tmp));
    free(path);
    if (!ns)
        return strdup("default");
    ns[strcspn(ns, " \r\n\t")] = '\0';
    return ns;
}

int kubeconfig_in_cluster(struct kube_config *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    const char *host = getenv("KUBERNETES_SERVICE_HOST");
    const char *port = getenv("KUBERNETES_SERVICE_PORT");
    const char *dir = getenv("MW_SERVICEACCOUNT_DIR");
    if (!dir || !*dir)
        dir = KUBE_SERVICEACCOUNT_DIR;
    if (!host || !*host || !port || !*port) {
        snprintf(err, errlen,
                 "not running in a cluster: KUBERNETES_SERVICE_HOST/PORT are not set "
                 "(use --kubeconfig or --cluster-dir)");
        return -1;
    }
    int ipv6 = strchr(host, ':') != NULL;
    if (asprintf(&out->server, ipv6 ? "https://[%s]:%s" : "https://%s:%s", host, port) < 0)
        out->server = NULL;
    out->token_file = resolve_path(dir, "token");
    out->ca_file = resolve_path(dir, "ca.crt");
    out->namespace = read_namespace(dir);
    if (!out->server || !out->token_file || !out->ca_file || !out->namespace) {
        snprintf(err, errlen, "in-cluster config: out of memory");
        kube_config_free(out);
        return -1;
    }
    return 0;
}
