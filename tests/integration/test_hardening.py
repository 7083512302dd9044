#!/usr/bin/env python3
"""The server against clients that misbehave, over real sockets.

Every request gets a status line: a 1,000-argument URL and over-long headers
get the JSON 414/431; ambiguous framing (Transfer-Encoding with
Content-Length, two Content-Lengths, a transfer coding other than chunked) is
a 400 and a chunked review a 411, answered while the client sends nothing
more; a body with the escape \\u0000 is a 400; a number that overflows to
infinity is named so.  Slow clients (handshake, headers, body) are closed by
their deadline while reviews keep being answered; one source address holds at
most limits.maxConnectionsPerSource connections.  TLS: no CBC/static-RSA
suite, TLS 1.1 refused with a protocol_version alert, AES-128-GCM preferred.
The plain-HTTP listener serves the probes and /metrics and nothing else.
SIGHUP reloads the config and the certificate (a bad file keeps the old
settings), SIGUSR1/SIGUSR2 are logged and ignored, and SIGTERM ends the
process within timeouts.shutdownSeconds while a body is still arriving.

Only behaviour is asserted (what is answered, what is closed), never how fast.
"""
import http.client
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

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import standin  # noqa: E402
from standin import check  # noqa: E402

BIN = os.environ["MW_BIN"]
DATA = os.environ["MW_TEST_DATA"]
CLUSTER = os.path.join(DATA, "server", "cluster")
REVIEW = os.path.join(DATA, "server", "constructed-admissionreview-vmim-create-request.json")

for tool in ("openssl",):
    if not shutil.which(tool):
        print(f"SKIP: {tool} is missing")
        sys.exit(77)


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def make_rsa_pair(work, name="tls"):
    """An RSA CA and serving certificate (cert-manager's default key type)."""
    if not os.path.exists(os.path.join(work, "ca.key")):
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt",
                "-days", "2", "-subj", "/CN=test-ca", cwd=work)
    with open(os.path.join(work, "ext.cnf"), "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr",
            "-subj", f"/CN={name}", cwd=work)
    openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
            "-days", "2", "-extfile", "ext.cnf", "-out", f"{name}.crt", cwd=work)


class Server:
    def __init__(self, work, name, config, extra=()):
        self.work = work
        self.config = os.path.join(work, name + ".yaml")
        self.logpath = os.path.join(work, name + ".log")
        with open(self.config, "w") as f:
            f.write(config)
        self.log = open(self.logpath, "w+")
        self.proc = subprocess.Popen(
            [BIN, "serve", "--config", self.config, "--listen", "127.0.0.1:0", "--tls-cert",
             os.path.join(work, "tls.crt"), "--tls-key", os.path.join(work, "tls.key"), "--cluster-dir",
             CLUSTER, *extra], stderr=self.log)
        self.port = self.metrics_port = None
        for _ in range(200):
            line = self.find('"msg":"listening"')
            if line:
                self.port = line["port"]
                self.metrics_port = line.get("metricsPort")
                return
            time.sleep(0.05)
        self.proc.kill()
        sys.exit(f"FAIL: server {name} did not start: {self.text()}")

    def text(self):
        with open(self.logpath, errors="replace") as f:
            return f.read()

    def lines(self):
        out = []
        for raw in self.text().splitlines():
            try:
                out.append(json.loads(raw))
            except ValueError:
                pass
        return out

    def find(self, fragment):
        for raw in self.text().splitlines():
            if fragment in raw:
                try:
                    return json.loads(raw)
                except ValueError:
                    return None
        return None

    def wait_for(self, fragment, seconds=20):
        end = time.time() + seconds
        while time.time() < end:
            if fragment in self.text():
                return True
            time.sleep(0.05)
        return False

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def tls_context(work):
    ctx = ssl.create_default_context(cafile=os.path.join(work, "ca.crt"))
    return ctx


