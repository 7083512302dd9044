#!/usr/bin/env python3
"""The chart's terminationGracePeriodSeconds bounds the server's whole shutdown.

The chart derives the config file's timeouts.shutdownSeconds from the pod's
grace period (minus a 5 s margin); the server fits the drain period and the
wait for in-flight reviews into it.  Rendered with helm (scripts/fetch-helm;
skipped without it), then the server is run on the rendered config file with
a body still arriving at SIGTERM: it must exit 0 before the kubelet would
SIGKILL it.
"""
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

BIN = os.environ["MW_BIN"]
DATA = os.environ["MW_TEST_DATA"]
SRC = os.environ.get("MW_SOURCE_DIR") or os.path.join(os.path.dirname(__file__), "..", "..")
CHART = os.path.join(SRC, "charts", "migration-webhook")
MARGIN = 5
failures = 0


def check(cond, what):
    global failures
    print(("ok: " if cond else "FAIL: ") + what)
    if not cond:
        failures += 1


try:
    import yaml
except ImportError:
    print("FAIL: python3 cannot import yaml (Debian package python3-yaml)")
    sys.exit(1)

fetch = subprocess.run([os.path.join(SRC, "scripts", "fetch-helm")], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
if fetch.returncode == 2:
    print("SKIP: helm could not be downloaded (no network?):", fetch.stderr.strip())
    sys.exit(77)
if fetch.returncode != 0:
    print("FAIL: scripts/fetch-helm:", fetch.stderr.strip())
    sys.exit(1)
HELM = fetch.stdout.strip()


def render(*sets):
    args = [HELM, "template", "mw", CHART, "--namespace", "mw-system"]
    for s in sets:
        args += ["--set", s]
    out = subprocess.run(args, check=True, stdout=subprocess.PIPE, text=True).stdout
    grace = config = None
    for doc in yaml.safe_load_all(out):
        if not doc:
            continue
        if doc.get("kind") == "Deployment":
            grace = doc["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
        if doc.get("kind") == "ConfigMap" and "config.yaml" in doc.get("data", {}):
            config = doc["data"]["config.yaml"]
    return grace, config


for sets, want_grace in (((), 30), (("terminationGracePeriodSeconds=60",), 60)):
    grace, config = render(*sets)
    timeouts = yaml.safe_load(config)["timeouts"]
    check(grace == want_grace and timeouts.get("shutdownSeconds") == grace - MARGIN,
          f"{sets or 'defaults'}: shutdownSeconds {timeouts.get('shutdownSeconds')} = grace {grace} - {MARGIN}")
    if not sets:
        check(timeouts["drainSeconds"] + MARGIN <= timeouts["shutdownSeconds"],
              f"default drainSeconds {timeouts['drainSeconds']} leaves {MARGIN} s of the budget for in-flight reviews")

# The server on a config rendered with a short grace period, a body arriving at SIGTERM.
GRACE = 12
grace, config = render(f"terminationGracePeriodSeconds={GRACE}")
budget = yaml.safe_load(config)["timeouts"]["shutdownSeconds"]
work = tempfile.mkdtemp()
proc = None
try:
    subprocess.run([BIN, "certs", "create", "--host", "localhost,127.0.0.1", "--out-dir", work], check=True,
                   stdout=subprocess.DEVNULL)
    with open(os.path.join(work, "config.yaml"), "w") as f:
        f.write(config)
    log = open(os.path.join(work, "server.log"), "w+")
    # Flags override the file's listen address, certificate paths and cluster source.
    proc = subprocess.Popen([BIN, "serve", "--config", os.path.join(work, "config.yaml"), "--listen", "127.0.0.1:0",
                             "--tls-cert", os.path.join(work, "tls.crt"), "--tls-key", os.path.join(work, "tls.key"),
                             "--cluster-dir", os.path.join(DATA, "server", "cluster")], stderr=log)
    port = None
    for _ in range(200):
        log.seek(0)
        for line in log:
            if '"msg":"listening"' in line:
                port = json.loads(line)["port"]
        if port:
            break
        time.sleep(0.05)
    check(port is not None, "the server starts on the chart's config file")
    if port:
        ctx = ssl.create_default_context(cafile=os.path.join(work, "ca.crt"))
        slow = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=20), server_hostname="localhost")
        slow.sendall(b"POST /validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 100000\r\n\r\n{")
        stop = threading.Event()

        def trickle():
            while not stop.is_set():
                try:
                    slow.sendall(b" ")
                except OSError:
                    return
                stop.wait(0.5)

        threading.Thread(target=trickle, daemon=True).start()
        time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(timeout=GRACE)
        except subprocess.TimeoutExpired:
            rc = None
        stop.set()
        check(rc == 0, f"exit 0 before the grace period of {GRACE} s ends (the kubelet's SIGKILL), "
                       f"a body still arriving (rc {rc})")
        log.seek(0)
        draining = next((json.loads(l) for l in log if '"msg":"draining"' in l), {})
        check(draining.get("shutdownSeconds") == budget and draining.get("drainSeconds", 99) <= budget - MARGIN,
              f"the drain fits the budget: {draining}")
finally:
    if proc and proc.poll() is None:
        proc.kill()
    shutil.rmtree(work, ignore_errors=True)

if failures:
    print(f"{failures} failure(s)")
    sys.exit(1)
print("all passed")
