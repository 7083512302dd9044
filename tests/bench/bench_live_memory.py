#!/usr/bin/env python3
"""Memory of the live view's Node cache, per cached node.

Usage: tests/bench/bench_live_memory.py [BUILD_DIR] [NODES]   (default build-rel, 5000)

Starts two stand-in API servers (tests/apiserver/server.py, TLS with a
throwaway CA): one with NODES realistic KubeVirt worker nodes (about 60
labels, 4 annotations, status with capacity and 20 images), one with a
single such node.  A live view (BUILD_DIR/tests/live_driver) is pointed at
each; once ready, prints for the big cluster:

  - time from exec to READY (the first full Node list, NODES/500 pages);
  - the view's own account: live_view_stats node_cache_bytes / nodes;
  - heap in use (mallinfo2, from the driver's "memory" command) and RSS
    of the big-cluster process minus the one-node process, per node;
  - RSS total.

The two processes run the same binary and differ only in the list they hold.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.join(SRC, "build-rel")
NODES = int(sys.argv[2]) if len(sys.argv) > 2 else 5000
DRIVER = os.path.join(BUILD, "tests", "live_driver")

sys.path.insert(0, os.path.join(SRC, "tests", "integration"))
from standin import bulk_node, make_certs  # noqa: E402  (shared with the live view test)


class Cluster:
    """A stand-in API server with `n` bulk nodes and a live view pointed at it."""

    def __init__(self, tmp, tag, n):
        d = os.path.join(tmp, tag)
        os.makedirs(d + "/data")
        items = [bulk_node("bulk-%05d" % i) for i in range(n)]
        with open(d + "/data/nodes.json", "w") as f:
            json.dump({"kind": "List", "apiVersion": "v1", "items": items}, f)
        with open(d + "/token", "w") as f:
            f.write("bench-token\n")
        ports = d + "/ports.json"
        self.server = subprocess.Popen([sys.executable, os.path.join(SRC, "tests", "apiserver", "server.py"),
                                        "--cert", tmp + "/server.crt", "--key", tmp + "/server.key",
                                        "--token-file", d + "/token", "--data-dir", d + "/data",
                                        "--ports-file", ports])
        end = time.monotonic() + 60
        while not os.path.exists(ports) and time.monotonic() < end:
            time.sleep(0.05)
        with open(ports) as f:
            api = json.load(f)["api"]
        cfg = {"apiVersion": "v1", "kind": "Config", "current-context": "bench",
               "clusters": [{"name": "s", "cluster": {"server": "https://127.0.0.1:%d" % api,
                                                      "certificate-authority": tmp + "/ca.crt"}}],
               "users": [{"name": "u", "user": {"tokenFile": d + "/token"}}],
               "contexts": [{"name": "bench", "context": {"cluster": "s", "user": "u"}}]}
        with open(d + "/kubeconfig", "w") as f:
            json.dump(cfg, f)
        self.kubeconfig = d + "/kubeconfig"
        self.driver = None

    def start_view(self):
        started = time.monotonic()
        self.driver = subprocess.Popen([DRIVER, self.kubeconfig, "120000"], stdin=subprocess.PIPE,
                                       stdout=subprocess.PIPE, text=True)
        first = self.driver.stdout.readline().strip()
        self.ready_s = time.monotonic() - started
        if first != "READY":
            raise SystemExit("live view not ready: " + first)
        time.sleep(0.5)  # let the KubeVirt cache settle (404: nothing to hold)

    def ask(self, line):
        self.driver.stdin.write(line + "\n")
        self.driver.stdin.flush()
        return self.driver.stdout.readline().strip()

    def rss_kib(self):
        with open("/proc/%d/status" % self.driver.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return -1

    def heap(self):
        answer = self.ask("memory")
        return json.loads(answer)["heap_in_use"] if answer.startswith("{") else None

    def close(self):
        if self.driver:
            try:
                self.driver.stdin.write("quit\n")
                self.driver.stdin.close()
            except BrokenPipeError:
                pass
            self.driver.wait(timeout=30)
        self.server.terminate()
        self.server.wait(timeout=10)


def main():
    if not os.path.exists(DRIVER):
        raise SystemExit("no %s: build first (cmake --build %s)" % (DRIVER, BUILD))
    tmp = tempfile.mkdtemp(prefix="mw-bench-mem-")
    clusters = []
    try:
        make_certs(tmp)
        small, big = Cluster(tmp, "one", 1), Cluster(tmp, "many", NODES)
        clusters = [small, big]
        small.start_view()
        big.start_view()
        st = json.loads(big.ask("stats"))
        if st["nodes"] != NODES:
            raise SystemExit("the view holds %d nodes, not %d" % (st["nodes"], NODES))
        n = NODES - 1
        rss_small, rss_big = small.rss_kib(), big.rss_kib()
        heap_small, heap_big = small.heap(), big.heap()
        print("live view, %d nodes from the stand-in API server (%s)" % (NODES, BUILD))
        print("  exec -> READY (full Node list):  %.2f s" % big.ready_s)
        print("  view's account (node_cache_bytes / nodes):  %d bytes per node (%.1f MiB)"
              % (st["node_cache_bytes"] // NODES, st["node_cache_bytes"] / 1048576.0))
        if heap_big is not None:
            print("  heap in use, %d nodes minus 1 node:  %d bytes per node (%.1f MiB vs %.1f MiB)"
                  % (NODES, (heap_big - heap_small) // n, heap_big / 1048576.0, heap_small / 1048576.0))
        print("  RSS, %d nodes minus 1 node:  %d bytes per node" % (NODES, (rss_big - rss_small) * 1024 // n))
        print("  RSS total:  %.1f MiB with %d nodes, %.1f MiB with 1" % (rss_big / 1024.0, NODES, rss_small / 1024.0))
        return 0
    finally:
        for c in clusters:
            c.close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
