#!/bin/sh
# `migration-webhook check --node` (drain preflight) and `check --all` on the example cluster: text
# and JSON output compared with golden files in tests/data/check/, exit codes (0 every VM can leave
# the node / none is blocked, 1 otherwise, 2 usage or input error with one line on stderr), the
# flag spellings getopt_long accepts, the 100-column table, and colour only on a terminal.
# MW_UPDATE_GOLDEN=1 rewrites the golden files from the current output.
set -u
BIN=${MW_BIN:?}
SRC=${MW_SOURCE_DIR:?}
GOLD=$SRC/tests/data/check
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fails=0

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

# same NAME GOLDEN ARGS... : another spelling of the flags gives the golden output.
same() {
    name=$1 gold=$2
    shift 2
    run "$@"
    cmp -s "$TMP/out" "$GOLD/$gold" || fail "$name: output differs from $gold"
}

# usage_error NAME ARGS... : exit 2, nothing on stdout, exactly one line on stderr.
usage_error() {
    name=$1
    shift
    run "$@"
    [ "$rc" = 2 ] || fail "$name: exit $rc, want 2"
    [ ! -s "$TMP/out" ] || fail "$name: stdout not empty"
    lines=$(wc -l <"$TMP/err")
    [ "$lines" = 1 ] || fail "$name: $lines lines on stderr, want 1: $(cat "$TMP/err")"
    grep -q "^migration-webhook check: " "$TMP/err" || fail "$name: stderr does not name the command"
}

# Drain preflight: node-a runs a LiveMigrate VM that cannot migrate (it blocks the drain), a
# LiveMigrate VM with a CD-ROM (a drain's migration goes through it, with a warning), and a
# migratable VM with evictionStrategy None (shut down).
golden node-a.txt 1 --node node-a
golden node-a.json 1 --node node-a -o json
# node-c runs vm-icelake, which cannot migrate but is LiveMigrateIfPossible: it is shut down.
golden node-c.txt 0 --node node-c
golden node-b.txt 0 --node node-b
# node-w is a witness node: it never runs VMs.
golden node-w.txt 0 --node node-w
golden node-w.json 0 --node node-w -o json
golden all.txt 1 --all
golden all.json 1 --all -o json
golden all-other-namespace.txt 0 --all -n kube-system

# What a user checks in the drain report.
run --node node-a -o json
jq -e '.node == "node-a" and .total == 17 and .canLeave == 16 and .blocking == ["default/vm-drain-pinned"]
       and ([.vms[] | select(.name == "vm-drain-pinned")][0] | .outcome == "blocks-drain"
            and .rule == "node-pinned" and .evictionStrategy == "LiveMigrate")
       and ([.vms[] | select(.name == "vm-drain-cdrom")][0] | .outcome == "live-migrate" and .migratable == true
            and .violations[0].rule == "cdrom" and .violations[0].mode == "warn"
            and (.reason | startswith("warning: disk \"cdrom1\" is a CD-ROM")))
       and ([.vms[] | select(.name == "vm-drain-none")][0] | .outcome == "shut-down" and .migratable == true
            and .evictionStrategy == "None" and .evictionStrategySource == "VMI spec.evictionStrategy")
       and ([.vms[] | select(.name == "vm-gpu")][0] | .outcome == "shut-down" and .rule == "gpu")
       and ([.vms[] | select(.name == "vm-migratable")][0] | .outcome == "live-migrate" and .candidates == ["node-b"])
       and (.summary | startswith("16 of 17 VMs can leave node-a"))' "$TMP/out" >/dev/null ||
    fail "node-a JSON report"
grep -q "^16 of 17 VMs can leave node-a .*; 1 blocks the drain: default/vm-drain-pinned$" \
    "$GOLD/node-a.txt" || fail "node-a summary line"
grep -q '^  default/vm-drain-pinned: it is pinned to node "node-a" by nodeSelector kubernetes.io/hostname$' \
    "$GOLD/node-a.txt" || fail "node-a: the blocker's reason in full"
# The same CD-ROM VM as a user's migration (--all) is denied: only a drain's migration goes through it.
run --all -o json
jq -e '(.vms | length) == 20 and ([.vms[] | .namespace + "/" + .name] == ([.vms[] | .namespace + "/" + .name] | sort))
       and ([.vms[] | select(.name == "vm-stopped")][0] | .verdict == "not running" and .candidates == null)
       and ([.vms[] | select(.name == "vm-drain-cdrom")][0] | .verdict == "blocked" and .rule == "cdrom")
       and .counts == {"vms": 20, "migratable": 7, "blocked": 11, "notRunning": 2}
       and .rules.cdrom == 2 and .rules["node-pinned"] == 2' "$TMP/out" >/dev/null || fail "--all JSON report"

# The tables fit 100 columns (a cut reason ends with "…"), and long reasons are cut, never wrapped.
for f in node-a.txt all.txt; do
    python3 - "$GOLD/$f" <<'PY' || fail "$f: a table line is wider than 100 columns"
import sys
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
table = lines[:lines.index("")]
sys.exit(0 if all(len(l) <= 100 for l in table) and any(l.endswith("…") for l in table) else 1)
PY
done
[ "$(grep -c '^default ' "$GOLD/all.txt")" = 20 ] || fail "all.txt: one line per VM"

# Every spelling of the flags: --flag value, --flag=value, -o json, -ojson, -n ns, --namespace=ns.
same node-eq node-a.txt --node=node-a
same output-attached node-a.json --node node-a -ojson
same output-long node-a.json --output=json --node node-a
same namespace-long all.txt --all --namespace=default
same namespace-short all.txt -n default --all
same namespace-all all.txt --all -A
same cluster-dir-eq all.txt --cluster-dir=examples/cluster --all

# Colour only on a terminal, and never with NO_COLOR.
if script -qec true /dev/null >/dev/null 2>&1; then
    (cd "$SRC" && script -qec "$BIN check --cluster-dir examples/cluster --all" /dev/null) >"$TMP/tty" 2>&1
    grep -q "$(printf '\033')\\[31mblocked" "$TMP/tty" || fail "no colour on a terminal"
    (cd "$SRC" && NO_COLOR=1 script -qec "$BIN check --cluster-dir examples/cluster --all" /dev/null) >"$TMP/tty" 2>&1
    if grep -q "$(printf '\033')" "$TMP/tty"; then fail "colour despite NO_COLOR"; fi
    grep -q "vm-drain-cdrom" "$TMP/tty" || fail "NO_COLOR run printed no table"
fi

usage_error node-and-all --node node-a --all
usage_error node-and-vm --node node-a vm-cdrom
usage_error all-and-target --all --target-node node-b
usage_error all-namespaces-without-all --node node-a -A
usage_error namespace-with-node --node node-a -n default
usage_error all-namespaces-and-namespace --all -A -n default
usage_error unknown-node --node node-x
usage_error node-without-value --node
usage_error context-with-cluster-dir --context other --all
usage_error bad-output-attached --all -oyaml
usage_error unknown-long-option --all --frobnicate=1

# --help describes every flag.
"$BIN" check --help >"$TMP/help"
for flag in --cluster-dir --kubeconfig --context --config --namespace --all-namespaces --filename \
    --target-node --output --node --all --help " -n," " -A," " -f," " -o,"; do
    grep -q -- "$flag" "$TMP/help" || fail "check --help does not describe $flag"
done

if [ "$fails" -ne 0 ]; then
    echo "$fails check(s) failed"
    exit 1
fi
echo "check --node / --all: all cases pass"
