#!/usr/bin/env bash
# tests/integration/test_chaos.sh - the webhook under trouble, with reviews
# flowing the whole time (python3 clients over TLS, verifying the certificate):
#   1. the serving certificate is rotated the way a mounted Secret is (the
#      ..data symlink swapped), several times, plus one bad pair that must be
#      refused: no request fails, no handshake fails, the new certificate is
#      served;
#   2. 500 idle TCP connections and 20 slow-body clients are held open while
#      normal reviews keep being answered; then hostile bodies (deep nesting, a
#      huge array, a huge name) are answered and never echoed in the log;
#   3. SIGTERM under load: /readyz turns 503 at once, answers say
#      `Connection: close`, no request that reached the server fails, exit 0.
# Counts are printed; only counts are asserted, never timings.
set -u

# shellcheck source=tests/integration/serve_test.sh
. "$(dirname "$0")/serve_test.sh"
needs curl jq python3 openssl

WORK=$(mktemp -d)
PID=
LOADPID=
cleanup() {
    [ -n "$LOADPID" ] && kill "$LOADPID" 2>/dev/null
    [ -n "$PID" ] && kill -KILL "$PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

REVIEW="$DATA/server/constructed-admissionreview-vmim-create-request.json"
POD_REVIEW="$DATA/server/constructed-admissionreview-pod-create-request.json"

# ---- certificates: one CA, three serving pairs, one key that fits none ----
cd "$WORK" || exit 1
openssl_quiet() { openssl "$@" >/dev/null 2>&1 || { echo "FAIL: openssl $*"; exit 1; }; }
openssl_quiet req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.crt -days 2 \
    -subj /CN=chaos-ca
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >ext.cnf
for n in 1 2 3; do
    openssl_quiet req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "key$n.pem" -out "req$n.csr" \
        -subj "/CN=localhost-$n"
    openssl_quiet x509 -req -in "req$n.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days $((n + 1)) \
        -extfile ext.cnf -out "crt$n.pem"
done
openssl_quiet genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out stray.key

# A Secret volume: SECRET/tls.crt -> ..data/tls.crt, ..data -> ..<version>/
SECRET="$WORK/secret"
mkdir -p "$SECRET"
version=0
publish_pair() { # CERT KEY: a new version directory, then the ..data symlink swapped atomically
    version=$((version + 1))
    mkdir "$SECRET/..v$version"
    cp "$1" "$SECRET/..v$version/tls.crt"
    cp "$2" "$SECRET/..v$version/tls.key"
    ln -sfn "..v$version" "$SECRET/..data_tmp"
    mv -T "$SECRET/..data_tmp" "$SECRET/..data"
}
publish_pair crt1.pem key1.pem
ln -s ..data/tls.crt "$SECRET/tls.crt"
ln -s ..data/tls.key "$SECRET/tls.key"

# ---- the python clients -----------------------------------------------------
cat >"$WORK/chaos.py" <<'PY'
"""Load and nuisance clients for test_chaos.sh.  Prints one JSON line of counts."""
import http.client, json, os, socket, ssl, sys, threading, time

mode, port, ca = sys.argv[1], int(sys.argv[2]), sys.argv[3]
bodies = [(p, open(f, 'rb').read()) for p, f in (('/validate', sys.argv[4]), ('/mutate', sys.argv[5]))]
ctx = ssl.create_default_context(cafile=ca)
lock = threading.Lock()
stats = {'ok': 0, 'failed': 0, 'refused': 0, 'handshakes': 0, 'close_headers': 0, 'errors': []}

def bump(key, detail=None):
    with lock:
        stats[key] += 1
        if detail and len(stats['errors']) < 10:
            stats['errors'].append(detail)

def one_review(conn, i):
    """Sends one review on conn (connected); True when the connection may be reused."""
    path, body = bodies[i % 2]
    try:
        conn.request('POST', path + '?timeout=10s', body, {'Content-Type': 'application/json'})
    except OSError as e:  # the server went away between two requests: nothing was taken
        bump('refused')
        return False
    try:
        r = conn.getresponse()
        data = r.read()
        answer = json.loads(data)
        if r.status != 200 or 'response' not in answer:
            bump('failed', '%d %s' % (r.status, data[:200]))
            return False
        if (r.getheader('Connection') or '').lower() == 'close':
            bump('close_headers')
        bump('ok')
        return not r.will_close
    except Exception as e:  # the request was sent: this is a failed review
        bump('failed', repr(e))
        return False

def connect():
    conn = http.client.HTTPSConnection('localhost', port, context=ctx, timeout=20)
    try:
        conn.connect()
    except ssl.SSLError as e:
        bump('failed', 'handshake: %r' % e)  # a failed handshake counts as a failed request
        return None
    except OSError:
        bump('refused')
        return None
    bump('handshakes')
    return conn

def load_worker(stop_at, keep_alive, seed):
    i, conn = seed, None
    while time.time() < stop_at and not os.path.exists(stop_file):
        if conn is None:
            conn = connect()
            if conn is None:
                time.sleep(0.05)
                continue
        reuse = one_review(conn, i) and keep_alive
        i += 1
        if not reuse:
            conn.close()
            conn = None
    if conn:
        conn.close()

if mode == 'load':  # load PORT CA REVIEW POD_REVIEW SECONDS THREADS STOPFILE
    seconds, threads, stop_file = float(sys.argv[6]), int(sys.argv[7]), sys.argv[8]
    stop_at = time.time() + seconds
    ts = [threading.Thread(target=load_worker, args=(stop_at, n % 2 == 0, n)) for n in range(threads)]
    for t in ts: t.start()
    for t in ts: t.join()
elif mode == 'nuisance':  # nuisance PORT CA REVIEW POD_REVIEW IDLE SLOW REVIEWS
    idle_n, slow_n, reviews = int(sys.argv[6]), int(sys.argv[7]), int(sys.argv[8])
    stop_file = '/nonexistent'
    idle = []
    for _ in range(idle_n):  # connected, never a byte: not even a TLS hello
        s = socket.create_connection(('127.0.0.1', port))
        idle.append(s)
    slow = []
    for _ in range(slow_n):  # TLS up, headers sent, then a body byte now and then
        s = ctx.wrap_socket(socket.create_connection(('127.0.0.1', port)), server_hostname='localhost')
        s.sendall(b'POST /validate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n'
                  b'Content-Length: 100000\r\n\r\n{')
        slow.append(s)
    stop = threading.Event()
    def dribble():
        while not stop.is_set():
            for s in slow:
                try: s.sendall(b' ')
                except OSError: pass
            time.sleep(0.2)
    d = threading.Thread(target=dribble); d.start()
    per = reviews // 4
    ts = [threading.Thread(target=lambda n=n: [load_one_fresh(n * per + k) for k in range(per)]) for n in range(4)]
    def load_one_fresh(i):
        conn = connect()
        if conn:
            one_review(conn, i)
            conn.close()
    for t in ts: t.start()
    for t in ts: t.join()
    # still held open by the server?  An idle socket the server closed reads EOF at once.
    alive = 0
    for s in idle:
        s.setblocking(False)
        try:
            alive += 0 if s.recv(1) == b'' else 1
        except BlockingIOError:
            alive += 1
        except OSError:
            pass
    stats['idle_open_after'] = alive
    stop.set(); d.join()
    for s in idle + slow: s.close()
print(json.dumps(stats), flush=True)
PY

printf 'timeouts: {drainSeconds: 2}\n' >"$WORK/webhook.yaml"
start_server() { # LOG
    "$BIN" serve --config "$WORK/webhook.yaml" --listen 127.0.0.1:0 --tls-cert "$SECRET/tls.crt" \
        --tls-key "$SECRET/tls.key" --cluster-dir "$DATA/server/cluster" 2>"$1" &
    PID=$!
    PORT=$(wait_for_port "$1" 200) || { cat "$1"; echo "FAIL: server did not start"; exit 1; }
}
served_serial() {
    openssl s_client -connect "127.0.0.1:$PORT" -servername localhost </dev/null 2>/dev/null |
        openssl x509 -noout -serial 2>/dev/null
}
stop_server() { # SIGTERM; exit 0 (a sanitizer report would make it fail)
    kill -TERM "$PID"
    wait "$PID"
    local rc=$?
    PID=
    [ "$rc" = 0 ] && pass "server exit 0" || fail "server exit $rc"
}
count_lines() { grep -c "\"msg\":\"$2\"" "$1"; }
wait_for_lines() { # LOG MSG N
    for _ in $(seq 1 100); do [ "$(count_lines "$1" "$2")" -ge "$3" ] && return 0; sleep 0.1; done
    return 1
}
check_load() { # NAME STATSFILE MIN_OK
    local s
    s=$(tail -1 "$2")
    echo "   $1: $s"
    if jq -e --argjson min "$3" '.failed == 0 and .ok >= $min' <<<"$s" >/dev/null; then
        pass "$1: $(jq -r '"\(.ok) reviews, \(.handshakes) handshakes, 0 failed"' <<<"$s")"
    else
        fail "$1: $s"
    fi
}

# ---- 1. certificate rotation under load -----------------------------------
start_server "$WORK/rotate.log"
python3 "$WORK/chaos.py" load "$PORT" ca.crt "$REVIEW" "$POD_REVIEW" 60 6 "$WORK/stop1" >"$WORK/rotate.stats" &
LOADPID=$!
sleep 1
publish_pair crt2.pem key2.pem
wait_for_lines "$WORK/rotate.log" "certificate reloaded" 1 || fail "first rotation not taken"
sleep 0.5
publish_pair crt3.pem stray.key # a key that belongs to no certificate: refused
wait_for_lines "$WORK/rotate.log" "certificate not reloaded" 1 || fail "a bad pair was not reported"
sleep 0.5
want2=$(openssl x509 -in crt2.pem -noout -serial)
[ "$(served_serial)" = "$want2" ] && pass "bad pair refused, the previous certificate still served" ||
    fail "after the bad pair: serving $(served_serial), want $want2"
publish_pair crt3.pem key3.pem
wait_for_lines "$WORK/rotate.log" "certificate reloaded" 2 || fail "second rotation not taken"
sleep 0.5
publish_pair crt1.pem key1.pem
wait_for_lines "$WORK/rotate.log" "certificate reloaded" 3 || fail "third rotation not taken"
sleep 1
touch "$WORK/stop1"
wait "$LOADPID"
LOADPID=
check_load "rotation under load" "$WORK/rotate.stats" 50
want1=$(openssl x509 -in crt1.pem -noout -serial)
[ "$(served_serial)" = "$want1" ] && pass "the last published certificate is served" || fail "serving $(served_serial), want $want1"
[ "$(count_lines "$WORK/rotate.log" "certificate reloaded")" = 3 ] && [ "$(count_lines "$WORK/rotate.log" "certificate not reloaded")" = 1 ] &&
    pass "3 reloads and 1 refusal logged, once each" ||
    fail "reload lines: $(grep -c certificate "$WORK/rotate.log") $(grep certificate "$WORK/rotate.log")"
# Two server threads logged thousands of reviews at once: every line must still be one whole JSON object.
whole=$(python3 -c 'import json, sys
n = bad = 0
for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
    n += 1
    try:
        bad += not isinstance(json.loads(line), dict)
    except ValueError:
        bad += 1
print(n, bad)' "$WORK/rotate.log")
[ "${whole#* }" = 0 ] && [ "${whole% *}" -gt 1000 ] && pass "${whole% *} log lines written by concurrent threads, each one whole JSON object" ||
    fail "log lines (total, broken): $whole"
expiry=$(curl -sS --cacert ca.crt "https://localhost:$PORT/metrics" | sed -n 's/^migration_webhook_certificate_expiry_timestamp_seconds //p')
want=$(date -d "$(openssl x509 -in crt1.pem -noout -enddate | cut -d= -f2)" +%s)
[ "$expiry" = "$want" ] && pass "expiry metric follows the rotation" || fail "expiry metric $expiry, want $want"
stop_server

# ---- 2. idle and slow clients ----------------------------------------------
start_server "$WORK/nuisance.log"
python3 "$WORK/chaos.py" nuisance "$PORT" ca.crt "$REVIEW" "$POD_REVIEW" 500 20 200 >"$WORK/nuisance.stats"
check_load "500 idle + 20 slow-body connections" "$WORK/nuisance.stats" 200
jq -e '.idle_open_after == 500' "$WORK/nuisance.stats" >/dev/null && pass "the 500 idle connections were held, not dropped" ||
    fail "idle connections: $(jq .idle_open_after "$WORK/nuisance.stats") still open"
# Hostile bodies: answered, bounded, and never echoed into the log.
python3 - "$REVIEW" "$WORK" <<'PYB'
import json, sys
review, work = json.load(open(sys.argv[1])), sys.argv[2]
open(work + '/deep.json', 'w').write('{"request":{"uid":"deep","object":' + '[' * 200000 + ']' * 200000 + '}}')
wide = json.loads(json.dumps(review))
wide['request']['object'].setdefault('spec', {})['extra'] = list(range(700000))
wide['request']['uid'] = 'wide'
open(work + '/wide.json', 'w').write(json.dumps(wide))
named = json.loads(json.dumps(review))
named['request']['name'] = named['request']['object']['metadata']['name'] = 'n' * 1000000
named['request']['uid'] = 'u' * 100000
open(work + '/named.json', 'w').write(json.dumps(named))
PYB
hostile() { # NAME FILE WANT
    code=$(curl -sS --max-time 30 --cacert ca.crt -o "$WORK/out" -w '%{http_code}' "https://localhost:$PORT/validate" \
        -H 'Content-Type: application/json' --data-binary "@$WORK/$2")
    [ "$code" = "$3" ] && pass "$1 -> $code" || fail "$1: want $3, got $code $(head -c 200 "$WORK/out")"
}
hostile "200000 levels of nesting" deep.json 400
hostile "a 700000-element array" wide.json 200
hostile "a 1 MB name and a 100 kB uid" named.json 200
longest=$(awk '{ if (length($0) > n) n = length($0) } END { print n }' "$WORK/nuisance.log")
[ "$longest" -lt 4096 ] && pass "longest log line: $longest bytes" || fail "a log line of $longest bytes"
code=$(curl -sS --cacert ca.crt -o /dev/null -w '%{http_code}' "https://localhost:$PORT/readyz")
[ "$code" = 200 ] && pass "/readyz 200 afterwards" || fail "/readyz $code"
stop_server

# ---- 3. SIGTERM under load -------------------------------------------------
start_server "$WORK/term.log"
python3 "$WORK/chaos.py" load "$PORT" ca.crt "$REVIEW" "$POD_REVIEW" 30 6 "$WORK/stop3" >"$WORK/term.stats" &
LOADPID=$!
sleep 1
kill -TERM "$PID"
for _ in 1 2 3 4 5 6 7 8 9 10; do # the signal is taken at once; allow for a loaded machine
    ready=$(curl -sS --cacert ca.crt -o /dev/null -w '%{http_code}' "https://localhost:$PORT/readyz")
    [ "$ready" = 503 ] && break
    sleep 0.1
done
[ "$ready" = 503 ] && pass "/readyz 503 right after SIGTERM" || fail "/readyz after SIGTERM: $ready"
curl -sS --cacert ca.crt -D "$WORK/h" -o /dev/null "https://localhost:$PORT/healthz"
grep -qi '^Connection: close' "$WORK/h" && pass "answers say Connection: close while draining" || fail "headers: $(cat "$WORK/h")"
for _ in $(seq 1 400); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$PID" 2>/dev/null; then
    fail "still running 40 s after SIGTERM"
else
    wait "$PID"; rc=$?
    [ "$rc" = 0 ] && pass "SIGTERM: exit 0" || fail "SIGTERM: exit $rc"
fi
PID=
touch "$WORK/stop3"
wait "$LOADPID"
LOADPID=
check_load "SIGTERM under load" "$WORK/term.stats" 20
jq -e '.close_headers > 0' "$WORK/term.stats" >/dev/null && pass "load clients saw Connection: close" ||
    fail "no Connection: close seen by the load"
grep -q '"msg":"draining"' "$WORK/term.log" && grep -q '"msg":"stopped"' "$WORK/term.log" &&
    pass "draining and stopped logged" || fail "log: $(tail -3 "$WORK/term.log")"

[ "$failures" = 0 ] || { echo "$failures failure(s)"; exit 1; }
echo "all passed"
