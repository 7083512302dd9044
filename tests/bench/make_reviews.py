#!/usr/bin/env python3
"""tests/bench/make_reviews.py - writes the AdmissionReview bodies the benchmarks send.

Every body is built from the example cluster (examples/cluster/) or the 12 KiB
VirtualMachine review next to this file, so the server answers each one the way
an operator would see it:

  vm-12k.json       the 12 KiB VirtualMachine CREATE (warned: host-model on mixed hosts)
  vm-200k.json      the same VM grown to ~200 KiB with disks, volumes and a large cloud-init
  vmim-denied.json  a VirtualMachineInstanceMigration CREATE of vm-cdrom (denied: CD-ROM)
  pod-mutated.json  the migration target pod of vm-migratable (patched: CPU node selectors)

  make_reviews.py OUT_DIR
"""
import copy
import json
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def review(uid, group, resource, kind, ns, name, obj, operation="CREATE"):
    gvk = {"group": group, "version": "v1", "kind": kind}
    gvr = {"group": group, "version": "v1", "resource": resource}
    return {
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": uid, "kind": gvk, "resource": gvr, "requestKind": gvk, "requestResource": gvr,
            "name": name, "namespace": ns, "operation": operation,
            "userInfo": {"username": "system:serviceaccount:harvester-system:kubevirt-controller",
                         "groups": ["system:serviceaccounts", "system:authenticated"]},
            "object": obj, "oldObject": None, "dryRun": False,
            "options": {"apiVersion": "meta.k8s.io/v1", "kind": "CreateOptions"},
        },
    }


def grow_vm(body, target_bytes):
    """Adds RWX disk/volume/dataVolumeTemplate triples and cloud-init lines until the body is target_bytes."""
    vm = body["request"]["object"]
    spec = vm["spec"]["template"]["spec"]
    template = copy.deepcopy(vm["spec"]["dataVolumeTemplates"][0])
    i = 0
    while len(json.dumps(body, indent=1)) < target_bytes * 0.6 and i < 5000:
        name = "grow-%d" % i
        dv = copy.deepcopy(template)
        dv["metadata"]["name"] = "vm-bench-" + name
        vm["spec"]["dataVolumeTemplates"].append(dv)
        spec["domain"]["devices"]["disks"].append({"name": name, "disk": {"bus": "virtio"}})
        spec["volumes"].append({"name": name, "dataVolume": {"name": "vm-bench-" + name}})
        i += 1
    lines = []
    size = len(json.dumps(body, indent=1))
    n = 0
    while size + sum(len(x) + 1 for x in lines) < target_bytes:
        lines.append("  - path: /etc/bench/file-%05d.conf\n    content: setting-%05d = enabled" % (n, n))
        n += 1
    vol = {"name": "cloudinit-bench", "cloudInitNoCloud": {"userData": "#cloud-config\nwrite_files:\n" + "\n".join(lines)}}
    spec["volumes"].append(vol)
    spec["domain"]["devices"]["disks"].append({"name": "cloudinit-bench", "disk": {"bus": "virtio"}})
    return body


def vm_review(size=None):
    with open(os.path.join(HERE, "vm-create-review.json")) as f:
        body = json.load(f)
    return grow_vm(body, size) if size else body


def vmim_denied():
    obj = {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachineInstanceMigration",
           "metadata": {"name": "vm-cdrom-migration-bench", "namespace": "default",
                        "uid": "6c1f0b9e-0001-4c2a-9d1e-bench0000001",
                        "annotations": {"kubevirt.io/latest-observed-api-version": "v1"}},
           "spec": {"vmiName": "vm-cdrom"}}
    return review("6c1f0b9e-0001-4c2a-9d1e-bench0000002", "kubevirt.io", "virtualmachineinstancemigrations",
                  "VirtualMachineInstanceMigration", "default", "vm-cdrom-migration-bench", obj)


def pod_mutated():
    import yaml  # python3-yaml; only needed for the pod body
    with open(os.path.join(ROOT, "examples", "cluster", "pods.yaml")) as f:
        pods = yaml.safe_load(f)["items"]
    pod = next(p for p in pods if p["metadata"]["name"].startswith("virt-launcher-vm-migratable-"))
    pod = copy.deepcopy(pod)
    meta = pod["metadata"]
    meta.pop("uid", None)
    meta["name"] = ""
    meta["labels"]["kubevirt.io/migrationJobUID"] = "9f1c2d3e-0000-4000-8000-0000bench001"
    meta["annotations"]["kubevirt.io/migrationJobName"] = "vm-migratable-bench"
    pod["spec"].pop("nodeName", None)
    pod.pop("status", None)
    return review("7e5a4c33-1d2b-4c9e-8f10-bench0000003", "", "pods", "Pod", "default", "", pod)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "."
    os.makedirs(out, exist_ok=True)
    shutil.copyfile(os.path.join(HERE, "vm-create-review.json"), os.path.join(out, "vm-12k.json"))
    bodies = {"vm-200k.json": vm_review(200 * 1024),
              "vmim-denied.json": vmim_denied(), "pod-mutated.json": pod_mutated()}
    for name, body in bodies.items():
        with open(os.path.join(out, name), "w") as f:
            json.dump(body, f, indent=1)


if __name__ == "__main__":
    main()