def tls_socket(work, port, timeout=20):
    raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    return tls_context(work).wrap_socket(raw, server_hostname="localhost")


def read_answer(sock):
    """The status code and body of one HTTP answer; (None, b'') when the connection ends first."""
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                return None, data
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            k, _, v = line.partition(b":")
            if k.strip().lower() == b"content-length":
                length = int(v.strip())
        while len(body) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            body += chunk
        return int(head.split(b" ")[1]), body
    except (socket.timeout, ssl.SSLError, ConnectionError):
        return None, data


def is_json_error(status, body):
    try:
        doc = json.loads(body)
    except ValueError:
        return False
    return doc.get("code") == status and isinstance(doc.get("error"), str)


def request_raw(work, port, head, body=b"", plain=False):
    sock = socket.create_connection(("127.0.0.1", port), timeout=20) if plain else tls_socket(work, port)
    try:
        sock.sendall(head + body)
        return read_answer(sock)
    finally:
        sock.close()


def exchange(conn, method, path, body, headers):
    """(status, body) of one request on conn, which it closes."""
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def https(work, port, method, path, body=None, headers=None):
    conn = http.client.HTTPSConnection("localhost", port, context=tls_context(work), timeout=20)
    return exchange(conn, method, path, body, headers)


def http_plain(port, method, path, body=None, headers=None):
    return exchange(http.client.HTTPConnection("127.0.0.1", port, timeout=20), method, path, body, headers)


def review_body():
    with open(REVIEW, "rb") as f:
        return f.read()


def post_review(work, port, body=None):
    return https(work, port, "POST", "/validate?timeout=10s", body if body is not None else review_body(),
                 {"Content-Type": "application/json"})


def closed_by_server(sock, seconds):
    """True when the server ends the connection within `seconds` (EOF or reset)."""
    sock.settimeout(seconds)
    try:
        while True:
            if not sock.recv(4096):
                return True
    except socket.timeout:
        return False
    except (ssl.SSLError, ConnectionError, OSError):
        return True


def openssl_client(port, *args):
    p = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", *args], input=b"",
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
    return p.stdout.decode(errors="replace")


# --------------------------------------------------------------------------
def test_sizes(work, srv):
    url = "/healthz?" + "&".join(f"a{i}={i}" for i in range(1000))
    for plain in (False, True):
        port = srv.metrics_port if plain else srv.port
        status, body = request_raw(work, port, f"GET {url} HTTP/1.1\r\nHost: x\r\n\r\n".encode(), plain=plain)
        check(status in (414, 431) and is_json_error(status, body),
              f"1,000-argument URL ({'http' if plain else 'https'}) -> JSON {status}: {body[:100]!r}")
    status, body = request_raw(work, srv.port, ("GET /healthz?" + "a&" * 3000 + "b HTTP/1.1\r\nHost: x\r\n\r\n").encode())
    check(status == 414 and is_json_error(status, body), f"3,000 one-byte arguments -> JSON 414: {status}")
    status, body = request_raw(work, srv.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"x" * 20000 + b"\r\n\r\n")
    check(status == 431 and is_json_error(status, body), f"20 KB header -> JSON 431: {status} {body[:100]!r}")
    many = b"".join(b"X-H%d: v\r\n" % i for i in range(500))
    status, body = request_raw(work, srv.port, b"GET /readyz HTTP/1.1\r\nHost: x\r\n" + many + b"\r\n")
    check(status == 431 and is_json_error(status, body), f"500 header lines -> JSON 431: {status}")
    check(https(work, srv.port, "GET", "/healthz")[0] == 200, "still answering after the oversized requests")


