#!/bin/sh
# The Helm chart: lints cleanly in every certificate mode, renders the webhook
# configurations, server, RBAC and certificates an operator expects
# (tests/chart/check_rendered.py: the namespace opt-out label on every entry,
# priority class, RBAC verbs exactly, the metrics port with HTTP probes and a
# startup probe, or none and HTTPS probes with metricsPort 0, the
# PodDisruptionBudget's eviction policy), each setting of
# those takes effect, and its values schema refuses bad settings.
# Fetches helm into .tools/ first (scripts/fetch-helm); skipped (77) without it.
set -u
src=${MW_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
chart="$src/charts/migration-webhook"
check="$src/tests/chart/check_rendered.py"
ns=mw-system
release=mw

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

helm=$("$src/scripts/fetch-helm" 2>"$work/fetch.err")
case $? in
    0) ;;
    2) echo "SKIP: helm could not be downloaded (no network?): $(tr '\n' ' ' <"$work/fetch.err")"; exit 77 ;;
    *) echo "FAIL: scripts/fetch-helm: $(cat "$work/fetch.err")"; exit 1 ;;
esac
python3 -c 'import yaml' 2>/dev/null || { echo "FAIL: python3 cannot import yaml (Debian package python3-yaml)"; exit 1; }

failed=0
fail() { echo "FAIL: $*"; failed=1; }
pass() { echo "ok: $*"; }
note() { echo "note: $*"; }
render() { "$helm" template "$release" "$chart" --namespace "$ns" "$@"; }

# A PEM CA bundle for existingSecret mode (any certificate text will do for rendering).
ca_bundle=$(printf '%s\n' '-----BEGIN CERTIFICATE-----' 'MIIBfake' '-----END CERTIFICATE-----' | base64 | tr -d '\n')

# --- lint and render every certificate mode -----------------------------------
if "$helm" lint --strict "$chart" >"$work/lint.out" 2>&1; then pass "helm lint --strict (defaults)"
else fail "helm lint --strict (defaults)"; cat "$work/lint.out"; fi

for mode in selfSigned certManager certgen existingSecret; do
    sets="certificates.mode=$mode"
    extra=""
    if [ "$mode" = existingSecret ]; then
        sets="$sets,certificates.secretName=my-tls,certificates.existingSecret.caBundle=$ca_bundle"
        extra="caBundle=$ca_bundle"
    fi
    if "$helm" lint --strict "$chart" --namespace "$ns" --set "$sets" >"$work/lint.out" 2>&1; then
        pass "helm lint --strict ($mode)"
    else
        fail "helm lint --strict ($mode)"; cat "$work/lint.out"
    fi
    if ! render --set "$sets" >"$work/$mode.yaml" 2>"$work/err"; then
        fail "helm template ($mode): $(cat "$work/err")"; continue
    fi
    # shellcheck disable=SC2086 # $extra is empty or one word
    if python3 "$check" "$mode" "$ns" "$work/$mode.yaml" $extra; then pass "rendered manifests ($mode)"
    else fail "rendered manifests ($mode)"; fi
done

# --- selfSigned: a real CA and a serving certificate for the Service -----------
if command -v openssl >/dev/null 2>&1; then
    python3 - "$work/selfSigned.yaml" "$work" <<'PY'
import base64, sys, yaml
for d in yaml.safe_load_all(open(sys.argv[1])):
    if d and d["kind"] == "Secret":
        for key in ("ca.crt", "tls.crt", "tls.key"):
            open(f"{sys.argv[2]}/{key}", "wb").write(base64.b64decode(d["data"][key]))
PY
    san=$(openssl x509 -in "$work/tls.crt" -noout -ext subjectAltName 2>/dev/null | tr -d ' \n')
    crt_key=$(openssl x509 -in "$work/tls.crt" -noout -pubkey 2>/dev/null)
    key_key=$(openssl pkey -in "$work/tls.key" -pubout 2>/dev/null)
    if openssl verify -CAfile "$work/ca.crt" "$work/tls.crt" >/dev/null 2>&1 &&
       echo "$san" | grep -q "DNS:$release-migration-webhook.$ns.svc" && [ -n "$crt_key" ] && [ "$crt_key" = "$key_key" ]; then
        pass "selfSigned: tls.crt is signed by ca.crt, names $release-migration-webhook.$ns.svc, and matches tls.key"
    else fail "selfSigned certificate: SAN '$san', verify: $(openssl verify -CAfile "$work/ca.crt" "$work/tls.crt" 2>&1)"; fi
