"""Helpers shared by the tests that run the real binary against the stand-in API server.

Makes a throwaway CA and a serving certificate for 127.0.0.1 with the openssl
command line, converts the example cluster's YAML to the JSON files the
stand-in reads, starts tests/apiserver/server.py and the webhook, and talks
to both (the control port, AdmissionReviews over TLS).
"""
import http.client
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid

SRC = os.environ.get("MW_SOURCE_DIR") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
BIN = os.environ.get("MW_BIN", os.path.join(SRC, "build", "migration-webhook"))
CLUSTER = os.path.join(SRC, "examples", "cluster")

failures = []


def check(cond, what):
    """Prints one line for a check and remembers it when it fails; returns cond."""
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)
    return cond


def finish():
    """The exit code of a test: 1 when a check failed, else 0."""
    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    return 0


def run(*cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def make_certs(d):
    """In d: ca.crt/ca.key, server.crt/server.key (SAN IP:127.0.0.1), client.crt/client.key signed by the
    same CA, and other.crt, a second CA that signed nothing here."""
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    run("openssl", "req", "-x509", *ec, "-keyout", d + "/ca.key", "-out", d + "/ca.crt", "-days", "2",
        "-subj", "/CN=stand-in test CA")
    run("openssl", "req", *ec, "-keyout", d + "/server.key", "-out", d + "/server.csr", "-subj", "/CN=127.0.0.1")
    write(d + "/ext.cnf", "subjectAltName=IP:127.0.0.1\n")
    run("openssl", "x509", "-req", "-in", d + "/server.csr", "-CA", d + "/ca.crt", "-CAkey", d + "/ca.key",
        "-CAcreateserial", "-out", d + "/server.crt", "-days", "2", "-extfile", d + "/ext.cnf")
    run("openssl", "req", *ec, "-keyout", d + "/client.key", "-out", d + "/client.csr", "-subj", "/CN=webhook")
    run("openssl", "x509", "-req", "-in", d + "/client.csr", "-CA", d + "/ca.crt", "-CAkey", d + "/ca.key",
        "-CAcreateserial", "-out", d + "/client.crt", "-days", "2")
    run("openssl", "req", "-x509", *ec, "-keyout", d + "/other.key", "-out", d + "/other.crt", "-days", "2",
        "-subj", "/CN=unrelated CA")


def kubeconfig(path, server, ca_file, token_file):
    cfg = {
        "apiVersion": "v1", "kind": "Config", "current-context": "test",
        "clusters": [{"name": "stand-in", "cluster": {"server": server, "certificate-authority": ca_file}}],
        "users": [{"name": "tester", "user": {"tokenFile": token_file}}],
        "contexts": [{"name": "test", "context": {"cluster": "stand-in", "user": "tester",
                                                   "namespace": "default"}}],
    }
    write(path, json.dumps(cfg, indent=2))


def yaml_to_json_dir(src, dst):
    """Every *.yaml of src as one JSON List file in dst (YAML timestamps stay strings, as in the static view)."""
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    Loader.yaml_implicit_resolvers = {
        k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
        for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}
    os.makedirs(dst, exist_ok=True)
    for name in sorted(os.listdir(src)):
        if not name.endswith((".yaml", ".yml")):
            continue
        items = []
        with open(os.path.join(src, name)) as f:
            for doc in yaml.load_all(f, Loader=Loader):
                if not isinstance(doc, dict):
                    continue
                if doc.get("kind", "").endswith("List"):
                    items.extend(doc.get("items") or [])
                else:
                    items.append(doc)
        write(os.path.join(dst, os.path.splitext(name)[0] + ".json"),
              json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))


