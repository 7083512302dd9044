#!/usr/bin/env python3
"""Review latency while slow clients try to hold every connection (a benchmark, not a ctest).

Starts `serve` with its default deadlines (TLS handshake + headers 10 s, body
30 s) and per-source cap (256), measures reviews on one kept-alive connection
for BASELINE seconds, then opens SLOW slow connections spread over the
loopback addresses 127.0.0.2-127.0.0.9 (a third never sends a ClientHello, a
third never ends its headers, a third never ends its body; each trickles a
byte every 5 s, which resets libmicrohttpd's idle timer) and measures reviews
again for DURATION seconds.  Prints one line:

  slowloris: SLOW slow clients, N reviews during (0 failed) p50/p99 ms, baseline p50/p99 ms,
  slow clients closed by the deadlines: K/SLOW (handshake a, headers b, body c)

  MW_BIN=build/migration-webhook tests/bench/bench_slowloris.py
  SLOW=1500 DURATION=45 tests/bench/bench_slowloris.py
"""
import http.client
import json
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("MW_BIN", os.path.join(SRC, "build", "migration-webhook"))
CLUSTER = os.path.join(SRC, "tests", "data", "server", "cluster")
REVIEW = os.path.join(SRC, "tests", "data", "server", "constructed-admissionreview-vmim-create-request.json")
SLOW = int(os.environ.get("SLOW", "1000"))
BASELINE = float(os.environ.get("BASELINE", "10"))
DURATION = float(os.environ.get("DURATION", "40"))


def percentile(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))] * 1000


def measure(ctx, port, seconds, body):
    lat, failed = [], 0
    conn = http.client.HTTPSConnection("localhost", port, context=ctx, timeout=30)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        t = time.monotonic()
        try:
            conn.request("POST", "/validate?timeout=10s", body=body, headers={"Content-Type": "application/json"})
            resp = conn.getresponse()
            resp.read()
            ok = resp.status == 200
        except (OSError, http.client.HTTPException):
            ok = False
            conn.close()
            conn = http.client.HTTPSConnection("localhost", port, context=ctx, timeout=30)
        if ok:
            lat.append(time.monotonic() - t)
        else:
            failed += 1
    conn.close()
    return lat, failed


def main():
    work = tempfile.mkdtemp()
    subprocess.run([BIN, "certs", "create", "--host", "localhost,127.0.0.1", "--out-dir", work], check=True,
                   stdout=subprocess.DEVNULL)
    log = open(os.path.join(work, "server.log"), "w+")
    proc = subprocess.Popen([BIN, "serve", "--listen", "127.0.0.1:0", "--tls-cert", work + "/tls.crt", "--tls-key",
                             work + "/tls.key", "--cluster-dir", CLUSTER], stderr=log)
    port = None
    for _ in range(200):
        log.seek(0)
        for line in log:
            if '"msg":"listening"' in line:
                port = json.loads(line)["port"]
        if port:
            break
        time.sleep(0.05)
    ctx = ssl.create_default_context(cafile=work + "/ca.crt")
    body = open(REVIEW, "rb").read()
    try:
        base, base_failed = measure(ctx, port, BASELINE, body)
        slow = []
        for i in range(SLOW):
            raw = socket.socket()
            raw.bind((f"127.0.0.{2 + i % 8}", 0))
            raw.settimeout(30)
            raw.connect(("127.0.0.1", port))
            kind = i % 3
            if kind == 0:
                slow.append(["handshake", raw, False])
                continue
            s = ctx.wrap_socket(raw, server_hostname="localhost")
            if kind == 1:
                s.sendall(b"POST /validate HTTP/1.1\r\nHost: x\r\n")
                slow.append(["headers", s, False])
            else:
                s.sendall(b"POST /validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                          b"Content-Length: 1000000\r\n\r\n{")
                slow.append(["body", s, False])
        stop = threading.Event()

        def trickle():
            while not stop.is_set():
                for entry in slow:
                    kind, s, closed = entry
                    if closed:
                        continue
                    try:
                        s.setblocking(False)
                        try:
                            if s.recv(1) == b"":
                                entry[2] = True
                                continue
                        except (BlockingIOError, ssl.SSLWantReadError):
                            pass
                        s.setblocking(True)
                        if kind != "handshake":
                            s.sendall(b"X" if kind == "headers" else b" ")
                    except (OSError, ssl.SSLError):
                        entry[2] = True
                stop.wait(5.0)

        t = threading.Thread(target=trickle, daemon=True)
        t.start()
        during, failed = measure(ctx, port, DURATION, body)
        stop.set()
        t.join()
        closed = {"handshake": 0, "headers": 0, "body": 0}
        for kind, _, was_closed in slow:
            closed[kind] += 1 if was_closed else 0
        print(f"slowloris: {SLOW} slow clients over {DURATION:.0f}s, {len(during)} reviews during ({failed} failed) "
              f"p50 {percentile(during, 0.5):.2f} ms p99 {percentile(during, 0.99):.2f} ms, baseline {len(base)} "
              f"reviews ({base_failed} failed) p50 {percentile(base, 0.5):.2f} ms p99 {percentile(base, 0.99):.2f} ms, "
              f"slow clients closed by the deadlines: {sum(closed.values())}/{SLOW} "
              f"(handshake {closed['handshake']}, headers {closed['headers']}, body {closed['body']})")
        for _, s, _ in slow:
            s.close()
    finally:
        proc.terminate()
        proc.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