else
    note "openssl command not installed: selfSigned certificate chain not checked"
fi

# --- settings that change the webhook entries ---------------------------------
if render --set config.kubevirt.defaultTimeouts=true --set webhooks.timeoutSeconds=10 \
        --set webhooks.validating.failurePolicy=Ignore --set webhooks.mutating.failurePolicy=Fail \
        --set webhooks.earlyWarnings.failurePolicy=Fail >"$work/tuned.yaml" 2>"$work/err" &&
   python3 "$check" selfSigned "$ns" "$work/tuned.yaml" defaultTimeouts=true timeoutSeconds=10 \
        validatingPolicy=Ignore mutatingPolicy=Fail earlyWarningsPolicy=Fail; then
    pass "defaultTimeouts adds the kubevirt mutating entry; timeout and policies follow the values"
else fail "tuned values: $(cat "$work/err")"; fi

if render --set webhooks.excludeNamespaces='{harvester-system,longhorn-system}' >"$work/excl.yaml" 2>"$work/err" &&
   python3 - "$work/excl.yaml" "$ns" <<'PY'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d and d["kind"].endswith("WebhookConfiguration")]
for d in docs:
    for w in d["webhooks"]:
        values = w["namespaceSelector"]["matchExpressions"][0]["values"]
        assert values == ["kube-system", sys.argv[2], "harvester-system", "longhorn-system"], values
PY
then pass "excludeNamespaces extends the namespaceSelector"; else fail "excludeNamespaces: $(cat "$work/err")"; fi

if render --set webhooks.matchConditions=false --show-only templates/webhooks.yaml 2>"$work/err" | grep -q matchConditions; then
    fail "webhooks.matchConditions=false still renders matchConditions"
else pass "webhooks.matchConditions=false drops the CEL condition"; fi
if render --kube-version 1.27.9 >"$work/k127.yaml" 2>"$work/err" &&
   python3 "$check" selfSigned "$ns" "$work/k127.yaml" matchConditions=false; then
    pass "Kubernetes 1.27: renders without matchConditions (the objectSelector still narrows the pod webhook), PDB unhealthyPodEvictionPolicy AlwaysAllow"
else fail "Kubernetes 1.27: $(cat "$work/err")"; fi
if render --kube-version 1.25.0 --show-only templates/webhooks.yaml 2>"$work/err" | grep -q matchConditions; then
    fail "Kubernetes 1.25 renders matchConditions (the field needs 1.28)"
else pass "Kubernetes 1.25: no matchConditions on any entry (the server judges unchanged UPDATEs itself)"; fi

# The rendered CEL, evaluated by an independent CEL implementation on the requests the API server sees:
# VMI status writes and VM label changes skip the webhook, spec and opt-in changes reach it, no case errors.
render --kube-version 1.28.0 --show-only templates/webhooks.yaml >"$work/k128.yaml" 2>"$work/err"
python3 - "$work/k128.yaml" >"$work/conditions.json" <<'PY'
import json, sys, yaml
out = {}
for d in yaml.safe_load_all(open(sys.argv[1])):
    for w in (d or {}).get("webhooks", []):
        for c in w.get("matchConditions", []):
            out[w["name"]] = c["expression"]
print(json.dumps(out))
PY
cel=$("$src/scripts/fetch-cel" 2>"$work/cel.err") && cel_rc=0 || cel_rc=$?
if [ "$cel_rc" != 0 ]; then
    echo "note: CEL evaluation skipped: scripts/fetch-cel: $(tr '\n' ' ' <"$work/cel.err")"
    [ "$cel_rc" = 2 ] || fail "scripts/fetch-cel failed"
elif ! node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' >/dev/null 2>&1; then
    echo "note: CEL evaluation skipped: it needs Node.js >= 20 ($(node --version 2>/dev/null || echo not installed))"
elif node "$src/tests/chart/eval_match_conditions.mjs" "$cel" "$work/conditions.json" >"$work/cel.out" 2>&1; then
    pass "matchConditions evaluate as intended ($(grep -c '^ok' "$work/cel.out") requests)"
else fail "matchConditions: $(grep -v '^ok' "$work/cel.out" | tr '\n' ' ')"; fi


if render --kube-version 1.26.5 >"$work/k126.yaml" 2>"$work/err" &&
   python3 "$check" selfSigned "$ns" "$work/k126.yaml" matchConditions=false pdbPolicy=none; then
    pass "Kubernetes 1.26: the PodDisruptionBudget has no unhealthyPodEvictionPolicy (GA in 1.27)"
