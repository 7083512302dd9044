#!/usr/bin/env python3
"""tests/bench/bench_startup.py - time from exec to ready.

Starts `migration-webhook serve` on the example cluster (examples/cluster) with
a certificate made beforehand, and polls GET /readyz over TLS every
millisecond until it answers 200; prints the time from exec to that answer
(median of RUNS starts) and the idle RSS right after.

  tests/bench/bench_startup.py [BIN] [RUNS]
"""
import os
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def ready(port, ctx):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as raw:
            # Without this the request waits for the ACK of the handshake's last write (Nagle).
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
                tls.sendall(b"GET /readyz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                return tls.recv(64).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build-rel", "migration-webhook")
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    times, rss = [], []
    with tempfile.TemporaryDirectory() as work:
        subprocess.run([binary, "certs", "create", "--host", "localhost,127.0.0.1", "--out-dir", work],
                       check=True, stdout=subprocess.DEVNULL)
        for _ in range(runs):
            port = free_port()
            t0 = time.monotonic()
            p = subprocess.Popen([binary, "serve", "--listen", "127.0.0.1:%d" % port,
                                  "--tls-cert", os.path.join(work, "tls.crt"),
                                  "--tls-key", os.path.join(work, "tls.key"),
                                  "--cluster-dir", os.path.join(ROOT, "examples", "cluster")],
                                 stderr=subprocess.DEVNULL)
            while not ready(port, ctx):
                if p.poll() is not None or time.monotonic() - t0 > 10:
                    sys.exit("the server did not become ready")
                time.sleep(0.001)
            times.append((time.monotonic() - t0) * 1000)
            with open("/proc/%d/status" % p.pid) as f:
                rss += [int(l.split()[1]) for l in f if l.startswith("VmRSS:")]
            p.terminate()
            p.wait()
    print("startup to ready (example cluster): median %.1f ms, min %.1f ms, max %.1f ms over %d starts"
          % (statistics.median(times), min(times), max(times), runs))
    print("RSS when ready: median %.1f MiB" % (statistics.median(rss) / 1024))


if __name__ == "__main__":
    main()
