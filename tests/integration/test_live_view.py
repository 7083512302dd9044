#!/usr/bin/env python3
"""Integration test of the live cluster view against the stand-in API server.

Starts tests/apiserver/server.py over TLS (a throwaway CA made with the
openssl command line) with the objects of tests/data/live-cluster plus 1200
generated nodes, then drives the view through tests/integration/live_driver.c
and checks what a user of the view would see: objects, not-found, one-line
errors, the node cache following the watch without relisting, a relist after
410 Gone, deadlines, token rotation, and node lookups that cost no API call;
the MigrationPolicy cache following the watch, Namespaces read on demand, and
a cluster without the MigrationPolicy resource (one log line, no error).
"""
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from standin import Control, StandIn, bulk_node, make_certs, wait_for, write  # noqa: E402

SRC = os.environ.get("MW_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("MW_BUILD_DIR", os.path.join(SRC, "build"))
DATA = os.environ.get("MW_TEST_DATA", os.path.join(SRC, "tests", "data"))
DRIVER = os.path.join(BUILD, "tests", "live_driver")
VMI_PATH = "/apis/kubevirt.io/v1/namespaces/default/virtualmachineinstances/vm1"
PVC_PATH = "/api/v1/namespaces/default/persistentvolumeclaims/disk1"
BULK_NODES = 1200
MP_PATH = "/apis/migrations.kubevirt.io/v1alpha1/migrationpolicies"

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


def kubeconfig(path, server, cluster_extra, token_file):
    cfg = {
        "apiVersion": "v1", "kind": "Config", "current-context": "test",
        "clusters": [{"name": "stand-in", "cluster": dict({"server": server}, **cluster_extra)}],
        "users": [{"name": "tester", "user": {"tokenFile": token_file}}],
        "contexts": [{"name": "other", "context": {"cluster": "missing", "user": "tester"}},
                     {"name": "test", "context": {"cluster": "stand-in", "user": "tester"}}],
    }
    write(path, json.dumps(cfg, indent=2))


class Driver:
    def __init__(self, config, ready_ms=10000, stderr=None):
        self.p = subprocess.Popen([DRIVER, config, str(ready_ms)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=stderr, text=True)
        self.first = self.p.stdout.readline().strip()

    def ask(self, line):
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()
        return self.p.stdout.readline().strip()

    def stats(self):
        return json.loads(self.ask("stats"))

    def close(self):
        try:
            self.p.stdin.write("quit\n")
            self.p.stdin.close()
        except BrokenPipeError:
            pass
        return self.p.wait(timeout=20)


def without_migration_policies(tmp, drivers):
    """A cluster without the MigrationPolicy CRD: no error, no policies, exactly one log line."""
    work = tmp + "/no-policies"
    os.makedirs(work)
    for name in ("ca.crt", "server.crt", "server.key"):
        shutil.copy(tmp + "/" + name, work)
    data = work + "/cluster"
    shutil.copytree(os.path.join(DATA, "live-cluster"), data)
    s = StandIn(work, data, extra_args=("--without-migration-policies",))
    try:
        with open(work + "/driver.log", "w") as log:
            d = Driver(s.kubeconfig, stderr=log)
            drivers.append(d)
            check(d.first == "READY", "ready without the MigrationPolicy resource: " + d.first)
            check(wait_for(lambda: s.ctl.count("GET " + MP_PATH) >= 1, 5), "the MigrationPolicy list was asked for")
            check(d.ask("list MP -") == "0 []", "no MigrationPolicy resource: no policies")
            check(d.ask("get MP - fast") == "NOTFOUND", "no MigrationPolicy resource: a policy is not found")
            check(d.stats()["last_error"] == "", "a missing MigrationPolicy resource is no error")
            check(d.ask("get VMI default vm1").startswith("{"), "the view works on")
            time.sleep(1.5)
            check(s.ctl.count("GET " + MP_PATH) == 1 and s.ctl.count("WATCH " + MP_PATH) == 0,
                  "not listed again at once, not watched")
            check(d.close() == 0, "driver exits cleanly")
        with open(work + "/driver.log") as f:
            lines = f.read().splitlines()
        check(lines == ["MigrationPolicy resource not served: GET %s: 404 NotFound; no MigrationPolicy applies "
                        "(listed again every 10 minutes)" % MP_PATH], "exactly one log line: %r" % lines)
    finally:
        s.stop()


def main():
    if not os.path.exists(DRIVER) or not shutil.which("openssl"):
        print("skipped: no live_driver or no openssl")
        return 77
    tmp = tempfile.mkdtemp(prefix="mw-live-")
    server = None
    drivers = []
    try:
        make_certs(tmp)
        data = os.path.join(tmp, "cluster")
        shutil.copytree(os.path.join(DATA, "live-cluster"), data)
        bulk = [bulk_node("bulk-%04d" % i) for i in range(BULK_NODES)]
        write(os.path.join(data, "zz-bulk-nodes.json"), json.dumps({"kind": "List", "apiVersion": "v1", "items": bulk}))
        server_token, client_token = tmp + "/server-token", tmp + "/client-token"
        write(server_token, "token-one\n")
        write(client_token, "token-one\n")
        ports_file = tmp + "/ports.json"
        server = subprocess.Popen([sys.executable, os.path.join(SRC, "tests", "apiserver", "server.py"),
                                   "--cert", tmp + "/server.crt", "--key", tmp + "/server.key",
                                   "--token-file", server_token, "--data-dir", data, "--ports-file", ports_file,
                                   "--client-ca", tmp + "/ca.crt"])
        if not wait_for(lambda: os.path.exists(ports_file), 10):
            print("stand-in API server did not start")
            return 1
        with open(ports_file) as f:
            ports = json.load(f)
        ctl = Control(ports["control"])
        url = "https://127.0.0.1:%d" % ports["api"]

        # kubeconfig with a CA file relative to the kubeconfig's directory
        kubeconfig(tmp + "/kubeconfig", url, {"certificate-authority": "ca.crt"}, client_token)
        d = Driver(tmp + "/kubeconfig")
        drivers.append(d)
        check(d.first == "READY", "view becomes ready after the first node list: " + d.first)
        st = d.stats()
        check(st["nodes"] == 3 + BULK_NODES, "node cache holds every node (%d)" % st["nodes"])
        check(ctl.count("LIST /api/v1/nodes") == 3, "the node list is read in pages of 500 (3 pages)")
        check(wait_for(lambda: d.stats()["kubevirts"] == 1, 5), "KubeVirt cache holds the CR")
        print("bytes per cached node: %d" % st["bytes_per_node"], flush=True)

        # on-demand reads
        vmi = d.ask("get VMI default vm1")
        check(vmi.startswith("{") and json.loads(vmi)["status"]["nodeName"] == "node-1", "VMI read on demand")
        check(d.ask("get VMI default nope") == "NOTFOUND", "missing VMI is NOTFOUND")
        check(json.loads(d.ask("get PVC default disk1"))["spec"]["accessModes"] == ["ReadWriteMany"], "PVC read")
        nad = d.ask("get NAD default vlan10")
        check(nad.startswith("{") and json.loads(nad)["metadata"]["name"] == "vlan10", "NAD read")
        pods = d.ask("list POD default vm.kubevirt.io/name=vm1")
        check(pods.startswith("1 ") and json.loads(pods[2:])[0]["metadata"]["name"] == "virt-launcher-vm1-abcde",
              "pods listed by label selector")
        check(ctl.count("LIST /api/v1/namespaces/default/pods") == 1, "pod list went to the API server")
        vmims = d.ask("list VMIM default kubevirt.io/vmi-name=vm1")
        check(vmims.startswith("1 ") and json.loads(vmims[2:])[0]["kind"] == "VirtualMachineInstanceMigration",
              "VMIMs listed by label selector, with their kind")
        check(d.ask("list VMIM default kubevirt.io/vmi-name=none") == "0 []", "empty list is an empty array")

        # cached objects keep only what the rules read
        node = json.loads(d.ask("get NODE - node-1"))
        check("status" not in node and "podCIDR" not in node["spec"] and node["kind"] == "Node",
              "cached node is trimmed to metadata and spec.unschedulable/taints")
        node2 = json.loads(d.ask("get NODE - node-2"))
        check(node2["spec"].get("unschedulable") is True and node2["spec"]["taints"][0]["key"] ==
              "node.kubernetes.io/unschedulable", "cordon and taints kept")
        kv = json.loads(d.ask("get KUBEVIRT harvester-system kubevirt"))
        check(kv["spec"]["configuration"]["cpuModel"] == "host-model" and "status" not in kv, "KubeVirt CR trimmed")
        check(d.ask("get NODE - no-such-node") == "NOTFOUND", "missing node is NOTFOUND")

        # MigrationPolicies: a list+watch cache that follows a policy created and deleted
        check(wait_for(lambda: d.ask("list MP -") == "0 []", 5), "MigrationPolicy cache loaded, empty")
        mp_lists = ctl.count("LIST " + MP_PATH)
        check(mp_lists == 1, "MigrationPolicies listed once (%d)" % mp_lists)
        selectors = {"virtualMachineInstanceSelector": {"workload": "db"}, "namespaceSelector": {"tier": "prod"}}
        ctl.post("/put", {"apiVersion": "migrations.kubevirt.io/v1alpha1", "kind": "MigrationPolicy",
                          "metadata": {"name": "fast", "labels": {"team": "a"}},
                          "spec": {"allowPostCopy": True, "bandwidthPerMigration": "1Gi",
                                   "completionTimeoutPerGiB": 300, "selectors": selectors}})
        check(wait_for(lambda: d.ask("get MP - fast").startswith("{"), 2), "a created MigrationPolicy enters the cache")
        mp = json.loads(d.ask("get MP - fast"))
        check(mp["kind"] == "MigrationPolicy" and mp["metadata"] == {"name": "fast"} and
              mp["spec"] == {"selectors": selectors, "completionTimeoutPerGiB": 300},
              "the cached policy keeps its name, selectors and completionTimeoutPerGiB: %s" % json.dumps(mp))
        check(d.ask("get MP default fast") == d.ask("get MP - fast"), "a MigrationPolicy is cluster-scoped")
        check(d.ask("list MP -").startswith("1 ") and d.stats()["migration_policies"] == 1, "listed from the cache")
        ctl.post("/expire", {"resource": "migrationpolicies"})
        check(wait_for(lambda: ctl.count("LIST " + MP_PATH) == mp_lists + 1, 5) and
              d.ask("get MP - fast").startswith("{"), "410 Gone relists the MigrationPolicies, the policy stays")
        mp_lists += 1
        ctl.post("/delete", {"resource": "migrationpolicies", "name": "fast"})
        check(wait_for(lambda: d.ask("get MP - fast") == "NOTFOUND", 2), "a deleted MigrationPolicy leaves the cache")
        check(ctl.count("LIST " + MP_PATH) == mp_lists, "followed through the watch, without a relist")

        # the cached KubeVirt CR keeps the version KubeVirt reports (its default timeout depends on it)
        ctl.post("/status", {"resource": "kubevirts", "namespace": "harvester-system", "name": "kubevirt",
                             "status": {"phase": "Deployed", "observedKubeVirtVersion": "v1.4.1"}})
        check(wait_for(lambda: json.loads(d.ask("get KUBEVIRT harvester-system kubevirt")).get("status") ==
                       {"observedKubeVirtVersion": "v1.4.1"}, 2), "KubeVirt CR keeps status.observedKubeVirtVersion")

        # Namespaces are read on demand
        ctl.post("/put", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "prod", "labels": {
            "kubernetes.io/metadata.name": "prod", "tier": "prod"}}})
        ns = d.ask("get NS - prod")
        check(ns.startswith("{") and json.loads(ns)["metadata"]["labels"]["tier"] == "prod" and
              ctl.count("GET /api/v1/namespaces/prod") == 1, "Namespace read with one GET: " + ns)
        check(d.ask("get NS - no-such-namespace") == "NOTFOUND", "missing Namespace is NOTFOUND")

        # repeated node lookups cost nothing
        before = ctl.counters()
        for _ in range(100):
            d.ask("labels node-1")
        d.ask("list NODE - kubevirt.io/schedulable=true")
        after = ctl.counters()
        node_calls = {k: v for k, v in after.items() if "/nodes" in k and not k.startswith("WATCH")}
        node_calls_before = {k: v for k, v in before.items() if "/nodes" in k and not k.startswith("WATCH")}
        check(node_calls == node_calls_before, "100 node lookups make no node API call")
        check(d.ask("list NODE - kubevirt.io/schedulable=true").startswith("%d " % (2 + BULK_NODES)),
              "node list by label from the cache")
        check(d.ask("list NODE - kubevirt.io/schedulable=false").startswith("1 "), "label values compared exactly")

        # a status-only update changes nothing cached: no new snapshot
        node1 = json.loads(d.ask("get NODE - node-1"))
        ctl.post("/status", {"resource": "nodes", "name": "node-1", "status": {"conditions": [{"type": "Ready"}]}})
        ctl.post("/labels", {"resource": "nodes", "name": "node-2", "labels": {"after-status": "yes"}})
        check(wait_for(lambda: json.loads(d.ask("labels node-2")).get("after-status") == "yes", 2) and
              json.loads(d.ask("get NODE - node-1")) == node1, "a status-only update leaves the cached node as it was")

        # a label change arrives through the watch, without a relist
        lists = ctl.count("LIST /api/v1/nodes")
        ctl.post("/labels", {"resource": "nodes", "name": "node-1", "labels": {"migration-test": "one"}})
        check(wait_for(lambda: json.loads(d.ask("labels node-1")).get("migration-test") == "one", 2),
              "label change seen through the watch within 2 s")
        check(ctl.count("LIST /api/v1/nodes") == lists, "no relist for a label change")
        ctl.post("/delete", {"resource": "nodes", "name": "node-3"})
        check(wait_for(lambda: d.ask("get NODE - node-3") == "NOTFOUND", 2), "deleted node leaves the cache")
        ctl.post("/put", {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-4"}, "spec": {}})
        check(wait_for(lambda: d.ask("get NODE - node-4").startswith("{"), 2), "added node enters the cache")

        # 410 Gone relists
        ctl.post("/expire", {"resource": "nodes"})
        check(wait_for(lambda: d.stats()["relists"] >= 1, 5), "an expired resourceVersion relists")
        check(wait_for(lambda: ctl.count("LIST /api/v1/nodes") > lists, 2), "the relist read the node list again")
        ctl.post("/labels", {"resource": "nodes", "name": "node-1", "labels": {"migration-test": "two"}})
        check(wait_for(lambda: json.loads(d.ask("labels node-1")).get("migration-test") == "two", 2),
              "the watch resumes after the relist")

        # bookmarks move the resourceVersion a restarted watch resumes from
        ctl.post("/put", {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "other", "namespace": "default"}})
        rv = ctl.state()["rv"]
        events = d.stats()["watch_events"]
        # watch_events counts the three caches' events: two rounds of bookmarks, one each per second
        check(wait_for(lambda: d.stats()["watch_events"] >= events + 6, 5), "bookmarks arrive while nothing changes")
        lists, restarts = ctl.count("LIST /api/v1/nodes"), d.stats()["watch_restarts"]
        ctl.post("/end-watches", {})
        check(wait_for(lambda: d.stats()["watch_restarts"] > restarts, 5), "an ended watch is restarted")
        check(wait_for(lambda: ctl.count("RV WATCH /api/v1/nodes") >= rv, 2),
              "the new watch resumes from the bookmarked resourceVersion")
        check(ctl.count("LIST /api/v1/nodes") == lists, "no relist when a watch ends normally")

        # an expired resourceVersion answered with HTTP 410 relists too
        relists = d.stats()["relists"]
        ctl.post("/expire", {"resource": "nodes", "silent": True})
        check(wait_for(lambda: d.stats()["relists"] > relists, 5), "HTTP 410 on the watch relists")

        # an API server outage: readers keep the last snapshot, the cache backs off and recovers
        ctl.post("/fault", {"prefix": "/api/v1/nodes", "status": 503})
        ctl.post("/expire", {"resource": "nodes"})
        check(wait_for(lambda: d.stats()["last_error"] ==
                       "GET /api/v1/nodes: 503 ServiceUnavailable: injected failure for /api/v1/nodes", 5),
              "the failing relist is recorded")
        check(json.loads(d.ask("labels node-1")).get("migration-test") == "two", "readers still see the last snapshot")
        failed_lists = ctl.count("LIST /api/v1/nodes")
        time.sleep(1.0)
        check(ctl.count("LIST /api/v1/nodes") - failed_lists <= 6, "failed relists back off")
        ctl.post("/clear-faults", {})
        ctl.post("/labels", {"resource": "nodes", "name": "node-1", "labels": {"migration-test": "three"}})
        check(wait_for(lambda: json.loads(d.ask("labels node-1")).get("migration-test") == "three", 10),
              "the cache recovers after the outage")
        check(wait_for(lambda: d.stats()["last_error"] == "", 2), "no error left after recovery")

        # many readers at once while the watch keeps publishing
        ctl.post("/labels", {"resource": "nodes", "name": "node-2", "labels": {"migration-test": "busy"}})
        check(d.ask("parallel 8 25") == "OK 800", "8 threads reading at once all get answers")

        # a slow API server: the deadline wins
        ctl.post("/fault", {"prefix": VMI_PATH, "delay_ms": 5000})
        t0 = time.monotonic()
        answer = d.ask("get VMI default vm1 2000")
        elapsed = time.monotonic() - t0
        check(answer.startswith("ERROR GET %s: no answer within " % VMI_PATH), "slow VMI read is an error: " + answer)
        check(elapsed < 2.0, "the error comes before the 2 s deadline (%.2f s)" % elapsed)
        ctl.post("/clear-faults", {})

        # a failing API server: its Status is the error
        ctl.post("/fault", {"prefix": PVC_PATH, "status": 503})
        answer = d.ask("get PVC default disk1")
        check(answer == "ERROR GET %s: 503 ServiceUnavailable: injected failure for %s" % (PVC_PATH, PVC_PATH),
              "5xx gives one line from the Status body: " + answer)
        ctl.post("/clear-faults", {})

        # token rotation
        write(server_token, "token-two-rotated\n")
        answer = d.ask("get VMI default vm1")
        check(answer == "ERROR GET %s: 401 Unauthorized: Unauthorized" % VMI_PATH, "a stale token is refused: " + answer)
        write(client_token, "token-two-rotated\n")
        check(d.ask("get VMI default vm1").startswith("{"), "the rotated token file is picked up")
        write(server_token, "token-3\n")
        write(client_token, "token-3\n")
        check(d.ask("get PVC default disk1").startswith("{"), "rotated again, on both sides")

        st = d.stats()
        print("stats: %s" % json.dumps(st), flush=True)
        check(st["api_calls"].get("401", 0) >= 1 and st["api_calls"].get("503", 0) >= 2, "API calls counted by code")
        check(d.close() == 0, "driver exits cleanly")

        def b64(name):
            """A file of tmp, base64-encoded as a kubeconfig *-data field."""
            with open(tmp + "/" + name, "rb") as f:
                return base64.b64encode(f.read()).decode()

        def driver_for(name, cfg, *ready_ms):
            """A driver on the kubeconfig cfg, written to tmp/name."""
            write(tmp + "/" + name, json.dumps(cfg))
            d = Driver(tmp + "/" + name, *ready_ms)
            drivers.append(d)
            return d

        # CA given inline (base64) works; a CA that did not sign the server does not
        kubeconfig(tmp + "/kubeconfig-data", url, {"certificate-authority-data": b64("ca.crt")}, client_token)
        d2 = Driver(tmp + "/kubeconfig-data")
        drivers.append(d2)
        check(d2.first == "READY", "certificate-authority-data is honoured: " + d2.first)
        check(d2.close() == 0, "driver exits cleanly")
        kubeconfig(tmp + "/kubeconfig-wrong", url, {"certificate-authority": tmp + "/other.crt"}, client_token)
        d3 = Driver(tmp + "/kubeconfig-wrong", 1500)
        drivers.append(d3)
        refused = "server certificate verification failed"  # libcurl's words (GnuTLS)
        check(d3.first.startswith("NOTREADY GET /api/v1/nodes: " + refused),
              "an unknown server certificate is refused: " + d3.first)
        check(d3.ask("get VMI default vm1").startswith("ERROR GET %s: %s" % (VMI_PATH, refused)),
              "on-demand reads fail the same way")
        check(d3.close() == 0, "driver exits cleanly")
        kubeconfig(tmp + "/kubeconfig-wrong-data", url, {"certificate-authority-data": b64("other.crt")},
                   client_token)
        d3b = Driver(tmp + "/kubeconfig-wrong-data", 1500)
        drivers.append(d3b)
        check(d3b.first.startswith("NOTREADY GET /api/v1/nodes: " + refused),
              "an unknown server certificate is refused with certificate-authority-data: " + d3b.first)
        check(d3b.close() == 0, "driver exits cleanly")

        # insecure-skip-tls-verify accepts the unknown certificate
        kubeconfig(tmp + "/kubeconfig-insecure", url, {"certificate-authority": tmp + "/other.crt",
                                                       "insecure-skip-tls-verify": True}, client_token)
        d4 = Driver(tmp + "/kubeconfig-insecure")
        drivers.append(d4)
        check(d4.first == "READY", "insecure-skip-tls-verify is honoured: " + d4.first)
        check(d4.close() == 0, "driver exits cleanly")

        # a client certificate instead of a token
        cfg = {"apiVersion": "v1", "kind": "Config", "current-context": "cert",
               "clusters": [{"name": "c", "cluster": {"server": url, "certificate-authority": "ca.crt"}}],
               "users": [{"name": "u", "user": {"client-certificate": "client.crt", "client-key": "client.key"}}],
               "contexts": [{"name": "cert", "context": {"cluster": "c", "user": "u"}}]}
        d5 = driver_for("kubeconfig-cert", cfg)
        check(d5.first == "READY" and d5.ask("get VMI default vm1").startswith("{"),
              "client certificate authenticates: " + d5.first)
        check(d5.close() == 0, "driver exits cleanly")

        # the same client certificate and key given inline (base64)
        cfg["clusters"][0]["cluster"] = {"server": url, "certificate-authority-data": b64("ca.crt")}
        cfg["users"][0]["user"] = {"client-certificate-data": b64("client.crt"), "client-key-data": b64("client.key")}
        d6 = driver_for("kubeconfig-cert-data", cfg)
        check(d6.first == "READY" and d6.ask("get VMI default vm1").startswith("{"),
              "client-certificate-data and client-key-data authenticate: " + d6.first)
        check(d6.close() == 0, "driver exits cleanly")
        # without the certificate (and no token) the API server refuses
        cfg["users"][0]["user"] = {}
        d7 = driver_for("kubeconfig-no-cred", cfg, 1500)
        check(d7.first.startswith("NOTREADY GET /api/v1/nodes: 401"),
              "no client certificate and no token is refused: " + d7.first)
        check(d7.close() == 0, "driver exits cleanly")

        without_migration_policies(tmp, drivers)
    finally:
        for d in drivers:
            if d.p.poll() is None:
                d.p.kill()
        if server:
            server.terminate()
            server.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
