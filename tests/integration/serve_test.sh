# shellcheck shell=bash
# tests/integration/serve_test.sh - sourced by the shell tests that run the
# server: `needs TOOL...` (exit 77 when one is missing), the test data, fail /
# pass with a failure count, and wait_for_port.

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
