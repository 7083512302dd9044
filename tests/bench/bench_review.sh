#!/usr/bin/env bash
# tests/bench/bench_review.sh - how fast the server answers a realistic review:
# starts `serve` on a free loopback port with a fresh certificate, drives
# /validate with wrk over keep-alive TLS using a ~12 KiB VirtualMachine CREATE
# review, and prints requests/s, p50 and p99.  Not part of ctest.
#
#   tests/bench/bench_review.sh [BIN] [seconds] [connections] [wrk threads]
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BIN=${1:-$ROOT/build/migration-webhook}
SECONDS_TO_RUN=${2:-10}
CONNECTIONS=${3:-16}
THREADS=${4:-1}
command -v wrk >/dev/null || { echo "wrk is missing"; exit 2; }
command -v jq >/dev/null || { echo "jq is missing"; exit 2; }
# shellcheck source=tests/integration/serve_test.sh
MW_BIN=$BIN MW_TEST_DATA=$ROOT/tests/data . "$ROOT/tests/integration/serve_test.sh"

WORK=$(mktemp -d)
PID=
trap '[ -n "$PID" ] && kill -TERM "$PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"' EXIT

serve_with_certs "$WORK" --cluster-dir "$ROOT/tests/data/server/cluster"

echo "body: $(wc -c <"$HERE/vm-create-review.json") bytes; ${SECONDS_TO_RUN}s, $CONNECTIONS connections, $THREADS wrk thread(s), $(nproc) cores"
MW_BENCH_BODY="$HERE/vm-create-review.json" wrk -t"$THREADS" -c"$CONNECTIONS" -d"${SECONDS_TO_RUN}s" \
    -s "$HERE/post_review.lua" "https://127.0.0.1:$PORT/validate?timeout=10s" | sed -n '/^requests\/s:/,$p'
