#!/usr/bin/env bash
# tests/integration/test_server.sh - the real binary over TLS: a CA and a
# serving certificate from `certs create`, then good and bad requests with
# curl --cacert (the SAN is checked, no -k), and a clean SIGTERM exit.
# Serving from --cluster-dir (and --dev) never maps libcurl: it is loaded only
# to talk to an API server.
set -u

# shellcheck source=tests/integration/serve_test.sh
. "$(dirname "$0")/serve_test.sh"
needs curl jq python3 openssl
SRC=${MW_SOURCE_DIR:-$DATA/../..}

WORK=$(mktemp -d)
PID=
cleanup() {
    [ -n "$PID" ] && kill -KILL "$PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

# ---- certificates -------------------------------------------------------
"$BIN" certs create --host localhost,127.0.0.1 --out-dir "$WORK" >/dev/null || { echo "FAIL: certs create"; exit 1; }
[ "$(stat -c %a "$WORK/tls.key")" = 600 ] && pass "tls.key is 0600" || fail "tls.key mode $(stat -c %a "$WORK/tls.key")"

# ---- start --------------------------------------------------------------
"$BIN" serve --listen 127.0.0.1:0 --tls-cert "$WORK/tls.crt" --tls-key "$WORK/tls.key" \
    --cluster-dir "$DATA/server/cluster" 2>"$WORK/server.log" &
PID=$!
PORT=$(wait_for_port "$WORK/server.log") || { cat "$WORK/server.log"; echo "FAIL: server did not start"; exit 1; }
BASE="https://localhost:$PORT"
CURL=(curl -sS --max-time 20 --cacert "$WORK/ca.crt")

# no_libcurl_mapped PID WHAT: the running server has not loaded libcurl.
no_libcurl_mapped() {
    if [ ! -r "/proc/$1/maps" ]; then
        fail "$2: cannot read /proc/$1/maps"
    elif grep -q 'libcurl' "/proc/$1/maps"; then
        fail "$2 maps libcurl: $(grep -m1 libcurl "/proc/$1/maps")"
    else
        pass "$2 does not map libcurl"
    fi
}

# post PATH BODYFILE [curl args...] -> prints "<status>" and leaves the body in $WORK/out
post() {
    local path=$1 file=$2
    shift 2
    "${CURL[@]}" -o "$WORK/out" -w '%{http_code}' -X POST "$BASE$path" --data-binary "@$file" "$@"
}
post_json() {
    local path=$1 file=$2
    shift 2
    post "$path" "$file" -H 'Content-Type: application/json' "$@"
}

still_answers() {
    [ "$("${CURL[@]}" -o /dev/null -w '%{http_code}' "$BASE/healthz")" = 200 ] || fail "server stopped answering after: $1"
}

expect_error() { # name status
    local got=$3
    if [ "$got" = "$2" ] && [ "$(jq -r .code "$WORK/out")" = "$2" ] && jq -e '.error | type == "string"' "$WORK/out" >/dev/null &&
        [ "$(wc -l <"$WORK/out")" -le 1 ]; then
        pass "$1 -> $2 $(cat "$WORK/out")"
    else
        fail "$1: want $2 with a JSON error, got $got $(head -c 200 "$WORK/out")"
    fi
    still_answers "$1"
}

# ---- probes -------------------------------------------------------------
for probe in healthz readyz; do
    code=$("${CURL[@]}" -o "$WORK/out" -w '%{http_code}' "$BASE/$probe")
    [ "$code" = 200 ] && pass "/$probe 200" || fail "/$probe: $code"
done

# ---- good reviews -------------------------------------------------------
REVIEW="$DATA/server/constructed-admissionreview-vmim-create-request.json"
code=$(post_json /validate "$REVIEW")
if [ "$code" = 200 ] && jq -e '.apiVersion == "admission.k8s.io/v1" and .kind == "AdmissionReview" and
        .response.uid == "2b0f6f7a-7c1e-4a4f-9a51-3f0a6f1d0c11" and (.response.allowed | type == "boolean")' \
        "$WORK/out" >/dev/null; then
    pass "VMIM review answered, uid echoed"
else
    fail "VMIM review: $code $(cat "$WORK/out")"
fi

jq '.apiVersion = "admission.k8s.io/v1beta1"' "$REVIEW" >"$WORK/v1beta1.json"
code=$(post_json /validate "$WORK/v1beta1.json")
jq -e '.apiVersion == "admission.k8s.io/v1beta1"' "$WORK/out" >/dev/null && [ "$code" = 200 ] &&
    pass "v1beta1 answered in v1beta1" || fail "v1beta1: $code $(cat "$WORK/out")"

jq '.request.operation = "DELETE"' "$REVIEW" >"$WORK/delete.json"
code=$(post_json /validate "$WORK/delete.json")
jq -e '.response.allowed == true and (.response | has("status") | not)' "$WORK/out" >/dev/null && [ "$code" = 200 ] &&
    pass "VMIM DELETE allowed" || fail "DELETE: $code $(cat "$WORK/out")"

code=$(post_json /mutate "$DATA/server/constructed-admissionreview-pod-create-request.json")
jq -e '.response.uid == "7e5a4c33-1d2b-4c9e-8f10-6b2a9c0d4e22" and (.response.allowed == true)' "$WORK/out" >/dev/null &&
    [ "$code" = 200 ] && pass "pod review on /mutate answered" || fail "/mutate: $code $(cat "$WORK/out")"

code=$(post /validate "$REVIEW" -H 'Content-Type: Application/JSON; charset=utf-8')
[ "$code" = 200 ] && pass "content type with parameters accepted" || fail "content type params: $code"

# Exactly the limit (8 MiB) is accepted: the review padded with spaces.
python3 - "$REVIEW" "$WORK/exact.json" <<'PY'
import sys
body = open(sys.argv[1], 'rb').read().rstrip()
open(sys.argv[2], 'wb').write(body + b' ' * (8 * 1024 * 1024 - len(body)))
PY
code=$(post_json /validate "$WORK/exact.json")
[ "$code" = 200 ] && pass "exactly 8 MiB accepted" || fail "8 MiB body: $code $(head -c 200 "$WORK/out")"

# ---- bad requests -------------------------------------------------------
bad() { printf '%s' "$2" >"$WORK/bad.json"; expect_error "$1" 400 "$(post_json /validate "$WORK/bad.json")"; }
bad "malformed JSON" '{"request":'
bad "body is an array" '[{"request":{"uid":"a"}}]'
bad "request not an object" '{"request":"x"}'
bad "uid missing" '{"request":{}}'
bad "uid empty" '{"request":{"uid":""}}'
bad "uid not a string" '{"request":{"uid":7}}'
printf '{"request":{"uid":"\xff\xfe"}}' >"$WORK/bad.json"
expect_error "invalid UTF-8" 400 "$(post_json /validate "$WORK/bad.json")"
: >"$WORK/empty.json"
expect_error "empty body" 400 "$(post_json /validate "$WORK/empty.json")"

head -c $((9 * 1024 * 1024)) /dev/zero | tr '\0' ' ' >"$WORK/big.json"
expect_error "9 MiB body" 413 "$(post_json /validate "$WORK/big.json")"
# The API server always sends Content-Length; a chunked review body is refused before it is read.
expect_error "9 MiB chunked body" 411 "$(post_json /validate "$WORK/big.json" -H 'Transfer-Encoding: chunked')"

code=$("${CURL[@]}" -o "$WORK/out" -D "$WORK/headers" -w '%{http_code}' "$BASE/validate")
expect_error "GET /validate" 405 "$code"
grep -qi '^Allow: POST' "$WORK/headers" && pass "405 names Allow: POST" || fail "no Allow header: $(cat "$WORK/headers")"

expect_error "text/plain" 415 "$(post /validate "$REVIEW" -H 'Content-Type: text/plain')"
expect_error "no content type" 415 "$(post /validate "$REVIEW" -H 'Content-Type:')"
expect_error "unknown path" 404 "$("${CURL[@]}" -o "$WORK/out" -w '%{http_code}' "$BASE/nope")"
expect_error "unknown path, wrong method too" 404 "$(post_json /nope "$REVIEW")"
expect_error "wrong method and too large" 405 "$("${CURL[@]}" -o "$WORK/out" -w '%{http_code}' -X PUT "$BASE/mutate" --data-binary @"$WORK/big.json")"
expect_error "too large and wrong type" 413 "$(post /validate "$WORK/big.json" -H 'Content-Type: text/plain')"

start=$(date +%s)
curl -s --max-time 10 -o /dev/null "http://127.0.0.1:$PORT/healthz"
rc=$?
elapsed=$(($(date +%s) - start))
[ "$rc" != 0 ] && [ "$rc" != 28 ] && pass "plain HTTP refused (curl exit $rc)" || fail "plain HTTP: curl exit $rc after ${elapsed}s"
still_answers "plain HTTP"

# ---- metrics ------------------------------------------------------------
code=$("${CURL[@]}" -o "$WORK/metrics" -D "$WORK/headers" -w '%{http_code}' "$BASE/metrics")
[ "$code" = 200 ] && grep -qi '^Content-Type: text/plain; version=0.0.4' "$WORK/headers" && pass "/metrics 200 text format" ||
    fail "/metrics: $code $(cat "$WORK/headers")"
for series in 'migration_webhook_requests_total{path="/validate",resource="virtualmachineinstancemigrations",operation="CREATE",verdict="' \
    'migration_webhook_requests_total{path="/mutate",resource="pods",operation="CREATE",' \
    'migration_webhook_requests_total{path="/validate",resource="",operation="",verdict="error",webhook="/validate"}' \
    'migration_webhook_request_duration_seconds_bucket{le="0.0001"}' \
    'migration_webhook_request_duration_seconds_bucket{le="+Inf"}' \
    'migration_webhook_requests_in_flight 0' \
    'migration_webhook_certificate_expiry_timestamp_seconds '; do
    grep -qF "$series" "$WORK/metrics" && pass "metric: $series" || fail "metric missing: $series"
done
expiry=$(sed -n 's/^migration_webhook_certificate_expiry_timestamp_seconds //p' "$WORK/metrics")
want=$(date -d "$(openssl x509 -in "$WORK/tls.crt" -noout -enddate | cut -d= -f2)" +%s 2>/dev/null)
[ -n "$want" ] && [ "$expiry" = "$want" ] && pass "certificate expiry metric is notAfter" || fail "expiry $expiry, want $want"

# ---- logs ---------------------------------------------------------------
if grep '"msg":"review"' "$WORK/server.log" | jq -s -e 'any(.[]; .uid == "2b0f6f7a-7c1e-4a4f-9a51-3f0a6f1d0c11" and
        .path == "/validate" and .resource == "virtualmachineinstancemigrations" and .operation == "CREATE" and
        .namespace == "default" and (.verdict | IN("allowed","denied","warned")) and (.rules | type == "array") and
        (.durationUs | type == "number"))' >/dev/null; then
    pass "review log line"
