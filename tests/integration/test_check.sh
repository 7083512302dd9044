#!/bin/sh
# `migration-webhook check` on the example cluster: text and JSON output compared
# with golden files in tests/data/check/, exit codes (0 can migrate, 1 cannot,
# 2 usage or input error with one line on stderr).
# MW_UPDATE_GOLDEN=1 rewrites the golden files from the current output.
set -u
BIN=${MW_BIN:?}
SRC=${MW_SOURCE_DIR:?}
GOLD=$SRC/tests/data/check
CLUSTER=$SRC/examples/cluster
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fails=0

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# golden NAME EXPECTED_EXIT ARGS... : stdout must equal $GOLD/NAME, exit code as given.
golden() {
    name=$1 want=$2
    shift 2
    (cd "$SRC" && "$BIN" check --cluster-dir examples/cluster "$@") >"$TMP/out" 2>"$TMP/err"
    rc=$?
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

# usage_error NAME ARGS... : exit 2, nothing on stdout, exactly one line on stderr.
usage_error() {
    name=$1
    shift
    (cd "$SRC" && "$BIN" check "$@") >"$TMP/out" 2>"$TMP/err"
    rc=$?
    [ "$rc" = 2 ] || fail "$name: exit $rc, want 2"
    [ ! -s "$TMP/out" ] || fail "$name: stdout not empty"
    lines=$(wc -l <"$TMP/err")
    [ "$lines" = 1 ] || fail "$name: $lines lines on stderr, want 1: $(cat "$TMP/err")"
    grep -q "^migration-webhook check: " "$TMP/err" || fail "$name: stderr does not name the command"
}

golden migratable.txt 0 vm-migratable
golden migratable.json 0 vm-migratable -o json
golden cdrom.txt 1 vm-cdrom
golden cdrom.json 1 vm-cdrom -o json
golden bridge.txt 1 vm-bridge
golden gpu.txt 1 vm-gpu
golden hostdev.txt 1 vm-hostdev
golden containerdisk.txt 1 vm-containerdisk
golden rwo.txt 1 vm-rwo
golden pinned.txt 1 vm-pinned
golden stopped.txt 1 vm-stopped
golden model.txt 0 vm-model
golden icelake-host-model-alone.txt 1 vm-icelake
golden icelake-host-model-alone.json 1 vm-icelake -o json
golden multus.txt 0 vm-multus
golden target-accepted.txt 0 vm-multus --target-node node-b
golden target-refused.txt 1 vm-multus --target-node node-c
golden target-refused.json 1 vm-multus --target-node node-c -o json
golden target-cordoned.txt 1 vm-migratable --target-node node-d
golden target-missing.txt 1 vm-migratable --target-node node-x
golden target-witness.txt 1 vm-multus --target-node node-w
golden target-other-vendor.txt 1 vm-model --target-node node-e
golden target-other-vendor.json 1 vm-model --target-node node-e -o json
golden manifest-ok.txt 0 -f tests/data/check/vm-new-ok.yaml
golden manifest-containerdisk.txt 1 -f tests/data/check/vm-new-containerdisk.yaml -n default

# JSON output is one JSON document with the documented keys.
(cd "$SRC" && "$BIN" check --cluster-dir examples/cluster vm-cdrom -o json) | jq -e \
    '.vm == "default/vm-cdrom" and .migratable == false and (.violations[0].rule == "cdrom")
     and (.violations[0].mode == "deny") and (.candidates | type == "array")
     and .timeouts.completionTimeoutSeconds == 2400
     and .timeouts.from == "KubeVirt CR: 800 s/GiB x 3 (2Gi rounded up to whole 10^9 bytes); progress: KubeVirt CR"' >/dev/null || fail "json shape"

# The requirements of the target pod say where each item came from.
(cd "$SRC" && "$BIN" check --cluster-dir examples/cluster vm-model --target-node node-e -o json) | jq -e \
    '.requirements.renderedFrom == "source pod" and .requirements.sourceNode == "node-a"
     and ([.requirements.nodeSelector[] | select(.key == "kubernetes.io/hostname")][0].from == "VMIM")
     and ([.requirements.nodeSelector[] | select(.key == "cpu-vendor.node.kubevirt.io/Intel")][0]
          | .from == "source node" and .step == 5)
     and .requirements.tolerationsFrom == "source pod"' >/dev/null || fail "requirements json shape"

# The rule modes of --config apply: cdrom in warn mode lets vm-cdrom migrate.
printf 'rules:\n  cdrom: warn\n' >"$TMP/warn.yaml"
(cd "$SRC" && "$BIN" check --cluster-dir examples/cluster --config "$TMP/warn.yaml" vm-cdrom -o json) >"$TMP/out"
rc=$?
[ "$rc" = 0 ] || fail "cdrom in warn mode: exit $rc, want 0"
jq -e '.migratable == true and .violations[0].mode == "warn"' "$TMP/out" >/dev/null || fail "warn mode report"

# A pod-network bridge that opts in to migrating anyway is reported with the mode it had: warn.
(cd "$SRC" && "$BIN" check --cluster-dir examples/cluster vm-bridge-optin -o json) >"$TMP/out"
rc=$?
[ "$rc" = 0 ] || fail "vm-bridge-optin: exit $rc, want 0"
jq -e '.migratable == true and .violations[0].rule == "management-bridge"
       and .violations[0].mode == "warn" and (.warnings | length == 1)' "$TMP/out" >/dev/null ||
    fail "bridge opt-in reported as a warning"

# Usage and input errors.
printf 'a: [\n' >"$TMP/bad.yaml"
printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {}\n' >"$TMP/pod.yaml"
printf 'apiVersion: kubevirt.io/v1\nkind: VirtualMachine\nmetadata: {name: x}\nspec: 5\n' >"$TMP/nospec.yaml"
printf -- '---\nkind: VirtualMachine\nmetadata: {name: a}\nspec: {}\n---\nkind: VirtualMachine\nmetadata: {name: b}\nspec: {}\n' >"$TMP/two.yaml"
usage_error no-vm --cluster-dir "$CLUSTER"
usage_error both --cluster-dir "$CLUSTER" vm-cdrom -f "$TMP/pod.yaml"
usage_error unknown-vm --cluster-dir "$CLUSTER" nosuch
usage_error bad-yaml --cluster-dir "$CLUSTER" -f "$TMP/bad.yaml"
usage_error wrong-kind --cluster-dir "$CLUSTER" -f "$TMP/pod.yaml"
usage_error spec-not-object --cluster-dir "$CLUSTER" -f "$TMP/nospec.yaml"
usage_error two-documents --cluster-dir "$CLUSTER" -f "$TMP/two.yaml"
usage_error missing-file --cluster-dir "$CLUSTER" -f "$TMP/none.yaml"
usage_error bad-output --cluster-dir "$CLUSTER" vm-cdrom -o yaml
usage_error bad-flag --cluster-dir "$CLUSTER" vm-cdrom --frobnicate
usage_error flag-without-value --cluster-dir "$CLUSTER" vm-cdrom --target-node
usage_error bad-cluster-dir --cluster-dir "$TMP/nodir" vm-cdrom
usage_error bad-config --cluster-dir "$CLUSTER" --config "$TMP/bad.yaml" vm-cdrom

"$BIN" check --help | grep -q "^usage: migration-webhook check" || fail "--help"

if [ "$fails" -ne 0 ]; then
    echo "$fails check(s) failed"
    exit 1
fi
echo "check command: all cases pass"
