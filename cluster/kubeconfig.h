/*
 * cluster/kubeconfig.h - where the Kubernetes API server is and how to prove
 * who we are: from a kubeconfig file (--kubeconfig) or from the pod's service
 * account (in-cluster).
 *
 * A kubeconfig names clusters (server URL, CA), users (token, token file,
 * client certificate) and contexts tying one to the other; the current
 * context (or the one asked for) is resolved into one `struct kube_config`.
 * File paths in a kubeconfig are relative to the kubeconfig's directory.
 */
#ifndef MW_CLUSTER_KUBECONFIG_H
#define MW_CLUSTER_KUBECONFIG_H

#include <stddef.h>
#include <cjson/cJSON.h>

/* Directory of the service-account files; env MW_SERVICEACCOUNT_DIR overrides it. */
#define KUBE_SERVICEACCOUNT_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

/*
 * A user's `exec` credential plugin (client.authentication.k8s.io ExecCredential,
 * as cloud CLIs write them): the command runs with `args` and `env` added to
 * the environment, and prints the token to use until its expiry.
 */
struct kube_exec {
    char *command; /* NULL = no plugin; a relative path with a '/' is made absolute */
    char **args;   /* nargs strings */
    size_t nargs;
    char **env; /* "NAME=VALUE" strings */
    size_t nenv;
    char *api_version;  /* client.authentication.k8s.io/v1 (or v1beta1) */
    char *install_hint; /* shown when the command cannot be run; may be NULL */
    char *user;         /* the kubeconfig user's name, for error lines */
};

/* Every string is owned by the struct (kube_config_free); NULL when not set. */
struct kube_config {
    char *server;  /* "https://host:port", no trailing '/' */
    char *ca_data; /* PEM bytes of the CA (decoded certificate-authority-data) */
    size_t ca_data_len;
    char *ca_file;    /* absolute or as given */
    char *token;      /* static bearer token */
    char *token_file; /* bearer token re-read when it changes */
    char *cert_data;  /* client certificate PEM */
    size_t cert_data_len;
    char *cert_file;
    char *key_data; /* client key PEM */
    size_t key_data_len;
    char *key_file;
    char *namespace;       /* the context's (or the service account's) namespace */
    int insecure;          /* insecure-skip-tls-verify: true */
    struct kube_exec exec; /* credential plugin (exec.command NULL when none) */
    char *context;         /* the context used (NULL in-cluster) */
    char warning[256];     /* a line the caller should log ("" if none) */
};

/*
 * Resolves kubeconfig `doc` (already parsed) with relative paths taken from
 * `base_dir`.  `context` NULL = current-context.  Returns 0, or -1 with one
 * line in err.  On success the caller frees *out with kube_config_free.
 */
int kubeconfig_from_json(const cJSON *doc, const char *base_dir, const char *context,
                         struct kube_config *out, char *err, size_t errlen);

/* Reads the kubeconfig file at `path` (YAML or JSON) and resolves its current context. */
int kubeconfig_load(const char *path, struct kube_config *out, char *err, size_t errlen);

/*
 * In-cluster configuration: KUBERNETES_SERVICE_HOST/PORT (an IPv6 host is
 * bracketed), the service-account token file (re-read by the client), CA and
 * namespace.  Returns 0, or -1 with err.
 */
int kubeconfig_in_cluster(struct kube_config *out, char *err, size_t errlen);

/*
 * Where a command-line tool finds the cluster, as kubectl does: `path` (the
 * --kubeconfig flag) when given; else every file of $KUBECONFIG (a ':' list;
 * missing files skipped) merged so that the first file to set a value wins;
 * else ~/.kube/config when it exists; else in-cluster.  `context` NULL = the
 * current context.  `source` receives a short description ("kubeconfig
 * /path, context ctx" or "in-cluster").  Returns 0, or -1 with one line in
 * err.
 */
int kubeconfig_resolve(const char *path, const char *context, struct kube_config *out, char *source,
                       size_t sourcelen, char *err, size_t errlen);

/* kubeconfig_load with a context (NULL = current-context). */
int kubeconfig_load_context(const char *path, const char *context, struct kube_config *out,
                            char *err, size_t errlen);

/* A deep copy of `src` into `dst`; 0, or -1 when out of memory (dst then freed). */
int kube_config_copy(struct kube_config *dst, const struct kube_config *src);

/* Frees what the struct holds and zeroes it. */
void kube_config_free(struct kube_config *c);

/*
 * Reads a whole small file (at most MW_KUBE_MAX_FILE_BYTES) into a
 * NUL-terminated buffer.  Returns it (caller frees) and its length in *len,
 * or NULL with err.
 */
char *kube_read_file(const char *path, size_t *len, char *err, size_t errlen);

#endif