else
    fail "review log line missing: $(grep review "$WORK/server.log" | head -2)"
fi
jq -e . "$WORK/server.log" >/dev/null && pass "every log line is JSON" || fail "a log line is not JSON"

# ---- certificate rotation -----------------------------------------------
mkdir -p "$WORK/new"
"$BIN" certs create --host localhost,127.0.0.1 --out-dir "$WORK/new" >/dev/null
mv "$WORK/new/tls.crt" "$WORK/tls.crt"
mv "$WORK/new/tls.key" "$WORK/tls.key"
OLD_CA="$WORK/old-ca.crt"
mv "$WORK/ca.crt" "$OLD_CA"
mv "$WORK/new/ca.crt" "$WORK/ca.crt"
for _ in $(seq 1 100); do grep -q '"msg":"certificate reloaded"' "$WORK/server.log" && break; sleep 0.1; done
grep -q '"msg":"certificate reloaded"' "$WORK/server.log" && pass "rotated certificate reloaded" ||
    fail "no reload: $(tail -3 "$WORK/server.log")"
code=$(post_json /validate "$REVIEW")
[ "$code" = 200 ] && pass "new certificate served, no restart" || fail "after rotation: $code"
curl -s --max-time 10 --cacert "$OLD_CA" -o /dev/null "$BASE/healthz"
rc=$?
[ "$rc" = 60 ] && pass "old CA no longer verifies" || fail "old CA: curl exit $rc"

