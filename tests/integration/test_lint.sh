#!/bin/sh
# Lint: every C file is clang-format clean (.clang-format), and cppcheck finds
# nothing in server/, cluster/, rules/ and certs/.
set -u
SRC=${MW_SOURCE_DIR:?}
cd "$SRC" || exit 1
for tool in clang-format cppcheck; do
    command -v "$tool" >/dev/null || { echo "FAIL: $tool is missing (scripts/packages.txt)"; exit 1; }
done
fails=0
files=$(find server cluster rules certs tests/unit tests/bench tests/integration tests/fuzz -name '*.[ch]' | sort)
for f in $files; do
    if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
        echo "FAIL: $f is not clang-format clean (clang-format -i $f)"
        fails=$((fails + 1))
    fi
done
echo "clang-format: $(echo "$files" | wc -l) files checked"
if ! cppcheck --quiet --enable=warning,portability,performance --std=c11 -D_GNU_SOURCE -I. \
    --include=/usr/include/cjson/cJSON.h --suppress=missingIncludeSystem --inline-suppr \
    --error-exitcode=1 -j2 server cluster rules certs; then
    echo "FAIL: cppcheck"
    fails=$((fails + 1))
fi
[ "$fails" -eq 0 ] || exit 1
echo "lint: clean"
