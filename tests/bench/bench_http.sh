#!/usr/bin/env bash
# tests/bench/bench_http.sh - throughput and latency of the webhook over
# keep-alive TLS, next to the ceiling of TLS + HTTP alone, in one run.
#
# Starts `serve` on the example cluster (examples/cluster) and nginx (Debian
# nginx-light) on loopback with the same certificate, keep-alive and TLS
# versions; nginx answers each path with the webhook's own answer for that
# review as a canned body of the same size, so the difference is the cost of
# the decision.  For each review (make_reviews.py) it runs wrk against both for
# SECONDS, then the webhook again paced at half its peak rate, and prints
# requests/s, p50, p99, the fraction of the nginx ceiling, and the server's RSS
# (idle, and the peak under load).  Numbers are for comparison within one run.
#
#   tests/bench/bench_http.sh [BIN] [seconds] [connections] [wrk threads]
#   MW_BENCH_ONLY=vm-12k tests/bench/bench_http.sh   (one review only)
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BIN=${1:-$ROOT/build-rel/migration-webhook}
SECS=${2:-10}
CONNS=${3:-16}
THREADS=${4:-1}
NGINX=${NGINX:-/usr/sbin/nginx}
command -v wrk >/dev/null || { echo "wrk is missing"; exit 2; }
command -v jq >/dev/null || { echo "jq is missing"; exit 2; }
[ -x "$NGINX" ] || { echo "nginx is missing (Debian nginx-light)"; exit 2; }
[ -x "$BIN" ] || { echo "no binary at $BIN (cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release && cmake --build build-rel)"; exit 2; }

