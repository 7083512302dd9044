#!/usr/bin/env python3
"""The rules end to end: the real binary over TLS on the example cluster.

Builds AdmissionReviews as the API server sends them, posts them to /validate
and /mutate, and checks what kubectl would show: allowed, the 403 message,
warnings, and (for /mutate) that the base64 JSON Patch applies to the object
with an independent RFC 6902 applier (python3-jsonpatch) and yields the
expected result.
"""
import base64
import copy
import json
import os
import re
import ssl
import subprocess
import sys
import tempfile
import http.client

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import standin  # noqa: E402
from standin import check, denial, new_vm, review, vmim  # noqa: E402

try:
    import jsonpatch
except ImportError:
    print("FAIL: python3-jsonpatch is missing (scripts/packages.txt)")
    sys.exit(1)

BIN = os.environ["MW_BIN"]
SRC = os.environ.get("MW_SOURCE_DIR") or os.path.join(os.path.dirname(__file__), "..", "..")
CLUSTER = os.path.join(SRC, "examples", "cluster")


def start_server(work, extra=()):
    subprocess.run([BIN, "certs", "create", "--host", "localhost,127.0.0.1", "--out-dir", work],
                   check=True, stdout=subprocess.DEVNULL)
    log = open(os.path.join(work, "server.log"), "w+")
    proc = subprocess.Popen([BIN, "serve", "--listen", "127.0.0.1:0", "--tls-cert", work + "/tls.crt",
                             "--tls-key", work + "/tls.key", "--cluster-dir", CLUSTER, *extra],
                            stderr=log)
    port = standin.listening_port(log, tries=100)
    if port:
        return proc, port
    proc.kill()
    log.seek(0)
    sys.exit("FAIL: server did not start: " + log.read())


class Client:
    def __init__(self, port, cafile):
        ctx = ssl.create_default_context(cafile=cafile)
        self.conn = http.client.HTTPSConnection("localhost", port, context=ctx, timeout=10)

    def review(self, path, review):
        body = json.dumps(review).encode()
        self.conn.request("POST", path + "?timeout=10s", body=body,
                          headers={"Content-Type": "application/json"})
        resp = self.conn.getresponse()
        data = resp.read()
        if resp.status != 200:
            raise AssertionError(f"{path}: HTTP {resp.status}: {data[:200]!r}")
        out = json.loads(data)
        assert out["response"]["uid"] == review["request"]["uid"], "uid echoed"
        return out


def vmim_review(vmi, **kw):
    obj = vmim(vmi, target=kw.pop("target", None))
    obj["metadata"].update(kw.pop("meta", {}))
    obj["spec"].update(kw.pop("spec", {}))
    return review("kubevirt.io", "v1", "virtualmachineinstancemigrations", "VirtualMachineInstanceMigration",
                  kw.pop("operation", "CREATE"), obj, name=obj["metadata"]["name"], **kw)


def patched(obj, resp):
    r = resp["response"]
    if "patch" not in r:
        return None
    assert r["patchType"] == "JSONPatch"
    ops = json.loads(base64.b64decode(r["patch"]))
    # apply_patch may alias the op values into the document: give it its own copy of the ops
    return jsonpatch.apply_patch(copy.deepcopy(obj), copy.deepcopy(ops)), ops


def main():
    with tempfile.TemporaryDirectory() as work:
        proc, port = start_server(work)
        try:
            c = Client(port, work + "/ca.crt")
            run(c)
            run_rev2(c)
        finally:
            proc.terminate()
            rc = proc.wait(timeout=20)
            check(rc == 0, f"server exits 0 on SIGTERM (got {rc})")
    with tempfile.TemporaryDirectory() as work:
        config = os.path.join(work, "webhook.yaml")
        with open(config, "w") as f:
            f.write("rules:\n  management-bridge: \"off\"\nsystemMigrations:\n  cdrom: deny\n")
        proc, port = start_server(work, ["--config", config])
        try:
            run_configured(Client(port, work + "/ca.crt"))
        finally:
            proc.terminate()
            rc = proc.wait(timeout=20)
            check(rc == 0, f"configured server exits 0 on SIGTERM (got {rc})")
    if standin.finish():
        sys.exit(1)


