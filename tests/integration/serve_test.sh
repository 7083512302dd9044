# shellcheck shell=bash
# tests/integration/serve_test.sh - sourced by the shell tests that run the
# server: `needs TOOL...` (exit 77 when one is missing), the test data, fail /
# pass with a failure count, wait_for_port and serve_with_certs.

# needs TOOL... : skip the test (77) when a tool is missing.
needs() {
    for tool in "$@"; do
        command -v "$tool" >/dev/null || { echo "SKIP: $tool is missing"; exit 77; }
    done
}

BIN=${MW_BIN:?MW_BIN is the migration-webhook binary}
DATA=${MW_TEST_DATA:?MW_TEST_DATA is tests/data}

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }

# wait_for_port LOG [TRIES]: waits (TRIES x 0.1 s, default 100) for the "listening" log line in
# LOG and prints the port.
wait_for_port() {
    for _ in $(seq 1 "${2:-100}"); do
        port=$(grep '"msg":"listening"' "$1" 2>/dev/null | head -1 | jq -r .port 2>/dev/null)
        [ -n "$port" ] && [ "$port" != null ] && { echo "$port"; return 0; }
        sleep 0.1
    done
    return 1
}

# serve_with_certs WORK ARGS...: a serving certificate from `certs create` in WORK/certs (its own
# directory, as a Secret mount), and `serve` on a free loopback port with it and ARGS, logging to
# WORK/server.log; sets PID and PORT, or exits 1 when the server does not start.
# shellcheck disable=SC2034  # PID and PORT are the caller's
serve_with_certs() {
    local work=$1
    shift
    mkdir -p "$work/certs"
    "$BIN" certs create --host localhost,127.0.0.1 --out-dir "$work/certs" >/dev/null
    "$BIN" serve --listen 127.0.0.1:0 --tls-cert "$work/certs/tls.crt" --tls-key "$work/certs/tls.key" \
        "$@" 2>"$work/server.log" &
    PID=$!
    PORT=$(wait_for_port "$work/server.log") || { cat "$work/server.log"; echo "server did not start"; exit 1; }
}