def test_framing(work, srv):
    body = review_body()
    n = len(body)
    base = b"POST /validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    cases = [
        ("Transfer-Encoding with Content-Length", b"Transfer-Encoding: chunked\r\nContent-Length: %d\r\n" % n, 400),
        ("two different Content-Lengths", b"Content-Length: %d\r\nContent-Length: %d\r\n" % (n, n + 5), 400),
        ("Transfer-Encoding gzip", b"Transfer-Encoding: gzip\r\n", 400),
        ("Transfer-Encoding gzip, chunked", b"Transfer-Encoding: gzip, chunked\r\n", 400),
        ("chunked review body", b"Transfer-Encoding: chunked\r\n", 411),
    ]
    for name, headers, want in cases:
        # Headers only: the answer must come while the client sends nothing more.
        status, answer = request_raw(work, srv.port, base + headers + b"\r\n")
        check(status == want and is_json_error(status, answer),
              f"{name} -> JSON {want} before any body: {status} {answer[:100]!r}")
    check(post_review(work, srv.port)[0] == 200, "a plain review is still answered")


def test_json(work, srv):
    doc = json.loads(review_body())
    doc["request"]["name"] = "vm\u0000x"
    status, answer = post_review(work, srv.port, json.dumps(doc).encode())
    check(status == 400 and b"u0000" in answer and is_json_error(400, answer),
          f"\\u0000 in a string -> 400 naming it: {status} {answer[:120]!r}")
    doc["request"]["name"] = "vm\\u0000x"  # an escaped backslash: the text \u0000, allowed
    status, answer = post_review(work, srv.port, json.dumps(doc).encode())
    check(status == 200, f"the text \\\\u0000 (escaped backslash) is not a NUL: {status}")
    kubevirt = ('{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u-inf",'
                '"resource":{"group":"kubevirt.io","version":"v1","resource":"kubevirts"},"operation":"CREATE",'
                '"namespace":"harvester-system","name":"kubevirt","object":{"apiVersion":"kubevirt.io/v1",'
                '"kind":"KubeVirt","metadata":{"name":"kubevirt","namespace":"harvester-system"},'
                '"spec":{"configuration":{"migrations":{"completionTimeoutPerGiB":1e999}}}}}}')
    status, answer = post_review(work, srv.port, kubevirt.encode())
    message = ""
    try:
        message = json.loads(answer)["response"]["status"]["message"]
    except (ValueError, KeyError, TypeError):
        pass
    check(status == 200 and "infinity" in message and "got null" not in message,
          f"1e999 named as infinity: {message!r}")


def test_tls(work, srv):
    out = openssl_client(srv.port, "-tls1_2", "-cipher", "AES128-SHA")
    check("Cipher is AES128-SHA" not in out and ("Cipher is (NONE)" in out or "alert" in out or "error" in out),
          "TLS 1.2 AES128-SHA (static RSA, CBC) refused with an RSA certificate")
    out = openssl_client(srv.port, "-tls1_2", "-cipher", "ECDHE-RSA-AES128-SHA")
    check("Cipher is ECDHE-RSA-AES128-SHA" not in out, "TLS 1.2 ECDHE with CBC-SHA1 refused")
    out = openssl_client(srv.port, "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0")
    check("alert protocol version" in out or "alert number 70" in out,
          "TLS 1.1 refused with a protocol_version alert: " +
          next((l for l in out.splitlines() if "alert" in l or "error" in l), out[-200:]))
    out = openssl_client(srv.port, "-tls1_2")
    check("ECDHE-RSA-AES128-GCM-SHA256" in out, "TLS 1.2 picks ECDHE-RSA-AES128-GCM-SHA256")
    out = openssl_client(srv.port, "-tls1_3")
    check("TLS_AES_128_GCM_SHA256" in out, "TLS 1.3 picks TLS_AES_128_GCM_SHA256 (the server prefers it)")
    out = openssl_client(srv.port, "-tls1_2", "-cipher", "ECDHE-RSA-CHACHA20-POLY1305")
    check("ECDHE-RSA-CHACHA20-POLY1305" in out and "Cipher is (NONE)" not in out,
          "TLS 1.2 ChaCha20-Poly1305 accepted")
    # A TCP probe that closes before any ClientHello: debug, never warn.
    warns_before = [l for l in srv.lines() if l.get("level") == "warn"]
    s = socket.create_connection(("127.0.0.1", srv.port))
    s.close()
    check(srv.wait_for('"connection closed before the TLS handshake"'),
          "a connection closed before the TLS handshake is logged")
    probe = srv.find('"connection closed before the TLS handshake"')
    check(probe and probe.get("level") == "debug", f"... at debug: {probe}")
    time.sleep(0.3)
    warns = [l for l in srv.lines() if l.get("level") == "warn"][len(warns_before):]
    check(not warns, f"no warn line for the probe: {warns[:1]}")


