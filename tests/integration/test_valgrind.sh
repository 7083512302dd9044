#!/usr/bin/env bash
# tests/integration/test_valgrind.sh - the server under valgrind memcheck:
# reviews of every kind the webhook answers (VMIM denied and allowed, VM and
# VMI warnings, KubeVirt CR, target pod patch), the error answers (400, 404,
# 405, 411, 413, 414, 415), probes and /metrics on both ports, a TLS 1.1
# hello, a SIGHUP config reload, a certificate reload, then SIGTERM.
# Passes when valgrind reports no error: no invalid read or write, no use of
# uninitialised memory, no definitely lost block.
#
# Skipped (77) without valgrind, in the sanitizer build (ASan and valgrind do
# not mix), or when MW_SKIP_VALGRIND is set.
set -u

for tool in valgrind curl jq; do
    command -v "$tool" >/dev/null || { echo "SKIP: $tool is missing"; exit 77; }
done
[ -n "${MW_SKIP_VALGRIND:-}" ] && { echo "SKIP: MW_SKIP_VALGRIND is set"; exit 77; }
BIN=${MW_BIN:?MW_BIN is the migration-webhook binary}
DATA=${MW_TEST_DATA:?MW_TEST_DATA is tests/data}
SRC=${MW_SOURCE_DIR:?MW_SOURCE_DIR is the source tree}
if grep -q '^SANITIZE:BOOL=ON' "${MW_BUILD_DIR:-/nonexistent}/CMakeCache.txt" 2>/dev/null; then
    echo "SKIP: the sanitizer build cannot run under valgrind"
    exit 77
fi

WORK=$(mktemp -d)
PID=
failures=0
trap '[ -n "$PID" ] && kill -KILL "$PID" 2>/dev/null; rm -rf "$WORK"' EXIT
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }

"$BIN" certs create --host localhost,127.0.0.1 --out-dir "$WORK" >/dev/null || { echo "FAIL: certs create"; exit 1; }
printf 'timeouts: {drainSeconds: 0}\nlimits: {maxBodyBytes: 65536}\nmetricsListen: 127.0.0.1:0\n' >"$WORK/webhook.yaml"
valgrind --quiet --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite \
    --error-exitcode=99 --log-file="$WORK/valgrind.log" \
    "$BIN" serve --config "$WORK/webhook.yaml" --listen 127.0.0.1:0 --tls-cert "$WORK/tls.crt" \
    --tls-key "$WORK/tls.key" --cluster-dir "$SRC/examples/cluster" 2>"$WORK/server.log" &
PID=$!
PORT=
for _ in $(seq 1 600); do
    PORT=$(grep '"msg":"listening"' "$WORK/server.log" 2>/dev/null | head -1 | jq -r .port 2>/dev/null)
    [ -n "$PORT" ] && [ "$PORT" != null ] && break
    PORT=
    sleep 0.1
done
[ -n "$PORT" ] || { cat "$WORK/server.log" "$WORK/valgrind.log"; echo "FAIL: server did not start under valgrind"; exit 1; }
BASE="https://localhost:$PORT"
CURL=(curl -sS --max-time 60 --cacert "$WORK/ca.crt")

post() { # PATH FILE [curl args] -> status
    "${CURL[@]}" -o "$WORK/out" -w '%{http_code}' -X POST "$BASE$1" -H 'Content-Type: application/json' \
        --data-binary "@$2" "${@:3}"
}
expect() { # NAME WANT GOT [jq filter]
    if [ "$3" = "$2" ] && { [ -z "${4:-}" ] || jq -e "$4" "$WORK/out" >/dev/null; }; then
        pass "$1"
    else
        fail "$1: want $2, got $3 $(head -c 300 "$WORK/out")"
    fi
}

CORPUS="$SRC/tests/fuzz/corpus/fuzz_review"
expect "VMIM with a CD-ROM denied" 200 "$(post /validate "$SRC/examples/reviews/vmim-cdrom.json")" '.response.allowed == false'
expect "migratable VMIM allowed" 200 "$(post /validate "$SRC/examples/reviews/vmim-migratable.json")" '.response.allowed == true'
expect "VMIM timeouts on /mutate" 200 "$(post /mutate "$SRC/examples/reviews/vmim-migratable.json")" '.response.allowed == true'
expect "VMI with a CD-ROM warned" 200 "$(post /validate "$SRC/examples/reviews/vmi-cdrom-create.json")" '.response.warnings | length > 0'
for f in "$CORPUS"/seed-virtualmachines-*.json "$CORPUS"/seed-kubevirts-*.json; do
    expect "$(basename "$f") on /validate" 200 "$(post /validate "$f")" '.response.allowed | type == "boolean"'
done
patched=0
for f in "$CORPUS"/seed-pods-*.json "$CORPUS"/seed-kubevirts-*.json; do
    expect "$(basename "$f") on /mutate" 200 "$(post /mutate "$f")" '.response.allowed == true'
    jq -e '.response.patch' "$WORK/out" >/dev/null && patched=$((patched + 1))
