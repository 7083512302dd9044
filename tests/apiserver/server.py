#!/usr/bin/env python3
"""Stand-in Kubernetes API server for the live cluster view's tests.

Serves objects loaded from a directory of JSON files (one object or a List per
file) over HTTPS with bearer-token authentication (or client certificates), on the real REST paths:
get, list (label selectors, limit + continue), and watch streams (?watch=1)
(Namespaces and MigrationPolicies too, unless --without-migration-policies)
with BOOKMARK events and 410 Gone for expired resourceVersions.  Writes, as
`certs patch` uses them: POST (create; 409 AlreadyExists), PUT (update; 409
Conflict on a stale metadata.resourceVersion) and PATCH with a JSON Patch
(application/json-patch+json; only "add"/"replace" of
/webhooks/<i>/clientConfig/caBundle, anything else is 422).  The token is
read from its file at every request, so rotating it is one file write.

A plain-HTTP control port changes the cluster and injects faults:
  POST /labels   {"resource": "nodes", "name": "n1", "labels": {"k": "v" | null}}  -> MODIFIED
  POST /status   {"resource": "nodes", "name": "n1", "status": {...}}             -> MODIFIED
  POST /put      {object}                                                          -> ADDED/MODIFIED
  POST /delete   {"resource": "nodes", "namespace": "", "name": "n1"}             -> DELETED
  POST /expire   {"resource": "nodes"}   every older resourceVersion is now 410 Gone: open watches
                 get an ERROR 410 event, or with "silent": true just end (the next watch gets HTTP 410)
  POST /end-watches                      open watches end normally
  GET  /state    {"rv": current resourceVersion}
  POST /fault    {"prefix": "/api/...", "delay_ms": 5000, "status": 503}
  POST /clear-faults
  GET  /counters {"LIST /api/v1/nodes": 1, "WATCH /api/v1/nodes": 2, "GET /api/...": 1,
                  "RV WATCH /api/v1/nodes": resourceVersion the last watch started from}
  POST /reset-counters

Python 3 standard library only.
"""
import argparse
import base64
import json
import os
import re
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer, ThreadingHTTPServer

# API prefix -> the (kind, plural) it serves
SERVED = {
    "/api/v1": [("Node", "nodes"), ("Pod", "pods"), ("PersistentVolumeClaim", "persistentvolumeclaims"),
                ("Secret", "secrets"), ("Namespace", "namespaces")],
    "/apis/kubevirt.io/v1": [("VirtualMachine", "virtualmachines"), ("VirtualMachineInstance", "virtualmachineinstances"),
                             ("VirtualMachineInstanceMigration", "virtualmachineinstancemigrations"),
                             ("KubeVirt", "kubevirts")],
    "/apis/k8s.cni.cncf.io/v1": [("NetworkAttachmentDefinition", "network-attachment-definitions")],
    "/apis/admissionregistration.k8s.io/v1": [("ValidatingWebhookConfiguration", "validatingwebhookconfigurations"),
                                              ("MutatingWebhookConfiguration", "mutatingwebhookconfigurations")],
    "/apis/migrations.kubevirt.io/v1alpha1": [("MigrationPolicy", "migrationpolicies")],
}
CLUSTER_SCOPED = {"Node", "Namespace", "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration", "MigrationPolicy"}
# kind -> (api prefix, plural, namespaced)
KINDS = {kind: (prefix, plural, kind not in CLUSTER_SCOPED) for prefix, served in SERVED.items() for kind, plural in served}
# --without-migration-policies: the cluster has no MigrationPolicy CRD (every migrationpolicies path is 404)
args_without_policies = False
CA_BUNDLE_PATH = re.compile(r"^/webhooks/(\d+)/clientConfig/caBundle$")
PLURALS = {v[1]: (k, v[0], v[2]) for k, v in KINDS.items()}


def status(code, reason, message):
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code}


