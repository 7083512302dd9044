#!/bin/sh
# The container image recipe (Dockerfile), checked without a container engine:
#  - every shared library `ldd` lists for the built binary ($MW_BIN) comes from a
#    package the runtime stage installs (or one those pull in, or the base
#    image's essential set), and every library the binary links directly from a
#    package the runtime stage names;
#  - the same for the libraries the binary dlopen()s on first use (the
#    *_SONAME names of the sources' headers: libcurl-gnutls.so.4) and for everything
#    `ldd` lists for them: they are missing only when first needed, so a
#    container that never talks to an API server would not notice;
#  - the runtime stage runs as 65532:65532 with the binary as exec-form ENTRYPOINT;
#  - the binary works as uid/gid 65532 (setpriv) and on a read-only root
#    (a private mount namespace, unshare -m), as the chart runs it.
set -u
src=${MW_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
dockerfile="$src/Dockerfile"
failed=0
fail() { echo "FAIL: $*"; failed=1; }
pass() { echo "ok: $*"; }
note() { echo "note: $*"; }

if [ -z "${MW_BIN:-}" ] || [ ! -x "$MW_BIN" ]; then
    echo "FAIL: MW_BIN is not an executable: ${MW_BIN:-unset}"
    exit 1
fi
for tool in ldd dpkg dpkg-query python3; do
    command -v "$tool" >/dev/null 2>&1 || { echo "SKIP: $tool is not installed (needs a Debian system)"; exit 77; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# --- the runtime stage --------------------------------------------------------
if python3 - "$dockerfile" >"$work/stage" <<'PY'
import json, re, sys
text = re.sub(r"\\\n", " ", open(sys.argv[1], encoding="utf-8").read())
lines = [l.strip() for l in text.splitlines() if l.strip() and not l.strip().startswith("#")]
stages = []
for l in lines:
    if l.upper().startswith("FROM "):
        stages.append([])
    if stages:
        stages[-1].append(l)
def installs(stage):
    found = []
    for l in stage:
        word, _, rest = l.partition(" ")
        if word.upper() == "RUN":
            for part in rest.split("&&"):
                toks = part.split()
                if "apt-get" in toks and "install" in toks:
                    found += [t for t in toks[toks.index("install") + 1:] if not t.startswith("-")]
    return found
runtime = stages[-1]
build = [s for s in stages if s[0].split()[-2:] == ["AS", "build"] or s[0].split()[-2:] == ["as", "build"]]
print("BUILD", " ".join(installs(build[0]) if build else []))
problems, packages = [], installs(runtime)
base = runtime[0].split()[1]
if base != "debian:bookworm-slim":
    problems.append(f"runtime stage is FROM {base}, want debian:bookworm-slim")
if not build:
    problems.append("no stage named build")
users = [l.split()[1] for l in runtime if l.upper().startswith("USER ")]
if users[-1:] != ["65532:65532"]:
    problems.append(f"runtime stage USER is {users[-1] if users else 'unset'}, want 65532:65532")
def want_exec_form(instruction, want, why=""):
    """The runtime stage's last INSTRUCTION is the exec form `want`, else a problem."""
    args = [l.partition(" ")[2] for l in runtime if l.upper().startswith(instruction + " ")]
    try:
        if json.loads(args[-1]) != want:
            raise ValueError
    except (IndexError, ValueError):
        problems.append(f"{instruction} is {args[-1:]}, want exec form {json.dumps(want)}{why}")
want_exec_form("ENTRYPOINT", ["/usr/local/bin/migration-webhook"])
want_exec_form("CMD", ["serve"], " (no shell at run time)")
if not any(l.upper().startswith("COPY ") and "--from=" in l and l.endswith("/usr/local/bin/migration-webhook")
           for l in runtime):
    problems.append("runtime stage does not copy the built binary to /usr/local/bin/migration-webhook")
for p in problems:
    print("PROBLEM", p)
print("PACKAGES", " ".join(packages))
sys.exit(1 if problems else 0)
PY
then pass "runtime stage: bookworm-slim, USER 65532:65532, exec-form ENTRYPOINT and CMD"
else sed -n 's/^PROBLEM /FAIL: /p' "$work/stage"; failed=1; fi
runtime_packages=$(sed -n 's/^PACKAGES //p' "$work/stage")
[ -n "$runtime_packages" ] || fail "the runtime stage installs no packages"
for p in $runtime_packages; do
    dpkg-query -W "$p" >/dev/null 2>&1 || apt-cache show "$p" >/dev/null 2>&1 ||
        fail "runtime package $p is not a Debian package"
done

# package_of FILE: the Debian package owning FILE, trying the /lib <-> /usr/lib
# spellings of merged /usr and the resolved path.
package_of() {
    for f in "$1" "$(readlink -f "$1")" "/usr$1" "${1#/usr}"; do
        [ -n "$f" ] || continue
        out=$(dpkg -S "$f" 2>/dev/null | grep -v '^diversion' | head -n 1) || continue
        [ -n "$out" ] && { echo "${out%%:*}" | cut -d, -f1; return 0; }
    done
    return 1
}

# --- the build stage installs the -dev package of every library CMake looks for
build_packages=$(sed -n 's/^BUILD //p' "$work/stage")
modules=$(cat "$src/CMakeLists.txt" "$src/tests/CMakeLists.txt" |
    sed -n 's/.*pkg_check_modules(.*IMPORTED_TARGET \([^ )]*\).*/\1/p')
grep -q 'find_package(OpenSSL' "$src/CMakeLists.txt" && modules="$modules openssl"
dev_ok=1
for m in $modules; do
    pc="$(pkg-config --variable=pcfiledir "$m" 2>/dev/null)/$m.pc"
    if ! pkg=$(package_of "$pc"); then fail "no Debian package owns $pc (pkg-config module $m)"; dev_ok=0; continue; fi
    echo " $build_packages " | grep -q " $pkg " || { fail "build stage does not install $pkg (pkg-config module $m)"; dev_ok=0; }
done
for tool in build-essential cmake pkg-config; do
    echo " $build_packages " | grep -q " $tool " || { fail "build stage does not install $tool"; dev_ok=0; }
done
[ "$dev_ok" = 1 ] && pass "build stage installs the -dev packages of: $(echo "$modules" | tr '\n' ' ')"

# --- ldd of the binary against the runtime packages ---------------------------
# depends_closure PKG...: the packages plus everything they Depend / Pre-Depend on (installed ones).
depends_closure() {
    python3 - "$@" <<'PY'
import subprocess, sys
seen, todo = set(), list(sys.argv[1:])
def deps(pkg):
    r = subprocess.run(["dpkg-query", "-W", "-f=${Depends}, ${Pre-Depends}", pkg],
                       capture_output=True, text=True)
    out = []
    for alt in r.stdout.split(","):
        for choice in alt.split("|"):
            name = choice.strip().split(" ")[0].split(":")[0]
            if name:
                out.append(name)
    return out
while todo:
    p = todo.pop()
    if p in seen:
        continue
    seen.add(p)
    todo.extend(deps(p))
print("\n".join(sorted(seen)))
PY
}

essential=$(dpkg-query -W -f='${Package} ${Essential}\n' | awk '$2 == "yes" {print $1}')
# shellcheck disable=SC2086 # word lists on purpose
depends_closure $essential >"$work/base"
# shellcheck disable=SC2086 # word lists on purpose
depends_closure $runtime_packages >"$work/provided"
cat "$work/base" >>"$work/provided"

needed=$(readelf -d "$MW_BIN" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
ldd "$MW_BIN" >"$work/ldd" 2>&1 || { fail "ldd $MW_BIN: $(cat "$work/ldd")"; exit 1; }

# Libraries loaded at run time (dlopen): each one as if linked directly (its
# package named in the runtime stage), followed by what `ldd` lists for it.
# The file is the one ldconfig knows for the binary's ABI (that of its libc).
loaded=$(cat "$src"/*/*.h | sed -n 's/^#define [A-Z_]*_SONAME "\([^"]*\)".*/\1/p' | sort -u)
ldconfig_bin=$(command -v ldconfig || echo /sbin/ldconfig)
libc_path=$(sed -n 's/^[[:space:]]*libc\.so\.6 => \([^ ]*\).*/\1/p' "$work/ldd")
abi=$("$ldconfig_bin" -p 2>/dev/null | awk -v p="$libc_path" '$1 == "libc.so.6" && $NF == p {print $2; exit}')
for soname in $loaded; do
    path=$("$ldconfig_bin" -p 2>/dev/null | awk -v s="$soname" -v a="$abi" '$1 == s && $2 == a {print $NF; exit}')
    if [ -z "$path" ]; then
        fail "$soname (loaded at run time) is not installed here ($ldconfig_bin -p, ABI $abi)"
        continue
    fi
    needed="$needed
$soname"
    echo "	$soname => $path (loaded at run time)" >>"$work/ldd"
    ldd "$path" >>"$work/ldd" 2>&1 || fail "ldd $path: $(ldd "$path" 2>&1)"
done
[ -n "$loaded" ] && note "loaded at run time, checked with their libraries: $(echo "$loaded" | tr '\n' ' ')"
# A sanitizer build links libasan / libubsan, which bring their own libraries
# (libstdc++, ...): those are not part of the image unless the binary needs them.
: >"$work/sanitizer-deps"
# shellcheck disable=SC2013 # library paths hold no spaces
for lib in $(sed -n 's/^[[:space:]]*\(lib[a-z]*san\.so[^ ]*\) => \([^ ]*\).*/\2/p' "$work/ldd"); do
    ldd "$lib" 2>/dev/null | sed -n 's/^[[:space:]]*\([^ ]*\) => .*/\1/p' >>"$work/sanitizer-deps"
done
checked=0
sanitizer=0
while read -r line; do
    case "$line" in
        linux-vdso*|*"statically linked"*) continue ;;
        *"=> not found"*) fail "ldd: $line"; continue ;;
        *"=> "*) soname=${line%% =>*}; path=${line#*=> }; path=${path%% (*} ;;
        /*) path=${line%% (*}; soname=$(basename "$path") ;;
        *) continue ;;
    esac
    case "$soname" in
        libasan.so*|libubsan.so*|liblsan.so*|libtsan.so*) sanitizer=1; continue ;;
    esac
    grep -qx "$soname" "$work/seen" 2>/dev/null && continue
    echo "$soname" >>"$work/seen"
    if grep -qx "$soname" "$work/sanitizer-deps" && ! echo "$needed" | grep -qx "$soname"; then
        continue
    fi
    checked=$((checked + 1))
    if ! pkg=$(package_of "$path"); then fail "no Debian package owns $path ($soname)"; continue; fi
    if ! grep -qx "$pkg" "$work/provided"; then
        fail "$soname ($pkg) is not installed by the runtime stage (add $pkg to its apt-get install)"
        continue
    fi
    if echo "$needed" | grep -qx "$soname" && ! echo " $runtime_packages " | grep -q " $pkg " &&
       ! grep -qx "$pkg" "$work/base"; then
        fail "$soname is linked directly; name its package $pkg in the runtime stage"
        continue
    fi
    echo "$pkg" >>"$work/used"
done <"$work/ldd"
[ "$sanitizer" = 1 ] && note "sanitizer runtime libraries (libasan, libubsan) and what only they load skipped: the image is built without them"
[ "$failed" = 0 ] && pass "all $checked shared libraries of $(basename "$MW_BIN")${loaded:+ and of what it loads at run time} come from the runtime stage's packages"
for p in $runtime_packages; do
    grep -qx "$p" "$work/used" 2>/dev/null ||
        note "runtime package $p provides no library this build of the binary links yet"
done

# --- runs as uid/gid 65532 ------------------------------------------------------
# A copy in a world-readable directory, so uid 65532 can run it wherever the build is.
bindir="$work/bin"
mkdir -p "$bindir"
cp "$MW_BIN" "$bindir/migration-webhook"
chmod 0755 "$work" "$bindir" "$bindir/migration-webhook"
bin="$bindir/migration-webhook"
version_line="migration-webhook $(sed -n 's/^project(migration-webhook VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")"

as_65532=""
if [ "$(id -u)" = 65532 ]; then
    as_65532="env"
elif [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1 &&
     [ "$(setpriv --reuid=65532 --regid=65532 --clear-groups id -u 2>/dev/null)" = 65532 ]; then
    as_65532="setpriv --reuid=65532 --regid=65532 --clear-groups --"
fi
if [ -n "$as_65532" ]; then
    out=$($as_65532 "$bin" version 2>&1); rc=$?
    if [ $rc = 0 ] && [ "$out" = "$version_line" ]; then pass "as uid 65532: version prints '$out'"
    else fail "as uid 65532: version exited $rc: $out"; fi
    out=$($as_65532 "$bin" --help 2>&1); rc=$?
    if [ $rc = 0 ] && echo "$out" | grep -q "usage: migration-webhook"; then pass "as uid 65532: --help prints the usage"
    else fail "as uid 65532: --help exited $rc: $out"; fi
else
    note "cannot switch to uid 65532 here (needs root and setpriv); uid check skipped"
fi

# --- runs on a read-only root -------------------------------------------------
# In a private mount namespace: / and the directory of the binary re-mounted
# read-only, then the same two commands.
# shellcheck disable=SC2016 # expanded by the inner shell
ro_script='
set -e
mount --make-rprivate /
mount -o remount,bind,ro /
for d in "$1" /tmp; do mount --bind "$d" "$d"; mount -o remount,bind,ro "$d"; done
if touch /.mw-ro-probe 2>/dev/null || touch "$1/.mw-ro-probe" 2>/dev/null; then echo "root is still writable"; exit 3; fi
shift
"$@" version && "$@" --help >/dev/null
'
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null 2>&1 && unshare -m true 2>/dev/null; then
    # shellcheck disable=SC2086 # $as_65532 is a command prefix
    out=$(unshare -m sh -c "$ro_script" sh "$bindir" ${as_65532:-env} "$bin" 2>&1); rc=$?
    if [ $rc = 0 ] && [ "$out" = "$version_line" ]; then pass "on a read-only root${as_65532:+ as uid 65532}: version and --help work"
    else fail "on a read-only root: exited $rc: $out"; fi
else
    note "unshare -m is not permitted here; read-only root check skipped"
fi

exit $failed
