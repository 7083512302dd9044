#!/usr/bin/env python3
"""
tests/integration/test_metrics_exposition.py - /metrics as Prometheus reads it,
whatever the reviews carried, and log lines that stay UTF-8.

The real binary serves --cluster-dir over TLS.  It gets 5 ordinary VMIM
reviews, one with a UTF-8 operation longer than any label, 300 with made-up
operations and a few with made-up resources; then:
  - the scrape is strictly valid UTF-8 and Debian's python3-prometheus-client
    (run with /usr/bin/python3) parses all of it;
  - the request counter has only label values from its closed set, the 5
    real reviews are counted as CREATE under their resource, and every other
    one under "other"; each series carries webhook="<path>";
  - migration_webhook_build_info carries the project version and a revision;
  - the process_* series agree with /proc/<pid> of the server;
  - a request for /%ff (and one with a raw 0xff byte in the path) is logged at
    warn with valid UTF-8, and every log line is valid UTF-8 JSON;
  - when the binary has the plain-HTTP listener (--metrics-listen), its
    /metrics is the same exposition, parsed whole too.
"""
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import standin  # noqa: E402
from standin import check  # noqa: E402

BIN = os.environ["MW_BIN"]
DATA = os.environ["MW_TEST_DATA"]
SRC = os.environ.get("MW_SOURCE_DIR", os.path.join(DATA, "..", ".."))
SYSTEM_PYTHON = "/usr/bin/python3"

def skip(why):
    print("SKIP: " + why)
    sys.exit(77)


if not os.access(SYSTEM_PYTHON, os.X_OK) or subprocess.run(
        [SYSTEM_PYTHON, "-c", "import prometheus_client.parser"], capture_output=True).returncode != 0:
    print("FAIL: /usr/bin/python3 cannot import prometheus_client (Debian package python3-prometheus-client)")
    sys.exit(1)

work = tempfile.mkdtemp()
subprocess.run([BIN, "certs", "create", "--host", "localhost,127.0.0.1", "--out-dir", work],
               check=True, capture_output=True)
log_path = os.path.join(work, "server.log")
log = open(log_path, "wb")
help_text = subprocess.run([BIN, "serve", "--help"], capture_output=True, text=True)
metrics_port = None
extra = []
if "--metrics-listen" in help_text.stdout + help_text.stderr:
    with socket.socket() as probe:  # a free port for the plain listener
        probe.bind(("127.0.0.1", 0))
        metrics_port = probe.getsockname()[1]
    extra = ["--metrics-listen", f"127.0.0.1:{metrics_port}"]
server = subprocess.Popen([BIN, "serve", "--listen", "127.0.0.1:0", "--tls-cert", f"{work}/tls.crt",
                           "--tls-key", f"{work}/tls.key", "--cluster-dir", f"{DATA}/server/cluster"] + extra,
                          stderr=log)


def stop():
    if server.poll() is None:
        server.send_signal(signal.SIGKILL)
        server.wait()