class Store:
    """Objects by plural, an event log per plural, and one resourceVersion counter."""

    def __init__(self):
        self.lock = threading.Condition()
        self.rv = 100
        self.objects = {p: {} for p in PLURALS}     # plural -> {(ns, name): obj}
        self.events = {p: [] for p in PLURALS}      # plural -> [(rv, type, obj)]
        self.expired_below = {p: 0 for p in PLURALS}
        self.continues = {}                         # token -> (rv, items)
        self.watch_gen = 0                          # bumped to end every open watch
        self.silent_expiry = {p: False for p in PLURALS}

    def next_rv(self):
        self.rv += 1
        return self.rv

    def put(self, obj, record=True):
        kind = obj.get("kind")
        if kind not in KINDS:
            return None
        plural = KINDS[kind][1]
        meta = obj.setdefault("metadata", {})
        ns = meta.get("namespace", "default") if KINDS[kind][2] else ""
        if KINDS[kind][2]:
            meta["namespace"] = ns
        meta.setdefault("uid", "uid-%s-%s-%s" % (plural, ns, meta.get("name")))
        with self.lock:
            key = (ns, meta["name"])
            existed = key in self.objects[plural]
            rv = self.next_rv()
            meta["resourceVersion"] = str(rv)
            self.objects[plural][key] = obj
            if record:
                self.events[plural].append((rv, "MODIFIED" if existed else "ADDED", json.loads(json.dumps(obj))))
            self.lock.notify_all()
        return obj

    def delete(self, plural, ns, name):
        with self.lock:
            obj = self.objects[plural].pop((ns, name), None)
            if obj is None:
                return False
            rv = self.next_rv()
            obj["metadata"]["resourceVersion"] = str(rv)
            self.events[plural].append((rv, "DELETED", obj))
            self.lock.notify_all()
            return True

    def expire(self, plural, silent=False):
        with self.lock:
            self.expired_below[plural] = self.next_rv()
            self.events[plural] = []
            self.silent_expiry[plural] = silent
            if silent:
                self.watch_gen += 1
            self.lock.notify_all()

    def end_watches(self):
        with self.lock:
            self.watch_gen += 1
            self.lock.notify_all()


def load_dir(store, path):
    for name in sorted(os.listdir(path)):
        if not name.endswith(".json"):
            continue
        with open(os.path.join(path, name)) as f:
            doc = json.load(f)
        items = doc.get("items", []) if doc.get("kind", "").endswith("List") else [doc]
        for obj in items:
            store.put(obj, record=False)


def parse_selector(text):
    reqs = []
    for part in filter(None, (text or "").split(",")):
        if "!=" in part:
            k, v = part.split("!=", 1)
            reqs.append((k.strip(), "!=", v.strip()))
        elif "=" in part:
            k, v = part.replace("==", "=").split("=", 1)
            reqs.append((k.strip(), "=", v.strip()))
        else:
            reqs.append((part.strip(), "exists", None))
    return reqs


def selector_matches(reqs, obj):
    labels = obj.get("metadata", {}).get("labels") or {}
    for k, op, v in reqs:
        if op == "=" and labels.get(k) != v:
            return False
        if op == "!=" and labels.get(k) == v:
            return False
        if op == "exists" and k not in labels:
            return False
    return True


class Faults:
    def __init__(self):
        self.lock = threading.Lock()
        self.rules = []          # (prefix, delay_ms, status)
        self.counters = {}

    def count(self, key):
        with self.lock:
            self.counters[key] = self.counters.get(key, 0) + 1

    def set(self, key, value):
        with self.lock:
            self.counters[key] = value

    def match(self, path):
        with self.lock:
            for prefix, delay, code in self.rules:
                if path.startswith(prefix):
                    return delay, code
        return 0, 0