else fail "Kubernetes 1.26: $(cat "$work/err")"; fi
if render --set podDisruptionBudget.unhealthyPodEvictionPolicy=IfHealthyBudget >"$work/pdb.yaml" 2>"$work/err" &&
   python3 "$check" selfSigned "$ns" "$work/pdb.yaml" pdbPolicy=IfHealthyBudget &&
   render --set podDisruptionBudget.unhealthyPodEvictionPolicy= >"$work/pdb0.yaml" 2>"$work/err" &&
   python3 "$check" selfSigned "$ns" "$work/pdb0.yaml" pdbPolicy=none; then
    pass "podDisruptionBudget.unhealthyPodEvictionPolicy can be changed or left to the API default"
else fail "unhealthyPodEvictionPolicy override: $(cat "$work/err")"; fi

# --- priority class: system-cluster-critical unless overridden (empty: none) ---
if render --set priorityClassName= >"$work/noprio.yaml" 2>"$work/err" &&
   python3 "$check" selfSigned "$ns" "$work/noprio.yaml" priorityClassName= &&
   render --set priorityClassName=migration-high >"$work/prio.yaml" 2>"$work/err" &&
   python3 "$check" selfSigned "$ns" "$work/prio.yaml" priorityClassName=migration-high; then
    pass "priorityClassName: system-cluster-critical by default, another class or none when set"
else fail "priorityClassName override: $(cat "$work/err")"; fi

# --- per-entry exclusions: leaving a namespace out of the VM warnings only ----
if render --set config.kubevirt.defaultTimeouts=true --set 'webhooks.excludeNamespacesByEntry.vmValidate={harvester-system}' \
        --set 'webhooks.excludeNamespacesByEntry.podMutate={batch}' --set 'webhooks.excludeNamespaces={shared}' \
        >"$work/entry.yaml" 2>"$work/err" &&
   python3 "$check" selfSigned "$ns" "$work/entry.yaml" defaultTimeouts=true &&
   python3 - "$work/entry.yaml" "$ns" <<'PY'
import sys, yaml
ns = sys.argv[2]
want = {"vm.validate.migration-webhook.io": ["harvester-system"], "pod.mutate.migration-webhook.io": ["batch"]}
seen = 0
for d in yaml.safe_load_all(open(sys.argv[1])):
    if not d or not d["kind"].endswith("WebhookConfiguration"):
        continue
    for w in d["webhooks"]:
        exprs = w["namespaceSelector"]["matchExpressions"]
        names = exprs[0]["values"]
        assert names == ["kube-system", ns, "shared"] + want.get(w["name"], []), (w["name"], names)
        assert exprs[1] == {"key": "migration-webhook.io/ignore", "operator": "NotIn", "values": ["true"]}, exprs
        seen += 1
assert seen == 6, seen
PY
then pass "excludeNamespacesByEntry leaves a namespace out of one entry only; the opt-out label is on all 6 entries"
else fail "excludeNamespacesByEntry: $(cat "$work/err")"; fi

# --- the metrics port: container, probes, Service, ServiceMonitor, NetworkPolicy
if render --set metricsPort=9090 --set serviceMonitor.enabled=true --set networkPolicy.enabled=true \
        >"$work/port.yaml" 2>"$work/err" &&
   python3 "$check" selfSigned "$ns" "$work/port.yaml" metricsPort=9090 &&
   python3 - "$work/port.yaml" <<'PY'
import sys, yaml
objs = {d["kind"]: d for d in yaml.safe_load_all(open(sys.argv[1])) if d}
sm = objs["ServiceMonitor"]["spec"]["endpoints"][0]
assert sm == {"port": "metrics", "path": "/metrics", "scheme": "http", "interval": "30s"}, sm
ingress = objs["NetworkPolicy"]["spec"]["ingress"]
assert [r["ports"] for r in ingress] == [[{"port": 8443, "protocol": "TCP"}], [{"port": 9090, "protocol": "TCP"}]], ingress
PY
then pass "metricsPort=9090 moves --metrics-listen, the probes, the Service, ServiceMonitor and NetworkPolicy ports"
else fail "metricsPort=9090: $(cat "$work/err")"; fi
# --- metricsPort 0: no plain-HTTP port; probes, scrape and NetworkPolicy on HTTPS
if "$helm" lint --strict "$chart" --namespace "$ns" --set metricsPort=0 >"$work/lint.out" 2>&1 &&
   "$helm" lint --strict "$chart" --namespace "$ns" --set metricsPort=0,serviceMonitor.enabled=true,networkPolicy.enabled=true \
        >>"$work/lint.out" 2>&1; then
    pass "helm lint --strict (metricsPort=0, with and without ServiceMonitor and NetworkPolicy)"
