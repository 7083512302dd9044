#!/bin/sh
# Every command parses its flags the same way (getopt_long): `--flag value` and `--flag=value`, a
# missing value, an unknown flag or a stray argument is one line on stderr and exit 2; --help exits 0.
set -u
BIN=${MW_BIN:?}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# error NAME ARGS... : exit 2, nothing on stdout, one line on stderr.
error() {
    name=$1
    shift
    "$BIN" "$@" >"$TMP/out" 2>"$TMP/err"
    rc=$?
    [ "$rc" = 2 ] || fail "$name: exit $rc, want 2"
    [ ! -s "$TMP/out" ] || fail "$name: stdout not empty"
    [ "$(wc -l <"$TMP/err")" = 1 ] || fail "$name: want one line on stderr: $(cat "$TMP/err")"
}

"$BIN" version | grep -q '^migration-webhook [0-9]' || fail "version"
"$BIN" version --help | grep -q '^usage: migration-webhook version' || fail "version --help"
error version-unknown version --verbose
error version-extra version extra

mkdir "$TMP/a" "$TMP/b"
"$BIN" certs create --host=localhost,127.0.0.1 --out-dir="$TMP/a" --days=30 >/dev/null || fail "certs create --flag=value"
[ -s "$TMP/a/tls.crt" ] || fail "certs create --flag=value wrote no certificate"
"$BIN" certs create --host localhost --out-dir "$TMP/b" >/dev/null || fail "certs create --flag value"
[ -s "$TMP/b/tls.key" ] || fail "certs create --flag value wrote no key"
"$BIN" certs create --help | grep -q "certs create --host" || fail "certs create --help"
error certs-missing-value certs create --out-dir "$TMP/a" --host
error certs-unknown certs create --host a --out-dir "$TMP/a" --force
error certs-stray certs create --host a --out-dir "$TMP/a" extra
error certs-patch-missing-value certs patch --namespace
error certs-patch-unknown certs patch -n ns --secret-name s --host a --bogus=1
error certs-patch-stray certs patch -n ns --secret-name s --host a stray

error serve-missing-value serve --listen
error serve-empty-value serve --listen=
error serve-unknown serve --port 1
error serve-stray serve --dev stray
"$BIN" serve --help | grep -q -- "--listen ADDR:PORT" || fail "serve --help"

if [ "$fails" -ne 0 ]; then
    echo "$fails check(s) failed"
    exit 1
fi
echo "flags: all cases pass"
