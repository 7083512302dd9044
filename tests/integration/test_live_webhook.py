#!/usr/bin/env python3
"""The webhook on live cluster data: `serve --kubeconfig` against the stand-in API server.

The stand-in serves the example cluster (examples/cluster/*.yaml converted to
JSON here).  One table of reviews is sent to two servers, one on
--cluster-dir examples/cluster and one on --kubeconfig, and must get the same
answers.  Then, on the live server only: a node change arrives through the
watch (no relist), 410 Gone relists, a slow API server gives "cannot verify"
within the review's timeout (allowed with a warning when mutating), a rotated
token is used, reviews make no node list call, /readyz waits for the first
node list.  UPDATE reviews that leave spec alone answer with nothing and make
no API call.  Last, `check --kubeconfig` answers as `check --cluster-dir`.
"""
import base64
import copy
import json
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import standin  # noqa: E402
from standin import check, denial, new_vm, review, vmim  # noqa: E402

P = "VM default/{} cannot be live-migrated: "
NODES = "LIST /api/v1/nodes"


def vmim_review(vmi, target=None, uid="live-0001"):
    obj = vmim(vmi, target=target)
    return review("kubevirt.io", "v1", "virtualmachineinstancemigrations", "VirtualMachineInstanceMigration",
                  "CREATE", obj, name=obj["metadata"]["name"], uid=uid)


def target_pod(vm):
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"generateName": "virt-launcher-%s-" % vm, "namespace": "default",
                         "labels": {"kubevirt.io": "virt-launcher",
                                    "kubevirt.io/migrationJobUID": "7d7e0000-0000-4000-8000-000000000001"},
                         "annotations": {"kubevirt.io/domain": vm, "kubevirt.io/migrationJobName": vm + "-mig"}},
            "spec": {"containers": [{"name": "compute", "image": "virt-launcher:1.4.0"}]}}


def kubevirt_cr(cpu_model=None, progress=None):
    conf = {"migrations": {"completionTimeoutPerGiB": 800, "progressTimeout": 150 if progress is None else progress}}
    if cpu_model:
        conf["cpuModel"] = cpu_model
    return {"apiVersion": "kubevirt.io/v1", "kind": "KubeVirt",
            "metadata": {"name": "kubevirt", "namespace": "harvester-system"}, "spec": {"configuration": conf}}