else fail "helm lint --strict (metricsPort=0)"; cat "$work/lint.out"; fi
for mode in selfSigned certManager; do
    if render --set metricsPort=0 --set certificates.mode=$mode --set serviceMonitor.enabled=true \
            --set networkPolicy.enabled=true >"$work/nometrics-$mode.yaml" 2>"$work/err" &&
       python3 "$check" $mode "$ns" "$work/nometrics-$mode.yaml" metricsPort=0 &&
       python3 - "$work/nometrics-$mode.yaml" "$release-migration-webhook.$ns.svc" <<'PY'
import re, sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
objs = {d["kind"]: d for d in docs}
c = objs["Deployment"]["spec"]["template"]["spec"]["containers"][0]
assert not any(a.startswith("--metrics-listen") for a in c["args"]), c["args"]
for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
    g = c[probe]["httpGet"]
    assert g["port"] == "https" and g["scheme"] == "HTTPS", (probe, g)
secret = objs["Deployment"]["spec"]["template"]["spec"]["volumes"][0]["secret"]["secretName"]
sm = objs["ServiceMonitor"]["spec"]["endpoints"]
assert sm == [{"port": "https", "path": "/metrics", "scheme": "https", "interval": "30s",
               "tlsConfig": {"ca": {"secret": {"name": secret, "key": "ca.crt"}}, "serverName": sys.argv[2]}}], sm
ingress = objs["NetworkPolicy"]["spec"]["ingress"]
assert ingress == [{"ports": [{"port": 8443, "protocol": "TCP"}]}], ingress
# No 8080 anywhere (a Secret's data is random base64 and may hold any four digits).
def walk(v, where):
    if isinstance(v, dict):
        for k, sub in v.items():
            walk(sub, f"{where}.{k}")
    elif isinstance(v, list):
        for i, sub in enumerate(v):
            walk(sub, f"{where}[{i}]")
    else:
        assert not re.search(r"(?<![0-9])8080(?![0-9])", str(v)), f"{where}: {v}"
for d in docs:
    if d["kind"] != "Secret":
        walk(d, f'{d["kind"]}/{d["metadata"]["name"]}')
PY
    then pass "metricsPort=0 ($mode): no --metrics-listen, no metrics port, HTTPS probes on the webhook port, HTTPS scrape with the Secret's ca.crt, no 8080 anywhere"
    else fail "metricsPort=0 ($mode): $(cat "$work/err")"; fi
done
if render --set metricsPort=0 --set networkPolicy.enabled=true --set 'networkPolicy.ingressFrom[0].ipBlock.cidr=10.0.0.0/8' \
        --set 'networkPolicy.metricsFrom[0].namespaceSelector.matchLabels.name=monitoring' >"$work/nometrics-np.yaml" 2>"$work/err" &&
   python3 - "$work/nometrics-np.yaml" <<'PY'
import sys, yaml
objs = {d["kind"]: d for d in yaml.safe_load_all(open(sys.argv[1])) if d}
ingress = objs["NetworkPolicy"]["spec"]["ingress"]
https = [{"port": 8443, "protocol": "TCP"}]
assert ingress == [{"ports": https, "from": [{"ipBlock": {"cidr": "10.0.0.0/8"}}]},
                   {"ports": https, "from": [{"namespaceSelector": {"matchLabels": {"name": "monitoring"}}}]}], ingress
PY
then pass "metricsPort=0: the NetworkPolicy opens only the HTTPS port, to ingressFrom and to metricsFrom"
else fail "metricsPort=0 NetworkPolicy with metricsFrom: $(cat "$work/err")"; fi
if render --kube-version 1.24.0 >/dev/null 2>"$work/err"; then fail "Kubernetes 1.24 accepted (kubeVersion >=1.25)"
else pass "Kubernetes 1.24 refused: $(head -n 1 "$work/err" | cut -c1-120)"; fi

# rule modes reach the config file unchanged
render --show-only templates/configmap.yaml \
    --set config.rules.cdrom=warn --set config.rules.not-migratable=warn --set config.earlyWarnings.container-disk=off \
    --set config.systemMigrations.cdrom=deny >"$work/cm.yaml" 2>"$work/err"