def test_plain_listener(work, srv):
    for path in ("/healthz", "/readyz"):
        check(https(work, srv.port, "GET", path)[0] == 200, f"{path} over HTTPS")
        check(http_plain(srv.metrics_port, "GET", path)[0] == 200, f"{path} over plain HTTP")
    status, text = http_plain(srv.metrics_port, "GET", "/metrics")
    check(status == 200 and b"migration_webhook_requests_total" in text, "/metrics over plain HTTP")
    check(https(work, srv.port, "GET", "/metrics")[0] == 200, "/metrics still over HTTPS")
    status, body = http_plain(srv.metrics_port, "POST", "/validate", review_body(),
                              {"Content-Type": "application/json"})
    check(status == 404 and is_json_error(404, body), f"no reviews over plain HTTP: {status} {body!r}")
    status, body = http_plain(srv.metrics_port, "GET", "/nope")
    check(status == 404 and is_json_error(404, body), "unknown path on the plain port: JSON 404")
    slow = socket.create_connection(("127.0.0.1", srv.metrics_port), timeout=20)
    slow.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")  # the headers never end
    check(closed_by_server(slow, 30), "the plain port closes a client whose headers never end (deadline)")
    slow.close()


class Reviewer(threading.Thread):
    """Posts reviews on fresh connections until stopped; records status and latency."""

    def __init__(self, work, port):
        super().__init__(daemon=True)
        self.work, self.port = work, port
        self.stop_flag = threading.Event()
        self.ok = self.bad = 0
        self.latencies = []

    def run(self):
        while not self.stop_flag.is_set():
            t = time.monotonic()
            try:
                status = post_review(self.work, self.port)[0]
            except OSError:
                status = None
            if status == 200:
                self.ok += 1
                self.latencies.append(time.monotonic() - t)
            else:
                self.bad += 1
            time.sleep(0.05)