def cases():
    """(label, path, review, expectation) -- expectation(response) -> bool, or None."""
    out = []
    vmim_expect = {
        ("vm-migratable", None): None,
        ("vm-cdrom", None): 'disk "cdrom1" is a CD-ROM; eject it first',
        ("vm-containerdisk", None): 'volume "rootdisk" is a container disk; remove it first',
        ("vm-bridge", None): 'interface "default" uses bridge binding on the management network; use masquerade instead',
        ("vm-gpu", None): 'GPU "gpu1" (nvidia.com/TU104GL_TESLA_T4) is passed through; remove it first',
        ("vm-hostdev", None): 'host device "node-a-000081000" (intel.com/82599_10_GIGABIT_SFI_SFP_NETWORK_CONNECTION) '
                              'is passed through; remove it first',
        ("vm-rwo", None): 'volume "rootdisk" uses PVC "vm-rwo-rootdisk" with access mode ReadWriteOnce; '
                          'live migration needs ReadWriteMany',
        ("vm-pinned", None): 'it is pinned to node "node-a" by nodeSelector kubernetes.io/hostname',
        ("vm-stopped", None): "it is not running (no VirtualMachineInstance)",
        ("vm-model", None): None,
        ("vm-multus", None): None,
        ("vm-icelake", None): "no other node can run it: ",
        ("vm-migratable", "node-b"): None,
        ("vm-migratable", "node-a"): 'target node "node-a" is the node it runs on',
        ("vm-migratable", "node-c"): 'target node "node-c" does not support host CPU model Cascadelake-Server-noTSX '
                                     'of node node-a',
        ("vm-migratable", "node-d"): 'target node "node-d" is cordoned',
        ("vm-migratable", "node-x"): 'target node "node-x" does not exist',
        ("vm-model", "node-c"): 'target node "node-c" does not support CPU model Cascadelake-Server-noTSX',
        ("vm-multus", "node-c"): 'target node "node-c" is not attached to cluster network vlan1',
    }
    for (vm, target), text in vmim_expect.items():
        def expect(resp, vm=vm, text=text):
            msg = denial(resp)
            if text is None:
                return msg is None
            return msg is not None and msg.startswith(P.format(vm) + text)
        out.append(("VMIM %s -> %s" % (vm, target or "any"), "/validate", vmim_review(vm, target), expect))

    for vm in ("vm-migratable", "vm-model"):
        pod = target_pod(vm)
        want = ("cpu-model-migration.node.kubevirt.io/Cascadelake-Server-noTSX" if vm == "vm-migratable"
                else "cpu-model.node.kubevirt.io/Cascadelake-Server-noTSX")
        out.append(("target pod of %s mutated" % vm, "/mutate", review("", "v1", "pods", "Pod", "CREATE", pod),
                    lambda r, want=want: r["response"]["allowed"] and want in patch_text(r)))
    # memory in whole 10^9 bytes, rounded up: 4Gi -> 5, 8Gi -> 9; vm-multus has the MigrationPolicy demo-multus
    for vm, completion in (("vm-migratable", "4000"), ("vm-model", "7200"), ("vm-multus", "900")):
        obj = vmim(vm)
        out.append(("VMIM %s timeout annotations" % vm, "/mutate",
                    review("kubevirt.io", "v1", "virtualmachineinstancemigrations", "VirtualMachineInstanceMigration",
                           "CREATE", obj, name=obj["metadata"]["name"]),
                    lambda r, c=completion: '"completion-timeout-seconds"' not in patch_text(r)
                    and "migration-webhook.io/completion-timeout-seconds" in patch_text(r)
                    and '"%s"' % c in patch_text(r)))
    out.append(("KubeVirt CR update with an unsupported CPU model", "/validate",
                review("kubevirt.io", "v1", "kubevirts", "KubeVirt", "UPDATE", kubevirt_cr("Icelake-Server", "150"),
                       ns="harvester-system", name="kubevirt", old=kubevirt_cr()),
                lambda r: (denial(r) or "").startswith("cluster CPU model Icelake-Server is not supported by nodes: "
                                                       "node-a, node-b")))
    out.append(("KubeVirt CR update with a shared CPU model", "/validate",
                review("kubevirt.io", "v1", "kubevirts", "KubeVirt", "UPDATE", kubevirt_cr("Penryn"),
                       ns="harvester-system", name="kubevirt", old=kubevirt_cr()),
                lambda r: r["response"]["allowed"]))
    out.append(("KubeVirt CR on /mutate", "/mutate",
                review("kubevirt.io", "v1", "kubevirts", "KubeVirt", "UPDATE", kubevirt_cr(),
                       ns="harvester-system", name="kubevirt", old=kubevirt_cr()),
                lambda r: r["response"]["allowed"]))
    out.append(("VM CREATE host-model warning", "/validate",
                review("kubevirt.io", "v1", "virtualmachines", "VirtualMachine", "CREATE", new_vm("vm-new"),
                       name="vm-new"),
                lambda r: r["response"]["allowed"] and any(
                    w.startswith("VM default/vm-new uses host-model: it can only live-migrate to nodes with the same "
                                 "host CPU model") for w in r["response"].get("warnings", []))))
    return out


def patch_text(resp):
    """The JSON Patch of a response as text, with "~1" in paths read back as "/" (empty when none)."""
    p = resp["response"].get("patch")
    return base64.b64decode(p).decode().replace("~1", "/") if p else ""