def run(c):
    P = "VM default/{} cannot be live-migrated: "

    # --- VMIM CREATE on /validate -------------------------------------------------
    cases = [
        ("vm-migratable", None, None),
        ("vm-cdrom", None, 'disk "cdrom1" is a CD-ROM; eject it first'),
        ("vm-containerdisk", None, 'volume "rootdisk" is a container disk; remove it first'),
        ("vm-bridge", None, 'interface "default" uses bridge binding on the management network; use masquerade instead'),
        ("vm-rwo", None, 'volume "rootdisk" uses PVC "vm-rwo-rootdisk" with access mode ReadWriteOnce; '
                         'live migration needs ReadWriteMany'),
        ("vm-pinned", None, 'it is pinned to node "node-a" by nodeSelector kubernetes.io/hostname'),
        ("vm-stopped", None, "it is not running (no VirtualMachineInstance)"),
        ("vm-multus", "node-b", None),
        ("vm-multus", "node-c", 'target node "node-c" is not attached to cluster network vlan1'),
        ("vm-migratable", "node-d", 'target node "node-d" is cordoned'),
        ("vm-migratable", "node-a", 'target node "node-a" is the node it runs on'),
    ]
    for vm, target, text in cases:
        msg = denial(c.review("/validate", vmim_review(vm, target=target)))
        want = None if text is None else P.format(vm) + text
        check(msg == want, f"VMIM {vm} target={target}: {msg!r}")

    msg = denial(c.review("/validate", vmim_review("vm-icelake")))
    check(msg is not None and msg.startswith(P.format("vm-icelake") + "no other node can run it: ")
          and "host-model VMs can only move to nodes with host CPU model Icelake-Server" in msg
          and msg.endswith("set spec.template.spec.domain.cpu.model to one of them and restart the VM"),
          f"no-target with host-model advice: {msg!r}")

    # dryRun is answered the same way; DELETE (abort) is always allowed; v1beta1 answered in v1beta1.
    msg = denial(c.review("/validate", vmim_review("vm-cdrom", dry_run=True)))
    check(msg == P.format("vm-cdrom") + 'disk "cdrom1" is a CD-ROM; eject it first', "dryRun denied the same way")
    resp = c.review("/validate", vmim_review("vm-cdrom", operation="DELETE"))
    check(resp["response"]["allowed"] is True, "VMIM DELETE allowed")
    resp = c.review("/validate", vmim_review("vm-cdrom", api="admission.k8s.io/v1beta1"))
    check(resp["apiVersion"] == "admission.k8s.io/v1beta1" and denial(resp), "v1beta1 review answered in v1beta1")

    # --- VM CREATE early warnings ----------------------------------------------------
    vm = new_vm("vm-new", disk="cd", device={"cdrom": {"bus": "sata"}})
    resp = c.review("/validate", review("kubevirt.io", "v1", "virtualmachines", "VirtualMachine", "CREATE", vm,
                                        name="vm-new"))
    r = resp["response"]
    check(r["allowed"] is True and any(w == 'VM default/vm-new will not be live-migratable: disk "cd" is a CD-ROM; '
                                       'eject it first' for w in r.get("warnings", [])),
          f"VM CREATE allowed with the early warning: {r.get('warnings')}")

    # --- KubeVirt CR -----------------------------------------------------------------
    kv = {"apiVersion": "kubevirt.io/v1", "kind": "KubeVirt",
          "metadata": {"name": "kubevirt", "namespace": "harvester-system"},
          "spec": {"configuration": {"cpuModel": "Icelake-Server",
                                     "migrations": {"progressTimeout": "150"}}}}
    msg = denial(c.review("/validate", review("kubevirt.io", "v1", "kubevirts", "KubeVirt", "UPDATE", kv,
                                              ns="harvester-system", name="kubevirt")))
    check(msg is not None and msg.startswith("cluster CPU model Icelake-Server is not supported by nodes: node-a, node-b")
          and 'migration setting progressTimeout must be a positive integer, got "150"' in msg,
          f"KubeVirt CR denied: {msg!r}")

    # --- migration target pod on /mutate ---------------------------------------------
    pod = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {"generateName": "virt-launcher-vm-migratable-", "namespace": "default",
                        "labels": {"kubevirt.io": "virt-launcher",
                                   "kubevirt.io/created-by": "6a1f0c2e-0000-4000-8000-000000000401",
                                   "kubevirt.io/migrationJobUID": "7d7e0000-0000-4000-8000-000000000001"},
                        "annotations": {"kubevirt.io/domain": "vm-migratable",
                                        "kubevirt.io/migrationJobName": "vm-migratable-mig"}},
           "spec": {"containers": [{"name": "compute", "image": "registry.suse.com/suse/sles/15.6/virt-launcher:1.4.0"}]}}
    resp = c.review("/mutate", review("", "v1", "pods", "Pod", "CREATE", pod))
    res = patched(pod, resp)
    check(res is not None, "target pod is patched")
    if res:
        new, ops = res
        sel = new["spec"]["nodeSelector"]
        check(sel.get("cpu-model-migration.node.kubevirt.io/Cascadelake-Server-noTSX") == "true"
              and sel.get("cpu-feature.node.kubevirt.io/vmx") == "true",
              f"patch applies with python3-jsonpatch and selects the host CPU model: {sorted(sel)}")
        check(ops[0] == {"op": "add", "path": "/spec/nodeSelector", "value": {}}, f"patch creates /spec/nodeSelector: {ops[0]}")
        again = c.review("/mutate", review("", "v1", "pods", "Pod", "CREATE", new, uid="e2e-0002"))
        check("patch" not in again["response"], "mutating the patched pod adds nothing")
    plain = copy.deepcopy(pod)
    del plain["metadata"]["labels"]["kubevirt.io/migrationJobUID"]
    resp = c.review("/mutate", review("", "v1", "pods", "Pod", "CREATE", plain))
    check(resp["response"]["allowed"] and "patch" not in resp["response"], "a pod that is not a migration target is left alone")

    # --- VMIM on /mutate: timeout annotations -------------------------------------------
    def vmim_annotations(vmi):
        """The annotations /mutate gives a VMIM of `vmi`."""
        obj = vmim(vmi)
        resp = c.review("/mutate", review("kubevirt.io", "v1", "virtualmachineinstancemigrations",
                                          "VirtualMachineInstanceMigration", "CREATE", obj))
        res = patched(obj, resp)
        return res[0]["metadata"].get("annotations", {}) if res else {}

    ann = vmim_annotations("vm-migratable")
    check(ann.get("migration-webhook.io/completion-timeout-seconds") == "4000"
          and ann.get("migration-webhook.io/progress-timeout-seconds") == "150"
          and ann.get("migration-webhook.io/timeouts-from") ==
          "KubeVirt CR: 800 s/GiB x 5 (4Gi rounded up to whole 10^9 bytes); progress: KubeVirt CR",
          f"VMIM timeout annotations 4Gi = 5 x 10^9 bytes x 800 = 4000, 150: {ann}")
    # vm-multus is selected by the MigrationPolicy demo-multus (its VMI label and its Namespace's label)
    ann = vmim_annotations("vm-multus")
    check(ann.get("migration-webhook.io/completion-timeout-seconds") == "900"
          and ann.get("migration-webhook.io/timeouts-from") ==
          "MigrationPolicy demo-multus: 300 s/GiB x 3 (2Gi rounded up to whole 10^9 bytes); progress: KubeVirt CR",
          f"VMIM timeout annotations from the MigrationPolicy: {ann}")

    # --- anything else is allowed unchanged -------------------------------------------
    resp = c.review("/validate", review("apps", "v1", "deployments", "Deployment", "CREATE", {"kind": "Deployment"}))
    check(resp["response"]["allowed"] is True and "patch" not in resp["response"], "unknown kind allowed")

    # --- bad input inside a well-formed review: a clear answer, never a wrong allow ------
    bad = vmim("vm-cdrom")
    bad["spec"]["vmiName"] = 42
    msg = denial(c.review("/validate", review("kubevirt.io", "v1", "virtualmachineinstancemigrations",
                                               "VirtualMachineInstanceMigration", "CREATE", bad, name="x")))
    check(msg is not None and "names no VirtualMachineInstance" in msg, f"vmiName not a string is denied: {msg!r}")
    nospec = {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachineInstanceMigration",
              "metadata": {"name": "m"}}
    msg = denial(c.review("/validate", review("kubevirt.io", "v1", "virtualmachineinstancemigrations",
                                               "VirtualMachineInstanceMigration", "CREATE", nospec, name="m")))
    check(msg == "migration default/m names no VirtualMachineInstance (spec.vmiName is empty)",
          f"VMIM without spec denied: {msg!r}")