if python3 - "$work/cm.yaml" <<'PY'
import sys, yaml
cm = yaml.safe_load(open(sys.argv[1]))
cfg = yaml.safe_load(cm["data"]["config.yaml"])
assert cfg["rules"] == {"cdrom": "warn", "not-migratable": "warn"}, cfg["rules"]
assert cfg["systemMigrations"] == {"cdrom": "deny"}, cfg.get("systemMigrations")
assert cfg["earlyWarnings"] == {"container-disk": "off"}, cfg["earlyWarnings"]
assert cfg["listen"] == "0.0.0.0:8443", cfg["listen"]
assert cfg["limits"] == {"maxBodyBytes": 8388608}, cfg["limits"]
PY
then pass "rule modes (and systemMigrations) are written to config.yaml"; else fail "rule modes in config.yaml: $(cat "$work/err")"; fi
# the server itself reads the config file the chart writes (exit 2 would be a config error)
if [ -n "${MW_BIN:-}" ] && [ -x "$MW_BIN" ]; then
    python3 -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["data"]["config.yaml"])' "$work/cm.yaml" >"$work/config.yaml"
    "$MW_BIN" check --config "$work/config.yaml" --cluster-dir "$src/examples/cluster" vm-migratable >"$work/check.out" 2>&1
    rc=$?
    if [ "$rc" = 0 ] || [ "$rc" = 1 ]; then pass "the server reads the rendered config.yaml (check --config exits $rc)"
    else fail "the server refuses the rendered config.yaml (exit $rc): $(head -n 3 "$work/check.out")"; fi
    sed 's/cdrom: deny/cluster-cpu-model: deny/' "$work/config.yaml" >"$work/bad-config.yaml"
    "$MW_BIN" check --config "$work/bad-config.yaml" --cluster-dir "$src/examples/cluster" vm-migratable >"$work/check.out" 2>&1
    rc=$?
    if [ "$rc" = 2 ]; then pass "and refuses what the schema refuses: $(head -n 1 "$work/check.out" | cut -c1-120)"
    else fail "the server accepts systemMigrations.cluster-cpu-model (exit $rc)"; fi
else
    note "MW_BIN not set: the rendered config.yaml is not read by the server"
fi

# a config change rolls the pods (checksum annotation changes)
checksum() { render --show-only templates/deployment.yaml "$@" | grep checksum/config; }
if [ "$(checksum)" != "$(checksum --set config.rules.gpu=warn)" ]; then pass "a config change changes checksum/config"
else fail "checksum/config does not follow the config"; fi

# one replica: no PodDisruptionBudget (it would block every node drain)
if render --set replicaCount=1 | grep -q '^kind: PodDisruptionBudget'; then
    fail "replicaCount=1 still renders a PodDisruptionBudget"
else pass "replicaCount=1 renders no PodDisruptionBudget"; fi

# the optional objects
if render --set serviceMonitor.enabled=true --set networkPolicy.enabled=true \
        --set 'networkPolicy.metricsFrom[0].namespaceSelector.matchLabels.name=monitoring' >"$work/opt.yaml" 2>"$work/err" &&
   python3 - "$work/opt.yaml" <<'PY'
import sys, yaml
objs = {d["kind"]: d for d in yaml.safe_load_all(open(sys.argv[1])) if d}
sm = objs["ServiceMonitor"]["spec"]["endpoints"][0]
assert sm["port"] == "metrics" and sm["scheme"] == "http" and sm["path"] == "/metrics", sm
assert "tlsConfig" not in sm, sm
svc_ports = {p["name"]: p for p in objs["Service"]["spec"]["ports"]}
assert svc_ports["metrics"]["port"] == 8080 and svc_ports["metrics"]["targetPort"] == "metrics", svc_ports
np = objs["NetworkPolicy"]["spec"]
assert np["policyTypes"] == ["Ingress", "Egress"], np
assert np["ingress"] == [{"ports": [{"port": 8443, "protocol": "TCP"}]},
                         {"ports": [{"port": 8080, "protocol": "TCP"}],
                          "from": [{"namespaceSelector": {"matchLabels": {"name": "monitoring"}}}]}], np["ingress"]
assert sorted(p["port"] for p in np["egress"][0]["ports"]) == [443, 6443], np["egress"]
PY
then pass "ServiceMonitor scrapes the metrics port over HTTP; NetworkPolicy opens it to metricsFrom"; else fail "optional objects: $(cat "$work/err")"; fi

