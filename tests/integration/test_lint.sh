#!/bin/sh
# Lint: every C file is clang-format clean (.clang-format), cppcheck finds
# nothing in kube/, server/, cluster/, rules/ and certs/, and no include points up the
# layers (scripts/check-layers; shown to fail on an upward include planted in a
# copy of the tree).
set -u
SRC=${MW_SOURCE_DIR:?}
cd "$SRC" || exit 1
for tool in clang-format cppcheck; do
    command -v "$tool" >/dev/null || { echo "FAIL: $tool is missing (scripts/packages.txt)"; exit 1; }
done
fails=0
files=$(find kube server cluster rules certs tests/unit tests/bench tests/integration tests/fuzz -name '*.[ch]' | sort)
for f in $files; do
    if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
        echo "FAIL: $f is not clang-format clean (clang-format -i $f)"
        fails=$((fails + 1))
    fi
done
echo "clang-format: $(echo "$files" | wc -l) files checked"
if ! cppcheck --quiet --enable=warning,portability,performance --std=c11 -D_GNU_SOURCE -I. \
    --include=/usr/include/cjson/cJSON.h --suppress=missingIncludeSystem --inline-suppr \
    --error-exitcode=1 -j2 kube server cluster rules certs; then
    echo "FAIL: cppcheck"
    fails=$((fails + 1))
fi
if ! scripts/check-layers .; then
    echo "FAIL: an include points up the layers"
    fails=$((fails + 1))
fi
# The check itself: an upward include planted in a copy of the tree fails it, naming the include.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for d in server rules certs cluster kube; do
    [ -d "$d" ] && cp -r "$d" "$tmp/"
done
plant() { # plant FILE HEADER: the copy of FILE includes HEADER; the check must fail and name it
    cp "$1" "$tmp/$1.orig"
    printf '#include "%s"\n' "$2" >>"$tmp/$1"
    out=$(scripts/check-layers "$tmp" 2>&1)
    rc=$?
    mv "$tmp/$1.orig" "$tmp/$1"
    if [ "$rc" -ne 1 ] || ! printf '%s\n' "$out" | grep -q "^FAIL: $1:[0-9]* includes \"$2\""; then
        echo "FAIL: check-layers passed an upward include of $2 in $1 (rc $rc): $out"
        fails=$((fails + 1))
    else
        echo "check-layers refuses: $out"
    fi
}
plant cluster/live.c server/limits.h
plant certs/certs.c server/commands.h
plant rules/verdict.c cluster/live.h
plant cluster/view.h rules/verdict.h
if ! scripts/check-layers "$tmp" >/dev/null; then
    echo "FAIL: check-layers fails on the unchanged copy"
    fails=$((fails + 1))
fi
[ "$fails" -eq 0 ] || exit 1
echo "lint: clean"
