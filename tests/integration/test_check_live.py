#!/usr/bin/env python3
"""`check --all` and `check --node` against the stand-in API server, finding the cluster as kubectl does.

The stand-in serves the example cluster.  The output must equal the golden files of the --cluster-dir
runs (tests/data/check).  Shown here: ~/.kube/config picked up (HOME is a temporary directory),
$KUBECONFIG's files merged (the first to set a value wins, relative paths from each file's directory,
missing files skipped), --context, the context's namespace, an exec credential plugin
(tests/integration/exec_credential_plugin.sh) whose token the stand-in checks, run once while its token
is valid and again once it expires, a failing plugin (one line, exit 2); and over 2,000 VMIs, the
cluster read with paged lists and no GET per VM.
"""
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import many_vms  # noqa: E402
import standin  # noqa: E402

failures = []
GOLD = os.path.join(standin.SRC, "tests", "data", "check")
PLUGIN = os.path.join(standin.SRC, "tests", "integration", "exec_credential_plugin.sh")


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


def gold(name):
    with open(os.path.join(GOLD, name)) as f:
        return f.read()


def run(args, env):
    p = subprocess.run([standin.BIN, "check", *args], capture_output=True, text=True, timeout=120, env=env)
    return p.returncode, p.stdout, p.stderr