def run_table(static, live):
    for label, path, rev, expect in cases():
        a = static.review(path, rev)
        b = live.review(path, rev)
        check(expect(a), "static: %s: %s" % (label, json.dumps(a["response"])[:300]))
        check(a == b, "live gives the same answer: %s%s" % (label, "" if a == b else ": " + json.dumps(b)[:300]))


def verdict(live, vm, target, uid="live-0001"):
    return denial(live.review("/validate", vmim_review(vm, target, uid=uid)))


def run_live(live, si, nodes):
    ctl = si.ctl
    # a node change arrives through the watch, without a relist
    lists = ctl.count(NODES)
    cordoned = copy.deepcopy(nodes["node-b"])
    cordoned["spec"]["unschedulable"] = True
    ctl.post("/put", cordoned)
    want = P.format("vm-migratable") + 'target node "node-b" is cordoned'
    check(standin.wait_for(lambda: verdict(live, "vm-migratable", "node-b") == want, 2),
          "cordoning node-b is seen within 2 s: " + str(verdict(live, "vm-migratable", "node-b")))
    ctl.post("/put", copy.deepcopy(nodes["node-b"]))
    check(standin.wait_for(lambda: verdict(live, "vm-migratable", "node-b") is None, 2), "uncordoning node-b is seen")
    ctl.post("/labels", {"resource": "nodes", "name": "node-b",
                         "labels": {"cpu-model-migration.node.kubevirt.io/Cascadelake-Server-noTSX": None}})
    want = P.format("vm-migratable") + \
        'target node "node-b" does not support host CPU model Cascadelake-Server-noTSX of node node-a'
    check(standin.wait_for(lambda: verdict(live, "vm-migratable", "node-b") == want, 2),
          "removing node-b's cpu-model-migration label is seen within 2 s: "
          + str(verdict(live, "vm-migratable", "node-b")))
    ctl.post("/put", copy.deepcopy(nodes["node-b"]))
    check(standin.wait_for(lambda: verdict(live, "vm-migratable", "node-b") is None, 2), "node-b restored: allowed")
    check(ctl.count(NODES) == lists, "no node relist for these changes (%d LIST calls)" % ctl.count(NODES))

    # facts derived from the node list (do the host CPU models differ?) follow the nodes: with the
    # AMD node and then the only Icelake node cordoned, every schedulable node has one host model and the
    # warning goes
    def host_model_warned():
        r = live.review("/validate", review("kubevirt.io", "v1", "virtualmachines", "VirtualMachine", "CREATE",
                                             new_vm("vm-new"), name="vm-new"))
        return any("uses host-model" in w for w in r["response"].get("warnings", []))
    check(host_model_warned(), "host-model warning with node-c's Icelake host model schedulable")
    ctl.post("/put", dict(copy.deepcopy(nodes["node-e"]), spec={"unschedulable": True}))
    ctl.post("/put", dict(copy.deepcopy(nodes["node-c"]), spec={"unschedulable": True}))
    check(standin.wait_for(lambda: not host_model_warned(), 2),
          "no host-model warning within 2 s once node-c is cordoned")
    ctl.post("/put", copy.deepcopy(nodes["node-c"]))
    check(standin.wait_for(host_model_warned, 2), "the host-model warning is back with node-c uncordoned")
    ctl.post("/put", copy.deepcopy(nodes["node-e"]))

    # 410 Gone relists
    ctl.post("/expire", {"resource": "nodes"})
    check(standin.wait_for(lambda: ctl.count(NODES) > lists, 5), "an expired resourceVersion relists the nodes (%s)"
          % {k: v for k, v in ctl.counters().items() if "/nodes" in k})
    ctl.post("/put", dict(copy.deepcopy(nodes["node-c"]), spec={"unschedulable": True}))
    want = P.format("vm-migratable") + 'target node "node-c" is cordoned'
    check(standin.wait_for(lambda: verdict(live, "vm-migratable", "node-c") == want, 3),
          "the watch resumes after the relist")
    ctl.post("/put", copy.deepcopy(nodes["node-c"]))

    # reviews read nodes from the cache: no node list per review
    standin.wait_for(lambda: verdict(live, "vm-migratable", "node-c", uid="w") != want, 3)
    lists = ctl.count(NODES)
    gets = sum(v for k, v in ctl.counters().items() if k.startswith("GET /api/v1/nodes"))
    for i in range(20):
        live.review("/validate", vmim_review("vm-migratable", "node-b", uid="n%d" % i))
    gets_after = sum(v for k, v in ctl.counters().items() if k.startswith("GET /api/v1/nodes"))
    check(ctl.count(NODES) == lists and gets_after == gets, "20 reviews make no node API call")

    # a slow API server: denied in time when validating, allowed with a warning when mutating
    vmi_path = "/apis/kubevirt.io/v1/namespaces/default/virtualmachineinstances/vm-migratable"
    ctl.post("/fault", {"prefix": vmi_path, "delay_ms": 5000})
    start = time.monotonic()
    resp = live.review("/validate", vmim_review("vm-migratable"), timeout="2s")
    took = time.monotonic() - start
    msg = denial(resp) or ""
    check(msg.startswith("cannot verify migration of VM default/vm-migratable: "),
          "a 5 s VMI read is denied with cannot verify: " + msg)
    check(took < 2.0, "the answer comes before the review's 2 s timeout (%.2f s)" % took)
    print("slow API server: answered in %.2f s" % took, flush=True)
    obj = vmim("vm-migratable")
    start = time.monotonic()
    resp = live.review("/mutate", review("kubevirt.io", "v1", "virtualmachineinstancemigrations",
                                         "VirtualMachineInstanceMigration", "CREATE", obj,
                                         name=obj["metadata"]["name"]), timeout="2s")
    took = time.monotonic() - start
    r = resp["response"]
    check(r["allowed"] and "patch" not in r and any(w.startswith("cannot verify migration of VM default/vm-migratable: ")
                                                    for w in r.get("warnings", [])),
          "mutating under the same fault: allowed unchanged with a warning: %s" % json.dumps(r)[:300])
    check(took < 2.0, "the mutating answer comes in time (%.2f s)" % took)
    ctl.post("/clear-faults", {})

    # token rotation
    before = ctl.count("401 " + vmi_path)
    standin.write(si.server_token, "token-two\n")
    standin.write(si.client_token, "token-two\n")
    check(verdict(live, "vm-cdrom", None) == P.format("vm-cdrom") + 'disk "cdrom1" is a CD-ROM; eject it first',
          "a rotated token is used for the next read")
    standin.write(si.server_token, "token-three\n")
    msg = verdict(live, "vm-migratable", None) or ""
    check(msg.startswith("cannot verify migration of VM default/vm-migratable: ") and "401" in msg,
          "a token the API server refuses gives cannot verify: " + msg)
    standin.write(si.client_token, "token-three\n")
    check(verdict(live, "vm-migratable", None) is None, "the next rotation is picked up again")
    print("401 answers during rotation: %d" % (ctl.count("401 " + vmi_path) - before), flush=True)


