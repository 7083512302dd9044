#!/usr/bin/env python3
"""
tests/chart/check_rendered.py - checks what `helm template` made of the chart,
the way an operator reviewing the manifests would: the webhook entries (rules,
paths, policies, selectors, the namespace opt-out label on every entry), the
server's security settings, priority class, ports and probes (HTTPS for
reviews, plain HTTP for probes and metrics, a startup probe; with metricsPort=0
no plain-HTTP port at all and HTTPS probes), the read-only
RBAC with its exact verbs, the PodDisruptionBudget, and the certificate wiring
of each certificate mode.

usage: check_rendered.py MODE NAMESPACE RENDERED.yaml [key=value ...]
  keys: defaultTimeouts=true|false, caBundle=<base64>, timeoutSeconds=N,
        validatingPolicy=Fail|Ignore, mutatingPolicy=Fail|Ignore,
        earlyWarningsPolicy=Fail|Ignore, matchConditions=true|false,
        priorityClassName=<name>|"" (empty: none), pdbPolicy=AlwaysAllow|none,
        metricsPort=N (0: no plain-HTTP port)
Prints one line per failed check and exits 1 when any failed.
"""
import base64
import sys

import yaml

MATCH_CONDITION = "has(object.metadata.labels) && 'kubevirt.io/migrationJobUID' in object.metadata.labels"
# (apiGroup, resource) -> verbs, exactly: watch only on what the server caches.
SERVER_VERBS = {
    ("", "nodes"): ["get", "list", "watch"],
    ("kubevirt.io", "kubevirts"): ["get", "list", "watch"],
    ("migrations.kubevirt.io", "migrationpolicies"): ["get", "list", "watch"],
    ("", "pods"): ["get", "list"],
    ("", "persistentvolumeclaims"): ["get", "list"],
    ("kubevirt.io", "virtualmachineinstances"): ["get", "list"],
    ("kubevirt.io", "virtualmachineinstancemigrations"): ["get", "list"],
    ("kubevirt.io", "virtualmachines"): ["get", "list"],
    ("k8s.cni.cncf.io", "network-attachment-definitions"): ["get", "list"],
    ("", "namespaces"): ["get"],
}
IGNORE_LABEL = {"key": "migration-webhook.io/ignore", "operator": "NotIn", "values": ["true"]}

failures = []


def check(ok, what):
    if not ok:
        failures.append(what)
    return ok


def load(path):
    objs = {}
    with open(path, encoding="utf-8") as f:
        for doc in yaml.safe_load_all(f):
            if doc:
                objs.setdefault(doc["kind"], []).append(doc)
    return objs


def one(objs, kind, name=None):
    found = [o for o in objs.get(kind, []) if name is None or o["metadata"]["name"] == name]
    check(len(found) == 1, f"expected one {kind}{' ' + name if name else ''}, found {len(found)}")
    return found[0] if found else {}


def expected_webhooks(opts):
    """name -> (path, apiGroup, resources, operations, failurePolicy)"""
    v, m, e = opts["validatingPolicy"], opts["mutatingPolicy"], opts["earlyWarningsPolicy"]
    validating = {
        "validate.migration-webhook.io": ("/validate", "kubevirt.io", ["virtualmachineinstancemigrations"], ["CREATE"], v),
        "vm.validate.migration-webhook.io": ("/validate", "kubevirt.io", ["virtualmachines", "virtualmachineinstances"],
                                             ["CREATE", "UPDATE"], e),
        "kubevirt.validate.migration-webhook.io": ("/validate", "kubevirt.io", ["kubevirts"], ["CREATE", "UPDATE"], v),
    }
    mutating = {
        "pod.mutate.migration-webhook.io": ("/mutate", "", ["pods"], ["CREATE"], m),
        "vmim.mutate.migration-webhook.io": ("/mutate", "kubevirt.io", ["virtualmachineinstancemigrations"], ["CREATE"], m),
    }
    if opts["defaultTimeouts"] == "true":
        mutating["kubevirt.mutate.migration-webhook.io"] = ("/mutate", "kubevirt.io", ["kubevirts"], ["CREATE", "UPDATE"], m)
    return validating, mutating


