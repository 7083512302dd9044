# shellcheck shell=sh
# tests/integration/check_golden.sh - sourced by the `check` tests: the example
# cluster run through `migration-webhook check`, its output compared with the
# golden files in tests/data/check/.  The sourcing script sets BIN, SRC, GOLD,
# TMP and fails=0 first.  MW_UPDATE_GOLDEN=1 rewrites the golden files.

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# run ARGS... : check on the example cluster; stdout in $TMP/out, stderr in $TMP/err, exit in $rc.
run() {
    (cd "$SRC" && "$BIN" check --cluster-dir examples/cluster "$@") >"$TMP/out" 2>"$TMP/err"
    rc=$?
}

# golden NAME EXPECTED_EXIT ARGS... : stdout must equal $GOLD/NAME, exit code as given.
golden() {
    name=$1 want=$2
    shift 2
    run "$@"
    [ "$rc" = "$want" ] || fail "$name: exit $rc, want $want ($(cat "$TMP/err"))"
    if [ "${MW_UPDATE_GOLDEN:-}" = 1 ]; then
        cp "$TMP/out" "$GOLD/$name"
    elif ! cmp -s "$TMP/out" "$GOLD/$name"; then
        fail "$name: output differs from golden"
        diff -u "$GOLD/$name" "$TMP/out" | head -40
    fi
    [ ! -s "$TMP/err" ] || fail "$name: unexpected stderr: $(cat "$TMP/err")"
    if grep -q "$(printf '\033')" "$TMP/out"; then fail "$name: colour escapes when not on a terminal"; fi
}

# usage_error_seen NAME : the run before was a usage error: exit 2, nothing on stdout, exactly one
# line on stderr, naming the command.
usage_error_seen() {
    [ "$rc" = 2 ] || fail "$1: exit $rc, want 2"
    [ ! -s "$TMP/out" ] || fail "$1: stdout not empty"
    lines=$(wc -l <"$TMP/err")
    [ "$lines" = 1 ] || fail "$1: $lines lines on stderr, want 1: $(cat "$TMP/err")"
    grep -q "^migration-webhook check: " "$TMP/err" || fail "$1: stderr does not name the command"
}