def timeouts_from(webhook, vm):
    """The timeouts-from annotation a VMIM CREATE of vm gets."""
    obj = vmim(vm)
    resp = webhook.review("/mutate", review("kubevirt.io", "v1", "virtualmachineinstancemigrations",
                                            "VirtualMachineInstanceMigration", "CREATE", obj,
                                            name=obj["metadata"]["name"]))
    for op in json.loads(base64.b64decode(resp["response"].get("patch", "") or b"W10=")):
        if op["path"] == "/metadata/annotations/migration-webhook.io~1timeouts-from":
            return op["value"]
    return None


def run_policies(live, si):
    """MigrationPolicies come from the watch cache; a Namespace label is read when a policy selects on it."""
    ctl = si.ctl
    policy = {"apiVersion": "migrations.kubevirt.io/v1alpha1", "kind": "MigrationPolicy",
              "metadata": {"name": "live-fast"},
              "spec": {"completionTimeoutPerGiB": 200,
                       "selectors": {"virtualMachineInstanceSelector": {"harvesterhci.io/vmName": "vm-migratable"},
                                     "namespaceSelector": {"environment": "demo"}}}}
    want = "MigrationPolicy live-fast: 200 s/GiB x 5 (4Gi rounded up to whole 10^9 bytes); progress: KubeVirt CR"
    before = ctl.count("GET /api/v1/namespaces/default")
    timeouts_from(live, "vm-migratable")
    check(ctl.count("GET /api/v1/namespaces/default") == before,
          "no Namespace read while no policy selecting the VMI selects on its Namespace's labels")
    ctl.post("/put", policy)
    check(standin.wait_for(lambda: timeouts_from(live, "vm-migratable") == want, 2),
          "a MigrationPolicy created is applied within 2 s: %s" % timeouts_from(live, "vm-migratable"))
    check(ctl.count("GET /api/v1/namespaces/default") > before, "the VMI's Namespace is read for its labels")
    ctl.post("/delete", {"resource": "migrationpolicies", "name": "live-fast"})
    want = "KubeVirt CR: 800 s/GiB x 5 (4Gi rounded up to whole 10^9 bytes); progress: KubeVirt CR"
    check(standin.wait_for(lambda: timeouts_from(live, "vm-migratable") == want, 2),
          "and no longer once deleted: %s" % timeouts_from(live, "vm-migratable"))


