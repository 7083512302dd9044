#!/usr/bin/env python3
"""tests/bench/bench_check_all.py - `check --all -A` over many VMIs in live mode.

Starts the stand-in API server (tests/apiserver/server.py) with the example
cluster plus N copies of vm-migratable (VMI, launcher pod, disk; namespace
`bulk`), runs `migration-webhook check --kubeconfig ... --all -A` RUNS times
(text output to /dev/null) and prints the wall time of each run, the best and
the median, the command's own CPU time (the rest is the Python stand-in), and
the API requests of the last run (paged lists, no GET per VM).
A benchmark, not a test: it asserts nothing about time.

  tests/bench/bench_check_all.py [BIN] [N] [RUNS]
"""
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import many_vms  # noqa: E402
import standin  # noqa: E402


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "migration-webhook")
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    work = tempfile.mkdtemp(prefix="mw-bench-check-")
    si = None
    try:
        standin.make_certs(work)
        data = os.path.join(work, "cluster")
        standin.yaml_to_json_dir(standin.CLUSTER, data)
        many_vms.write_bulk(standin.CLUSTER, data, n)
        si = standin.StandIn(work, data)
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": work}
        times, cpus = [], []
        for _ in range(runs):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            si.ctl.post("/reset-counters", {})
            start = time.monotonic()
            p = subprocess.run([binary, "check", "--kubeconfig", si.kubeconfig, "--all", "-A"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, timeout=300)
            times.append(time.monotonic() - start)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
            if p.returncode not in (0, 1):
                print("check failed (exit %d): %s" % (p.returncode, p.stderr.decode().strip()))
                return 1
        counters = si.ctl.counters()
        lists = sum(v for k, v in counters.items() if k.startswith("LIST "))
        gets = sum(v for k, v in counters.items() if k.startswith("GET "))
        print("check --all -A, %d VMIs + the example cluster, live: runs %s s; best %.2f s, median %.2f s; "
              "its own CPU %.2f s (median); %d list requests (pages of 500), %d GETs" %
              (n, " ".join("%.2f" % t for t in times), min(times), statistics.median(times),
               statistics.median(cpus), lists, gets))
    finally:
        if si:
            si.stop()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