WORK=$(mktemp -d)
PID= NGINX_PID=
cleanup() {
    [ -n "$PID" ] && kill -TERM "$PID" 2>/dev/null
    [ -n "$NGINX_PID" ] && kill -QUIT "$NGINX_PID" 2>/dev/null
    wait 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

python3 "$HERE/make_reviews.py" "$WORK/bodies"

# ---- the webhook
# shellcheck source=tests/integration/serve_test.sh
MW_BIN=$BIN MW_TEST_DATA=$ROOT/tests/data . "$ROOT/tests/integration/serve_test.sh"
serve_with_certs "$WORK" --cluster-dir "$ROOT/examples/cluster"
# CPU ticks (user + system) of a process and its children processes (nginx workers).
cpu_ticks() {
    local total=0 p
    for p in "$1" $(cat /proc/"$1"/task/*/children 2>/dev/null); do
        total=$((total + $(awk '{print $14 + $15}' "/proc/$p/stat")))
    done
    echo "$total"
}
HZ=$(getconf CLK_TCK)
rss_kib() { awk -v k="$2" '$1 == k":" {print $2}' "/proc/$1/status"; }

# name  path  body
SCENARIOS="vm-12k:validate vm-200k:validate vmim-denied:validate pod-mutated:mutate"
if [ -n "${MW_BENCH_ONLY:-}" ]; then  # e.g. MW_BENCH_ONLY=vm-12k: one review only
    SCENARIOS=$(for s in $SCENARIOS; do [ "${s%%:*}" = "$MW_BENCH_ONLY" ] && echo "$s"; done; true)
fi

# ---- canned answers: exactly what the webhook answers for each review
for s in $SCENARIOS; do
    name=${s%%:*} path=${s#*:}
    curl -sk --fail "https://127.0.0.1:$PORT/$path" -H 'Content-Type: application/json' \
        --data-binary "@$WORK/bodies/$name.json" -o "$WORK/answer-$name.json"
done

# ---- nginx: the same certificate, keep-alive, TLS versions, worker count = server threads (one per core)
NGINX_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$WORK/nginx/logs"
python3 - "$WORK" "$NGINX_PORT" "$(nproc)" $SCENARIOS <<'PY'
import sys
work, port, workers, scenarios = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
locs = []
for s in scenarios:
    name = s.split(":")[0]
    body = open(f"{work}/answer-{name}.json").read()
    body = body.replace("\\", "\\\\").replace("'", "\\'")
    locs.append(f"    location = /{name} {{ default_type application/json; return 200 '{body}'; }}")
conf = f"""
worker_processes {workers};
pid {work}/nginx/nginx.pid;
error_log {work}/nginx/logs/error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {work}/nginx/body;
  proxy_temp_path {work}/nginx/proxy;
  keepalive_requests 10000000;
  keepalive_timeout 120s;
  client_max_body_size 8m;
  client_body_buffer_size 256k;
  server {{
    listen 127.0.0.1:{port} ssl;
    ssl_certificate {work}/certs/tls.crt;
    ssl_certificate_key {work}/certs/tls.key;
    ssl_protocols TLSv1.2 TLSv1.3;
{chr(10).join(locs)}
  }}
}}
"""
open(f"{work}/nginx/nginx.conf", "w").write(conf)
PY
"$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -g 'daemon off;' 2>"$WORK/nginx/stderr" &
NGINX_PID=$!
for _ in $(seq 1 100); do
    curl -sk -o /dev/null "https://127.0.0.1:$NGINX_PORT/vm-12k" -d '{}' 2>/dev/null && break
    sleep 0.05
done
for s in $SCENARIOS; do
    name=${s%%:*}
    curl -sk "https://127.0.0.1:$NGINX_PORT/$name" -H 'Content-Type: application/json' \
        --data-binary "@$WORK/bodies/$name.json" | cmp -s - "$WORK/answer-$name.json" ||
        { cat "$WORK/nginx/stderr" "$WORK/nginx/logs/error.log"; echo "nginx does not answer $name"; exit 1; }
done

IDLE_RSS=$(rss_kib "$PID" VmRSS)

# run_wrk PID URL BODY [RATE] -> "rps p50 p99 errors cpu-us-per-request" (CPU of PID and its children)
run_wrk() {
    local before after
    before=$(cpu_ticks "$1")
    MW_BENCH_BODY="$3" MW_BENCH_RATE="${4:-}" MW_BENCH_CONNECTIONS="$CONNS" \
        wrk -t"$THREADS" -c"$CONNS" -d"${SECS}s" -s "$HERE/post_review.lua" "$2" >"$WORK/wrk.out"
    after=$(cpu_ticks "$1")
    awk -v t=$((after - before)) -v hz="$HZ" '/^requests\/s:/ {r=$2} /^p50:/ {a=$2} /^p99:/ {b=$2}
        /^requests:/ {n=$2; e=$4} END {sub(",", "", n); printf "%s %s %s %s %.0f\n", r, a, b, e, n ? t * 1e6 / hz / n : 0}' "$WORK/wrk.out"
}

echo "migration-webhook $($BIN version 2>/dev/null || true) vs nginx $($NGINX -v 2>&1 | sed 's/.*nginx\///')"
echo "${SECS}s per run, $CONNS keep-alive TLS connections, $THREADS wrk thread(s), $(nproc) cores (shared machine: compare within this run)"
echo "cpu = CPU time of the server (nginx: master + workers) per request, in microseconds: steadier than r/s on a shared machine"
printf '%-12s %8s | %9s %8s %8s %6s | %9s %8s %8s %6s | %6s %6s | %9s %8s %8s\n' review body "ours r/s" p50ms p99ms cpu \
    "nginx r/s" p50ms p99ms cpu "r/s" "cpu" "half r/s" p50ms p99ms
printf '%-12s %8s | %35s | %35s | %13s |\n' "" "" "" "" "ours/nginx"
LOAD_RSS=0
for s in $SCENARIOS; do
    name=${s%%:*} path=${s#*:}
    body="$WORK/bodies/$name.json"
    read -r o_rps o_p50 o_p99 o_err o_cpu < <(run_wrk "$PID" "https://127.0.0.1:$PORT/$path?timeout=10s" "$body")
    rss=$(rss_kib "$PID" VmHWM)
    [ "$rss" -gt "$LOAD_RSS" ] && LOAD_RSS=$rss
    read -r n_rps n_p50 n_p99 n_err n_cpu < <(run_wrk "$NGINX_PID" "https://127.0.0.1:$NGINX_PORT/$name" "$body")
    half=$(awk -v r="$o_rps" 'BEGIN {printf "%d", r / 2}')
    read -r h_rps h_p50 h_p99 h_err h_cpu < <(run_wrk "$PID" "https://127.0.0.1:$PORT/$path?timeout=10s" "$body" "$half")
    ratio=$(awk -v a="$o_rps" -v b="$n_rps" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}')
    cpu_ratio=$(awk -v a="$o_cpu" -v b="$n_cpu" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}')
    printf '%-12s %7dK | %9s %8s %8s %6s | %9s %8s %8s %6s | %6s %6s | %9s %8s %8s\n' "$name" \
        "$(( $(wc -c <"$body") / 1024 ))" "$o_rps" "$o_p50" "$o_p99" "$o_cpu" "$n_rps" "$n_p50" "$n_p99" "$n_cpu" \
        "$ratio" "$cpu_ratio" "$h_rps" "$h_p50" "$h_p99"
    [ "$o_err$n_err$h_err" = "000" ] || echo "  errors: ours $o_err, nginx $n_err, half-rate $h_err"
done
echo "server RSS: idle $((IDLE_RSS / 1024)).$(( (IDLE_RSS % 1024) * 10 / 1024 )) MiB ($IDLE_RSS KiB), peak under load $((LOAD_RSS / 1024)).$(( (LOAD_RSS % 1024) * 10 / 1024 )) MiB ($LOAD_RSS KiB)"

# ---- the floor of our HTTP stack: libmicrohttpd + GnuTLS with the same options and a canned answer
# (tests/bench/mhd_floor.c, built next to the binary): how much of the gap to nginx is the library's.
FLOOR=${MW_FLOOR:-$(dirname "$BIN")/tests/mhd_floor}
if [ -x "$FLOOR" ]; then
    echo
    echo "libmicrohttpd floor (same TLS and thread options, canned answer, no JSON, no decision):"
    printf '%-12s | %9s %6s | %12s | %11s\n' review "floor r/s" cpu "floor/nginx" "ours/floor"
    for s in $SCENARIOS; do
        name=${s%%:*}
        FPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
        "$FLOOR" "$WORK/certs/tls.crt" "$WORK/certs/tls.key" "$WORK/answer-$name.json" "$FPORT" &
        FLOOR_PID=$!
        for _ in $(seq 1 100); do
            curl -sk -o /dev/null "https://127.0.0.1:$FPORT/" -d '{}' 2>/dev/null && break
            sleep 0.05
        done
        read -r f_rps f_p50 f_p99 f_err f_cpu < <(run_wrk "$FLOOR_PID" "https://127.0.0.1:$FPORT/$name" "$WORK/bodies/$name.json")
        kill -TERM "$FLOOR_PID" 2>/dev/null
        wait "$FLOOR_PID" 2>/dev/null || true
        read -r n_rps _ < <(run_wrk "$NGINX_PID" "https://127.0.0.1:$NGINX_PORT/$name" "$WORK/bodies/$name.json")
        read -r o_rps _ < <(run_wrk "$PID" "https://127.0.0.1:$PORT/${s#*:}?timeout=10s" "$WORK/bodies/$name.json")
        printf '%-12s | %9s %6s | %12s | %11s\n' "$name" "$f_rps" "$f_cpu" \
            "$(awk -v a="$f_rps" -v b="$n_rps" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}')" \
            "$(awk -v a="$o_rps" -v b="$f_rps" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}')"
    done
fi