def run_without_policies(work, data):
    """A cluster without the MigrationPolicy CRD: reviews work, the server logs one line about it."""
    other = os.path.join(work, "no-policies")
    os.makedirs(other)
    for name in ("ca.crt", "server.crt", "server.key"):
        shutil.copy(os.path.join(work, name), other)
    si = standin.StandIn(other, data, extra_args=("--without-migration-policies",))
    w = None
    try:
        w = standin.Webhook(work, "no-policies-webhook", ["--kubeconfig", si.kubeconfig])
        check(standin.wait_for(lambda: w.ready() == 200, 10, step=0.1), "ready without the MigrationPolicy resource")
        got = timeouts_from(w, "vm-multus")
        check(got == "KubeVirt CR: 800 s/GiB x 3 (2Gi rounded up to whole 10^9 bytes); progress: KubeVirt CR",
              "no MigrationPolicy resource: the KubeVirt CR's value: %s" % got)
        check(verdict(w, "vm-migratable", None) is None, "reviews work on")
        w.stop()
        w.log.seek(0)
        lines = [json.loads(line) for line in w.log if "MigrationPolicy" in line]
        check(len(lines) == 1 and lines[0]["level"] == "warn" and
              lines[0]["msg"] == "MigrationPolicy resource not served" and "404" in lines[0]["error"],
              "one log line about it: %s" % lines)
    finally:
        if w:
            w.stop()
        si.stop()


def api_reads(ctl):
    """GET and LIST calls so far (watches excluded: they reconnect on their own)."""
    return sum(v for k, v in ctl.counters().items() if k.startswith(("GET ", "LIST ")))


def example_vm(data):
    """vm-migratable's VMI and VM, as the stand-in serves them."""
    with open(os.path.join(data, "vmis.json")) as f:
        vmi = next(v for v in json.load(f)["items"] if v["metadata"]["name"] == "vm-migratable")
    with open(os.path.join(data, "vms.json")) as f:
        vm = next(v for v in json.load(f)["items"] if v["metadata"]["name"] == "vm-migratable")
    return vmi, vm