# ---- connections ----------------------------------------------------------
# Connections opened at once are spread over the server threads, not all kept by one of them.
if command -v wrk >/dev/null; then
    workers=$(cat /proc/"$PID"/task/*/comm | grep -c '^MHD-single$') # one daemon thread per core
    conns=$((4 * workers))
    wrk -t1 -c"$conns" -d2s "$BASE/healthz" >"$WORK/wrk.out" 2>&1 || fail "wrk: $(cat "$WORK/wrk.out")"
    busy= idle=
    for t in /proc/"$PID"/task/*; do
        [ "$(cat "$t/comm")" = MHD-single ] || continue
        ticks=$(awk '{print $14 + $15}' "$t/stat")
        if [ "$ticks" -gt 0 ]; then busy="$busy $ticks"; else idle="$idle $ticks"; fi
    done
    [ -n "$busy" ] && [ -z "$idle" ] && pass "$conns connections at once: each of the $workers server threads served (CPU ticks:$busy)" ||
        fail "$conns connections at once: threads busy:$busy idle:$idle"
else
    echo "skip: wrk not installed (thread spread)"
fi
"$BIN" serve --listen "127.0.0.1:$PORT" --tls-cert "$WORK/tls.crt" --tls-key "$WORK/tls.key" \
    --cluster-dir "$DATA/server/cluster" 2>"$WORK/second.log"
rc=$?
[ "$rc" = 2 ] && grep -q "cannot listen on 127.0.0.1:$PORT: Address already in use" "$WORK/second.log" &&
    pass "a second server on the same port: one line, exit 2" || fail "second server: exit $rc $(cat "$WORK/second.log")"
still_answers "a second server on the same port"

# ---- libraries ----------------------------------------------------------
no_libcurl_mapped "$PID" "serve --cluster-dir, after the reviews above,"

# ---- SIGTERM ------------------------------------------------------------
kill -TERM "$PID"
for _ in $(seq 1 150); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$PID" 2>/dev/null; then
    fail "still running 15 s after SIGTERM"
else
    wait "$PID"
    rc=$?
    [ "$rc" = 0 ] && pass "SIGTERM: exit 0" || fail "SIGTERM: exit $rc"
fi
PID=

# ---- --dev --------------------------------------------------------------
"$BIN" serve --dev --listen 127.0.0.1:0 --cluster-dir "$DATA/server/cluster" >"$WORK/dev.out" 2>"$WORK/dev.log" &
PID=$!
DEVPORT=$(wait_for_port "$WORK/dev.log") || fail "--dev did not start: $(cat "$WORK/dev.log")"
if [ -n "${DEVPORT:-}" ]; then
    no_libcurl_mapped "$PID" "serve --dev"
    for _ in $(seq 1 50); do grep -q curl "$WORK/dev.out" && break; sleep 0.1; done
    grep -q "curl -sk https://127.0.0.1:$DEVPORT/validate -H 'Content-Type: application/json' --data @.*examples/reviews/vmim-cdrom.json" \
        "$WORK/dev.out" && pass "--dev prints a curl line" || fail "--dev output: $(cat "$WORK/dev.out")"
    cd "$SRC" && code=$(curl -sk --max-time 10 -o "$WORK/out" -w '%{http_code}' "https://127.0.0.1:$DEVPORT/validate" \
        -H 'Content-Type: application/json' --data @examples/reviews/vmim-cdrom.json)
    [ "$code" = 200 ] && jq -e '.response.uid == "6c1f0b9e-0001-4c2a-9d1e-cd0000000001"' "$WORK/out" >/dev/null &&
        pass "--dev answers the example review" || fail "--dev review: $code $(cat "$WORK/out")"
fi
kill -INT "$PID"
wait "$PID"
rc=$?
[ "$rc" = 0 ] && pass "SIGINT: exit 0" || fail "SIGINT: exit $rc"
PID=

# ---- client certificates ------------------------------------------------
# A client CA and three client certificates: clientAuth, no extended key usage at all (accepted,
# as Go and kube-apiserver accept it), and serverAuth only (refused).
mkdir -p "$WORK/client"
client_cert() { # NAME EXTENSIONS
    (cd "$WORK/client" &&
        openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" -out "$1.csr" \
            -subj "/CN=apiserver-$1" &&
        printf '%s\n' "$2" >"$1.ext" &&
        openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -extfile "$1.ext" \
            -out "$1.crt") >/dev/null 2>&1 || fail "openssl: client certificate $1"
}
(cd "$WORK/client" && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key \
    -out ca.crt -days 2 -subj /CN=client-ca) >/dev/null 2>&1 || fail "openssl: client CA"
client_cert tls 'extendedKeyUsage=clientAuth'
client_cert noeku 'basicConstraints=CA:FALSE'
client_cert serveronly 'extendedKeyUsage=serverAuth'
"$BIN" serve --listen 127.0.0.1:0 --tls-cert "$WORK/tls.crt" --tls-key "$WORK/tls.key" --client-ca "$WORK/client/ca.crt" \
    --cluster-dir "$DATA/server/cluster" 2>"$WORK/mtls.log" &
PID=$!
MPORT=$(wait_for_port "$WORK/mtls.log") || fail "--client-ca did not start: $(cat "$WORK/mtls.log")"
if [ -n "${MPORT:-}" ]; then
    BASE="https://localhost:$MPORT"
    expect_error "review without a client certificate" 403 "$(post_json /validate "$REVIEW")"
    code=$(post_json /validate "$REVIEW" --cert "$WORK/client/tls.crt" --key "$WORK/client/tls.key")
    [ "$code" = 200 ] && pass "review with a trusted client certificate" || fail "mTLS review: $code $(cat "$WORK/out")"
    code=$(post_json /validate "$REVIEW" --cert "$WORK/client/noeku.crt" --key "$WORK/client/noeku.key")
    [ "$code" = 200 ] && pass "client certificate without extended key usage accepted" ||
        fail "no-EKU client certificate: $code $(cat "$WORK/out")"
    expect_error "serverAuth-only client certificate" 403 \
        "$(post_json /validate "$REVIEW" --cert "$WORK/client/serveronly.crt" --key "$WORK/client/serveronly.key")"
    expect_error "client certificate from another CA" 403 \
        "$(post_json /validate "$REVIEW" --cert "$WORK/tls.crt" --key "$WORK/tls.key")"
    for open_path in healthz readyz metrics; do
        code=$("${CURL[@]}" -o /dev/null -w '%{http_code}' "$BASE/$open_path")
        [ "$code" = 200 ] && pass "/$open_path open without a client certificate" || fail "/$open_path with --client-ca: $code"
    done
fi
kill -TERM "$PID"
wait "$PID"
PID=

# ---- usage errors -------------------------------------------------------
"$BIN" serve --bogus 2>"$WORK/err"; rc=$?
[ "$rc" = 2 ] && [ "$(wc -l <"$WORK/err")" = 1 ] && pass "bad flag: exit 2, one line" || fail "bad flag: $rc $(cat "$WORK/err")"
printf 'rules: {cdrom: block}\n' >"$WORK/bad.yaml"
"$BIN" serve --config "$WORK/bad.yaml" --cluster-dir "$DATA/server/cluster" 2>"$WORK/err"; rc=$?
[ "$rc" = 2 ] && grep -q "bad.yaml" "$WORK/err" && [ "$(wc -l <"$WORK/err")" = 1 ] &&
    pass "bad config: exit 2, one line naming the file" || fail "bad config: $rc $(cat "$WORK/err")"

[ "$failures" = 0 ] || { echo "$failures failure(s)"; exit 1; }
echo "all passed"
