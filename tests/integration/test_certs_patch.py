#!/usr/bin/env python3
"""`migration-webhook certs patch` against the stand-in API server.

As the chart's certgen Jobs run it: first without --webhook-name (the TLS
Secret is created, with a chain openssl verifies), then with it (the Secret
and its CA are kept, and every webhook of both configurations gets the CA as
caBundle).  A configuration that does not exist is one line and exit 1; bad
flags are one line and exit 2; the flags the chart passes are the ones the
command takes.
"""
import base64
import json
import os
import re
import ssl
import subprocess
import sys
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import standin  # noqa: E402
from standin import check  # noqa: E402

NS, SECRET, HOOK = "migration-webhook", "migration-webhook-tls", "migration-webhook"
HOSTS = "migration-webhook,migration-webhook.migration-webhook,migration-webhook.migration-webhook.svc"
SECRET_PATH = "/api/v1/namespaces/%s/secrets/%s" % (NS, SECRET)
CONFIG_PATH = "/apis/admissionregistration.k8s.io/v1/%swebhookconfigurations/" + HOOK


def webhook_configurations():
    def hook(name, path, with_bundle):
        cc = {"service": {"name": "migration-webhook", "namespace": NS, "path": path, "port": 443}}
        if with_bundle:
            cc["caBundle"] = base64.b64encode(b"an old CA").decode()
        return {"name": name, "clientConfig": cc, "admissionReviewVersions": ["v1"], "sideEffects": "None"}
    return {"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
         "metadata": {"name": HOOK},
         "webhooks": [hook("validate.migration-webhook.io", "/validate", False),
                      hook("validate-vm.migration-webhook.io", "/validate", True)]},
        {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "MutatingWebhookConfiguration",
         "metadata": {"name": HOOK},
         "webhooks": [hook("mutate.migration-webhook.io", "/mutate", False),
                      hook("mutate-vmim.migration-webhook.io", "/mutate", False),
                      {"name": "no-client-config.migration-webhook.io", "admissionReviewVersions": ["v1"],
                       "sideEffects": "None"}]},
    ]}


