#!/bin/sh
# Lint: every C file is clang-format clean (.clang-format), cppcheck finds
# nothing in kube/, server/, cluster/, rules/ and certs/, no include points up
# the layers (scripts/check-layers; shown to fail on an upward include planted
# in a copy of the tree), code, tests, scripts and the chart cite the project's
# docs (docs/*.md#anchor) and never an outside specification's sections, every
# docs anchor they cite exists, and the docs' YAML examples parse and name only
# series the server renders.
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
# Code, tests, scripts and the chart cite the project's docs (docs/*.md#anchor), never a
# specification that is not in the repository, and every anchor they cite exists.
# The word is assembled so that this file does not match itself.
word="SP""EC"
# spec_mentions DIR: prints each line under DIR's code, tests, scripts and chart naming it, or a bare section sign.
spec_mentions() {
    (cd "$1" && grep -rnIw --exclude-dir=__pycache__ --exclude-dir=.tools -e "$word" -e '§[0-9]' \
        kube server cluster rules certs tests scripts charts examples CMakeLists.txt Dockerfile 2>/dev/null)
}
hits=$(spec_mentions "$SRC")
if [ -n "$hits" ]; then
    echo "FAIL: code, tests or scripts cite $word sections; cite docs/<page>.md#<anchor> instead:"
    echo "$hits" | head -n 20
    fails=$((fails + 1))
fi
probe=$(mktemp -d)
mkdir -p "$probe/rules"
printf '/* as %s \302\2473 says */\n' "$word" >"$probe/rules/probe.c"
[ -n "$(spec_mentions "$probe")" ] || { echo "FAIL: the $word check misses a mention"; fails=$((fails + 1)); }
rm -rf "$probe"
if ! python3 - "$SRC" <<'PY'
import os, re, sys
root = sys.argv[1]
def anchors(page):
    out = set()
    for line in open(page, encoding="utf-8"):
        m = re.match(r"#{1,6}\s+(.*?)\s*$", line)
        if m:
            a = re.sub(r"[^\w\- ]", "", m.group(1).lower()).replace(" ", "-")
            out.add(a)
    return out
cite = re.compile(r"docs/([A-Za-z0-9_-]+\.md)#([A-Za-z0-9_-]+)")
link = re.compile(r"\]\(([A-Za-z0-9_-]+\.md)?#([A-Za-z0-9_-]+)\)")
bad = []
known = {}
for top in ("kube", "server", "cluster", "rules", "certs", "tests", "scripts", "charts", "examples", "docs", "README.md"):
    base = os.path.join(root, top)
    paths = [base] if os.path.isfile(base) else [os.path.join(d, f) for d, _, fs in os.walk(base) for f in fs]
    for path in paths:
        if "__pycache__" in path:
            continue
        try:
            text = open(path, encoding="utf-8").read()
        except (UnicodeDecodeError, OSError):
            continue
        in_docs = os.path.relpath(path, root).startswith("docs" + os.sep) and path.endswith(".md")
        for n, line in enumerate(text.splitlines(), 1):
            found = cite.findall(line)
            if in_docs:  # links between the pages: (page.md#anchor) and (#anchor)
                found += [(p or os.path.basename(path), a) for p, a in link.findall(line)]
            for page, anchor in found:
                full = os.path.join(root, "docs", page)
                if page not in known:
                    known[page] = anchors(full) if os.path.exists(full) else None
                if known[page] is None or anchor not in known[page]:
                    bad.append(f"no such docs anchor: {os.path.relpath(path, root)}:{n}: docs/{page}#{anchor}")
# The docs' YAML examples parse, and every migration_webhook_* series they name is one the server renders.
sources = ""
for f in ("server/metrics.c", "server/view_metrics.c"):
    p = os.path.join(root, f)
    sources += open(p, encoding="utf-8").read() if os.path.exists(p) else ""
docs_dir = os.path.join(root, "docs")
for page in sorted(os.listdir(docs_dir)) if os.path.isdir(docs_dir) else []:
    text = open(os.path.join(docs_dir, page), encoding="utf-8").read()
    for name in sorted(set(re.findall(r"\bmigration_webhook_[a-z_]+", text))):
        base = re.sub(r"_(bucket|sum|count)$", "", name)
        if base not in sources:
            bad.append(f"docs/{page}: series {name} is not rendered by server/metrics.c or server/view_metrics.c")
    try:
        import yaml
        for block in re.findall(r"```yaml\n(.*?)```", text, re.S):
            list(yaml.safe_load_all(block))
    except ImportError:
        pass
    except yaml.YAMLError as e:
        bad.append(f"docs/{page}: a YAML example does not parse: {e}")
for b in bad:
    print("FAIL:", b)
print(f"docs anchors: {sum(len(v or ()) for v in known.values())} headings in {len(known)} pages cited")
sys.exit(1 if bad else 0)
PY
then
    fails=$((fails + 1))
fi

[ "$fails" -eq 0 ] || exit 1
echo "lint: clean"
