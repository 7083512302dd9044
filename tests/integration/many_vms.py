"""Many running VMs for the stand-in API server: copies of the example cluster's vm-migratable
(its VMI, virt-launcher pod and RWX disk) in namespace `bulk`, as JSON List files.  Used by
tests/integration/test_check_live.py and tests/bench/bench_check_all.py."""
import copy
import json
import os

import yaml


def _items(path):
    out = []
    with open(path) as f:
        for doc in yaml.safe_load_all(f):
            if isinstance(doc, dict):
                out.extend(doc.get("items") or [] if doc.get("kind", "").endswith("List") else [doc])
    return out


def write_bulk(cluster_dir, data_dir, n, namespace="bulk"):
    """n copies of vm-migratable as bulk-vmis.json, bulk-pods.json, bulk-pvcs.json in data_dir."""
    vmi = next(o for o in _items(os.path.join(cluster_dir, "vmis.yaml")) if o["metadata"]["name"] == "vm-migratable")
    pod = next(o for o in _items(os.path.join(cluster_dir, "pods.yaml"))
               if o["metadata"]["labels"].get("vm.kubevirt.io/name") == "vm-migratable")
    pvc = next(o for o in _items(os.path.join(cluster_dir, "pvcs.yaml"))
               if o["metadata"]["name"] == "vm-migratable-rootdisk")
    text = {k: json.dumps(o) for k, o in (("vmi", vmi), ("pod", pod), ("pvc", pvc))}
    out = {"vmi": [], "pod": [], "pvc": []}
    for i in range(n):
        name = "vm-bulk-%05d" % i
        for k in out:
            o = json.loads(text[k].replace("vm-migratable", name))
            o["metadata"]["namespace"] = namespace
            o["metadata"]["uid"] = "bulk-%s-%05d" % (k, i)
            o["metadata"].pop("ownerReferences", None) if k == "vmi" else None
            out[k].append(o)
        out["pod"][-1]["metadata"]["labels"]["kubevirt.io/created-by"] = "bulk-vmi-%05d" % i
    for k, items in out.items():
        with open(os.path.join(data_dir, "bulk-%ss.json" % k), "w") as f:
            json.dump({"apiVersion": "v1", "kind": "List", "items": items}, f)
    return n