class JsonHandler(BaseHTTPRequestHandler):
    """A handler that answers in JSON and logs nothing."""

    def log_message(self, fmt, *args):
        pass

    def send_json(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def make_api_handler(store, faults, token_file, bookmark_interval, client_ca):
    class ApiHandler(JsonHandler):
        protocol_version = "HTTP/1.1"

        def handle(self):
            try:
                super().handle()
            except (ConnectionError, ssl.SSLError, OSError):
                self.close_connection = True  # the client went away

        def authorized(self):
            if client_ca and self.connection.getpeercert():
                return True  # a client certificate signed by the client CA
            try:
                with open(token_file) as f:
                    token = f.read().strip()
            except OSError:
                return False
            return self.headers.get("Authorization", "") == "Bearer " + token

        def route(self, path):
            """(plural, namespace or None, name or None) or None."""
            parts = [p for p in path.split("/") if p]
            if parts[:3] == ["api", "v1", "namespaces"] and len(parts) <= 4:  # the Namespaces themselves
                return "namespaces", None, urllib.parse.unquote(parts[3]) if len(parts) == 4 else None
            if args_without_policies and "migrationpolicies" in parts:
                return None  # the MigrationPolicy CRD is not installed: 404
            if parts[:2] == ["api", "v1"]:
                rest = parts[2:]
            elif len(parts) >= 3 and parts[0] == "apis":
                rest = parts[3:]
            else:
                return None
            ns = None
            if len(rest) >= 2 and rest[0] == "namespaces":
                ns = urllib.parse.unquote(rest[1])
                rest = rest[2:]
            if not rest or rest[0] not in PLURALS or len(rest) > 2:
                return None
            kind, prefix, namespaced = PLURALS[rest[0]]
            if not path.startswith(prefix + "/"):
                return None
            if (ns is not None) and not namespaced:
                return None
            name = urllib.parse.unquote(rest[1]) if len(rest) == 2 else None
            if name is not None and namespaced and ns is None:
                return None
            return rest[0], ns, name

        def do_GET(self):
            url = urllib.parse.urlsplit(self.path)
            query = urllib.parse.parse_qs(url.query)
            path = url.path
            if not self.authorized():
                faults.count("401 " + path)
                return self.send_json(401, status(401, "Unauthorized", "Unauthorized"))
            route = self.route(path)
            verb = "GET"
            if route and route[2] is None:
                verb = "WATCH" if query.get("watch", ["0"])[0] in ("1", "true") else "LIST"
            faults.count("%s %s" % (verb, path))
            delay, code = faults.match(path)
            if delay:
                time.sleep(delay / 1000.0)
            if code:
                return self.send_json(code, status(code, "ServiceUnavailable" if code == 503 else "InternalError",
                                                   "injected failure for %s" % path))
            if not route:
                return self.send_json(404, status(404, "NotFound", "the server could not find the requested resource"))
            plural, ns, name = route
            if name is not None:
                obj = self.stored(plural, ns, name)
                if obj is not None:
                    self.send_json(200, obj)
                return
            if verb == "WATCH":
                return self.watch(plural, ns, query)
            return self.list(plural, ns, query)

        def stored(self, plural, ns, name):
            """The stored object, or None after answering 404."""
            with store.lock:
                obj = store.objects[plural].get((ns or "", name))
            if obj is None:
                self.send_json(404, status(404, "NotFound", '%s "%s" not found' % (plural, name)))
            return obj

        def read_body(self):
            n = int(self.headers.get("Content-Length", "0") or 0)
            try:
                return json.loads(self.rfile.read(n) or b"null")
            except ValueError:
                return None

        def do_POST(self):
            self.write("POST", self.create)

        def do_PUT(self):
            self.write("PUT", self.replace)

        def do_PATCH(self):
            self.write("PATCH", self.patch)

        def write(self, verb, handler):
            """Answers an unauthorized write or one to an unknown path, else calls handler(plural, ns, name, body)."""
            path = urllib.parse.urlsplit(self.path).path
            body = self.read_body()
            if not self.authorized():
                faults.count("401 " + path)
                self.send_json(401, status(401, "Unauthorized", "Unauthorized"))
                return
            faults.count("%s %s" % (verb, path))
            route = self.route(path)
            if not route:
                self.send_json(404, status(404, "NotFound", "the server could not find the requested resource"))
                return
            handler(*route, body)

        def create(self, plural, ns, name, obj):
            kind = PLURALS[plural][0]
            if name is not None or not isinstance(obj, dict) or not isinstance(obj.get("metadata"), dict) \
                    or not obj["metadata"].get("name"):
                return self.send_json(400, status(400, "BadRequest", "a %s with metadata.name is required" % kind))
            obj["kind"] = kind
            obj["metadata"]["namespace"] = ns or "default"
            with store.lock:
                exists = (obj["metadata"]["namespace"] if PLURALS[plural][2] else "",
                          obj["metadata"]["name"]) in store.objects[plural]
            if exists:
                return self.send_json(409, status(409, "AlreadyExists", '%s "%s" already exists'
                                                  % (plural, obj["metadata"]["name"])))
            self.send_json(201, store.put(obj))

        def replace(self, plural, ns, name, obj):
            if name is None or not isinstance(obj, dict):
                return self.send_json(400, status(400, "BadRequest", "an object is required"))
            current = self.stored(plural, ns, name)
            if current is None:
                return
            rv = (obj.get("metadata") or {}).get("resourceVersion")
            if rv and rv != current["metadata"]["resourceVersion"]:
                return self.send_json(409, status(409, "Conflict", "the object has been modified"))
            obj["kind"] = PLURALS[plural][0]
            self.send_json(200, store.put(obj))

        def patch(self, plural, ns, name, ops):
            if self.headers.get("Content-Type", "").split(";")[0].strip() != "application/json-patch+json":
                return self.send_json(415, status(415, "UnsupportedMediaType", "only JSON Patch is served"))
            current = self.stored(plural, ns, name)
            if current is None:
                return
            obj = json.loads(json.dumps(current))
            hooks = obj.get("webhooks") or []
            for op in ops if isinstance(ops, list) else [None]:
                m = CA_BUNDLE_PATH.match(op.get("path", "")) if isinstance(op, dict) else None
                if not m or op.get("op") not in ("add", "replace") or int(m.group(1)) >= len(hooks) \
                        or not isinstance(op.get("value"), str):
                    return self.send_json(422, status(422, "Invalid", "unsupported patch operation %s"
                                                      % json.dumps(op)))
                hooks[int(m.group(1))].setdefault("clientConfig", {})["caBundle"] = op["value"]
            self.send_json(200, store.put(obj))

        def list(self, plural, ns, query):
            kind, prefix, _ = PLURALS[plural]
            limit = int(query.get("limit", ["0"])[0] or 0)
            cont = query.get("continue", [""])[0]
            with store.lock:
                if cont:
                    if cont not in store.continues:
                        return self.send_json(410, status(410, "Expired", "continue token expired"))
                    rv, items = store.continues.pop(cont)
                else:
                    reqs = parse_selector(query.get("labelSelector", [""])[0])
                    items = [json.loads(json.dumps(o)) for (ons, _), o in sorted(store.objects[plural].items())
                             if (ns is None or ons == ns) and selector_matches(reqs, o)]
                    rv = store.rv
                page, rest = (items[:limit], items[limit:]) if limit > 0 else (items, [])
                meta = {"resourceVersion": str(rv)}
                if rest:
                    token = base64.urlsafe_b64encode(os.urandom(9)).decode()
                    store.continues[token] = (rv, rest)
                    meta["continue"] = token
            for o in page:
                o.pop("kind", None)
                o.pop("apiVersion", None)
            api_version = prefix[len("/apis/"):] if prefix.startswith("/apis/") else "v1"
            self.send_json(200, {"kind": kind + "List", "apiVersion": api_version, "metadata": meta, "items": page})

        def send_chunk(self, data):
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()

        def watch(self, plural, ns, query):
            try:
                since = int(query.get("resourceVersion", ["0"])[0] or 0)
            except ValueError:
                return self.send_json(400, status(400, "BadRequest", "bad resourceVersion"))
            timeout = float(query.get("timeoutSeconds", ["30"])[0] or 30)
            bookmarks = query.get("allowWatchBookmarks", ["false"])[0] == "true"
            faults.set("RV WATCH " + self.path.split("?")[0], since)
            with store.lock:
                gone = since < store.expired_below[plural]
                gen = store.watch_gen
            if gone:
                return self.send_json(410, status(410, "Expired", "too old resource version: %d (%d)" % (since, store.rv)))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            end = time.monotonic() + timeout
            last_bookmark = time.monotonic()
            kind = PLURALS[plural][0]
            try:
                while time.monotonic() < end:
                    with store.lock:
                        if store.watch_gen != gen:
                            break
                        if since < store.expired_below[plural]:
                            ev = {"type": "ERROR", "object": status(410, "Expired", "too old resource version: %d (%d)"
                                                                    % (since, store.rv))}
                            self.send_chunk((json.dumps(ev) + "\n").encode())
                            break
                        pending = [(rv, t, o) for rv, t, o in store.events[plural] if rv > since and
                                   (ns is None or o["metadata"].get("namespace", "") == ns)]
                        if not pending:
                            # the bookmark may only claim what was checked: read rv before waiting, or an
                            # expiry during the wait would be skipped
                            current = store.rv
                            store.lock.wait(0.2)
                    for rv, t, o in pending:
                        self.send_chunk((json.dumps({"type": t, "object": o}) + "\n").encode())
                        since = rv
                    if not pending and bookmarks and time.monotonic() - last_bookmark >= bookmark_interval:
                        since = max(since, current)
                        ev = {"type": "BOOKMARK", "object": {"kind": kind, "metadata": {"resourceVersion": str(since)}}}
                        self.send_chunk((json.dumps(ev) + "\n").encode())
                        last_bookmark = time.monotonic()
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
                self.close_connection = True

    return ApiHandler


def make_control_handler(store, faults):
    class ControlHandler(JsonHandler):
        def do_GET(self):
            if self.path == "/counters":
                with faults.lock:
                    return self.send_json(200, dict(faults.counters))
            if self.path == "/state":
                with store.lock:
                    return self.send_json(200, {"rv": store.rv})
            self.send_json(404, {"error": "unknown"})

        def do_POST(self):
            n = int(self.headers.get("Content-Length", "0") or 0)
            body = json.loads(self.rfile.read(n) or b"{}")
            if self.path == "/labels":
                plural = body["resource"]
                key = (body.get("namespace", ""), body["name"])
                with store.lock:
                    obj = json.loads(json.dumps(store.objects[plural][key]))
                labels = obj["metadata"].setdefault("labels", {})
                for k, v in body["labels"].items():
                    if v is None:
                        labels.pop(k, None)
                    else:
                        labels[k] = v
                store.put(obj)
                return self.send_json(200, obj)
            if self.path == "/status":
                with store.lock:
                    obj = json.loads(json.dumps(store.objects[body["resource"]][(body.get("namespace", ""), body["name"])]))
                obj["status"] = body["status"]
                store.put(obj)
                return self.send_json(200, obj)
            if self.path == "/put":
                return self.send_json(200, store.put(body))
            if self.path == "/delete":
                return self.send_json(200, {"deleted": store.delete(body["resource"], body.get("namespace", ""), body["name"])})
            if self.path == "/expire":
                store.expire(body["resource"], bool(body.get("silent")))
                return self.send_json(200, {"expired": True})
            if self.path == "/end-watches":
                store.end_watches()
                return self.send_json(200, {})
            if self.path == "/fault":
                with faults.lock:
                    faults.rules.append((body["prefix"], int(body.get("delay_ms", 0)), int(body.get("status", 0))))
                return self.send_json(200, {})
            if self.path == "/clear-faults":
                with faults.lock:
                    faults.rules = []
                return self.send_json(200, {})
            if self.path == "/reset-counters":
                with faults.lock:
                    faults.counters = {}
                return self.send_json(200, {})
            self.send_json(404, {"error": "unknown"})

    return ControlHandler


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--token-file", required=True)
    ap.add_argument("--data-dir", required=True)
    ap.add_argument("--ports-file", required=True, help="written with {\"api\": N, \"control\": M} when listening")
    ap.add_argument("--bookmark-interval", type=float, default=1.0)
    ap.add_argument("--client-ca", help="also accept client certificates signed by this CA")
    ap.add_argument("--without-migration-policies", action="store_true",
                    help="serve no MigrationPolicy resource (404), as a cluster without the CRD")
    args = ap.parse_args()
    global args_without_policies
    args_without_policies = args.without_migration_policies

    store, faults = Store(), Faults()
    load_dir(store, args.data_dir)

    api = ThreadingHTTPServer(("127.0.0.1", 0), make_api_handler(store, faults, args.token_file, args.bookmark_interval, args.client_ca))
    api.daemon_threads = True
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    if args.client_ca:
        ctx.load_verify_locations(args.client_ca)
        ctx.verify_mode = ssl.CERT_OPTIONAL
    api.socket = ctx.wrap_socket(api.socket, server_side=True)
    control = ThreadingHTTPServer(("127.0.0.1", 0), make_control_handler(store, faults))
    control.daemon_threads = True
    for srv in (api, control):
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    tmp = args.ports_file + ".tmp"
    with open(tmp, "w") as f:
        json.dump({"api": api.server_address[1], "control": control.server_address[1]}, f)
    os.rename(tmp, args.ports_file)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
