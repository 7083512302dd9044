#!/bin/sh
# A kubeconfig exec credential plugin for the tests (client.authentication.k8s.io/v1), as cloud CLIs
# install them.  Each run appends KUBERNETES_EXEC_INFO to $PLUGIN_LOG (one line per run) and prints an
# ExecCredential whose token is the content of $PLUGIN_TOKEN_FILE, valid for $PLUGIN_TTL seconds.
# With PLUGIN_FAIL set it fails as an expired login does: a message on stderr, exit 1.
set -eu
if [ -n "${PLUGIN_FAIL:-}" ]; then
    echo "error: the SSO session has expired; run 'cloud login' again" >&2
    echo "(details: refresh token rejected)" >&2
    exit 1
fi
printf '%s\n' "${KUBERNETES_EXEC_INFO:-missing}" >>"${PLUGIN_LOG:?}"
token=$(cat "${PLUGIN_TOKEN_FILE:?}")
expiry=$(date -u -d "@$(($(date +%s) + ${PLUGIN_TTL:-3600}))" +%Y-%m-%dT%H:%M:%SZ)
printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential",'
printf '"status":{"token":"%s","expirationTimestamp":"%s"}}\n' "$token" "$expiry"