try:
    port = None
    for _ in range(100):
        for line in open(log_path, "rb"):
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if obj.get("msg") == "listening":
                port = obj.get("port")
        if port:
            break
        time.sleep(0.1)
    if not port:
        stop()
        print("FAIL: the server did not start: " + open(log_path, errors="replace").read())
        sys.exit(1)

    ctx = ssl.create_default_context(cafile=f"{work}/ca.crt")
    base = f"https://localhost:{port}"

    def post(path, review):
        req = urllib.request.Request(base + path, data=json.dumps(review, ensure_ascii=False).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
        try:
            with urllib.request.urlopen(req, context=ctx, timeout=20) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code

    def raw_get(path_bytes):
        """GET with the path bytes as given (no client-side escaping); returns the status line."""
        with socket.create_connection(("127.0.0.1", port), timeout=20) as s:
            with ctx.wrap_socket(s, server_hostname="localhost") as t:
                t.sendall(b"GET " + path_bytes + b" HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                data = b""
                while True:
                    chunk = t.recv(65536)
                    if not chunk:
                        break
                    data += chunk
        return data.split(b"\r\n", 1)[0].decode("latin-1")

    review = json.load(open(f"{DATA}/server/constructed-admissionreview-vmim-create-request.json"))
    resource = review["request"]["resource"]["resource"]

    def variant(operation=None, res=None):
        r = json.loads(json.dumps(review))
        if operation is not None:
            r["request"]["operation"] = operation
        if res is not None:
            r["request"]["resource"]["resource"] = res
        return r

    statuses = [post("/validate", variant()) for _ in range(5)]
    check(all(s == 200 for s in statuses), f"5 real reviews answered 200: {statuses}")
    utf8_op = "CRÉATÉ" * 8  # 56 bytes of two-byte characters
    made_up = [utf8_op] + [f"OPERATION-{i}" for i in range(300)]
    made_up_statuses = [post("/validate", variant(operation=op)) for op in made_up]
    check(all(s in (200, 400) for s in made_up_statuses),
          f"301 reviews with made-up operations answered (statuses {sorted(set(made_up_statuses))})")
    for i in range(3):
        post("/validate", variant(res=f"virtualmachineinstancemigrations\u00e9{i}"))

    check(raw_get(b"/%ff").startswith("HTTP/1.1 404"), "GET /%ff is a 404")
    check(raw_get(b"/\xff\xfe%ff").startswith("HTTP/1.1 404"), "GET of a raw 0xff path is a 404")

    with urllib.request.urlopen(base + "/metrics", context=ctx, timeout=20) as r:
        raw = r.read()
    proc = f"/proc/{server.pid}"
    proc_stat = open(f"{proc}/stat").read()
    proc_statm = open(f"{proc}/statm").read().split()
    proc_fds = len(os.listdir(f"{proc}/fd"))
    proc_limits = open(f"{proc}/limits").read()
    btime = int(re.search(r"^btime (\d+)$", open("/proc/stat").read(), re.M).group(1))

    try:
        text = raw.decode("utf-8", errors="strict")
        check(True, f"/metrics is valid UTF-8 ({len(raw)} bytes)")
    except UnicodeDecodeError as e:
        check(False, f"/metrics is not valid UTF-8: {e}")
        text = raw.decode("utf-8", errors="replace")

    parser = r"""
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = []
for fam in text_string_to_metric_families(sys.stdin.read()):
    for s in fam.samples:
        out.append([fam.name, fam.type, s.name, s.labels, s.value])
print(json.dumps(out))
"""
    parsed = subprocess.run([SYSTEM_PYTHON, "-c", parser], input=raw, capture_output=True)
    if not check(parsed.returncode == 0,
                 "python3-prometheus-client parses the whole scrape" +
                 ("" if parsed.returncode == 0 else ": " + parsed.stderr.decode(errors="replace")[-400:])):
        raise SystemExit
    samples = json.loads(parsed.stdout)

    requests = [(labels, value) for fam, _, name, labels, value in samples if name == "migration_webhook_requests_total"]
    allowed = {
        "path": {"/validate", "/mutate", "other"},
        "webhook": {"/validate", "/mutate", "other"},
        "resource": {"", "virtualmachineinstancemigrations", "virtualmachines", "virtualmachineinstances",
                     "pods", "kubevirts", "other"},
        "operation": {"", "CREATE", "UPDATE", "DELETE", "CONNECT", "other"},
        "verdict": {"allowed", "denied", "patched", "warned", "error", "other"},
    }
    bad = [l for l, _ in requests if set(l) != set(allowed) or any(l[k] not in allowed[k] for k in allowed)]
    check(not bad, f"{len(requests)} request series, every label from the closed set {bad[:3]}")
    check(all(l["webhook"] == l["path"] for l, _ in requests), "each series carries webhook=<path>")
    real = sum(v for l, v in requests if l["operation"] == "CREATE" and l["resource"] == resource)
    check(real == 5, f"the 5 real reviews are counted as CREATE {resource}: {real}")
    other_ops = sum(v for l, v in requests if l["operation"] == "other")
    check(other_ops == 301, f"the UTF-8 and the 300 made-up operations are counted under operation=other: {other_ops}")
    other_res = sum(v for l, v in requests if l["resource"] == "other")
    check(other_res == 3, f"made-up resources are counted under resource=other: {other_res}")
    check("OPERATION-" not in text and "CRÉ" not in text and "\u00e9" not in text,
          "no value from a request reaches /metrics")

    def value(name):
        v = [s[4] for s in samples if s[2] == name]
        return v[0] if v else None

    version = re.search(r"^project\(migration-webhook VERSION ([0-9.]+)", open(f"{SRC}/CMakeLists.txt").read(), re.M).group(1)
    info = [s[3] for s in samples if s[2] == "migration_webhook_build_info" and s[4] == 1.0]
    check(len(info) == 1 and info[0].get("version") == version and re.fullmatch(r"[0-9a-f]{7,40}|unknown", info[0].get("revision", "")),
          f"migration_webhook_build_info{info} has version {version} and a revision")

    ticks = os.sysconf("SC_CLK_TCK")
    fields = proc_stat[proc_stat.rindex(")") + 2:].split()
    start = btime + int(fields[19]) / ticks
    cpu = (int(fields[11]) + int(fields[12])) / ticks
    rss = int(proc_statm[1]) * os.sysconf("SC_PAGE_SIZE")
    soft = re.search(r"^Max open files\s+(\S+)", proc_limits, re.M).group(1)
    got = {n: value(n) for n in ("process_start_time_seconds", "process_cpu_seconds_total",
                                 "process_resident_memory_bytes", "process_open_fds", "process_max_fds")}
    check(got["process_start_time_seconds"] is not None and abs(got["process_start_time_seconds"] - start) < 0.02,
          f"process_start_time_seconds {got['process_start_time_seconds']} = /proc start {start:.2f}")
    check(got["process_cpu_seconds_total"] is not None and 0 <= got["process_cpu_seconds_total"] <= cpu + 0.011,
          f"process_cpu_seconds_total {got['process_cpu_seconds_total']} <= /proc utime+stime {cpu}")
    check(got["process_resident_memory_bytes"] is not None and 0.5 * rss <= got["process_resident_memory_bytes"] <= 2 * rss,
          f"process_resident_memory_bytes {got['process_resident_memory_bytes']} ~ /proc statm {rss}")
    check(got["process_open_fds"] is not None and abs(got["process_open_fds"] - proc_fds) <= 4,
          f"process_open_fds {got['process_open_fds']} ~ /proc fd entries {proc_fds}")
    check(soft == "unlimited" or got["process_max_fds"] == float(soft),
          f"process_max_fds {got['process_max_fds']} = Max open files {soft}")
    if metrics_port:
        plain = None
        for _ in range(50):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10) as r:
                    plain = r.read()
                break
            except OSError:
                time.sleep(0.1)
        parsed_plain = subprocess.run([SYSTEM_PYTHON, "-c", parser], input=plain or b"", capture_output=True)
        plain_samples = json.loads(parsed_plain.stdout) if parsed_plain.returncode == 0 else []
        plain_info = [s[3] for s in plain_samples if s[2] == "migration_webhook_build_info"]
        plain_real = sum(s[4] for s in plain_samples if s[2] == "migration_webhook_requests_total" and
                         s[3].get("operation") == "CREATE" and s[3].get("resource") == resource)
        check(plain is not None and parsed_plain.returncode == 0 and plain_info == info and plain_real == 5,
              f"the plain-HTTP port {metrics_port} serves the same /metrics, parsed whole "
              f"(build_info {plain_info}, {plain_real} real reviews)")
    else:
        print("note: this binary has no --metrics-listen: the plain-HTTP /metrics is not checked")
    types = {s[0]: s[1] for s in samples}
    check(types.get("process_cpu_seconds_total".removesuffix("_total")) == "counter" and types.get("process_open_fds") == "gauge",
          "process series have their standard types")
finally:
    stop()
    log.close()

lines = open(log_path, "rb").read().splitlines()
bad_lines = []
for l in lines:
    try:
        json.loads(l.decode("utf-8", errors="strict"))
    except (UnicodeDecodeError, ValueError):
        bad_lines.append(l[:120])
check(not bad_lines, f"all {len(lines)} log lines are valid UTF-8 JSON {bad_lines[:2]}")
notfound = [json.loads(l) for l in lines if b'"status":404' in l]
check(len(notfound) == 2 and all(n["level"] == "warn" for n in notfound) and
      any("\ufffd" in n["path"] for n in notfound),
      f"the 404 lines are at warn with U+FFFD for the bad bytes: {[n.get('path') for n in notfound]}")
sys.exit(standin.finish())
