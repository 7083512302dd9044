#!/usr/bin/env bash
# tests/integration/test_fuzz_smoke.sh - a short run of every libFuzzer target
# (tests/fuzz), ASan + UBSan: the saved regression inputs first
# (tests/fuzz/regressions/<target>/: inputs that once crashed or that stress a
# limit), then FUZZ_SECONDS (default 20) of fuzzing from the corpus in
# tests/fuzz/corpus/<target>/, with tests/fuzz/<target>.dict when present.  New inputs go to a
# temporary directory; the source tree is left as it is.
#
# The fuzzers live in their own clang build, configured once beside this
# build: $MW_BUILD_DIR/../build-fuzz.  Skipped (exit 77) when clang or
# libFuzzer is missing, in a build that is itself sanitized (SANITIZE=ON: the
# sanitized suite already covers this code, and its time is better spent
# there), or when MW_SKIP_FUZZ is set.
set -u
SRC=${MW_SOURCE_DIR:?MW_SOURCE_DIR is the source tree}
BUILD=${MW_BUILD_DIR:?MW_BUILD_DIR is the build tree}
SECONDS_EACH=${FUZZ_SECONDS:-20}
TARGETS="fuzz_review fuzz_yaml fuzz_watch fuzz_http_head fuzz_client_hello"

[ -n "${MW_SKIP_FUZZ:-}" ] && { echo "SKIP: MW_SKIP_FUZZ is set"; exit 77; }
if grep -q '^SANITIZE:BOOL=ON' "$BUILD/CMakeCache.txt" 2>/dev/null; then
    echo "SKIP: this build is the sanitizer build; the fuzz smoke test runs in the plain one"
    exit 77
fi
CLANG=$(command -v clang || command -v clang-14) || { echo "SKIP: clang is missing"; exit 77; }
if ! echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }' |
    "$CLANG" -x c -fsanitize=fuzzer,address,undefined -o /dev/null - 2>/dev/null; then
    echo "SKIP: clang cannot link libFuzzer (libclang-rt-14-dev, libfuzzer-14-dev)"
    exit 77
fi

FUZZ_BUILD=$(cd "$BUILD/.." && pwd)/build-fuzz
mkdir -p "$FUZZ_BUILD"
# Configured every time (quick when nothing changed), so new targets are known.
CC=$CLANG cmake -S "$SRC" -B "$FUZZ_BUILD" -DFUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$FUZZ_BUILD/fuzz-build.log" 2>&1 ||
    { cat "$FUZZ_BUILD/fuzz-build.log"; echo "FAIL: cannot configure the fuzz build"; exit 1; }
# shellcheck disable=SC2086
cmake --build "$FUZZ_BUILD" -j2 --target $TARGETS >"$FUZZ_BUILD/fuzz-build.log" 2>&1 ||
    { tail -40 "$FUZZ_BUILD/fuzz-build.log"; echo "FAIL: cannot build the fuzzers"; exit 1; }

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
failures=0
for target in $TARGETS; do
    bin="$FUZZ_BUILD/tests/fuzz/$target"
    regressions="$SRC/tests/fuzz/regressions/$target"
    if [ -d "$regressions" ] && [ -n "$(ls -A "$regressions")" ]; then
        if "$bin" -runs=1 "$regressions"/* >"$WORK/$target.regress.log" 2>&1; then
            echo "ok: $target: $(ls "$regressions" | wc -l) regression input(s) pass"
        else
            grep -E 'ERROR|SUMMARY|Running' "$WORK/$target.regress.log" | head -20
            echo "FAIL: $target: a regression input fails again"
            failures=$((failures + 1))
        fi
    fi
    mkdir -p "$WORK/$target"
    dict=()
    [ -f "$SRC/tests/fuzz/$target.dict" ] && dict=(-dict="$SRC/tests/fuzz/$target.dict")
    "$bin" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 "${dict[@]}" \
        -artifact_prefix="$WORK/$target-" "$WORK/$target" "$SRC/tests/fuzz/corpus/$target" >"$WORK/$target.log" 2>&1
    rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$WORK/$target.log")
    if [ "$rc" = 0 ]; then
        echo "ok: $target: ${runs:-?} executions in ${SECONDS_EACH}s, no finding"
    else
        grep -E -A30 '^==[0-9]+==ERROR|runtime error|deadly signal|timeout' "$WORK/$target.log" | head -60
        for crash in "$WORK/$target"-*; do
            [ -f "$crash" ] && { echo "input ($crash):"; head -c 600 "$crash" | od -c | head -20; }
        done
        echo "FAIL: $target (exit $rc)"
        failures=$((failures + 1))
    fi
done
[ "$failures" = 0 ] || exit 1
echo "all passed"