EVACUATION = {"annotations": {"kubevirt.io/evacuationMigration": "node-a"}}
WORKLOAD_UPDATE = {"annotations": {"kubevirt.io/workloadUpdateMigration": ""}}
OPT_IN = ('VM default/{}: interface "default" uses bridge binding on the management network; migrating anyway '
          '(kubevirt.io/allow-pod-bridge-network-live-migration): the guest keeps its old IP address')


def allowed_with(resp, warnings):
    r = resp["response"]
    return r["allowed"] is True and r.get("warnings", []) == warnings


def run_rev2(c):
    """What KubeVirt migrates, and what it refuses for reasons of its own (examples/cluster/vmis-rev2.yaml)."""
    P = "VM default/{} cannot be live-migrated: "
    cdrom = 'disk "cdrom1" is a CD-ROM; eject it first'

    # KubeVirt's own migrations of a CD-ROM VM (node drain, update) are allowed with a warning; a user's is denied.
    for what, meta in (("evacuation", EVACUATION), ("workload update", WORKLOAD_UPDATE)):
        resp = c.review("/validate", vmim_review("vm-cdrom", meta=meta))
        check(allowed_with(resp, [P.format("vm-cdrom") + cdrom]), f"{what} VMIM of vm-cdrom warns: {resp['response']}")
    msg = denial(c.review("/validate", vmim_review("vm-cdrom")))
    check(msg == P.format("vm-cdrom") + cdrom, f"the same VMIM without the annotation is denied: {msg!r}")
    # Other rules keep their mode for system migrations.
    msg = denial(c.review("/validate", vmim_review("vm-gpu", meta=EVACUATION)))
    check(msg is not None and 'GPU "gpu1"' in msg, f"evacuation of vm-gpu still denied: {msg!r}")

    # An ejected CD-ROM is no finding.
    resp = c.review("/validate", vmim_review("vm-ejected"))
    check(allowed_with(resp, []), f"VMIM of vm-ejected allowed silently: {resp['response']}")

    # The pod-bridge opt-in: a warning of its own.
    resp = c.review("/validate", vmim_review("vm-bridge-optin"))
    check(allowed_with(resp, [OPT_IN.format("vm-bridge-optin")]), f"VMIM of vm-bridge-optin warns: {resp['response']}")

    # KubeVirt's own reason, when nothing else explains it; vm-bridge's InterfaceNotLiveMigratable is not repeated.
    msg = denial(c.review("/validate", vmim_review("vm-sev")))
    check(msg == P.format("vm-sev") + "KubeVirt reports it is not live-migratable: SEVNotLiveMigratable: VMI uses SEV",
          f"VMIM of vm-sev denied with KubeVirt's reason: {msg!r}")
    msg = denial(c.review("/validate", vmim_review("vm-bridge")))
    check(msg is not None and "KubeVirt reports" not in msg, f"vm-bridge's reason not repeated: {msg!r}")

    # A storage migration copies its RWO destination: exempt from volume-access-mode.
    resp = c.review("/validate", vmim_review("vm-storage-migration"))
    check(allowed_with(resp, []), f"VMIM of vm-storage-migration allowed: {resp['response']}")

    # Decentralized: sendTo leaves this cluster's storage and nodes alone; receive waits for the sync.
    send = {"sendTo": {"migrationID": "mig-7f3a", "connectURL": "sync.cluster-b.example.com:9185"}}
    resp = c.review("/validate", vmim_review("vm-rwo", spec=send, target="node-x"))
    check(allowed_with(resp, []), f"sendTo VMIM of vm-rwo allowed: {resp['response']}")
    msg = denial(c.review("/validate", vmim_review("vm-rwo", target="node-x")))
    check(msg is not None and "ReadWriteOnce" in msg and 'target node "node-x"' in msg,
          f"the same VMIM without sendTo denied: {msg!r}")
    resp = c.review("/validate", vmim_review("vm-receiving", spec={"receive": {"migrationID": "mig-7f3a"}}))
    check(allowed_with(resp, []), f"receive VMIM of vm-receiving (WaitingForSync) allowed: {resp['response']}")
    msg = denial(c.review("/validate", vmim_review("vm-receiving")))
    check(msg == P.format("vm-receiving") + "it is not running (phase WaitingForSync)",
          f"a plain VMIM of the waiting VMI is denied: {msg!r}")

    # Early warnings: VM CREATE with an empty CD-ROM tray says nothing; the opt-in VM gets its own warning.
    def vm(name, annotations=None, iface=None, disks=(), volumes=()):
        return {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachine",
                "metadata": {"name": name, "namespace": "default"},
                "spec": {"runStrategy": "RerunOnFailure", "template": {
                    "metadata": {"annotations": annotations or {}},
                    "spec": {"domain": {"cpu": {"model": "host-passthrough"},
                                        "devices": {"disks": list(disks),
                                                    "interfaces": [iface or {"name": "default", "masquerade": {}}]},
                                        "memory": {"guest": "2Gi"}},
                             "networks": [{"name": "default", "pod": {}}],
                             "volumes": list(volumes)}}}}

    def vm_create(obj):
        return c.review("/validate", review("kubevirt.io", "v1", "virtualmachines", "VirtualMachine", "CREATE", obj,
                                            name=obj["metadata"]["name"]))
    resp = vm_create(vm("vm-tray", disks=[{"name": "cdrom-0", "cdrom": {"bus": "sata"}}]))
    check(allowed_with(resp, []), f"VM CREATE with an ejected CD-ROM says nothing: {resp['response']}")
    resp = vm_create(vm("vm-br", annotations={"kubevirt.io/allow-pod-bridge-network-live-migration": "true"},
                        iface={"name": "default", "bridge": {}}))
    check(allowed_with(resp, [OPT_IN.format("vm-br")]), f"VM CREATE with the bridge opt-in: {resp['response']}")
    vmi = {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachineInstance",
           "metadata": {"name": "vmi-br", "namespace": "default",
                        "annotations": {"kubevirt.io/allow-pod-bridge-network-live-migration": ""}},
           "spec": vm("x", iface={"name": "default", "bridge": {}})["spec"]["template"]["spec"]}
    resp = c.review("/validate", review("kubevirt.io", "v1", "virtualmachineinstances", "VirtualMachineInstance",
                                        "CREATE", vmi, name="vmi-br"))
    check(allowed_with(resp, [OPT_IN.format("vmi-br")]), f"VMI CREATE with the bridge opt-in: {resp['response']}")


    # The example reviews show the same.
    reviews = os.path.join(SRC, "examples", "reviews")
    for name, allowed, warns in (("vmim-cdrom-evacuation.json", True, 1), ("vmim-ejected.json", True, 0),
                                 ("vmim-bridge-optin.json", True, 1), ("vmim-sev.json", False, 0),
                                 ("vmi-cdrom-create.json", True, 2), ("vmi-cdrom-status-update.json", True, 0)):
        with open(os.path.join(reviews, name)) as f:
            r = c.review("/validate", json.load(f))["response"]
        check(r["allowed"] is allowed and len(r.get("warnings", [])) == warns, f"examples/reviews/{name}: {r}")


def run_configured(c):
    """systemMigrations wins for KubeVirt's own migrations; a rule in off mode still explains KubeVirt's reason."""
    P = "VM default/{} cannot be live-migrated: "
    msg = denial(c.review("/validate", vmim_review("vm-cdrom", meta=EVACUATION)))
    check(msg == P.format("vm-cdrom") + 'disk "cdrom1" is a CD-ROM; eject it first',
          f"systemMigrations cdrom: deny denies the evacuation: {msg!r}")
    resp = c.review("/validate", vmim_review("vm-containerdisk", meta=EVACUATION))
    check(allowed_with(resp, [P.format("vm-containerdisk") + 'volume "rootdisk" is a container disk; remove it first']),
          f"container-disk still warns for an evacuation: {resp['response']}")
    resp = c.review("/validate", vmim_review("vm-bridge"))
    check(allowed_with(resp, []), f"management-bridge off: vm-bridge allowed, its KubeVirt reason explained: "
                                  f"{resp['response']}")


if __name__ == "__main__":
    main()
