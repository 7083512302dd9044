#!/usr/bin/env python3
"""Target nodes judged by what KubeVirt's migration target pod will require, end to end.

The real binary over TLS on the example cluster (an AMD node and a witness
node next to the Intel nodes), then on a copy of it with a tainted VM node and
zones: the reasons the target-node and no-target rules give, and the CPU vendor
key the target pod mutation adds (its JSON Patch applied with python3-jsonpatch).
"""
import base64
import copy
import json
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_rules_e2e as e2e  # noqa: E402
from standin import denial, review, vmim  # noqa: E402

P = "VM default/{} cannot be live-migrated: "

# A VM node like node-b of the example cluster (Intel, Cascadelake-Server-noTSX host model, q35), with a taint
# no launcher pod tolerates, in zone-b; written next to a copy of the example cluster.
TAINTED_NODE = """apiVersion: v1
kind: Node
metadata:
  name: node-t
  labels:
    kubernetes.io/arch: amd64
    kubernetes.io/hostname: node-t
    topology.kubernetes.io/zone: zone-b
    kubevirt.io/schedulable: 'true'
    network.harvesterhci.io/mgmt: 'true'
    network.harvesterhci.io/vlan1: 'true'
    host-model-cpu.node.kubevirt.io/Cascadelake-Server-noTSX: 'true'
    cpu-model.node.kubevirt.io/Cascadelake-Server-noTSX: 'true'
    cpu-model-migration.node.kubevirt.io/Cascadelake-Server-noTSX: 'true'
    cpu-vendor.node.kubevirt.io/Intel: 'true'
    machine-type.node.kubevirt.io/q35: 'true'
spec:
  taints:
    - key: dedicated
      value: database
      effect: NoSchedule
"""


def vmim_review(vmi, selector=None):
    obj = vmim(vmi)
    if selector:
        obj["spec"]["addedNodeSelector"] = selector
    return review("kubevirt.io", "v1", "virtualmachineinstancemigrations", "VirtualMachineInstanceMigration",
                  "CREATE", obj, name=obj["metadata"]["name"])


def serve(work, cluster):
    """Starts the server on `cluster` (the example cluster is the default of start_server)."""
    e2e.CLUSTER = cluster
    return e2e.start_server(work)


def example_cluster(c):
    check = e2e.check
    cases = [
        ("vm-model", "node-e", 'target node "node-e" has CPU vendor AMD; the VM runs on Intel'),
        ("vm-migratable", "node-e", 'target node "node-e" has CPU vendor AMD; the VM runs on Intel'),
        ("vm-multus", "node-w", 'target node "node-w" does not run VMs (no kubevirt.io/schedulable label)'),
        ("vm-migratable", "node-b", None),
    ]
    for vm, target, text in cases:
        msg = denial(c.review("/validate", vmim_review(vm, {"kubernetes.io/hostname": target})))
        want = None if text is None else P.format(vm) + text
        check(msg == want, f"VMIM {vm} to {target}: {msg!r}")

    msg = denial(c.review("/validate", vmim_review("vm-icelake")))
    check(msg is not None and 'node "node-e" has CPU vendor AMD; the VM runs on Intel' in msg,
          f"no-target names the AMD node's vendor: {msg!r}")
    check(msg is not None and "node-w" not in msg, "no-target leaves the witness node out")
    check(msg is not None and "CPU models supported by all nodes: Penryn \u2014" in msg,
          "the common CPU models are those of the VM nodes (the witness node has none)")

    # The target pod gets node-a's vendor key, after the CPU model keys, before the hostname.
    pod = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {"generateName": "virt-launcher-vm-model-", "namespace": "default",
                        "labels": {"kubevirt.io": "virt-launcher",
                                   "kubevirt.io/created-by": "6a1f0c2e-0000-4000-8000-000000000409",
                                   "kubevirt.io/migrationJobUID": "7d7e0000-0000-4000-8000-000000000009"},
                        "annotations": {"kubevirt.io/domain": "vm-model"}},
           "spec": {"nodeSelector": {"kubevirt.io/schedulable": "true"},
                    "containers": [{"name": "compute", "image": "virt-launcher"}]}}
    resp = c.review("/mutate", review("", "v1", "pods", "Pod", "CREATE", pod))
    res = e2e.patched(pod, resp)
    check(res is not None, "the target pod of vm-model is patched")
    if res:
        new, ops = res
        paths = [op["path"] for op in ops]
        check(paths == ["/spec/nodeSelector/cpu-model.node.kubevirt.io~1Cascadelake-Server-noTSX",
                        "/spec/nodeSelector/cpu-vendor.node.kubevirt.io~1Intel"],
              f"model, then the source node's vendor: {paths}")
        check(new["spec"]["nodeSelector"].get("cpu-vendor.node.kubevirt.io/Intel") == "true",
              "the patched pod selects Intel nodes")
    amd = copy.deepcopy(pod)
    amd["spec"]["nodeSelector"]["cpu-vendor.node.kubevirt.io/AMD"] = "true"
    amd["spec"]["nodeSelector"]["cpu-model.node.kubevirt.io/Cascadelake-Server-noTSX"] = "true"
    resp = c.review("/mutate", review("", "v1", "pods", "Pod", "CREATE", amd, uid="e2e-amd"))
    check("patch" not in resp["response"], "a pod with a vendor key of its own gets no other")


def tainted_cluster(c):
    check = e2e.check
    msg = denial(c.review("/validate", vmim_review("vm-multus", {"kubernetes.io/hostname": "node-t"})))
    check(msg == P.format("vm-multus") + 'target node "node-t" has taint dedicated=database:NoSchedule, '
          "which the VM does not tolerate", f"untolerated taint: {msg!r}")
    # A zone in addedNodeSelector binds every node: only node-t is in zone-b, and it is tainted.
    msg = denial(c.review("/validate", vmim_review("vm-migratable", {"topology.kubernetes.io/zone": "zone-b"})))
    check(msg is not None and msg.startswith(P.format("vm-migratable") + "no other node can run it: ")
          and 'node "node-b" does not match the VM\'s scheduling rules (topology.kubernetes.io/zone In zone-b)' in msg
          and 'node "node-t" has taint dedicated=database:NoSchedule, which the VM does not tolerate' in msg,
          f"no-target with a zone: {msg!r}")
    # Without the zone node-b takes it.
    check(denial(c.review("/validate", vmim_review("vm-migratable"))) is None, "vm-migratable can move")


def run(cluster, body):
    with tempfile.TemporaryDirectory() as work:
        proc, port = serve(work, cluster)
        try:
            body(e2e.Client(port, work + "/ca.crt"))
        finally:
            proc.terminate()
            rc = proc.wait(timeout=20)
            e2e.check(rc == 0, f"server exits 0 on SIGTERM (got {rc})")


def main():
    examples = os.path.join(e2e.SRC, "examples", "cluster")
    run(examples, example_cluster)
    with tempfile.TemporaryDirectory() as tmp:
        cluster = os.path.join(tmp, "cluster")
        shutil.copytree(examples, cluster)
        with open(os.path.join(cluster, "node-t.yaml"), "w") as f:
            f.write(TAINTED_NODE)
        run(cluster, tainted_cluster)
    if e2e.failures:
        print(f"{e2e.failures} check(s) failed")
        sys.exit(1)


if __name__ == "__main__":
    main()
