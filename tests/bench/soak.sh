#!/usr/bin/env bash
# tests/bench/soak.sh - a long steady load on loopback, to show the server
# neither leaks nor fails over time.  Starts `serve` on a free 127.0.0.1 port
# with a fresh certificate and the example cluster, then for SOAK_SECONDS
# (default 600):
#   - wrk, SOAK_CONNECTIONS keep-alive connections (default 8), each sending a
#     review every SOAK_DELAY_MS (default 10 ms), cycling through every kind
#     (VMIM denied/allowed on /validate and /mutate, VMI warning, target pod
#     patch, KubeVirt CR);
#   - one curl loop opening a new TLS connection per probe (handshakes);
# sampling the server's RSS every 10 s.  Prints requests, errors, latency, and
# RSS growth in MiB from the end of the warm-up (first tenth) to the end.
# Exits 1 on any error (non-200, socket error, failed probe).  Not in ctest.
#
#   SOAK_SECONDS=180 tests/bench/soak.sh [BIN]
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BIN=${1:-$ROOT/build/migration-webhook}
DURATION=${SOAK_SECONDS:-600}
CONNECTIONS=${SOAK_CONNECTIONS:-8}
DELAY_MS=${SOAK_DELAY_MS:-10}
command -v wrk >/dev/null || { echo "wrk is missing"; exit 2; }
command -v jq >/dev/null || { echo "jq is missing"; exit 2; }

WORK=$(mktemp -d)
PID=
PROBEPID=
trap '[ -n "$PROBEPID" ] && kill "$PROBEPID" 2>/dev/null; [ -n "$PID" ] && kill -TERM "$PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"' EXIT

# ---- review bodies: one "<path> <file>" per line ----------------------------
CORPUS=$ROOT/tests/fuzz/corpus/fuzz_review
{
    echo "/validate $ROOT/examples/reviews/vmim-cdrom.json"
    echo "/validate $ROOT/examples/reviews/vmim-migratable.json"
    echo "/mutate $ROOT/examples/reviews/vmim-migratable.json"
    echo "/validate $ROOT/examples/reviews/vmi-cdrom-create.json"
    echo "/mutate $CORPUS/seed-pods-migration-target.json"
    for f in "$CORPUS"/seed-kubevirts-*.json; do echo "/validate $f"; echo "/mutate $f"; done
    for f in "$CORPUS"/seed-virtualmachines-*.json; do echo "/validate $f"; done
} >"$WORK/bodies.txt"

cat >"$WORK/soak.lua" <<'LUA'
-- Cycles through the review bodies listed in MW_SOAK_BODIES, one request per
-- MW_SOAK_DELAY_MS per connection; counts non-200 answers.
local list = assert(io.open(os.getenv("MW_SOAK_BODIES"), "r"))
local requests = {}
for line in list:lines() do
    local path, file = line:match("^(%S+) (.+)$")
    local f = assert(io.open(file, "rb"))
    local body = f:read("*a")
    f:close()
    requests[#requests + 1] = wrk.format("POST", path .. "?timeout=10s",
        {["Content-Type"] = "application/json", ["Host"] = "localhost"}, body)
