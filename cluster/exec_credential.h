/*
 * cluster/exec_credential.h - running a kubeconfig user's `exec` credential
 * plugin (client.authentication.k8s.io ExecCredential) and reading the token
 * it prints, as kubectl does.
 */
#ifndef MW_CLUSTER_EXEC_CREDENTIAL_H
#define MW_CLUSTER_EXEC_CREDENTIAL_H

#include <stddef.h>
#include <time.h>

#include "cluster/kubeconfig.h"

/* How long a plugin may run before it is killed. */
#define EXEC_CREDENTIAL_TIMEOUT_MS 60000

/*
 * Runs the plugin of `e` with its args, the process environment plus e->env,
 * and KUBERNETES_EXEC_INFO (an ExecCredential with spec.interactive false);
 * stdin is /dev/null.  On success *token is the status.token it printed
 * (caller frees) and *expiry its status.expirationTimestamp (0 = none: the
 * token is kept until the API server refuses it).  Returns 0, or -1 with one
 * line in err naming the user, the command and what went wrong (its exit
 * status and the first line it wrote on stderr).
 */
int exec_credential_run(const struct kube_exec *e, char **token, time_t *expiry, char *err,
                        size_t errlen);

/* Seconds since the epoch of an RFC 3339 time ("2026-12-07T15:04:05Z"), or -1. */
time_t exec_credential_parse_time(const char *s);

#endif
