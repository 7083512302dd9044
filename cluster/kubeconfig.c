/*
 * cluster/kubeconfig.c - resolving a kubeconfig (or the in-cluster service
 * account) into one struct kube_config.
 *
 * The kubeconfig is parsed into cJSON by kube/yaml.h, then looked up the
 * way kubectl does: context -> cluster + user by name.  Base64 data fields
 * are decoded with GnuTLS; file fields are made absolute against the
 * kubeconfig's directory.
 */
#include "cluster/kubeconfig.h"

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/yaml.h"
#include "cluster/limits.h"
#include "kube/base64.h"
#include "kube/object.h"
#include "kube/text.h"

void kube_config_free(struct kube_config *c)
{
    free(c->exec.command);
    text_list_free(c->exec.args, c->exec.nargs);
    text_list_free(c->exec.env, c->exec.nenv);
    free(c->exec.api_version);
    free(c->exec.install_hint);
    free(c->exec.user);
    free(c->context);
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

/* The `inner` object of the entry named `name` in the list `list` (clusters/users/contexts). */
static const cJSON *find_named(const cJSON *doc, const char *list, const char *inner,
                               const char *name)
{
    const cJSON *entries = cJSON_GetObjectItemCaseSensitive(doc, list);
    const cJSON *e;
    if (!cJSON_IsArray(entries))
        return NULL;
    cJSON_ArrayForEach (e, entries) {
        const char *n = obj_nonempty(e, "name");
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
static char *base64_decode_wrapped(const char *in, size_t *outlen)
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
    char *out = base64_decode(clean, outlen);
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
    const char *d = obj_nonempty(obj, data_field);
    const char *f = obj_nonempty(obj, file_field);
    if (d) {
        *data = base64_decode_wrapped(d, data_len);
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
    const char *server = obj_nonempty(cluster, "server");
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

/* The strings of a JSON array of strings (NULL entries for non-strings are refused). */
static int string_list(const cJSON *arr, char ***out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!arr)
        return 0;
    if (!cJSON_IsArray(arr))
        return -1;
    const cJSON *e;
    cJSON_ArrayForEach (e, arr)
        if (!cJSON_IsString(e) || text_list_push(out, n, strdup(e->valuestring)) != 0)
            return -1;
    return 0;
}

/*
 * users[].user.exec: command, args, env ([{name, value}]), apiVersion,
 * installHint.  A command with a '/' that is relative is taken from the
 * kubeconfig's directory (as kubectl does); a bare name is looked up in PATH.
 */
static int read_exec(const cJSON *exec, const char *user_name, const char *base_dir,
                     struct kube_exec *out, char *err, size_t errlen)
{
    const char *command = obj_nonempty(exec, "command");
    const char *api_version = obj_nonempty(exec, "apiVersion");
    if (!command) {
        snprintf(err, errlen, "kubeconfig: user \"%s\": exec has no command", user_name);
        return -1;
    }
    if (!api_version || (strcmp(api_version, "client.authentication.k8s.io/v1") != 0 &&
                         strcmp(api_version, "client.authentication.k8s.io/v1beta1") != 0)) {
        snprintf(err, errlen,
                 "kubeconfig: user \"%s\": exec apiVersion \"%s\" is not "
                 "client.authentication.k8s.io/v1 or v1beta1",
                 user_name, api_version ? api_version : "");
        return -1;
    }
    out->command = strchr(command, '/') ? resolve_path(base_dir, command) : strdup(command);
    if (!out->command || dup_into(&out->api_version, api_version) != 0 ||
        dup_into(&out->install_hint, obj_nonempty(exec, "installHint")) != 0 ||
        dup_into(&out->user, user_name) != 0)
        goto oom;
    if (string_list(cJSON_GetObjectItemCaseSensitive(exec, "args"), &out->args, &out->nargs) != 0) {
        snprintf(err, errlen, "kubeconfig: user \"%s\": exec args must be a list of strings",
                 user_name);
        return -1;
    }
    const cJSON *env = cJSON_GetObjectItemCaseSensitive(exec, "env");
    if (cJSON_IsArray(env)) {
        const cJSON *e;
        cJSON_ArrayForEach (e, env) {
            const char *name = obj_nonempty(e, "name");
            const cJSON *value = cJSON_GetObjectItemCaseSensitive(e, "value");
            if (!name || !cJSON_IsString(value)) {
                snprintf(err, errlen,
                         "kubeconfig: user \"%s\": exec env entries need a name and a value",
                         user_name);
                return -1;
            }
            char *entry;
            if (asprintf(&entry, "%s=%s", name, value->valuestring) < 0 ||
                text_list_push(&out->env, &out->nenv, entry) != 0)
                goto oom;
        }
    } else if (env && !cJSON_IsArray(env) && !cJSON_IsNull(env)) {
        snprintf(err, errlen, "kubeconfig: user \"%s\": exec env must be a list", user_name);
        return -1;
    }
    return 0;
oom:
    snprintf(err, errlen, "kubeconfig: out of memory");
    return -1;
}

static int read_user(const cJSON *user, const char *user_name, const char *base_dir,
                     struct kube_config *out, char *err, size_t errlen)
{
    const cJSON *exec = cJSON_GetObjectItemCaseSensitive(user, "exec");
    if (cJSON_IsObject(exec) && read_exec(exec, user_name, base_dir, &out->exec, err, errlen) != 0)
        return -1;
    const char *token_file = obj_nonempty(user, "tokenFile");
    if (dup_into(&out->token, obj_nonempty(user, "token")) != 0)
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
    const char *ctx_name = context ? context : obj_nonempty(doc, "current-context");
    if (!ctx_name) {
        snprintf(err, errlen, "kubeconfig: no current-context");
        return -1;
    }
    const cJSON *ctx = find_named(doc, "contexts", "context", ctx_name);
    if (!ctx) {
        snprintf(err, errlen, "kubeconfig: context \"%s\" not found", ctx_name);
        return -1;
    }
    const char *cluster_name = obj_nonempty(ctx, "cluster");
    const char *user_name = obj_nonempty(ctx, "user");
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
    const char *ns = obj_nonempty(ctx, "namespace");
    if (read_cluster(cluster, base_dir, out, err, errlen) != 0 ||
        (user && read_user(user, user_name, base_dir, out, err, errlen) != 0)) {
        kube_config_free(out);
        return -1;
    }
    if (dup_into(&out->namespace, ns ? ns : "default") != 0 ||
        dup_into(&out->context, ctx_name) != 0) {
        snprintf(err, errlen, "kubeconfig: out of memory");
        kube_config_free(out);
        return -1;
    }
    return 0;
}

int kubeconfig_load(const char *path, struct kube_config *out, char *err, size_t errlen)
{
    return kubeconfig_load_context(path, NULL, out, err, errlen);
}

int kubeconfig_load_context(const char *path, const char *context, struct kube_config *out,
                            char *err, size_t errlen)
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
    char sub[400];
    sub[0] = '\0';
    err[0] = '\0';
    int rc = kubeconfig_from_json(cJSON_GetArrayItem(docs, 0), dirname(copy), context, out, sub,
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

/* ---- copies ---- */

static char *dup_bytes(const char *p, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, p, n);
        d[n] = '\0';
    }
    return d;
}

static int copy_strings(char ***dst, size_t *ndst, char *const *src, size_t n)
{
    *dst = NULL;
    *ndst = 0;
    for (size_t i = 0; i < n; i++)
        if (text_list_push(dst, ndst, strdup(src[i])) != 0)
            return -1;
    return 0;
}

int kube_config_copy(struct kube_config *dst, const struct kube_config *src)
{
    memset(dst, 0, sizeof(*dst));
    int bad = 0;
#define COPY_STR(f) bad |= dup_into(&dst->f, src->f)
#define COPY_BYTES(f, n)                                                                           \
    if (src->f && !(dst->f = dup_bytes(src->f, src->n)))                                           \
        bad = 1;                                                                                   \
    dst->n = src->n
    COPY_STR(server);
    COPY_BYTES(ca_data, ca_data_len);
    COPY_STR(ca_file);
    COPY_STR(token);
    COPY_STR(token_file);
    COPY_BYTES(cert_data, cert_data_len);
    COPY_STR(cert_file);
    COPY_BYTES(key_data, key_data_len);
    COPY_STR(key_file);
    COPY_STR(namespace);
    COPY_STR(context);
    COPY_STR(exec.command);
    COPY_STR(exec.api_version);
    COPY_STR(exec.install_hint);
    COPY_STR(exec.user);
#undef COPY_STR
#undef COPY_BYTES
    bad |= copy_strings(&dst->exec.args, &dst->exec.nargs, src->exec.args, src->exec.nargs);
    bad |= copy_strings(&dst->exec.env, &dst->exec.nenv, src->exec.env, src->exec.nenv);
    dst->insecure = src->insecure;
    memcpy(dst->warning, src->warning, sizeof(dst->warning));
    if (bad) {
        kube_config_free(dst);
        return -1;
    }
    return 0;
}

/* ---- kubectl's search order and merge ---- */

/* Makes the string field `name` of `obj` absolute against `dir` when it is a relative path. */
static int rebase_field(cJSON *obj, const char *name, const char *dir, int only_with_slash)
{
    const char *v = obj_nonempty(obj, name);
    if (!v || v[0] == '/' || (only_with_slash && !strchr(v, '/')))
        return 0;
    char *abs = resolve_path(dir, v);
    if (!abs)
        return -1;
    int rc = cJSON_ReplaceItemInObjectCaseSensitive(obj, name, cJSON_CreateString(abs)) ? 0 : -1;
    free(abs);
    return rc;
}

/* The file paths of one kubeconfig made absolute against its directory, before merging. */
static int rebase_paths(cJSON *doc, const char *dir)
{
    cJSON *e;
    int rc = 0;
    cJSON_ArrayForEach (e, cJSON_GetObjectItemCaseSensitive(doc, "clusters"))
        rc |= rebase_field(cJSON_GetObjectItemCaseSensitive(e, "cluster"), "certificate-authority",
                           dir, 0);
    cJSON_ArrayForEach (e, cJSON_GetObjectItemCaseSensitive(doc, "users")) {
        cJSON *u = cJSON_GetObjectItemCaseSensitive(e, "user");
        rc |= rebase_field(u, "client-certificate", dir, 0);
        rc |= rebase_field(u, "client-key", dir, 0);
        rc |= rebase_field(u, "tokenFile", dir, 0);
        rc |= rebase_field(cJSON_GetObjectItemCaseSensitive(u, "exec"), "command", dir, 1);
    }
    return rc;
}

static int has_named(const cJSON *list, const char *name)
{
    const cJSON *e;
    cJSON_ArrayForEach (e, list) {
        const char *n = obj_nonempty(e, "name");
        if (n && strcmp(n, name) == 0)
            return 1;
    }
    return 0;
}

/* Merges `doc` into `merged` the kubectl way: a name or value already set stays. */
static int merge_into(cJSON *merged, const cJSON *doc)
{
    static const char *const lists[] = {"clusters", "users", "contexts"};
    for (size_t l = 0; l < sizeof(lists) / sizeof(lists[0]); l++) {
        cJSON *into = cJSON_GetObjectItemCaseSensitive(merged, lists[l]);
        const cJSON *e;
        cJSON_ArrayForEach (e, cJSON_GetObjectItemCaseSensitive(doc, lists[l])) {
            const char *n = obj_nonempty(e, "name");
            if (!n || has_named(into, n))
                continue;
            cJSON *copy = cJSON_Duplicate(e, 1);
            if (!copy || !cJSON_AddItemToArray(into, copy)) {
                cJSON_Delete(copy);
                return -1;
            }
        }
    }
    const char *cur = obj_nonempty(doc, "current-context");
    if (cur && !obj_nonempty(merged, "current-context")) {
        cJSON_DeleteItemFromObjectCaseSensitive(merged, "current-context");
        if (!cJSON_AddStringToObject(merged, "current-context", cur))
            return -1;
    }
    return 0;
}

static int file_exists(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f)
        fclose(f);
    return f != NULL;
}

/*
 * The files of a $KUBECONFIG list merged (missing files skipped).  Returns the
 * merged document, NULL with *none = 1 when no file exists, or NULL with err.
 * `first` receives the first file read.
 */
static cJSON *merge_list(const char *list, int *none, char *first, size_t firstlen, char *err,
                         size_t errlen)
{
    *none = 1;
    char *copy = strdup(list);
    cJSON *merged = cJSON_CreateObject();
    if (!copy || !merged || !cJSON_AddArrayToObject(merged, "clusters") ||
        !cJSON_AddArrayToObject(merged, "users") || !cJSON_AddArrayToObject(merged, "contexts")) {
        snprintf(err, errlen, "kubeconfig: out of memory");
        goto fail;
    }
    char *save = NULL;
    for (char *path = strtok_r(copy, ":", &save); path; path = strtok_r(NULL, ":", &save)) {
        if (!*path || !file_exists(path))
            continue;
        cJSON *docs = yaml_parse_file(path, err, errlen);
        if (!docs)
            goto fail;
        cJSON *doc = cJSON_GetArrayItem(docs, 0);
        char *dircopy = strdup(path);
        int rc = -1;
        if (!cJSON_IsObject(doc))
            snprintf(err, errlen, "%s: kubeconfig: not a mapping", path);
        else if (!dircopy || rebase_paths(doc, dirname(dircopy)) != 0 ||
                 merge_into(merged, doc) != 0)
            snprintf(err, errlen, "%s: out of memory", path);
        else
            rc = 0;
        free(dircopy);
        cJSON_Delete(docs);
        if (rc != 0)
            goto fail;
        if (*none)
            snprintf(first, firstlen, "%s", path);
        *none = 0;
    }
    free(copy);
    if (*none) {
        cJSON_Delete(merged);
        return NULL;
    }
    return merged;
fail:
    *none = 0;
    free(copy);
    cJSON_Delete(merged);
    return NULL;
}

int kubeconfig_resolve(const char *path, const char *context, struct kube_config *out, char *source,
                       size_t sourcelen, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    if (path) {
        if (kubeconfig_load_context(path, context, out, err, errlen) != 0)
            return -1;
        snprintf(source, sourcelen, "kubeconfig %s, context %s", path, out->context);
        return 0;
    }
    const char *list = getenv("KUBECONFIG");
    if (list && *list) {
        int none = 0;
        char first[256] = "";
        char sub[400];
        cJSON *merged = merge_list(list, &none, first, sizeof(first), err, errlen);
        if (merged) {
            int rc = kubeconfig_from_json(merged, NULL, context, out, sub, sizeof(sub));
            cJSON_Delete(merged);
            if (rc != 0) {
                snprintf(err, errlen, "$KUBECONFIG (%s): %s", list, sub);
                return -1;
            }
            snprintf(source, sourcelen, "$KUBECONFIG %s, context %s", list, out->context);
            return 0;
        }
        if (!none)
            return -1;
    }
    const char *home = getenv("HOME");
    char *home_config = NULL;
    if (home && *home && asprintf(&home_config, "%s/.kube/config", home) < 0)
        home_config = NULL;
    if (home_config && file_exists(home_config)) {
        int rc = kubeconfig_load_context(home_config, context, out, err, errlen);
        if (rc == 0)
            snprintf(source, sourcelen, "kubeconfig %s, context %s", home_config, out->context);
        free(home_config);
        return rc;
    }
    free(home_config);
    if (context) {
        snprintf(err, errlen,
                 "--context %s: no kubeconfig found (--kubeconfig, $KUBECONFIG, ~/.kube/config)",
                 context);
        return -1;
    }
    char why[300];
    if (kubeconfig_in_cluster(out, why, sizeof(why)) != 0) {
        snprintf(err, errlen,
                 "no cluster to read: no --cluster-dir or --kubeconfig, no $KUBECONFIG, no "
                 "~/.kube/config, and %s",
                 strncmp(why, "not running in a cluster: ", 26) == 0 ? "not running in a cluster"
                                                                     : why);
        return -1;
    }
    snprintf(source, sourcelen, "in-cluster %s", out->server);
    return 0;
}