def bulk_node(name):
    """A node shaped like a KubeVirt worker: ~70 labels (CPU models and features), a few annotations."""
    labels = {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
              "kubevirt.io/schedulable": "true", "host-model-cpu.node.kubevirt.io/Skylake-Server-IBRS": "true",
              "cpu-vendor.node.kubevirt.io/Intel": "true", "topology.kubernetes.io/zone": "zone-a"}
    for model in ("Haswell-noTSX", "Broadwell-noTSX", "Skylake-Client", "Skylake-Server", "Cascadelake-Server",
                  "IvyBridge", "SandyBridge", "Westmere", "Penryn", "Conroe"):
        labels["cpu-model.node.kubevirt.io/" + model] = "true"
    for feature in ("abm", "adx", "aes", "avx", "avx2", "avx512bw", "avx512cd", "avx512dq", "avx512f", "avx512vl",
                    "bmi1", "bmi2", "clflushopt", "clwb", "erms", "f16c", "fma", "fsgsbase", "hle", "invpcid",
                    "movbe", "mpx", "pcid", "pclmuldq", "pdpe1gb", "pku", "popcnt", "rdrand", "rdseed", "rtm",
                    "smap", "smep", "spec-ctrl", "ssbd", "sse4.1", "sse4.2", "ssse3", "tsc-deadline", "vme",
                    "x2apic", "xgetbv1", "xsave", "xsavec", "xsaveopt", "xsaves", "arat", "md-clear", "stibp",
                    "umip", "vmx"):
        labels["cpu-feature.node.kubevirt.io/" + feature] = "true"
    annotations = {"node.alpha.kubernetes.io/ttl": "0", "volumes.kubernetes.io/controller-managed-attach-detach": "true",
                   "kubevirt.io/heartbeat": "2026-01-01T00:00:00Z", "csi.volume.kubernetes.io/nodeid":
                   '{"driver.longhorn.io":"%s"}' % name}
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "uid": str(uuid.uuid5(uuid.NAMESPACE_DNS, name)), "labels": labels,
                         "annotations": annotations},
            "spec": {"podCIDR": "10.52.1.0/24", "providerID": "rke2://" + name},
            "status": {"capacity": {"cpu": "32", "memory": "131072Mi"},
                       "images": [{"names": ["registry/image:%d" % i], "sizeBytes": 1} for i in range(20)]}}


def listening_port(log, proc=None, tries=200, step=0.05):
    """The port of the server's "listening" line in its open log file, waiting up to tries x step
    seconds, less when proc exits first; None when the line never came."""
    for _ in range(tries):
        log.seek(0)
        for line in log:
            if '"msg":"listening"' in line:
                return json.loads(line)["port"]
        if proc is not None and proc.poll() is not None:
            return None
        time.sleep(step)
    return None


def wait_for(pred, seconds, step=0.05):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(step)
    return pred()


