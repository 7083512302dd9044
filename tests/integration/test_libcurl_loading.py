#!/usr/bin/env python3
"""libcurl is loaded on first use: only when the binary talks to an API server.

`check --cluster-dir` never loads it (the dynamic loader's LD_DEBUG=files log
names every library it opens); `serve --kubeconfig` against the stand-in API
server maps it (/proc/PID/maps) and answers reviews.  When libcurl cannot be
loaded (here: an empty file bind-mounted over it in a private mount
namespace, which needs root), `serve --kubeconfig` and `check --kubeconfig`
print one line, "cannot load libcurl-gnutls.so.4: <why>", and exit 2.
"""
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import standin  # noqa: E402
from standin import check, review, vmim  # noqa: E402



def mapped_libcurl(pid):
    """The path of the libcurl file mapped by process pid, or None."""
    with open("/proc/%d/maps" % pid) as f:
        for line in f:
            fields = line.split()
            if len(fields) >= 6 and os.path.basename(fields[5]).startswith("libcurl-gnutls.so"):
                return fields[5]
    return None


def loaded_by(args):
    """The libraries the dynamic loader opened while running args (LD_DEBUG=files)."""
    env = dict(os.environ, LD_DEBUG="files")
    out = subprocess.run(args, cwd=standin.SRC, env=env, capture_output=True, text=True, timeout=60)
    libs = set()
    for line in out.stderr.splitlines():
        if "file=" in line:
            libs.add(line.split("file=", 1)[1].split()[0])
    return out.returncode, libs


def static_check_loads_no_libcurl():
    rc, libs = loaded_by([standin.BIN, "check", "--cluster-dir", "examples/cluster", "vm-cdrom"])
    check(rc == 1 and libs and not any(l.startswith("libcurl") for l in libs),
          "check --cluster-dir: exit 1 without loading libcurl (loaded: %s)" % " ".join(sorted(libs)))


def live_serve_maps_libcurl(work, si):
    """Returns the path of libcurl as the live server mapped it."""
    live = standin.Webhook(work, "live", ["--kubeconfig", si.kubeconfig])
    try:
        check(standin.wait_for(lambda: live.ready() == 200, 10, step=0.1), "serve --kubeconfig becomes ready")
        path = mapped_libcurl(live.proc.pid)
        check(path is not None, "serve --kubeconfig maps libcurl (%s)" % path)
        obj = vmim("vm-cdrom")
        out = live.review("/validate", review("kubevirt.io", "v1", "virtualmachineinstancemigrations",
                                              "VirtualMachineInstanceMigration", "CREATE", obj,
                                              name=obj["metadata"]["name"]))
        check(out["response"]["allowed"] is False, "serve --kubeconfig denies the CD-ROM VM's migration")
        check(live.stop() == 0, "serve --kubeconfig exits 0 on SIGTERM")
        return path
    finally:
        live.stop()


def can_hide_files():
    return (os.geteuid() == 0 and shutil.which("unshare") and
            subprocess.run(["unshare", "-m", "true"], capture_output=True).returncode == 0)


def without_libcurl(lib, args):
    """Runs args with an empty file over lib (private mount namespace): (exit code, stderr lines)."""
    script = 'mount --make-rprivate / && mount --bind /dev/null "$1" && shift && exec "$@"'
    out = subprocess.run(["unshare", "-m", "sh", "-c", script, "sh", lib, *args], cwd=standin.SRC,
                         capture_output=True, text=True, timeout=60)
    return out.returncode, out.stderr.splitlines()


def missing_libcurl_is_one_line(work, si, lib):
    if not lib:
        print("skip: libcurl's path is unknown: missing-library check skipped")
        return
    if not can_hide_files():
        print("skip: needs root and unshare -m: missing-library check skipped")
        return
    tls = os.path.join(work, "live")
    want = "cannot load libcurl-gnutls.so.4: "  # then dlerror's text, naming the file as the loader found it
    rc, err = without_libcurl(lib, [standin.BIN, "serve", "--kubeconfig", si.kubeconfig, "--listen", "127.0.0.1:0",
                                    "--tls-cert", tls + "/tls.crt", "--tls-key", tls + "/tls.key"])
    check(rc == 2 and len(err) == 1 and err[0].startswith("migration-webhook serve: " + want)
          and "libcurl-gnutls.so.4: " in err[0][len("migration-webhook serve: " + want):],
          "serve --kubeconfig without libcurl: exit 2, one line: %d %r" % (rc, err))
    rc, err = without_libcurl(lib, [standin.BIN, "check", "--kubeconfig", si.kubeconfig, "vm-cdrom"])
    check(rc == 2 and len(err) == 1 and err[0].startswith("migration-webhook check: " + want)
          and "libcurl-gnutls.so.4: " in err[0][len("migration-webhook check: " + want):],
          "check --kubeconfig without libcurl: exit 2, one line: %d %r" % (rc, err))
    rc, err = without_libcurl(lib, [standin.BIN, "check", "--cluster-dir", "examples/cluster", "vm-migratable"])
    check(rc == 0, "check --cluster-dir without libcurl still works: %d %r" % (rc, err))


def main():
    def body(work, si, data):
        static_check_loads_no_libcurl()
        lib = live_serve_maps_libcurl(work, si)
        missing_libcurl_is_one_line(work, si, lib)

    return standin.with_standin("mw-libcurl-", body)


if __name__ == "__main__":
    sys.exit(main())
