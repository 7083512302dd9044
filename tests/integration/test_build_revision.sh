#!/usr/bin/env bash
# tests/integration/test_build_revision.sh - migration_webhook_build_info's revision is worked
# out at build time (cmake/revision.cmake, docs/operations.md#metrics-and-alerts), not when
# CMake configures.  In a scratch git copy of the source tree with its own build directory
# (only the migration-webhook target, -O0 -g0): the built server reports the copy's commit; a
# build at the same commit compiles nothing; after a new commit a build recompiles
# server/metrics.c alone and reports the new commit; -DMW_REVISION (what the image build
# passes) wins over git; a tree outside git reports "unknown".
set -u
SRC=${MW_SOURCE_DIR:?MW_SOURCE_DIR is the source tree}
# shellcheck source=serve_test.sh
. "$(dirname "$0")/serve_test.sh"
needs cmake git curl jq tar

WORK=$(mktemp -d)
PID=
cleanup() {
    [ -n "$PID" ] && kill -KILL "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

git_() { git -C "$WORK/src" -c user.name=test -c user.email=test@example.org -c commit.gpgsign=false "$@"; }

# The tree without build directories, helper tools, git data or Python caches (other tests may
# be writing those meanwhile), as a fresh repository.
mkdir "$WORK/src"
tar -C "$SRC" --exclude=./.git --exclude='./build*' --exclude=./.tools --exclude=__pycache__ \
    -cf "$WORK/src.tar" . 2>"$WORK/tar.err" && tar -C "$WORK/src" -xf "$WORK/src.tar" 2>>"$WORK/tar.err" ||
    { echo "FAIL: cannot copy $SRC: $(cat "$WORK/tar.err")"; exit 1; }
git_ init -q && git_ add -A && git_ commit -q -m "scratch copy" || { echo "FAIL: git init/commit in the copy"; exit 1; }

# build: builds the migration-webhook target; the compiled sources go to $WORK/compiled.
build() {
    if ! cmake --build "$WORK/build" -j2 --target migration-webhook >"$WORK/build.log" 2>&1; then
        echo "FAIL: build:"; tail -n 20 "$WORK/build.log"; exit 1
    fi
    sed -n 's/.*Building C object \(.*\)\.o$/\1/p' "$WORK/build.log" >"$WORK/compiled"
}
# revision: the revision label of migration_webhook_build_info from the built server's /metrics.
revision() {
    "$WORK/build/migration-webhook" serve --dev --listen 127.0.0.1:0 --cluster-dir "$DATA/server/cluster" \
        >/dev/null 2>"$WORK/serve.log" &
    PID=$!
    port=$(wait_for_port "$WORK/serve.log") || { echo "FAIL: the server did not start: $(cat "$WORK/serve.log")" >&2; }
    [ -n "$port" ] && curl -sk --max-time 10 "https://127.0.0.1:$port/metrics" |
        sed -n 's/^migration_webhook_build_info{.*revision="\([^"]*\)"} 1$/\1/p'
    kill -KILL "$PID" 2>/dev/null # no drain period: nothing is in flight
    wait "$PID" 2>/dev/null
    PID=
}

if ! cmake -S "$WORK/src" -B "$WORK/build" -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_C_FLAGS=-O0 -g0" \
        >"$WORK/configure.log" 2>&1; then
    echo "FAIL: configure:"; tail -n 20 "$WORK/configure.log"; exit 1
fi
build
first=$(git_ rev-parse --short=12 HEAD)
got=$(revision)
[ "$got" = "$first" ] && pass "the build reports the copy's commit: revision=\"$got\"" ||
    fail "revision \"$got\", want the commit $first"

build
[ ! -s "$WORK/compiled" ] && pass "a build at the same commit compiles nothing" ||
    fail "a build at the same commit compiled: $(tr '\n' ' ' <"$WORK/compiled")"

echo "A line committed after the first build." >>"$WORK/src/docs/operations.md"
git_ commit -q -am "a new commit" || fail "git commit in the copy"
second=$(git_ rev-parse --short=12 HEAD)
build
[ "$(cat "$WORK/compiled")" = "CMakeFiles/mwcore.dir/server/metrics.c" ] &&
    pass "after a new commit the build recompiles server/metrics.c alone" ||
    fail "after a new commit the build compiled: $(tr '\n' ' ' <"$WORK/compiled")"
got=$(revision)
[ "$got" = "$second" ] && [ "$second" != "$first" ] && pass "and reports the new commit without reconfiguring: revision=\"$got\"" ||
    fail "after a new commit: revision \"$got\", want $second (first build $first)"

# The image build: -DMW_REVISION="$REVISION" (Dockerfile) wins over the copy's git commit.
cmake -DMW_REVISION=0123456789abcdef0123456789abcdef01234567 "$WORK/build" >"$WORK/configure.log" 2>&1 ||
    fail "reconfigure with -DMW_REVISION: $(tail -n 5 "$WORK/configure.log")"
build
got=$(revision)
[ "$got" = 0123456789abcdef0123456789abcdef01234567 ] && pass "-DMW_REVISION wins over git: revision=\"$got\"" ||
    fail "with -DMW_REVISION: revision \"$got\""

# Outside git (no .git in the tree, nor above it in a scratch directory): "unknown".
cmake -DMW_REVISION= "$WORK/build" >"$WORK/configure.log" 2>&1 ||
    fail "reconfigure without -DMW_REVISION: $(tail -n 5 "$WORK/configure.log")"
rm -rf "$WORK/src/.git"
if git -C "$WORK/src" rev-parse HEAD >/dev/null 2>&1; then
    echo "note: $WORK is inside a git repository: the tree outside git is not checked"
else
    build
    got=$(revision)
    [ "$got" = unknown ] && pass "a tree outside git reports revision=\"unknown\"" || fail "outside git: revision \"$got\""
fi

exit $((failures > 0))