def slow_clients(work, port, count):
    """`count` connections each stuck in one phase: handshake, headers, body."""
    socks = []
    for i in range(count):
        kind = i % 3
        if kind == 0:  # TCP only, no ClientHello
            socks.append(("handshake", socket.create_connection(("127.0.0.1", port), timeout=20)))
        elif kind == 1:  # headers never end
            s = tls_socket(work, port)
            s.sendall(b"POST /validate HTTP/1.1\r\nHost: x\r\n")
            socks.append(("headers", s))
        else:  # a body that never ends
            s = tls_socket(work, port)
            s.sendall(b"POST /validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      b"Content-Length: 100000\r\n\r\n{")
            socks.append(("body", s))
    return socks


def trickle(socks, stop):
    """One byte per second on every slow connection, as a slowloris does."""
    while not stop.is_set():
        for kind, s in socks:
            try:
                if kind == "headers":
                    s.sendall(b"X")
                elif kind == "body":
                    s.sendall(b" ")
            except OSError:
                pass
        stop.wait(1.0)


def test_slowloris(work, srv):
    reviewer = Reviewer(work, srv.port)
    reviewer.start()
    socks = slow_clients(work, srv.port, 30)
    stop = threading.Event()
    t = threading.Thread(target=trickle, args=(socks, stop), daemon=True)
    t.start()
    closed = {"handshake": 0, "headers": 0, "body": 0}
    # Deadlines are 3 s (handshake + headers) and 4 s (body); the idle timeout is 120 s and
    # every trickled byte resets it, so only the deadlines can close these within 30 s.
    for kind, s in socks:
        if closed_by_server(s, 30):
            closed[kind] += 1
    stop.set()
    reviewer.stop_flag.set()
    reviewer.join()
    check(closed == {"handshake": 10, "headers": 10, "body": 10}, f"slow clients closed by their deadline: {closed}")
    check(reviewer.ok > 0 and reviewer.bad == 0,
          f"reviews answered meanwhile: {reviewer.ok} ok, {reviewer.bad} failed")
    check(srv.wait_for('"closed slow or excess connections"'), "dropped slow clients are logged")
    drops = [l for l in srv.lines() if l.get("msg") == "closed slow or excess connections"]
    check(0 < len(drops) <= 3, f"the drop log is rate-limited: {len(drops)} line(s) for 30 drops")
    for kind, s in socks:
        s.close()
    # A kept-alive connection that answered one request, then trickles the next one's headers.
    s = tls_socket(work, srv.port)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    status, _ = read_answer(s)
    s.sendall(b"GET /healthz HTTP/1.1\r\n")
    stop = threading.Event()
    t = threading.Thread(target=trickle, args=([("headers", s)], stop), daemon=True)
    t.start()
    check(status == 200 and closed_by_server(s, 30),
          "a kept-alive connection trickling its next request's headers is closed by the deadline")
    stop.set()
    s.close()


def test_per_source_cap(work):
    srv = Server(work, "cap", "limits: {maxConnectionsPerSource: 4}\ntimeouts: {headersSeconds: 120}\n")
    try:
        held = [socket.create_connection(("127.0.0.1", srv.port), timeout=20) for _ in range(4)]
        time.sleep(0.3)
        extra = socket.create_connection(("127.0.0.1", srv.port), timeout=20)
        check(closed_by_server(extra, 15), "a 5th connection from the same address is closed")
        still_open = 0
        for s in held:
            s.setblocking(False)
            try:
                still_open += 1 if s.recv(1) is None else 0
            except BlockingIOError:
                still_open += 1
            except OSError:
                pass
        check(still_open == 4, f"the 4 held connections stay open: {still_open}")
        for s in held:
            s.close()
        time.sleep(0.5)
        check(https(work, srv.port, "GET", "/healthz")[0] == 200, "once they close, the address is served again")
    finally:
        srv.stop()


def test_signals(work):
    config = "timeouts: {shutdownSeconds: 7, drainSeconds: 30, bodySeconds: 60}\n"
    srv = Server(work, "sig", config)
    try:
        body = review_body()
        check(post_review(work, srv.port)[0] == 200, "review answered before the reload")
        for sig, name in ((signal.SIGUSR1, "SIGUSR1"), (signal.SIGUSR2, "SIGUSR2")):
            srv.proc.send_signal(sig)
            check(srv.wait_for(f'"name":"{name}"'), f"{name} logged as ignored")
        check(srv.proc.poll() is None and https(work, srv.port, "GET", "/healthz")[0] == 200,
              "still serving after SIGUSR1/SIGUSR2")

        # A bad file keeps the settings in use.
        with open(srv.config, "w") as f:
            f.write("limits: {maxBodyBytes: banana}\n")
        srv.proc.send_signal(signal.SIGHUP)
        check(srv.wait_for('"config not reloaded"'), "a bad config is refused on SIGHUP")
        check(post_review(work, srv.port)[0] == 200, "the old settings stay after a bad config")

        # Live: a rule mode.  The review is denied by not-running; switched off, it is allowed.
        def allowed():
            status, answer = post_review(work, srv.port)
            return status == 200 and json.loads(answer)["response"]["allowed"]
        check(not allowed(), "the review is denied (not-running) before the reload")
        with open(srv.config, "w") as f:
            f.write(config + "rules: {not-running: 'off'}\n")
        srv.proc.send_signal(signal.SIGHUP)
        check(srv.wait_for('"config reloaded"'), "SIGHUP reloads the config")
        check(allowed(), "the new rule mode applies: the review is allowed")

        # Live: the body limit and the log level; fixed: the metrics address.
        with open(srv.config, "w") as f:
            f.write(config + "limits: {maxBodyBytes: 1024}\nlogLevel: debug\nmetricsListen: 127.0.0.1:1\n")
        srv.proc.send_signal(signal.SIGHUP)
        check(srv.wait_for('"maxBodyBytes":1024'), "SIGHUP reloads the config again")
        status, answer = post_review(work, srv.port)
        check(len(body) > 1024 and status == 413, f"the new body limit applies: {status}")
        s = socket.create_connection(("127.0.0.1", srv.port))
        s.close()
        check(srv.wait_for('"connection closed before the TLS handshake"'), "the new log level applies (debug)")
        check(srv.wait_for('"setting":"metricsListen"'), "a changed metrics address is logged as needing a restart")
        check(https(work, srv.port, "GET", "/healthz")[0] == 200, "still serving on the old address")

        # The certificate is re-read on SIGHUP.
        make_rsa_pair(work, "next")
        shutil.copy(os.path.join(work, "next.crt"), os.path.join(work, "tls.crt"))
        shutil.copy(os.path.join(work, "next.key"), os.path.join(work, "tls.key"))
        srv.proc.send_signal(signal.SIGHUP)
        served = None
        for _ in range(100):
            with tls_socket(work, srv.port) as s:
                served = s.getpeercert()
            if dict(x[0] for x in served["subject"]).get("commonName") == "next":
                break
            time.sleep(0.1)
        check(served and dict(x[0] for x in served["subject"]).get("commonName") == "next",
              "the new certificate is served after SIGHUP")

        # SIGTERM while a body is still arriving: out within shutdownSeconds (7) despite
        # drainSeconds 30 and a body deadline of 60 s.
        slow = tls_socket(work, srv.port)
        slow.sendall(b"POST /validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 100000\r\n\r\n{")
        stop = threading.Event()
        t = threading.Thread(target=trickle, args=([("body", slow)], stop), daemon=True)
        t.start()
        time.sleep(0.5)
        srv.proc.send_signal(signal.SIGTERM)
        try:
            rc = srv.proc.wait(timeout=7 + 3)
        except subprocess.TimeoutExpired:
            rc = None
        stop.set()
        check(rc == 0, f"exits 0 within the 7 s shutdown budget while a body still arrives (rc {rc})")
        draining = srv.find('"msg":"draining"')
        check(draining is not None and draining.get("drainSeconds") == 2,
              f"the drain period is cut to fit the budget: {draining}")
        slow.close()
    finally:
        srv.stop()


def main():
    work = tempfile.mkdtemp()
    srv = None
    try:
        make_rsa_pair(work)
        srv = Server(work, "main",
                     "metricsListen: 127.0.0.1:0\nlogLevel: debug\n"
                     "timeouts: {headersSeconds: 3, bodySeconds: 4}\n"
                     "limits: {maxConnectionsPerSource: 64}\n")
        check(srv.metrics_port, f"the plain listener is up: {srv.metrics_port}")
        test_sizes(work, srv)
        test_framing(work, srv)
        test_json(work, srv)
        test_tls(work, srv)
        test_plain_listener(work, srv)
        test_slowloris(work, srv)
        srv.stop()
        test_per_source_cap(work)
        test_signals(work)
    finally:
        if srv:
            srv.stop()
        shutil.rmtree(work, ignore_errors=True)
    if standin.finish():
        sys.exit(1)
    print("all passed")


if __name__ == "__main__":
    main()