class Control:
    """The stand-in's plain-HTTP control port."""

    def __init__(self, port):
        self.base = "http://127.0.0.1:%d" % port

    def post(self, path, body):
        req = urllib.request.Request(self.base + path, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.load(r)

    def counters(self):
        with urllib.request.urlopen(self.base + "/counters", timeout=10) as r:
            return json.load(r)

    def state(self):
        with urllib.request.urlopen(self.base + "/state", timeout=10) as r:
            return json.load(r)

    def count(self, key):
        return self.counters().get(key, 0)


class StandIn:
    """tests/apiserver/server.py over TLS, serving the JSON files of data_dir."""

    def __init__(self, work, data_dir, token="token-one", extra_args=()):
        self.work = work
        self.server_token = work + "/server-token"
        self.client_token = work + "/client-token"
        write(self.server_token, token + "\n")
        write(self.client_token, token + "\n")
        ports_file = work + "/ports.json"
        self.proc = subprocess.Popen([sys.executable, os.path.join(SRC, "tests", "apiserver", "server.py"),
                                      "--cert", work + "/server.crt", "--key", work + "/server.key",
                                      "--token-file", self.server_token, "--data-dir", data_dir,
                                      "--ports-file", ports_file, *extra_args])
        if not wait_for(lambda: os.path.exists(ports_file), 10):
            self.stop()
            raise RuntimeError("stand-in API server did not start")
        with open(ports_file) as f:
            ports = json.load(f)
        self.url = "https://127.0.0.1:%d" % ports["api"]
        self.ctl = Control(ports["control"])
        self.kubeconfig = work + "/kubeconfig"
        kubeconfig(self.kubeconfig, self.url, work + "/ca.crt", self.client_token)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


class Webhook:
    """`migration-webhook serve` on an ephemeral port with a certificate from `certs create`."""

    def __init__(self, work, name, cluster_args):
        self.dir = os.path.join(work, name)
        os.makedirs(self.dir, exist_ok=True)
        subprocess.run([BIN, "certs", "create", "--host", "localhost,127.0.0.1", "--out-dir", self.dir],
                       check=True, stdout=subprocess.DEVNULL)
        self.log = open(os.path.join(self.dir, "server.log"), "w+")
        self.proc = subprocess.Popen([BIN, "serve", "--listen", "127.0.0.1:0", "--tls-cert", self.dir + "/tls.crt",
                                      "--tls-key", self.dir + "/tls.key", *cluster_args], stderr=self.log)
        self.port = listening_port(self.log, self.proc)
        if not self.port:
            self.stop()
            self.log.seek(0)
            raise RuntimeError("webhook did not start: " + self.log.read())
        self.ctx = ssl.create_default_context(cafile=self.dir + "/ca.crt")

    def request(self, method, path, body=None, timeout=10):
        conn = http.client.HTTPSConnection("localhost", self.port, context=self.ctx, timeout=timeout)
        try:
            conn.request(method, path, body=None if body is None else json.dumps(body).encode(),
                         headers={"Content-Type": "application/json"})
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()

    def review(self, path, review, timeout="10s"):
        code, data = self.request("POST", "%s?timeout=%s" % (path, timeout), review)
        if code != 200:
            raise AssertionError("%s: HTTP %d: %r" % (path, code, data[:200]))
        out = json.loads(data)
        assert out["response"]["uid"] == review["request"]["uid"], "uid echoed"
        return out

    def ready(self):
        return self.request("GET", "/readyz")[0]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                return self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                return -9
        return self.proc.returncode


# ---- AdmissionReviews as the API server sends them --------------------------------------------------

def review(group, version, resource, kind, operation, obj, ns="default", name="", uid="test-0001", old=None,
           api="admission.k8s.io/v1", dry_run=False):
    return {
        "apiVersion": api, "kind": "AdmissionReview",
        "request": {
            "uid": uid,
            "kind": {"group": group, "version": version, "kind": kind},
            "resource": {"group": group, "version": version, "resource": resource},
            "requestKind": {"group": group, "version": version, "kind": kind},
            "requestResource": {"group": group, "version": version, "resource": resource},
            "name": name, "namespace": ns, "operation": operation,
            "userInfo": {"username": "system:serviceaccount:harvester-system:harvester"},
            "object": obj, "oldObject": old, "dryRun": dry_run,
            "options": {"kind": "CreateOptions", "apiVersion": "meta.k8s.io/v1"},
        },
    }


def vmim(vmi, name=None, target=None):
    """A VirtualMachineInstanceMigration of `vmi` as Harvester creates it, optionally to a picked node."""
    obj = {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachineInstanceMigration",
           "metadata": {"name": name or vmi + "-mig", "namespace": "default",
                        "labels": {"kubevirt.io/vmi-name": vmi}},
           "spec": {"vmiName": vmi}}
    if target:
        obj["spec"]["addedNodeSelector"] = {"kubernetes.io/hostname": target}
    return obj


def new_vm(name, disk="rootdisk", device=None):
    """A VirtualMachine to CREATE: one disk `disk` (virtio unless `device`, e.g. {"cdrom": {"bus": "sata"}}, says
    otherwise) on the PVC vm-migratable-rootdisk, masquerade on the pod network, 2Gi of memory."""
    return {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachine", "metadata": {"name": name, "namespace": "default"},
            "spec": {"template": {"spec": {
                "domain": {"devices": {"disks": [dict(name=disk, **(device or {"disk": {"bus": "virtio"}}))],
                                       "interfaces": [{"name": "default", "masquerade": {}}]},
                           "memory": {"guest": "2Gi"}},
                "networks": [{"name": "default", "pod": {}}],
                "volumes": [{"name": disk, "persistentVolumeClaim": {"claimName": "vm-migratable-rootdisk"}}]}}}}


def denial(resp):
    """The denial message of an answer (None when allowed); a denial is always 403 Forbidden."""
    r = resp["response"]
    if r["allowed"]:
        return None
    st = r["status"]
    assert st["code"] == 403 and st["reason"] == "Forbidden" and st["status"] == "Failure", st
    return st["message"]


def with_standin(prefix, body, fill=None):
    """Runs body(work, si, data) with certificates in a fresh directory work and a stand-in API server
    serving data (the example cluster, or what fill(data) writes there); stops every process body
    registered in si.others and the stand-in, removes work, and returns the test's exit code
    (77 without openssl)."""
    if not shutil.which("openssl"):
        print("skipped: no openssl")
        return 77
    work = tempfile.mkdtemp(prefix=prefix)
    si = None
    others = []
    try:
        make_certs(work)
        data = os.path.join(work, "cluster")
        if fill:
            os.makedirs(data)
            fill(data)
        else:
            yaml_to_json_dir(CLUSTER, data)
        si = StandIn(work, data)
        si.others = others
        body(work, si, data)
    finally:
        for p in others:
            p.stop()
        if si:
            si.stop()
        shutil.rmtree(work, ignore_errors=True)
    return finish()