end
list:close()
local delay_ms = tonumber(os.getenv("MW_SOAK_DELAY_MS") or "10")
local counter = 0
function init(args)
    counter = math.random(#requests)
end
function request()
    counter = counter % #requests + 1
    return requests[counter]
end
function delay()
    return delay_ms
end
done = function(summary, latency, requests_)
    local e = summary.errors
    io.write(string.format("requests: %d\nerrors: %d (connect %d, read %d, write %d, status %d, timeout %d)\n",
        summary.requests, e.connect + e.read + e.write + e.status + e.timeout,
        e.connect, e.read, e.write, e.status, e.timeout))
    io.write(string.format("requests/s: %.0f\np50: %.3f ms\np99: %.3f ms\nmax: %.3f ms\n",
        summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
        latency:percentile(99) / 1000, latency.max / 1000))
end
LUA

# ---- server -----------------------------------------------------------------
mkdir -p "$WORK/certs"
"$BIN" certs create --host localhost,127.0.0.1 --out-dir "$WORK/certs" >/dev/null  # as a Secret mount: its own directory
printf 'timeouts: {drainSeconds: 1}\n' >"$WORK/webhook.yaml"
"$BIN" serve --config "$WORK/webhook.yaml" --listen 127.0.0.1:0 --tls-cert "$WORK/certs/tls.crt" \
    --tls-key "$WORK/certs/tls.key" --cluster-dir "$ROOT/examples/cluster" 2>"$WORK/server.log" &
PID=$!
PORT=
for _ in $(seq 1 100); do
    PORT=$(grep '"msg":"listening"' "$WORK/server.log" 2>/dev/null | head -1 | jq -r .port)
    [ -n "$PORT" ] && [ "$PORT" != null ] && break
    PORT=
    sleep 0.1
done
[ -n "$PORT" ] || { cat "$WORK/server.log"; echo "server did not start"; exit 1; }
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$PID/status"; }

# ---- probes over new connections ------------------------------------------------
(
    ok=0 bad=0
    end=$(($(date +%s) + DURATION))
    while [ "$(date +%s)" -lt "$end" ]; do
        code=$(curl -sS --max-time 10 --cacert "$WORK/ca.crt" -o /dev/null -w '%{http_code}' "https://localhost:$PORT/readyz" 2>/dev/null) || true
        if [ "$code" = 200 ]; then ok=$((ok + 1)); else bad=$((bad + 1)); fi
        sleep 0.2
    done
    echo "$ok $bad" >"$WORK/probes"
) &
PROBEPID=$!

# ---- load and RSS samples ---------------------------------------------------------
echo "soak: ${DURATION}s, $CONNECTIONS connections, one review per ${DELAY_MS} ms each, $(wc -l <"$WORK/bodies.txt") bodies, $(nproc) cores"
MW_SOAK_BODIES="$WORK/bodies.txt" MW_SOAK_DELAY_MS="$DELAY_MS" wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" \
    --timeout 10s -s "$WORK/soak.lua" "https://127.0.0.1:$PORT/" >"$WORK/wrk.out" 2>&1 &
WRKPID=$!
start=$(date +%s)
warm=$((DURATION / 10))
rss_start=$(rss_kib)
rss_warm=
rss_max=$rss_start
rss_last=$rss_start
: >"$WORK/rss.txt"
tick=0
while kill -0 "$WRKPID" 2>/dev/null; do
    sleep 1
    tick=$((tick + 1))
    [ $((tick % 10)) = 0 ] || continue
    now=$(($(date +%s) - start))
    r=$(rss_kib)
    echo "$now $r" >>"$WORK/rss.txt"
    rss_last=$r
    [ "$r" -gt "$rss_max" ] && rss_max=$r
    [ -z "$rss_warm" ] && [ "$now" -ge "$warm" ] && rss_warm=$r
done
wait "$WRKPID" || true
wait "$PROBEPID" || true
PROBEPID=
rss_idle=$(rss_kib)
[ -n "$rss_warm" ] || rss_warm=$rss_start

curl -sS --cacert "$WORK/ca.crt" "https://localhost:$PORT/metrics" >"$WORK/metrics"
kill -TERM "$PID"
wait "$PID" || true
PID=

sed -n '/^requests:/,$p' "$WORK/wrk.out"
read -r probes_ok probes_bad <"$WORK/probes"
echo "probes (new TLS connection each): $probes_ok ok, $probes_bad failed"
echo "RSS samples (s KiB): $(tr '\n' ' ' <"$WORK/rss.txt")"
awk -v s="$rss_start" -v w="$rss_warm" -v e="$rss_last" -v m="$rss_max" -v i="$rss_idle" 'BEGIN {
    printf "RSS: start %.2f MiB, after warm-up %.2f MiB, last sample under load %.2f MiB, max %.2f MiB, idle after the load %.2f MiB\n",
        s / 1024, w / 1024, e / 1024, m / 1024, i / 1024
    printf "RSS growth under load after warm-up: %+.2f MiB\n", (e - w) / 1024 }'
grep -E '^migration_webhook_requests_total' "$WORK/metrics" | awk '{ n += $NF } END { print "requests counted in /metrics: " n }'
grep -E '^migration_webhook_requests_total.*verdict="error"' "$WORK/metrics" || true
errors=$(sed -n 's/^errors: \([0-9]*\).*/\1/p' "$WORK/wrk.out")
[ "${errors:-1}" = 0 ] && [ "$probes_bad" = 0 ] || { echo "soak: FAILED"; exit 1; }
echo "soak: passed"