done
[ "$patched" -gt 0 ] && pass "$patched target pod review(s) patched" || fail "no review was patched"
printf '{"request":{"uid":' >"$WORK/bad.json"
expect "malformed JSON 400" 400 "$(post /validate "$WORK/bad.json")"
head -c 70000 /dev/zero | tr '\0' ' ' >"$WORK/big.json"
expect "body over the limit 413" 413 "$(post /validate "$WORK/big.json")"
# A chunked review is refused before its body is read (the API server always sends Content-Length).
expect "chunked review body 411" 411 "$(post /validate "$WORK/big.json" -H 'Transfer-Encoding: chunked')"
expect "wrong type 415" 415 "$("${CURL[@]}" -o "$WORK/out" -w '%{http_code}' -X POST "$BASE/validate" \
    -H 'Content-Type: text/plain' --data-binary "@$SRC/examples/reviews/vmim-cdrom.json")"
expect "GET /validate 405" 405 "$("${CURL[@]}" -o "$WORK/out" -w '%{http_code}' "$BASE/validate")"
expect "unknown path 404" 404 "$("${CURL[@]}" -o "$WORK/out" -w '%{http_code}' "$BASE/nope")"
for p in healthz readyz metrics; do
    expect "/$p" 200 "$("${CURL[@]}" -o "$WORK/out" -w '%{http_code}' "$BASE/$p")"
done

# The hardening paths: an over-long query (cut before libmicrohttpd splits it), ambiguous framing,
# a TCP probe closed before the TLS handshake, a TLS 1.1 ClientHello (the alert), the plain port,
# SIGUSR1 and a SIGHUP config reload (the replaced settings stay allocated until exit).
args=$(seq 1 1000 | sed 's/.*/a&=&/' | paste -sd'&')
expect "1,000-argument URL 414" 414 "$("${CURL[@]}" -o "$WORK/out" -w '%{http_code}' "$BASE/healthz?$args")" '.code == 414'
expect "Transfer-Encoding with Content-Length 400" 400 \
    "$("${CURL[@]}" -o "$WORK/out" -w '%{http_code}' -X POST "$BASE/validate" -H 'Content-Type: application/json' \
        -H 'Transfer-Encoding: chunked' -H 'Content-Length: 5' --data-binary '{}')" '.code == 400'
exec 3<>"/dev/tcp/127.0.0.1/$PORT" && exec 3<&- 3>&-
if command -v openssl >/dev/null; then
    echo | openssl s_client -connect "127.0.0.1:$PORT" -tls1_1 -cipher DEFAULT@SECLEVEL=0 >"$WORK/tls11.out" 2>&1
    grep -q 'alert protocol version' "$WORK/tls11.out" && pass "TLS 1.1: protocol_version alert" ||
        fail "TLS 1.1: $(grep -m1 error "$WORK/tls11.out")"
fi
MPORT=$(grep '"msg":"listening"' "$WORK/server.log" | head -1 | jq -r .metricsPort)
expect "/metrics over plain HTTP" 200 "$(curl -sS --max-time 60 -o "$WORK/out" -w '%{http_code}' "http://127.0.0.1:$MPORT/metrics")"
kill -USR1 "$PID"
printf 'timeouts: {drainSeconds: 0}\nlimits: {maxBodyBytes: 65536}\nmetricsListen: 127.0.0.1:0\nrules: {cdrom: warn}\n' \
    >"$WORK/webhook.yaml"
kill -HUP "$PID"
for _ in $(seq 1 100); do grep -q '"msg":"config reloaded"' "$WORK/server.log" && break; sleep 0.2; done
expect "VMIM with a CD-ROM allowed after SIGHUP set cdrom: warn" 200 \
    "$(post /validate "$SRC/examples/reviews/vmim-cdrom.json")" '.response.allowed == true'

# A certificate reload: the old generation stays alive until exit, then freed.
mkdir "$WORK/new"
"$BIN" certs create --host localhost,127.0.0.1 --out-dir "$WORK/new" >/dev/null
mv "$WORK/new/tls.key" "$WORK/tls.key"
mv "$WORK/new/tls.crt" "$WORK/tls.crt"
mv "$WORK/new/ca.crt" "$WORK/ca.crt"
for _ in $(seq 1 100); do grep -q '"msg":"certificate reloaded"' "$WORK/server.log" && break; sleep 0.2; done
expect "review after a certificate reload" 200 "$(post /validate "$SRC/examples/reviews/vmim-cdrom.json")"

kill -TERM "$PID"
wait "$PID"
rc=$?
PID=
if [ "$rc" = 0 ] && [ ! -s "$WORK/valgrind.log" ]; then
    pass "valgrind: no errors, no definite leaks, exit 0"
else
    cat "$WORK/valgrind.log"
    fail "valgrind: exit $rc"
fi
[ "$failures" = 0 ] || { echo "$failures failure(s)"; exit 1; }
echo "all passed"