def run_update_reviews(live, si, data):
    ctl = si.ctl
    vmi, vm = example_vm(data)
    # Without status.volumeStatus the PVC's access modes can only come from a PVC read.
    vmi["status"].pop("volumeStatus", None)
    check(any("persistentVolumeClaim" in v for v in vmi["spec"]["volumes"]),
          "vm-migratable's VMI has a PVC-backed volume (a review that looked would read it)")

    def vmi_update(new, old, uid):
        return review("kubevirt.io", "v1", "virtualmachineinstances", "VirtualMachineInstance", "UPDATE",
                      new, name=new["metadata"]["name"], uid=uid, old=old)

    # a status write (the VMI CRD has no status subresource): allowed, nothing said, no API call
    new = copy.deepcopy(vmi)
    new["status"]["migrationState"] = {"completed": True}
    new["metadata"]["resourceVersion"] = "999"
    before = api_reads(ctl)
    for i in range(20):
        resp = live.review("/validate", vmi_update(new, vmi, "upd-%d" % i))
    r = resp["response"]
    check(r["allowed"] and "warnings" not in r, "VMI status write: allowed, no warnings: %s" % json.dumps(r)[:200])
    check(api_reads(ctl) == before, "20 VMI status writes make no API call (%d reads)" % (api_reads(ctl) - before))

    # the same object as CREATE does read the cluster (the PVC): the counter above can see lookups
    before = api_reads(ctl)
    live.review("/validate", review("kubevirt.io", "v1", "virtualmachineinstances", "VirtualMachineInstance",
                                    "CREATE", new, name="vm-migratable", uid="upd-create"))
    check(api_reads(ctl) > before, "the same VMI as CREATE reads the cluster (%d reads)" % (api_reads(ctl) - before))

    # a new CD-ROM in spec: judged, and warned about
    cd = copy.deepcopy(new)
    cd["spec"]["domain"]["devices"]["disks"].append({"name": "cdrom1", "cdrom": {"bus": "sata"}})
    cd["spec"]["volumes"].append({"name": "cdrom1", "persistentVolumeClaim": {"claimName": "vm-migratable-rootdisk"}})
    r = live.review("/validate", vmi_update(cd, vmi, "upd-cd"))["response"]
    check(r["allowed"] and any('disk "cdrom1" is a CD-ROM; eject it first' in w for w in r.get("warnings", [])),
          "VMI UPDATE adding a CD-ROM: the warning: %s" % r.get("warnings"))

    # a VM UPDATE that changes only labels: nothing
    newvm = copy.deepcopy(vm)
    newvm["metadata"].setdefault("labels", {})["team"] = "storage"
    before = api_reads(ctl)
    r = live.review("/validate", review("kubevirt.io", "v1", "virtualmachines", "VirtualMachine", "UPDATE", newvm,
                                        name="vm-migratable", uid="upd-vm", old=vm))["response"]
    check(r["allowed"] and "warnings" not in r and api_reads(ctl) == before,
          "VM label change: allowed, no warnings, no API call: %s" % json.dumps(r)[:200])

    # KubeVirt CR: an annotation-only UPDATE is never refused for a cpuModel some node lacks
    old_cr = kubevirt_cr(cpu_model="Icelake-Server")
    new_cr = copy.deepcopy(old_cr)
    new_cr["metadata"]["annotations"] = {"kubevirt.io/latest-observed-api-version": "v1"}

    def cr_review(new, old, op, uid):
        return review("kubevirt.io", "v1", "kubevirts", "KubeVirt", op, new, ns="harvester-system",
                      name="kubevirt", uid=uid, old=old)

    create = denial(live.review("/validate", cr_review(old_cr, None, "CREATE", "cr-1")))
    check(create is not None and create.startswith("cluster CPU model Icelake-Server is not supported by nodes: "),
          "KubeVirt CR CREATE with an unsupported cpuModel: denied: %s" % create)
    check(denial(live.review("/validate", cr_review(new_cr, old_cr, "UPDATE", "cr-2"))) is None,
          "KubeVirt CR UPDATE keeping that cpuModel, adding an annotation: allowed")
    changed = copy.deepcopy(new_cr)
    changed["spec"]["configuration"]["cpuModel"] = "EPYC-Genoa"
    msg = denial(live.review("/validate", cr_review(changed, old_cr, "UPDATE", "cr-3")))
    check(msg is not None and msg.startswith("cluster CPU model EPYC-Genoa is not supported by nodes: "),
          "KubeVirt CR UPDATE changing cpuModel to an unsupported one: denied: %s" % msg)