class Api:
    """Reads and writes on the stand-in's API port, as a kubectl would."""

    def __init__(self, si, work):
        self.si = si
        self.ctx = ssl.create_default_context(cafile=work + "/ca.crt")

    def call(self, method, path, body=None, content_type="application/json"):
        with open(self.si.client_token) as f:
            token = f.read().strip()
        req = urllib.request.Request(self.si.url + path, method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Authorization": "Bearer " + token, "Content-Type": content_type})
        try:
            with urllib.request.urlopen(req, context=self.ctx, timeout=10) as r:
                return r.status, json.load(r)
        except urllib.error.HTTPError as e:
            return e.code, json.load(e)


def patch_cmd(*args):
    p = subprocess.run([standin.BIN, "certs", "patch", *args], capture_output=True, text=True, timeout=30)
    return p.returncode, p.stdout, p.stderr


def one_line(text):
    return len(text.strip().splitlines()) == 1


def verify_secret(work, secret):
    data = secret.get("data", {})
    check(secret.get("type") == "kubernetes.io/tls" and sorted(data) == ["ca.crt", "tls.crt", "tls.key"],
          "Secret is kubernetes.io/tls with ca.crt, tls.crt, tls.key: %s %s" % (secret.get("type"), sorted(data)))
    d = os.path.join(work, "secret")
    os.makedirs(d, exist_ok=True)
    for k, v in data.items():
        with open(os.path.join(d, k), "wb") as f:
            f.write(base64.b64decode(v))
    p = subprocess.run(["openssl", "verify", "-CAfile", d + "/ca.crt", d + "/tls.crt"], capture_output=True, text=True)
    check(p.returncode == 0 and p.stdout.strip().endswith(": OK"), "openssl verify: " + (p.stdout + p.stderr).strip())
    san = subprocess.run(["openssl", "x509", "-noout", "-ext", "subjectAltName", "-in", d + "/tls.crt"],
                         capture_output=True, text=True).stdout
    check(all("DNS:" + h in san for h in HOSTS.split(",")), "serving certificate names every --host: " + san.strip())
    cert_key = subprocess.run(["openssl", "x509", "-noout", "-pubkey", "-in", d + "/tls.crt"],
                              capture_output=True, text=True).stdout
    key_pub = subprocess.run(["openssl", "pkey", "-pubout", "-in", d + "/tls.key"], capture_output=True, text=True).stdout
    check(cert_key and cert_key == key_pub, "tls.key is the serving certificate's key")


def bundles(api, kind):
    code, obj = api.call("GET", CONFIG_PATH % kind)
    return [(h.get("clientConfig") or {}).get("caBundle") for h in obj.get("webhooks", [])] if code == 200 else None


def run(work, si):
    api = Api(si, work)
    kc = ["--kubeconfig", si.kubeconfig]
    base = ["--namespace", NS, "--secret-name", SECRET, "--host", HOSTS, *kc]

    # pre-install: no --webhook-name, only the Secret
    before = (bundles(api, "validating"), bundles(api, "mutating"))
    rc, out, err = patch_cmd(*base, "--days", "30")
    check(rc == 0 and "created Secret %s/%s" % (NS, SECRET) in out, "first run creates the Secret (%d: %s%s)"
          % (rc, out.strip(), err.strip()))
    code, secret = api.call("GET", SECRET_PATH)
    check(code == 200, "the Secret exists (%d)" % code)
    if code != 200:
        return
    verify_secret(work, secret)
    check((bundles(api, "validating"), bundles(api, "mutating")) == before,
          "without --webhook-name the configurations are left alone")

    # post-install: the Secret and its CA are kept, the caBundle is set everywhere
    rc, out, err = patch_cmd(*base, "--webhook-name", HOOK)
    check(rc == 0 and "kept Secret" in out, "second run keeps the Secret (%d: %s%s)" % (rc, out.strip(), err.strip()))
    code, again = api.call("GET", SECRET_PATH)
    check(again.get("data") == secret["data"], "the Secret and its CA are unchanged")
    want = secret["data"]["ca.crt"]
    v, m = bundles(api, "validating"), bundles(api, "mutating")
    check(v == [want] * 2, "caBundle set on both validating webhooks")
    check(m == [want] * 3, "caBundle set on every mutating webhook, also one without clientConfig")
    check(base64.b64decode(want).startswith(b"-----BEGIN CERTIFICATE-----"), "caBundle is the base64 of the CA PEM")
    check("set caBundle on 2 webhook(s) of ValidatingWebhookConfiguration " + HOOK in out and
          "set caBundle on 3 webhook(s) of MutatingWebhookConfiguration " + HOOK in out, "says what it set: " + out)
    code, cfg = api.call("GET", CONFIG_PATH % "validating")
    check(cfg["webhooks"][0]["clientConfig"]["service"]["path"] == "/validate", "the rest of the webhook is kept")

    # a third run changes nothing and creates nothing
    rc, out, _ = patch_cmd(*base, "--webhook-name", HOOK)
    check(rc == 0 and si.ctl.count("POST /api/v1/namespaces/%s/secrets" % NS) == 1,
          "a third run is idempotent (one Secret POST in all)")

    # a configuration that does not exist yet
    rc, out, err = patch_cmd(*base, "--webhook-name", "not-installed")
    check(rc == 1 and one_line(err) and "ValidatingWebhookConfiguration not-installed does not exist yet" in err,
          "missing configuration: exit 1, one line (%d: %s)" % (rc, err.strip()))

    # the Secret is created in another namespace too, with a 1-day certificate
    rc, out, err = patch_cmd("--namespace", "other", "--secret-name", "s", "--host", "a,b", "--days", "1", *kc)
    code, s2 = api.call("GET", "/api/v1/namespaces/other/secrets/s")
    check(rc == 0 and code == 200 and s2["data"]["ca.crt"] != want, "a new Secret gets its own CA")

    # an API server that refuses the token: one line, exit 1
    standin.write(si.client_token, "wrong\n")
    rc, out, err = patch_cmd(*base)
    check(rc == 1 and one_line(err) and "401" in err, "refused token: exit 1, one line (%d: %s)" % (rc, err.strip()))
    standin.write(si.client_token, "token-one\n")

    # bad flags: one line, exit 2
    for args, what in ((["--namespace", NS, "--host", HOSTS, *kc], "no --secret-name"),
                       ([*base, "--frobnicate"], "unknown flag"),
                       ([*base, "--days", "0"], "--days 0"),
                       ([*base, "--days"], "--days without a value"),
                       (["--namespace", "Bad/Name", "--secret-name", SECRET, "--host", HOSTS, *kc], "bad namespace"),
                       ([*base[:-1], si.work + "/no-such-kubeconfig"], "missing kubeconfig")):
        rc, out, err = patch_cmd(*args)
        check(rc == 2 and one_line(err), "%s: exit 2, one line (%d: %s)" % (what, rc, err.strip()))
    rc, out, err = patch_cmd("--help")
    check(rc == 0 and "certs patch --namespace NS --secret-name S" in out, "--help prints the usage")

    # the stand-in's JSON Patch: caBundle add/replace only
    path = CONFIG_PATH % "mutating"
    code, _ = api.call("PATCH", path, [{"op": "replace", "path": "/webhooks/0/clientConfig/caBundle", "value": "eA=="}],
                       "application/json-patch+json")
    check(code == 200 and bundles(api, "mutating")[0] == "eA==", "stand-in applies a caBundle JSON Patch")
    code, _ = api.call("PATCH", path, [{"op": "remove", "path": "/webhooks/0"}], "application/json-patch+json")
    check(code == 422, "stand-in refuses other patches with 422 (%d)" % code)


def chart_flags_match():
    """Every flag the certgen Jobs pass is one `certs patch` documents."""
    path = os.path.join(standin.SRC, "charts", "migration-webhook", "templates", "certgen-jobs.yaml")
    with open(path) as f:
        flags = set(re.findall(r"^\s*- (--[a-z-]+)\s*$", f.read(), re.M))
    usage = subprocess.run([standin.BIN, "certs", "patch", "--help"], capture_output=True, text=True).stdout
    check(flags >= {"--namespace", "--secret-name", "--host", "--webhook-name"} and
          all(f in usage for f in flags), "the chart's certgen flags are the command's: %s" % sorted(flags))


def main():
    def fill(data):
        standin.write(os.path.join(data, "webhooks.json"), json.dumps(webhook_configurations()))

    def body(work, si, data):
        run(work, si)
        chart_flags_match()

    return standin.with_standin("mw-certs-patch-", body, fill)


if __name__ == "__main__":
    sys.exit(main())
