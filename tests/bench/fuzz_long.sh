#!/usr/bin/env bash
# tests/bench/fuzz_long.sh - the long fuzz run (a benchmark, not a ctest):
# every libFuzzer target of tests/fuzz for FUZZ_SECONDS each (default 600 =
# 10 minutes), from its corpus and dictionary, ASan + UBSan, in the clang
# build beside BUILD (default ./build-fuzz, configured and built here).  Prints
# one line per target with its exec count, exec/s and corpus size; new inputs
# and any crash go under a temporary directory (kept when something is found).
#
#   tests/bench/fuzz_long.sh                 # 10 minutes per target
#   FUZZ_SECONDS=60 tests/bench/fuzz_long.sh # shorter, when the machine is busy
#   TARGETS="fuzz_http_head" tests/bench/fuzz_long.sh
set -u
SRC=$(cd "$(dirname "$0")/../.." && pwd)
FUZZ_BUILD=${FUZZ_BUILD:-$SRC/build-fuzz}
SECONDS_EACH=${FUZZ_SECONDS:-600}
TARGETS=${TARGETS:-"fuzz_review fuzz_yaml fuzz_watch fuzz_http_head fuzz_client_hello"}
CLANG=$(command -v clang || command -v clang-14) || { echo "clang is missing"; exit 1; }

CC=$CLANG cmake -S "$SRC" -B "$FUZZ_BUILD" -DFUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null || exit 1
# shellcheck disable=SC2086
cmake --build "$FUZZ_BUILD" -j2 --target $TARGETS >/dev/null || { echo "cannot build the fuzzers"; exit 1; }

WORK=$(mktemp -d)
found=0
echo "fuzz_long: ${SECONDS_EACH}s per target, $(nproc) cores, $(date -u +%FT%TZ), work in $WORK"
for target in $TARGETS; do
    mkdir -p "$WORK/$target"
    dict=()
    [ -f "$SRC/tests/fuzz/$target.dict" ] && dict=(-dict="$SRC/tests/fuzz/$target.dict")
    "$FUZZ_BUILD/tests/fuzz/$target" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 "${dict[@]}" -artifact_prefix="$WORK/$target-" "$WORK/$target" \
        "$SRC/tests/fuzz/corpus/$target" >"$WORK/$target.log" 2>&1
    rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$WORK/$target.log")
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$WORK/$target.log")
    corpus=$(ls "$WORK/$target" | wc -l)
    if [ "$rc" = 0 ]; then
        echo "$target: ${runs:-?} execs in ${SECONDS_EACH}s (${rate:-?}/s), $corpus new corpus inputs, no finding"
    else
        found=1
        echo "$target: FINDING (exit $rc) after ${runs:-?} execs; see $WORK/$target.log and $WORK/$target-*"
    fi
done
[ "$found" = 0 ] && rm -rf "$WORK"
exit "$found"