# Fields of admissionregistration.k8s.io/v1 webhook entries: anything else is
# refused (or dropped) by the API server.
ENTRY_FIELDS = {"name", "clientConfig", "rules", "failurePolicy", "matchPolicy", "namespaceSelector",
                "objectSelector", "sideEffects", "timeoutSeconds", "admissionReviewVersions", "matchConditions"}
MUTATING_ONLY_FIELDS = {"reinvocationPolicy"}


def check_webhook_config(cfg, expected, ns, service, opts, mutating):
    kind = cfg.get("kind", "?")
    hooks = {w["name"]: w for w in cfg.get("webhooks", [])}
    allowed = ENTRY_FIELDS | (MUTATING_ONLY_FIELDS if mutating else set())
    for name, w in hooks.items():
        check(set(w) <= allowed, f"{kind} {name}: unknown fields {sorted(set(w) - allowed)}")
        check(set(w.get("clientConfig", {})) <= {"service", "caBundle"} and
              set(w.get("clientConfig", {}).get("service", {})) <= {"name", "namespace", "path", "port"},
              f"{kind} {name}: unexpected clientConfig {w.get('clientConfig')}")
        for r in w.get("rules", []):
            check(set(r) <= {"apiGroups", "apiVersions", "resources", "operations", "scope"}, f"{kind} {name}: rule {r}")
    check(sorted(hooks) == sorted(expected), f"{kind}: entries {sorted(hooks)}, want {sorted(expected)}")
    for name, (path, group, resources, operations, policy) in expected.items():
        w = hooks.get(name)
        if not w:
            continue
        where = f"{kind} {name}"
        svc = w["clientConfig"].get("service", {})
        check(svc.get("name") == service["metadata"]["name"] and svc.get("namespace") == ns,
              f"{where}: clientConfig.service {svc} is not the chart's Service")
        check(svc.get("path") == path, f"{where}: path {svc.get('path')}, want {path}")
        check(svc.get("port") == service["spec"]["ports"][0]["port"] == 443, f"{where}: service port {svc.get('port')}")
        check(len(w["rules"]) == 1, f"{where}: {len(w['rules'])} rules, want 1")
        r = w["rules"][0]
        check(r["apiGroups"] == [group], f"{where}: apiGroups {r['apiGroups']}")
        check(sorted(r["resources"]) == sorted(resources), f"{where}: resources {r['resources']}")
        check(r["operations"] == operations, f"{where}: operations {r['operations']}, want {operations}")
        check("DELETE" not in r["operations"], f"{where}: must never see DELETE")
        check(w.get("failurePolicy") == policy, f"{where}: failurePolicy {w.get('failurePolicy')}, want {policy}")
        check(w.get("sideEffects") == "None", f"{where}: sideEffects {w.get('sideEffects')}")
        check(w.get("admissionReviewVersions") == ["v1", "v1beta1"],
              f"{where}: admissionReviewVersions {w.get('admissionReviewVersions')}")
        check(w.get("timeoutSeconds") == int(opts["timeoutSeconds"]), f"{where}: timeoutSeconds {w.get('timeoutSeconds')}")
        check(w.get("matchPolicy") == "Equivalent", f"{where}: matchPolicy {w.get('matchPolicy')}")
        if mutating:
            check(w.get("reinvocationPolicy") == "Never", f"{where}: reinvocationPolicy {w.get('reinvocationPolicy')}")
        exprs = w.get("namespaceSelector", {}).get("matchExpressions", [])
        excluded = [e for e in exprs if e.get("key") == "kubernetes.io/metadata.name" and e.get("operator") == "NotIn"]
        check(excluded and {"kube-system", ns} <= set(excluded[0]["values"]),
              f"{where}: namespaceSelector does not exclude kube-system and {ns}: {exprs}")
        check(IGNORE_LABEL in exprs, f"{where}: namespaceSelector lacks the opt-out label {IGNORE_LABEL}: {exprs}")
        if opts["caBundle"] is not None:
            check(w["clientConfig"].get("caBundle") == opts["caBundle"], f"{where}: caBundle is not the expected CA")
        elif opts["mode"] in ("certManager", "certgen"):
            check("caBundle" not in w["clientConfig"], f"{where}: caBundle set although {opts['mode']} fills it")
    pod = hooks.get("pod.mutate.migration-webhook.io")
    if pod:
        check(pod.get("objectSelector") == {"matchLabels": {"kubevirt.io": "virt-launcher"}},
              f"pod webhook objectSelector {pod.get('objectSelector')}")
        conds = pod.get("matchConditions", [])
        if opts["matchConditions"] == "true":
            check(len(conds) == 1 and conds[0].get("expression") == MATCH_CONDITION,
                  f"pod webhook matchConditions {conds}")
        else:
            check(not conds, f"pod webhook has matchConditions {conds} on a cluster without them")
    vm = hooks.get("vm.validate.migration-webhook.io")
    if vm:
        conds = vm.get("matchConditions", [])
        if opts["matchConditions"] == "true":
            check(len(conds) == 1 and conds[0].get("name") == "spec-changed"
                  and "object.spec != oldObject.spec" in conds[0].get("expression", ""),
                  f"VM/VMI webhook matchConditions {conds}")
        else:
            check(not conds, f"VM/VMI webhook has matchConditions {conds} on a cluster without them")
    for name, w in hooks.items():
        if name not in ("pod.mutate.migration-webhook.io", "vm.validate.migration-webhook.io"):
            check("objectSelector" not in w and "matchConditions" not in w, f"{kind} {name}: unexpected selector")
        if name == "vm.validate.migration-webhook.io":
            check("objectSelector" not in w, f"{kind} {name}: unexpected objectSelector")