# --- the schema refuses bad settings ------------------------------------------
refuse() {
    what=$1; names=$2; shift 2
    if render "$@" >/dev/null 2>"$work/err"; then
        fail "accepted $what"
    elif grep -q -i -E "schema|required" "$work/err" && grep -q -F -- "$names" "$work/err"; then
        pass "refused $what: $(grep -F -m1 -- "$names" "$work/err" | cut -c1-150)"
    else
        fail "refused $what, but not by the schema naming $names: $(cat "$work/err")"
    fi
}
refuse "a bad rule mode" config.rules.cdrom --set config.rules.cdrom=block
refuse "a bad early-warning mode" config.earlyWarnings.gpu --set config.earlyWarnings.gpu=maybe
refuse "an unknown rule id" no-such-rule --set config.rules.no-such-rule=deny
refuse "a system-migration mode for a rule migrations do not run" cluster-cpu-model --set config.systemMigrations.cluster-cpu-model=warn
refuse "an unknown top-level key" replicas --set replicas=3
refuse "an unknown certificate mode" certificates.mode --set certificates.mode=acme
refuse "a bad failurePolicy" webhooks.validating.failurePolicy --set webhooks.validating.failurePolicy=Allow
refuse "a timeout above 30 s" webhooks.timeoutSeconds --set webhooks.timeoutSeconds=31
refuse "a negative metricsPort (0 turns it off)" metricsPort --set metricsPort=-1
refuse "a TLS setting for the scrape (metrics are plain HTTP)" tlsConfig --set serviceMonitor.tlsConfig.insecureSkipVerify=true
refuse "an unknown webhook entry" excludeNamespacesByEntry --set 'webhooks.excludeNamespacesByEntry.pods={a}'
refuse "a bad unhealthyPodEvictionPolicy" unhealthyPodEvictionPolicy --set podDisruptionBudget.unhealthyPodEvictionPolicy=Never
refuse "existingSecret without a caBundle" certificates.existingSecret.caBundle --set certificates.mode=existingSecret

# --- the checker itself catches a wrong chart ---------------------------------
if python3 "$check" selfSigned "$ns" "$work/certManager.yaml" >"$work/self.out" 2>&1; then
    fail "check_rendered.py accepts certManager manifests as selfSigned"
elif grep -q "inject-ca-from" "$work/self.out"; then pass "check_rendered.py notices a wrong certificate mode"
else fail "check_rendered.py failed for another reason: $(cat "$work/self.out")"; fi
if sed 's/readOnlyRootFilesystem: true/readOnlyRootFilesystem: false/' "$work/selfSigned.yaml" >"$work/rw.yaml" &&
   python3 "$check" selfSigned "$ns" "$work/rw.yaml" | grep -q "not read-only"; then
    pass "check_rendered.py notices a writable root filesystem"
else fail "check_rendered.py misses a writable root filesystem"; fi

# --- every value is in the schema and in the chart README's table ------------
if python3 - "$chart" <<'PY'
import json, sys, yaml
chart = sys.argv[1]
values = yaml.safe_load(open(f"{chart}/values.yaml"))
schema = json.load(open(f"{chart}/values.schema.json"))
readme = open(f"{chart}/README.md", encoding="utf-8").read()
missing = []
def walk(v, s, path):
    props = s.get("properties")
    if isinstance(v, dict) and props and path not in ("config.rules", "config.earlyWarnings", "config.systemMigrations"):
        for k, sub in v.items():
            if k not in props:
                missing.append(f"{path}{'.' if path else ''}{k} is not in values.schema.json")
            else:
                walk(sub, props[k], f"{path}{'.' if path else ''}{k}")
    elif f"| `{path}` |" not in readme:
        missing.append(f"{path} is not in the README's values table")
walk(values, schema, "")
for m in missing:
    print("FAIL:", m)
sys.exit(1 if missing else 0)
PY
then pass "every value is in values.schema.json and in the README's values table"
else failed=1; fi

# --- the chart follows the project's version ----------------------------------
project_version=$(sed -n 's/^project(migration-webhook VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
app_version=$(sed -n 's/^appVersion: "\(.*\)"/\1/p' "$chart/Chart.yaml")
if [ -n "$project_version" ] && [ "$project_version" = "$app_version" ]; then pass "appVersion $app_version = project version"
else fail "Chart appVersion '$app_version' is not the project version '$project_version'"; fi

exit $failed