def run_readyz(work, si):
    si.ctl.post("/fault", {"prefix": "/api/v1/nodes", "delay_ms": 2500})
    w = standin.Webhook(work, "slow-start", ["--kubeconfig", si.kubeconfig])
    try:
        first = w.ready()
        check(first == 503, "/readyz is 503 before the first node list (%d)" % first)
        msg = verdict(w, "vm-migratable", None) or ""
        check(msg.startswith("cannot verify migration of VM default/vm-migratable: "),
              "a review before the node list is denied with cannot verify: " + msg)
        check(standin.wait_for(lambda: w.ready() == 200, 10, step=0.1), "/readyz is 200 once the nodes are loaded")
    finally:
        si.ctl.post("/clear-faults", {})
        check(w.stop() == 0, "webhook exits 0 on SIGTERM")


def run_check(si):
    def check_cmd(*args):
        p = subprocess.run([standin.BIN, "check", *args], capture_output=True, text=True, timeout=30)
        return p.returncode, p.stdout, p.stderr

    rc, out, err = check_cmd("--kubeconfig", si.kubeconfig, "vm-cdrom")
    check(rc == 1 and 'disk "cdrom1" is a CD-ROM; eject it first' in out,
          "check --kubeconfig vm-cdrom: exit 1 with the CD-ROM text (rc %d, %s)" % (rc, err.strip()))
    rc, out, err = check_cmd("--kubeconfig", si.kubeconfig, "vm-migratable", "-o", "json")
    rc2, out2, _ = check_cmd("--cluster-dir", standin.CLUSTER, "vm-migratable", "-o", "json")
    check(rc == 0 and rc2 == 0, "check vm-migratable exits 0 in both modes (%d, %d: %s)" % (rc, rc2, err.strip()))
    try:
        live_doc, static_doc = json.loads(out), json.loads(out2)
    except ValueError:
        live_doc, static_doc = None, {}
    check(live_doc == static_doc, "check -o json is the same live and static" +
          ("" if live_doc == static_doc else ": %s vs %s" % (out[:300], out2[:300])))
    rc, out, err = check_cmd("--kubeconfig", si.kubeconfig, "vm-multus", "--target-node", "node-c")
    check(rc == 1 and 'target node "node-c" is not attached to cluster network vlan1' in out,
          "check --kubeconfig --target-node names the reason")


def main():
    def body(work, si, data):
        with open(os.path.join(data, "nodes.json")) as f:
            nodes = {n["metadata"]["name"]: n for n in json.load(f)["items"]}
        static = standin.Webhook(work, "static", ["--cluster-dir", standin.CLUSTER])
        si.others.append(static)
        live = standin.Webhook(work, "live", ["--kubeconfig", si.kubeconfig])
        si.others.append(live)
        check(standin.wait_for(lambda: live.ready() == 200, 10, step=0.1), "live webhook becomes ready")
        run_table(static, live)
        run_live(live, si, nodes)
        run_policies(live, si)
        run_update_reviews(live, si, data)
        run_check(si)
        run_readyz(work, si)
        run_without_policies(work, data)
        check(live.stop() == 0, "live webhook exits 0 on SIGTERM")
        check(static.stop() == 0, "static webhook exits 0 on SIGTERM")

    return standin.with_standin("mw-live-webhook-", body)


if __name__ == "__main__":
    sys.exit(main())