def check_deployment(dep, ns, secret_name, configmap, opts):
    spec = dep["spec"]
    tpl = spec["template"]["spec"]
    want_priority = opts["priorityClassName"]
    check(tpl.get("priorityClassName", "") == want_priority,
          f"Deployment priorityClassName {tpl.get('priorityClassName')!r}, want {want_priority!r}")
    check(spec.get("replicas") == 2, f"Deployment replicas {spec.get('replicas')}")
    anti = tpl.get("affinity", {}).get("podAntiAffinity", {}).get("preferredDuringSchedulingIgnoredDuringExecution", [])
    check(anti and anti[0]["podAffinityTerm"]["topologyKey"] == "kubernetes.io/hostname",
          "Deployment: no preferred pod anti-affinity by hostname")
    psc = tpl.get("securityContext", {})
    check(psc.get("runAsNonRoot") is True and psc.get("runAsUser") == 65532 and psc.get("runAsGroup") == 65532,
          f"pod securityContext {psc}")
    check(psc.get("seccompProfile", {}).get("type") == "RuntimeDefault", "pod seccompProfile is not RuntimeDefault")
    check(len(tpl["containers"]) == 1, "Deployment: more than one container")
    c = tpl["containers"][0]
    sc = c.get("securityContext", {})
    check(sc.get("readOnlyRootFilesystem") is True, "container root filesystem is not read-only")
    check(sc.get("allowPrivilegeEscalation") is False, "container allows privilege escalation")
    check(sc.get("capabilities", {}).get("drop") == ["ALL"] and not sc.get("capabilities", {}).get("add"),
          f"container capabilities {sc.get('capabilities')}")
    check(sc.get("runAsNonRoot") is True and sc.get("runAsUser") == 65532, f"container runAs {sc}")
    check(sc.get("seccompProfile", {}).get("type") == "RuntimeDefault", "container seccompProfile is not RuntimeDefault")
    metrics_port = int(opts["metricsPort"])
    metrics_args = ["--metrics-listen", f"0.0.0.0:{metrics_port}"] if metrics_port else []
    check(c.get("args") == ["serve", "--config", "/etc/migration-webhook/config.yaml",
                            "--tls-cert", "/certs/tls.crt", "--tls-key", "/certs/tls.key"] + metrics_args,
          f"container args {c.get('args')}")
    ports = {p["name"]: p["containerPort"] for p in c.get("ports", [])}
    want_ports = {"https": 8443, "metrics": metrics_port} if metrics_port else {"https": 8443}
    check(ports == want_ports, f"container ports {ports}")
    # Without the plain-HTTP port the probes go to the HTTPS port (it serves /healthz and /readyz too).
    scheme, probe_ports = ("HTTP", ("metrics", metrics_port)) if metrics_port else ("HTTPS", ("https", 8443))
    for probe, path in (("startupProbe", "/healthz"), ("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        g = c.get(probe, {}).get("httpGet", {})
        check(g.get("path") == path and g.get("scheme") == scheme and g.get("port") in probe_ports,
              f"{probe} is not {scheme} GET {path} on the {probe_ports[0]} port: {g}")
    startup = c.get("startupProbe", {})
    check(startup.get("failureThreshold", 0) * startup.get("periodSeconds", 0) >= 30,
          f"startupProbe allows less than 30 s to start: {startup}")
    check("requests" in c.get("resources", {}) and "limits" in c.get("resources", {}), "container resources unset")
    mounts = {m["name"]: m for m in c.get("volumeMounts", [])}
    vols = {v["name"]: v for v in tpl.get("volumes", [])}
    check(mounts.get("certs", {}).get("mountPath") == "/certs" and
          vols.get("certs", {}).get("secret", {}).get("secretName") == secret_name,
          f"TLS Secret {secret_name} is not mounted at /certs")
    check(mounts.get("config", {}).get("mountPath") == "/etc/migration-webhook" and
          vols.get("config", {}).get("configMap", {}).get("name") == configmap["metadata"]["name"],
          "config ConfigMap is not mounted at /etc/migration-webhook")
    check("checksum/config" in spec["template"]["metadata"].get("annotations", {}), "no checksum/config annotation")


def check_server_rbac(objs, sa_name, ns):
    roles = [r for r in objs.get("ClusterRole", []) if "helm.sh/hook" not in r["metadata"].get("annotations", {})]
    check(len(roles) == 1, f"{len(roles)} server ClusterRoles")
    got = {}
    for role in roles:
        for rule in role["rules"]:
            check(not rule.get("resourceNames") and not rule.get("nonResourceURLs"), f"server ClusterRole rule {rule}")
            for g in rule["apiGroups"]:
                for r in rule["resources"]:
                    got.setdefault((g, r), set()).update(rule["verbs"])
    got = {k: sorted(v) for k, v in got.items()}
    for key in sorted(set(got) | set(SERVER_VERBS)):
        check(got.get(key) == SERVER_VERBS.get(key),
              f"server ClusterRole {key[0] or 'core'}/{key[1]}: verbs {got.get(key)}, want {SERVER_VERBS.get(key)}")
    check(not objs.get("Role") or all("helm.sh/hook" in r["metadata"].get("annotations", {}) for r in objs["Role"]),
          "server has a namespaced Role")
    b = [b for b in objs.get("ClusterRoleBinding", []) if roles and b["roleRef"]["name"] == roles[0]["metadata"]["name"]]
    check(b and b[0]["subjects"] == [{"kind": "ServiceAccount", "name": sa_name, "namespace": ns}],
          "server ClusterRoleBinding does not bind the server ServiceAccount")


def check_certificates(objs, mode, ns, secret_name, webhook_name, service, vwc, mwc):
    hosts = {f"{service['metadata']['name']}.{ns}.svc"}
    secrets = objs.get("Secret", [])
    ann = "cert-manager.io/inject-ca-from"
    if mode == "selfSigned":
        s = one(objs, "Secret", secret_name)
        data = s.get("data", {})
        check(s.get("type") == "kubernetes.io/tls", "selfSigned Secret is not kubernetes.io/tls")
        pem = {k: base64.b64decode(data.get(k, "")).decode() for k in ("ca.crt", "tls.crt", "tls.key")}
        check(pem["ca.crt"].startswith("-----BEGIN CERTIFICATE-----"), "selfSigned ca.crt is not a PEM certificate")
        check(pem["tls.crt"].startswith("-----BEGIN CERTIFICATE-----") and pem["tls.crt"] != pem["ca.crt"],
              "selfSigned tls.crt is not a certificate apart from the CA")
        check("PRIVATE KEY-----" in pem["tls.key"], "selfSigned tls.key is not a PEM key")
        for cfg in (vwc, mwc):
            for w in cfg.get("webhooks", []):
                check(w["clientConfig"].get("caBundle") and w["clientConfig"]["caBundle"] == data.get("ca.crt"),
                      f"{cfg['kind']} {w['name']}: caBundle empty or not the Secret's ca.crt")
    else:
        check(not secrets, f"{mode}: the chart renders a Secret")
    if mode == "certManager":
        for cfg in (vwc, mwc):
            check(cfg["metadata"].get("annotations", {}).get(ann) == f"{ns}/{secret_name}",
                  f"{cfg['kind']}: annotation {ann} is not {ns}/{secret_name}")
        certs = {c["metadata"]["name"]: c for c in objs.get("Certificate", [])}
        serving = certs.get(secret_name, {}).get("spec", {})
        check(serving.get("secretName") == secret_name, "cert-manager serving Certificate does not write the TLS Secret")
        check(hosts <= set(serving.get("dnsNames", [])), f"serving Certificate dnsNames {serving.get('dnsNames')}")
        ca = [c for c in certs.values() if c["spec"].get("isCA")]
        check(len(ca) == 1, "no CA Certificate")
        issuers = {i["metadata"]["name"]: i["spec"] for i in objs.get("Issuer", [])}
        check(any("selfSigned" in i for i in issuers.values()), "no self-signed Issuer")
        ca_issuer = serving.get("issuerRef", {}).get("name")
        check(ca and issuers.get(ca_issuer, {}).get("ca", {}).get("secretName") == ca[0]["spec"]["secretName"],
              "serving Certificate is not issued by the CA Issuer")
    else:
        for cfg in (vwc, mwc):
            check(ann not in cfg["metadata"].get("annotations", {}), f"{mode}: {cfg['kind']} has {ann}")
        check(not objs.get("Certificate") and not objs.get("Issuer"), f"{mode}: renders cert-manager objects")
    jobs = objs.get("Job", [])
    if mode == "certgen":
        by_hook = {j["metadata"]["annotations"].get("helm.sh/hook"): j for j in jobs}
        check(sorted(by_hook) == ["post-install,post-upgrade", "pre-install,pre-upgrade"], f"certgen Job hooks {sorted(by_hook)}")
        for hook, job in by_hook.items():
            args = job["spec"]["template"]["spec"]["containers"][0]["args"]
            check(args[:2] == ["certs", "patch"], f"certgen {hook} args {args}")
            flags = dict(zip(args[2::2], args[3::2]))
            check(flags.get("--namespace") == ns and flags.get("--secret-name") == secret_name,
                  f"certgen {hook} flags {flags}")
            want_webhook = webhook_name if hook.startswith("post-") else None
            check(flags.get("--webhook-name") == want_webhook, f"certgen {hook} --webhook-name {flags.get('--webhook-name')}")
            check(hosts <= set(flags.get("--host", "").split(",")), f"certgen {hook} --host {flags.get('--host')}")
            sc = job["spec"]["template"]["spec"]["containers"][0].get("securityContext", {})
            check(sc.get("readOnlyRootFilesystem") is True and sc.get("allowPrivilegeEscalation") is False,
                  f"certgen {hook} securityContext {sc}")
        hooked = [r for r in objs.get("ClusterRole", []) if "helm.sh/hook" in r["metadata"].get("annotations", {})]
        check(len(hooked) == 1, "certgen ClusterRole missing")
        for r in hooked:
            for rule in r["rules"]:
                check(sorted(rule["verbs"]) == ["get", "update"] and rule.get("resourceNames") == [webhook_name] and
                      sorted(rule["resources"]) == ["mutatingwebhookconfigurations", "validatingwebhookconfigurations"],
                      f"certgen ClusterRole rule {rule}")
        role = one(objs, "Role")
        for rule in role.get("rules", []):
            check(rule["resources"] == ["secrets"] and set(rule["verbs"]) <= {"get", "create"},
                  f"certgen Role rule {rule}")
            if "get" in rule["verbs"]:
                check(rule.get("resourceNames") == [secret_name], f"certgen Role get not limited to {secret_name}")
    else:
        check(not jobs, f"{mode}: renders Jobs")


def main():
    mode, ns, path = sys.argv[1:4]
    opts = {"mode": mode, "defaultTimeouts": "false", "caBundle": None, "timeoutSeconds": "5",
            "validatingPolicy": "Fail", "mutatingPolicy": "Ignore", "earlyWarningsPolicy": "Ignore",
            "matchConditions": "true", "priorityClassName": "system-cluster-critical",
            "pdbPolicy": "AlwaysAllow", "metricsPort": "8080"}
    for kv in sys.argv[4:]:
        k, v = kv.split("=", 1)
        opts[k] = v
    objs = load(path)
    service = one(objs, "Service")
    dep = one(objs, "Deployment")
    cm = one(objs, "ConfigMap")
    vwc = one(objs, "ValidatingWebhookConfiguration")
    mwc = one(objs, "MutatingWebhookConfiguration")
    if not failures:
        check(vwc["metadata"]["name"] == mwc["metadata"]["name"], "webhook configurations have different names")
        validating, mutating = expected_webhooks(opts)
        check_webhook_config(vwc, validating, ns, service, opts, False)
        check_webhook_config(mwc, mutating, ns, service, opts, True)
        secret_name = dep["spec"]["template"]["spec"]["volumes"][0].get("secret", {}).get("secretName")
        check_deployment(dep, ns, secret_name, cm, opts)
        sa = dep["spec"]["template"]["spec"]["serviceAccountName"]
        one(objs, "ServiceAccount", sa)
        check_server_rbac(objs, sa, ns)
        check_certificates(objs, mode, ns, secret_name, vwc["metadata"]["name"], service, vwc, mwc)
        config = yaml.safe_load(cm["data"]["config.yaml"])
        check(config.get("kubevirt", {}).get("defaultTimeouts") == (opts["defaultTimeouts"] == "true"),
              f"config kubevirt.defaultTimeouts {config.get('kubevirt')}")
        check(config.get("tlsCert") == "/certs/tls.crt" and config.get("tlsKey") == "/certs/tls.key", "config TLS paths")
        check(service["spec"]["ports"][0].get("targetPort") in ("https", 8443), "Service does not target the https port")
        svc_ports = {p["name"]: (p["port"], p.get("targetPort")) for p in service["spec"]["ports"]}
        if int(opts["metricsPort"]):
            check(svc_ports.get("metrics") == (int(opts["metricsPort"]), "metrics"),
                  f"Service metrics port {svc_ports.get('metrics')}, want ({opts['metricsPort']}, 'metrics')")
        else:
            check(list(svc_ports) == ["https"], f"Service ports {svc_ports}, want only https (metricsPort 0)")
        pdb = one(objs, "PodDisruptionBudget")
        check(pdb.get("spec", {}).get("minAvailable") == 1, "PodDisruptionBudget minAvailable is not 1")
        want_policy = None if opts["pdbPolicy"] == "none" else opts["pdbPolicy"]
        check(pdb.get("spec", {}).get("unhealthyPodEvictionPolicy") == want_policy,
              f"PodDisruptionBudget unhealthyPodEvictionPolicy {pdb.get('spec', {}).get('unhealthyPodEvictionPolicy')}, "
              f"want {want_policy}")
        tests = [p for p in objs.get("Pod", []) if p["metadata"].get("annotations", {}).get("helm.sh/hook") == "test"]
        check(len(tests) == 1 and tests[0]["spec"]["containers"][0]["args"][-1] ==
              f"https://{service['metadata']['name']}.{ns}.svc:443/readyz", "helm test Pod does not call /readyz")
        selector = service["spec"]["selector"]
        for kind, docs in objs.items():
            for o in docs:
                labels = {}
                if kind == "Pod":
                    labels = o["metadata"].get("labels", {})
                elif kind == "Job":
                    labels = o["spec"]["template"]["metadata"].get("labels", {})
                if labels and o is not dep:
                    check(not all(labels.get(k) == v for k, v in selector.items()),
                          f"{kind} {o['metadata']['name']} carries the server's selector labels")
    for f in failures:
        print(f"FAIL [{mode}]: {f}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