def clean_env(home, **extra):
    """The environment of a user with nothing configured but HOME (no KUBECONFIG, not in a cluster)."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home}
    env.update(extra)
    return env


def one_line_error(rc, out, err, what, contains):
    lines = err.strip("\n").split("\n") if err else []
    check(rc == 2 and out == "" and len(lines) == 1 and lines[0].startswith("migration-webhook check: ")
          and contains in err, "%s: exit 2 with one line (rc %d: %r)" % (what, rc, err))


def write_json(path, doc):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)


def cluster_entry(name, server, ca):
    return {"name": name, "cluster": {"server": server, "certificate-authority": ca}}


def context_entry(name, cluster, user, ns=None):
    ctx = {"cluster": cluster, "user": user}
    if ns:
        ctx["namespace"] = ns
    return {"name": name, "context": ctx}


def run_sources(work, si):
    home = os.path.join(work, "home")
    os.makedirs(home)
    ctl = si.ctl

    # Nothing configured: one line, exit 2.
    rc, out, err = run(["--all"], clean_env(home))
    one_line_error(rc, out, err, "no kubeconfig anywhere", "no cluster to read")

    # ~/.kube/config.
    os.makedirs(os.path.join(home, ".kube"))
    shutil.copy(si.kubeconfig, os.path.join(home, ".kube", "config"))
    ctl.post("/reset-counters", {})
    rc, out, err = run(["--all"], clean_env(home))
    check(rc == 1 and out == gold("all.txt") and err == "",
          "~/.kube/config: --all equals the golden output, nothing on stderr (rc %d, %s)" % (rc, err.strip()))
    counters = ctl.counters()
    gets = [k for k in counters if k.startswith("GET ")]
    check(not gets, "--all makes no GET of single objects: %s" % gets[:5])
    check(counters.get("LIST /apis/kubevirt.io/v1/namespaces/default/virtualmachines") == 1 and
          counters.get("LIST /api/v1/nodes") == 1 and
          counters.get("LIST /apis/migrations.kubevirt.io/v1alpha1/migrationpolicies") == 1 and
          counters.get("LIST /api/v1/namespaces") == 1,
          "--all lists the context namespace's VMs, the nodes, MigrationPolicies and Namespaces once each: %s"
          % sorted(counters))
    rc, out, err = run(["--node", "node-a"], clean_env(home))
    check(rc == 1 and out == gold("node-a.txt"), "~/.kube/config: --node node-a equals the golden output")
    rc, out, err = run(["--node", "node-a", "-o", "json"], clean_env(home))
    check(rc == 1 and out == gold("node-a.json"), "--node node-a -o json equals the golden output")
    rc, out, err = run(["--all", "-o", "json"], clean_env(home))
    check(rc == 1 and out == gold("all.json"), "--all -o json equals the golden output")
    rc, out, err = run(["vm-cdrom"], clean_env(home))
    check(rc == 1 and 'disk "cdrom1" is a CD-ROM' in out, "one VM from ~/.kube/config")

    # On a terminal, a progress line while the cluster is read (on stderr, cleared at the end).
    if shutil.which("script"):
        p = subprocess.run(["script", "-qec", "%s check --all" % standin.BIN, "/dev/null"], capture_output=True,
                           text=True, timeout=120, env=clean_env(home, NO_COLOR="1"))
        check("reading the cluster: VirtualMachineInstance" in p.stdout and "vm-drain-cdrom" in p.stdout,
              "a progress line on a terminal: %r" % p.stdout[:200])

    # $KUBECONFIG: a.yaml names the context (namespace kube-system), b.yaml the cluster and user with paths
    # relative to its own directory, and a context of the same name that a.yaml's hides.
    a = os.path.join(work, "kc-a", "a.yaml")
    bdir = os.path.join(work, "kc-b")
    b = os.path.join(bdir, "b.yaml")
    write_json(a, {"apiVersion": "v1", "kind": "Config", "current-context": "live",
                   "contexts": [context_entry("live", "standin", "tester", "kube-system")]})
    write_json(b, {"apiVersion": "v1", "kind": "Config", "current-context": "bogus",
                   "clusters": [cluster_entry("standin", si.url, "ca.crt"),
                                cluster_entry("nowhere", "https://127.0.0.1:1", "ca.crt")],
                   "users": [{"name": "tester", "user": {"tokenFile": "token"}}],
                   "contexts": [context_entry("live", "nowhere", "tester"),
                                context_entry("bogus", "nowhere", "tester")]})
    shutil.copy(os.path.join(work, "ca.crt"), os.path.join(bdir, "ca.crt"))
    shutil.copy(si.client_token, os.path.join(bdir, "token"))
    kc = "%s:%s:%s" % (a, os.path.join(work, "missing.yaml"), b)
    rc, out, err = run(["--all"], clean_env(home, KUBECONFIG=kc))
    check(rc == 0 and out == "no VMs in namespace kube-system\n",
          "$KUBECONFIG merged, first wins: a.yaml's context and its namespace (rc %d: %r %r)" % (rc, out, err))
    rc, out, err = run(["--all", "-n", "default"], clean_env(home, KUBECONFIG=kc))
    check(rc == 1 and out == gold("all.txt"), "$KUBECONFIG (wins over ~/.kube/config) with -n default")
    rc, out, err = run(["--all", "-n", "default", "--context", "bogus"], clean_env(home, KUBECONFIG=kc))
    one_line_error(rc, out, err, "$KUBECONFIG --context bogus (an unreachable server)", "127.0.0.1:1")

    # --context in one file; --kubeconfig wins over $KUBECONFIG.
    f = os.path.join(work, "two-contexts.yaml")
    write_json(f, {"apiVersion": "v1", "kind": "Config", "current-context": "down",
                   "clusters": [cluster_entry("standin", si.url, os.path.join(work, "ca.crt")),
                                cluster_entry("down", "https://127.0.0.1:1", os.path.join(work, "ca.crt"))],
                   "users": [{"name": "tester", "user": {"tokenFile": si.client_token}}],
                   "contexts": [context_entry("down", "down", "tester"),
                                context_entry("test", "standin", "tester")]})
    rc, out, err = run(["--kubeconfig", f, "--all"], clean_env(home, KUBECONFIG=kc))
    one_line_error(rc, out, err, "current context on a server that is down", "127.0.0.1:1")
    rc, out, err = run(["--kubeconfig", f, "--context", "test", "--all"], clean_env(home, KUBECONFIG=kc))
    check(rc == 1 and out == gold("all.txt"), "--context test switches to the stand-in (rc %d, %s)"
          % (rc, err.strip()))
    rc, out, err = run(["--kubeconfig=" + f, "--context=test", "--node=node-c"], clean_env(home))
    check(rc == 0 and out == gold("node-c.txt"), "--flag=value spellings with --context")
    rc, out, err = run(["--kubeconfig", f, "--context", "nosuch", "--all"], clean_env(home))
    one_line_error(rc, out, err, "--context nosuch", 'context "nosuch" not found')


def exec_kubeconfig(work, si, name, token_file, log):
    path = os.path.join(work, name)
    write_json(path, {"apiVersion": "v1", "kind": "Config", "current-context": "sso",
                      "clusters": [cluster_entry("standin", si.url, os.path.join(work, "ca.crt"))],
                      "users": [{"name": "sso-user", "user": {"exec": {
                          "apiVersion": "client.authentication.k8s.io/v1", "command": PLUGIN,
                          "args": ["--cluster", "standin"], "interactiveMode": "Never",
                          "installHint": "install the cloud CLI",
                          "env": [{"name": "PLUGIN_LOG", "value": log},
                                  {"name": "PLUGIN_TOKEN_FILE", "value": token_file}]}}}],
                      "contexts": [context_entry("sso", "standin", "sso-user")]})
    return path


def plugin_runs(log):
    try:
        with open(log) as f:
            return [line.strip() for line in f if line.strip()]
    except OSError:
        return []


def run_exec(work, si):
    home = os.path.join(work, "home-exec")
    os.makedirs(home)
    ctl = si.ctl
    good = os.path.join(work, "plugin-token")
    shutil.copy(si.client_token, good)
    log = os.path.join(work, "plugin.log")
    kc = exec_kubeconfig(work, si, "exec.yaml", good, log)

    ctl.post("/reset-counters", {})
    rc, out, err = run(["--kubeconfig", kc, "--all"], clean_env(home, PLUGIN_TTL="3600"))
    runs = plugin_runs(log)
    check(rc == 1 and out == gold("all.txt"), "exec plugin token accepted by the stand-in (rc %d, %s)"
          % (rc, err.strip()))
    check(len(runs) == 1, "a valid token is reused: the plugin ran %d time(s) for every list" % len(runs))
    try:
        info = json.loads(runs[0])
    except (ValueError, IndexError):
        info = {}
    check(info.get("apiVersion") == "client.authentication.k8s.io/v1" and info.get("kind") == "ExecCredential"
          and info.get("spec", {}).get("interactive") is False,
          "KUBERNETES_EXEC_INFO is an ExecCredential, not interactive: %s" % (runs[:1],))
    check(not [k for k in ctl.counters() if k.startswith("401 ")], "no request was refused")

    # The stand-in checks the token: a plugin that returns another one is refused.
    bad = os.path.join(work, "plugin-token-bad")
    with open(bad, "w") as f:
        f.write("not-the-token\n")
    kc_bad = exec_kubeconfig(work, si, "exec-bad.yaml", bad, log)
    rc, out, err = run(["--kubeconfig", kc_bad, "--all"], clean_env(home))
    one_line_error(rc, out, err, "a token the API server refuses", "401")

    # An expired token makes the plugin run again: a 1 s token and a slow list in between.
    os.remove(log)
    ctl.post("/fault", {"prefix": "/api/v1/namespaces/default/persistentvolumeclaims", "delay_ms": 2100})
    try:
        rc, out, err = run(["--kubeconfig", kc, "--all"], clean_env(home, PLUGIN_TTL="1"))
    finally:
        ctl.post("/clear-faults", {})
    runs = plugin_runs(log)
    check(rc == 1 and out == gold("all.txt"), "--all with a short-lived token (rc %d, %s)" % (rc, err.strip()))
    check(len(runs) >= 2, "the plugin ran again after its token expired: %d run(s)" % len(runs))

    # A plugin that fails: one line naming the user, the plugin and its message; exit 2.
    rc, out, err = run(["--kubeconfig", kc, "--all"], clean_env(home, PLUGIN_FAIL="1"))
    one_line_error(rc, out, err, "failing exec plugin", "SSO session has expired")
    check('user "sso-user"' in err and "exec_credential_plugin.sh" in err and "exit status 1" in err,
          "the failure names the user, the plugin and its exit status: %r" % err)
    missing = exec_kubeconfig(work, si, "exec-missing.yaml", good, log)
    with open(missing) as f:
        doc = json.load(f)
    doc["users"][0]["user"]["exec"]["command"] = "no-such-login-plugin"
    write_json(missing, doc)
    rc, out, err = run(["--kubeconfig", missing, "--node", "node-a"], clean_env(home))
    one_line_error(rc, out, err, "missing exec plugin", "install the cloud CLI")


def run_without_policies(work):
    """A cluster without the MigrationPolicy CRD (its list is 404): nothing of that kind, no error."""
    data = os.path.join(work, "cluster")
    pwork = os.path.join(work, "no-policies")
    os.makedirs(pwork)
    for f in ("ca.crt", "server.crt", "server.key"):
        shutil.copy(os.path.join(work, f), pwork)
    si = standin.StandIn(pwork, data, extra_args=("--without-migration-policies",))
    try:
        rc, out, err = run(["--kubeconfig", si.kubeconfig, "--node", "node-a"], clean_env(work))
        check(rc == 1 and out == gold("node-a.txt") and err == "",
              "no MigrationPolicy CRD: --node node-a as usual (rc %d, %s)" % (rc, err.strip()))
    finally:
        si.stop()


def run_bulk(work):
    """2,000 generated VMIs: paged lists, no GET per VM."""
    data = os.path.join(work, "bulk-cluster")
    standin.yaml_to_json_dir(standin.CLUSTER, data)
    n = many_vms.write_bulk(standin.CLUSTER, data, 2000)
    kinds = {}
    for name in os.listdir(data):
        with open(os.path.join(data, name)) as f:
            for o in json.load(f)["items"]:
                kinds[o["kind"]] = kinds.get(o["kind"], 0) + 1
    example_vms = len(json.loads(run(["--cluster-dir", standin.CLUSTER, "--all", "-A", "-o", "json"],
                                     clean_env(work))[1])["vms"])
    bwork = os.path.join(work, "bulk")
    os.makedirs(bwork)
    for f in ("ca.crt", "server.crt", "server.key"):
        shutil.copy(os.path.join(work, f), bwork)
    si = standin.StandIn(bwork, data)
    try:
        rc, out, err = run(["--kubeconfig", si.kubeconfig, "--all", "-A", "-o", "json"], clean_env(work))
        try:
            doc = json.loads(out)
        except ValueError:
            doc = {}
        rows = doc.get("vms", [])
        bulk = [r for r in rows if r["namespace"] == "bulk"]
        check(rc == 1 and len(rows) == n + example_vms and len(bulk) == n and
              all(r["verdict"] == "migratable" and r["candidates"] == ["node-b"] for r in bulk),
              "--all -A over %d VMIs: one row each, every copy migratable (rc %d, %d rows, %s)"
              % (n, rc, len(rows), err.strip()[:200]))
        counters = si.ctl.counters()
        vmi_pages = math.ceil(kinds["VirtualMachineInstance"] / 500)
        pod_pages = math.ceil(kinds["Pod"] / 500)
        check(vmi_pages == 5 and counters.get("LIST /apis/kubevirt.io/v1/virtualmachineinstances") == vmi_pages and
              counters.get("LIST /api/v1/pods") == pod_pages,
              "%d VMIs and %d pods read in pages of 500: %s" % (
                  kinds["VirtualMachineInstance"], kinds["Pod"],
                  {k: v for k, v in counters.items() if k.startswith("LIST")}))
        gets = [k for k in counters if k.startswith("GET ")]
        check(not gets, "no GET per VM (%d GETs)" % len(gets))
    finally:
        si.stop()


def main():
    if not shutil.which("openssl"):
        print("skipped: no openssl")
        return 77
    work = tempfile.mkdtemp(prefix="mw-check-live-")
    si = None
    try:
        standin.make_certs(work)
        data = os.path.join(work, "cluster")
        standin.yaml_to_json_dir(standin.CLUSTER, data)
        si = standin.StandIn(work, data)
        run_sources(work, si)
        run_exec(work, si)
        run_without_policies(work)
        run_bulk(work)
    finally:
        if si:
            si.stop()
        shutil.rmtree(work, ignore_errors=True)
    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
