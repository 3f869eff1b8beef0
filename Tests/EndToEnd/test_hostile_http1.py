"""Hostile clients over HTTP/1.1 and UDP against the built binary: slowloris, idle keep-alive
connections by the thousand, connections past the server's descriptor limit, bodies over the
limit, gzip/deflate/zstd bombs, request smuggling, header floods, invalid UTF-8 in every string
field of every format, a span with a million attributes, AnyValue nested 100,000 deep, garbage
datagrams on the Jaeger agent ports, a client that never reads and a stderr nobody reads.

Each case runs while a well-behaved client keeps posting OTLP/HTTP (each 200 checked); the server
must stay up, keep answering it, keep RSS bounded and lose nothing it accepted: every span the
good client got a 200 for must reach the stand-in for Tempo behind the otlp exporter. Each case
prints what the server did (statuses, connections closed, datagrams dropped) and RSS before and
after. Every case is bounded to seconds; every socket and process is closed or stopped here."""
from __future__ import annotations

import gzip
import http.client
import os
import random
import resource
import selectors
import socket
import struct
import subprocess
import threading
import time
import zlib
from pathlib import Path

import pytest
import zstandard

from conftest import BIN, REPO, Ports, Swiftlet, free_port, free_udp_port, wait_until
from otlp_backend import GRPCBackend
from otlp_fixtures import fixed64, ld, raw_request, raw_span, tag, varint
from test_hostile_http2 import _rss_mib as rss_mib
from test_jaeger import metric
from test_otlp_grpc import otlp_exporter

GOLDEN_JAEGER = REPO / "Tests" / "ComponentsTests" / "Golden" / "jaeger"
# Under a sanitizer (make test-sanitize sets this) RSS holds the sanitizer's shadow memory and
# everything runs several times slower: RSS is printed but not bounded, waits are longer.
SANITIZED = bool(os.environ.get("SWIFTLET_SANITIZED"))
SLOW = 4 if SANITIZED else 1

# 10,000 idle connections need descriptors on both ends: raise this process's soft limit to the
# hard one before the collector starts (it inherits the limit).
_SOFT, _HARD = resource.getrlimit(resource.RLIMIT_NOFILE)
if _HARD == resource.RLIM_INFINITY or _SOFT < _HARD:
    resource.setrlimit(resource.RLIMIT_NOFILE, (_HARD, _HARD))
NOFILE = resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def cpu_seconds(pid: int) -> float:
    """utime + stime of the process, in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


class HostilePorts(Ports):
    def __init__(self):
        super().__init__()
        self.zipkin = free_port()
        self.thrift_http = free_port()
        self.compact = free_udp_port()
        self.binary = free_udp_port()


def hostile_config(ports: HostilePorts, backend: GRPCBackend, exporters=("otlp",), verbosity="basic") -> dict:
    http = {"read_header_timeout": "2s"}
    return {
        "extensions": {"health_check": {"endpoint": f"127.0.0.1:{ports.health}"}},
        "receivers": {
            "otlp": {"protocols": {"http": {"endpoint": f"127.0.0.1:{ports.otlp}", **http}}},
            "zipkin": {"endpoint": f"127.0.0.1:{ports.zipkin}", **http},
            "jaeger": {"protocols": {
                "thrift_http": {"endpoint": f"127.0.0.1:{ports.thrift_http}", **http},
                "thrift_compact": {"endpoint": f"127.0.0.1:{ports.compact}"},
                "thrift_binary": {"endpoint": f"127.0.0.1:{ports.binary}"},
            }},
        },
        "processors": {"batch": {"timeout": "100ms"}},
        "exporters": {"otlp": otlp_exporter(backend), "debug": {"verbosity": verbosity}},
        "service": {
            "extensions": ["health_check"],
            "telemetry": {"metrics": {"address": f"127.0.0.1:{ports.metrics}"}},
            "pipelines": {"traces": {"receivers": ["otlp", "zipkin", "jaeger"], "processors": ["batch"],
                                     "exporters": list(exporters)}},
        },
    }


@pytest.fixture(scope="module")
def backend():
    b = GRPCBackend()
    yield b
    b.stop()


@pytest.fixture(scope="module")
def server(module_swiftlet_factory, backend):
    ports = HostilePorts()
    return module_swiftlet_factory(config=hostile_config(ports, backend), ports=ports, name="hostile-h1")


# ------------------------------------------------------------------------------ the good client

class GoodClient:
    """Posts one span at a time over a keep-alive connection while a case runs; a span counts as
    accepted only on a 200. A new connection is made after any error (and counted). Like Go's
    http.Transport, a request that finds its reused keep-alive connection closed by the server
    before any answer is sent once more on a new connection (counted as `retried`, not failed)."""

    def __init__(self, port: int, pause: float = 0.02):
        self.port = port
        self.pause = pause
        self.accepted: list[bytes] = []
        self.failures: list[str] = []
        self.retried = 0
        self.running = True
        self.trace_id = random.randbytes(16)
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self):
        deadline = time.monotonic() + 90
        conn = None
        n = 0
        while self.running and time.monotonic() < deadline:
            n += 1
            span_id = random.randbytes(7) + bytes([n % 255 + 1])
            body = raw_request(raw_span(self.trace_id, span_id, f"good {n}"))
            try:
                reused = conn is not None
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5 * SLOW)
                try:
                    conn.request("POST", "/v1/traces", body=body, headers={"Content-Type": "application/x-protobuf"})
                    resp = conn.getresponse()
                except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
                    if not reused:
                        raise
                    self.retried += 1
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5 * SLOW)
                    conn.request("POST", "/v1/traces", body=body, headers={"Content-Type": "application/x-protobuf"})
                    resp = conn.getresponse()
                resp.read()
                if resp.status == 200:
                    self.accepted.append(span_id)
                else:
                    self.failures.append(f"status {resp.status}")
            except (OSError, http.client.HTTPException) as e:
                self.failures.append(repr(e))
                if conn is not None:
                    conn.close()
                conn = None
            time.sleep(self.pause)
        if conn is not None:
            conn.close()

    def stop(self):
        self.running = False
        self.thread.join(timeout=15)


class Case:
    """Runs one hostile case against `sw` while a good client posts; checks and prints the outcome."""

    def __init__(self, name: str, sw: Swiftlet, backend: GRPCBackend | None, rss_budget_mib: float = 96):
        self.name = name
        self.sw = sw
        self.backend = backend
        self.rss_budget = rss_budget_mib
        self.did: list[str] = []

    def __enter__(self):
        self.rss_before = rss_mib(self.sw.pid)
        self.good = GoodClient(self.sw.ports.otlp)
        time.sleep(0.2)
        return self

    def note(self, text: str):
        self.did.append(text)

    def __exit__(self, exc_type, exc, tb):
        time.sleep(0.3)
        self.good.stop()
        if exc_type is not None:
            print(f"\n[{self.name}] {'; '.join(self.did)}; failed: {exc}")
            return False
        alive = self.sw.alive()
        rss_after = rss_mib(self.sw.pid) if alive else 0.0
        lost: set[bytes] = set()
        if alive and self.backend is not None:
            want = set(self.good.accepted)

            def arrived():
                have = {span.span_id for _, _, span in self.backend.recorder.spans()}
                return want <= have or None
            try:
                wait_until(arrived, 15, 0.1, "the good client's spans at the backend")
            except AssertionError:
                have = {span.span_id for _, _, span in self.backend.recorder.spans()}
                lost = want - have
        print(f"\n[{self.name}] {'; '.join(self.did)}; good client {len(self.good.accepted)} accepted, "
              f"{len(self.good.failures)} failed, {self.good.retried} retried on a closed keep-alive connection, "
              f"{len(lost)} lost; RSS {self.rss_before:.1f} -> {rss_after:.1f} MiB")
        assert alive, f"the server died during {self.name}; stderr:\n{self.sw.stderr()[-3000:]}"
        assert self.good.accepted, f"the good client got nothing through during {self.name}"
        assert not self.good.failures, f"the good client failed during {self.name}: {self.good.failures[:5]}"
        assert not lost, f"{len(lost)} spans answered 200 never reached the backend"
        assert SANITIZED or rss_after < self.rss_before + self.rss_budget, \
            f"RSS grew from {self.rss_before:.1f} to {rss_after:.1f} MiB during {self.name}"
        assert self.sw.health()[0] == 200
        return False


# ------------------------------------------------------------------------------ raw HTTP helpers

def connect(port: int, timeout: float = 5) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=timeout)


def read_response(s: socket.socket, timeout: float = 5) -> tuple[int | None, bytes, bool]:
    """Reads one response (status, body, closed afterwards?) from a raw socket; bounded."""
    s.settimeout(timeout)
    data = b""
    deadline = time.monotonic() + timeout
    try:
        while b"\r\n\r\n" not in data and time.monotonic() < deadline:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        if not head:
            return None, b"", True
        length = 0
        for line in head.split(b"\r\n")[1:]:
            k, _, v = line.partition(b":")
            if k.strip().lower() == b"content-length":
                length = int(v.strip())
        while len(body) < length and time.monotonic() < deadline:
            chunk = s.recv(65536)
            if not chunk:
                break
            body += chunk
        status = int(head.split(b" ", 2)[1])
        s.settimeout(0.5)
        try:
            closed = s.recv(1) == b""
        except socket.timeout:
            closed = False
        return status, body, closed
    except (ConnectionResetError, BrokenPipeError):
        return None, b"", True
    except socket.timeout:
        return None, b"", False


def raw_exchange(port: int, request: bytes, timeout: float = 5) -> tuple[int | None, bytes, bool]:
    with connect(port, timeout) as s:
        try:
            s.sendall(request)
        except (BrokenPipeError, ConnectionResetError):
            pass
        return read_response(s, timeout)


def post_raw(port: int, path: str, body: bytes, content_type: str, extra: bytes = b"") -> bytes:
    return (f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\n").encode() + extra + b"\r\n" + body


def good_body(name: str = "hostile") -> bytes:
    return raw_request(raw_span(random.randbytes(16), random.randbytes(8), name))


# ------------------------------------------------------------------------------ connections

def test_1000_slowloris_connections_are_closed_at_the_header_timeout(server, backend):
    with Case("1000 slowloris", server, backend) as case:
        socks = []
        for _ in range(1000):
            s = connect(server.ports.otlp)
            s.sendall(b"POST /v1/traces HTTP/1.1\r\nHost: x\r\n")
            s.setblocking(False)
            socks.append(s)
        fds_during = open_fds(server.pid)
        closed, answered = set(), {}
        deadline = time.monotonic() + 4.5  # read_header_timeout is 2 s
        i = 0
        while time.monotonic() < deadline and len(closed) < len(socks):
            i += 1
            for n, s in enumerate(socks):
                if n in closed:
                    continue
                try:
                    s.send(f"X-Trickle-{i}: y\r\n".encode())  # a header line every 0.25 s, never the end
                    data = s.recv(4096)
                    if data:
                        answered[n] = data.split(b" ", 2)[1].decode(errors="replace")
                    else:
                        closed.add(n)
                except BlockingIOError:
                    pass
                except OSError:
                    closed.add(n)
            time.sleep(0.25)
        for s in socks:
            s.close()
        statuses = sorted(set(answered.values()))
        case.note(f"{len(closed)}/1000 closed by the server within 4.5 s (answered {statuses or 'nothing'}); "
                  f"server fds {fds_during} while open")
        assert len(closed) == 1000


def test_10000_idle_keepalive_connections_leave_room_for_new_clients(server, backend):
    if NOFILE < 10_000 + 500:
        pytest.skip(f"RLIMIT_NOFILE hard limit {NOFILE} is below 10,500")
    with Case("10000 idle keep-alive", server, backend, rss_budget_mib=160) as case:
        socks: list[socket.socket] = []
        answered = 0
        try:
            sel = selectors.DefaultSelector()
            for i in range(10_000):
                s = socket.create_connection(("127.0.0.1", server.ports.otlp), timeout=5)
                s.sendall(post_raw(server.ports.otlp, "/v1/traces", b"", "application/x-protobuf"))
                s.setblocking(False)
                sel.register(s, selectors.EVENT_READ, i)
                socks.append(s)
            closed = set()
            deadline = time.monotonic() + 20 * SLOW
            while answered + len(closed) < len(socks) and time.monotonic() < deadline:
                for key, _ in sel.select(timeout=0.5):
                    try:
                        data = key.fileobj.recv(4096)
                    except OSError:
                        data = b""
                    sel.unregister(key.fileobj)
                    if data.startswith(b"HTTP/1.1 "):
                        answered += 1
                    else:
                        closed.add(key.data)
            sel.close()
            time.sleep(1.0)  # all idle now
            fds = open_fds(server.pid)
            # A client arriving now must still be served on a new connection.
            status, body, _ = raw_exchange(server.ports.otlp, post_raw(server.ports.otlp, "/v1/traces", good_body(), "application/x-protobuf"),
                                           timeout=5 * SLOW)
            still_open = 0
            for s in socks:
                try:
                    still_open += s.recv(1) != b""
                except BlockingIOError:
                    still_open += 1
                except OSError:
                    pass
            case.note(f"{answered} requests answered, {len(closed)} connections closed unanswered, "
                      f"{still_open} idle connections still open after 1 s, server fds {fds}; "
                      f"a new client then got {status}")
            assert answered + len(closed) == 10_000
            assert status == 200, f"a new client was not served while idle connections were held: {status} {body[:200]!r}"
        finally:
            for s in socks:
                s.close()


class LimitedSwiftlet(Swiftlet):
    """A collector started with its own RLIMIT_NOFILE and/or stderr going to a pipe."""

    def __init__(self, *args, nofile: int | None = None, stderr_pipe: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.nofile = nofile
        self.stderr_pipe = stderr_pipe

    def start(self, wait_healthy: bool = True):
        self._out = open(self.stdout_path, "wb")
        self._err = None if self.stderr_pipe else open(self.stderr_path, "wb")
        nofile = self.nofile

        def limit():
            if nofile is not None:
                resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))
        self.proc = subprocess.Popen([str(BIN), *self.args], stdout=self._out,
                                     stderr=subprocess.PIPE if self.stderr_pipe else self._err,
                                     stdin=subprocess.DEVNULL, env=self.env, cwd=str(self.workdir),
                                     preexec_fn=limit)
        if wait_healthy:
            self.wait_healthy()
        return self

    def kill(self):
        super().kill()
        if self.proc is not None and self.proc.stderr is not None:
            self.proc.stderr.close()


@pytest.fixture
def own_server(tmp_path, backend):
    started: list[LimitedSwiftlet] = []

    def start(name: str, verbosity="basic", exporters=("otlp",), **kwargs) -> LimitedSwiftlet:
        ports = HostilePorts()
        sw = LimitedSwiftlet(tmp_path / name, config=hostile_config(ports, backend, exporters, verbosity),
                             ports=ports, **kwargs)
        started.append(sw)
        return sw.start()

    yield start
    for sw in started:
        sw.kill()


def test_connections_past_the_descriptor_limit_pause_accept_without_spinning(own_server, backend):
    sw = own_server("nofile", nofile=256)
    with Case("past ulimit -n (256)", sw, backend) as case:
        socks = []
        cpu_before = cpu_seconds(sw.pid)
        t0 = time.monotonic()
        for _ in range(600):
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", sw.ports.otlp))  # the backlog takes what accept cannot
            socks.append(s)
        time.sleep(3.0)
        busy = cpu_seconds(sw.pid) - cpu_before
        elapsed = time.monotonic() - t0
        fds = open_fds(sw.pid)
        for s in socks:
            s.close()
        # Accept resumes once descriptors are free again: a new client is served.
        status = wait_until(lambda: raw_exchange(sw.ports.otlp, post_raw(sw.ports.otlp, "/v1/traces", good_body(),
                                                                          "application/x-protobuf"))[0] == 200,
                            10, 0.2, "a new connection served after the flood")
        warnings = sw.stderr().count("accept failed, pausing")
        case.note(f"600 connections against 256 descriptors: server at {fds} fds, {busy:.2f} s CPU in "
                  f"{elapsed:.1f} s, {warnings} 'accept paused' warnings; afterwards a new client got 200: {status}")
        assert busy < 0.5 * elapsed, f"the server spun: {busy:.2f} s CPU in {elapsed:.1f} s"


# ------------------------------------------------------------------------------ bodies

def _bomb_bodies() -> dict[str, bytes]:
    zeros = bytes(16 << 20)
    member = gzip.compress(zeros, 9)
    gz = member * 64  # 1 GiB inflated: gzip members in a row are one body
    c = zlib.compressobj(9)
    deflate = b"".join(c.compress(zeros) for _ in range(16)) + c.flush()  # 256 MiB
    z = zstandard.ZstdCompressor(level=3).compressobj()
    zs = b"".join(z.compress(zeros) for _ in range(64)) + z.flush()  # 1 GiB
    return {"gzip": gz, "deflate": deflate, "zstd": zs}


def test_bodies_over_the_limit_and_compression_bombs_are_refused_413(server, backend):
    bombs = _bomb_bodies()
    with Case("bodies over the limit, bombs", server, backend) as case:
        port = server.ports.otlp
        # Declared too large: refused before a byte of the body is read.
        st, body, closed = raw_exchange(port, (f"POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\n"
                                               f"Content-Length: {100 << 20}\r\n\r\n").encode())
        case.note(f"Content-Length 100 MiB: {st} {body[:60]!r} closed={closed}")
        assert st == 413
        # Chunked past the limit: refused once the limit is passed.
        with connect(port, 10) as s:
            s.sendall(b"POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nTransfer-Encoding: chunked\r\n\r\n")
            chunk = b"%x\r\n" % (1 << 20) + bytes(1 << 20) + b"\r\n"
            sent = 0
            try:
                for _ in range(40):
                    s.sendall(chunk)
                    sent += 1
            except (BrokenPipeError, ConnectionResetError):
                pass
            st, body, closed = read_response(s, 10)
        case.note(f"chunked 40 MiB: {st} after {sent} MiB sent, closed={closed}")
        assert st == 413
        for coding, bomb in bombs.items():
            st, body, closed = raw_exchange(port, post_raw(port, "/v1/traces", bomb, "application/x-protobuf",
                                                           f"Content-Encoding: {coding}\r\n".encode()), timeout=20)
            case.note(f"{coding} bomb ({len(bomb) >> 10} KiB): {st} {body[:70]!r}")
            assert st == 413, (coding, st, body[:200])


# ------------------------------------------------------------------------------ smuggling, headers

SMUGGLING = {
    "Content-Length with Transfer-Encoding": b"POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\n"
        b"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n",
    "two different Content-Lengths": b"POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\n"
        b"Content-Length: 0\r\nContent-Length: 38\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n",
    "Content-Length list": b"POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\n"
        b"Content-Length: 0, 38\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n",
    "chunked not last": b"POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\n"
        b"Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n",
    "chunk size not hex": b"POST /v1/traces HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n0\r\n\r\n",
    "negative chunk size": b"POST /v1/traces HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\na\r\n0\r\n\r\n",
    "chunk size overflowing 64 bits": b"POST /v1/traces HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"10000000000000001\r\na\r\n0\r\n\r\n",
    "chunk size with bare LF": b"POST /v1/traces HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\na\r\n0\r\n\r\n",
    "chunk data longer than its size": b"POST /v1/traces HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nabc\r\n0\r\n\r\n",
    "space before the colon": b"POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Length : 0\r\n\r\n",
    "obsolete line folding": b"POST /v1/traces HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n",
}


def test_request_smuggling_is_refused_400_and_the_connection_closed(server, backend):
    with Case("request smuggling", server, backend) as case:
        for name, request in SMUGGLING.items():
            with connect(server.ports.otlp) as s:
                s.sendall(request)
                st, body, closed = read_response(s)
                extra = b""
                s.settimeout(0.3)
                try:
                    extra = s.recv(4096)
                except (socket.timeout, OSError):
                    pass
            case.note(f"{name}: {st} closed={closed or not extra}")
            assert st == 400, (name, st, body[:200])
            assert closed, f"{name}: the connection stayed open after a 400"
            assert b"HTTP/1.1" not in extra, f"{name}: a smuggled request was answered"


def test_header_floods_are_refused_431(server, backend):
    with Case("header floods", server, backend) as case:
        port = server.ports.otlp
        many = b"".join(b"X-Flood-%d: v\r\n" % i for i in range(100_000))
        for name, request in {
            "100,000 header lines (1.6 MiB)": b"POST /v1/traces HTTP/1.1\r\nHost: x\r\n" + many + b"\r\n",
            "one 2 MiB header": b"POST /v1/traces HTTP/1.1\r\nHost: x\r\nX-Big: " + b"v" * (2 << 20) + b"\r\n\r\n",
            "2 MiB request line": b"POST /v1/traces?" + b"q" * (2 << 20) + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        }.items():
            st, body, closed = raw_exchange(port, request, timeout=10)
            case.note(f"{name}: {st} closed={closed}")
            assert st in (431, 414), (name, st, body[:200])


# ------------------------------------------------------------------------------ invalid UTF-8

BAD = b"\xff\xc3(\xa0\xe2"  # five bytes, never valid UTF-8; replaces a 5-byte marker in place
MARK = "@M%02d@"  # five bytes, as BAD


def _markers(n: int) -> list[str]:
    return [MARK % i for i in range(n)]


def _otlp_proto() -> tuple[bytes, list[str]]:
    m = iter(_markers(40))
    used = []

    def s(field: int) -> bytes:
        x = next(m)
        used.append(x)
        return ld(field, x.encode())

    def kv() -> bytes:
        return s(1) + ld(2, s(1))  # KeyValue{key, value{string_value}}
    span = (ld(1, bytes(range(1, 17))) + ld(2, bytes(range(1, 9))) + s(3) + s(5) + tag(6, 0) + varint(1)
            + fixed64(7, 1) + fixed64(8, 2) + ld(9, kv())
            + ld(11, fixed64(1, 1) + s(2) + ld(3, kv()))  # event{time, name, attributes}
            + ld(13, ld(1, bytes(16)) + ld(2, bytes(8)) + s(3) + ld(4, kv()))  # link{trace_id, span_id, trace_state, attrs}
            + ld(15, s(2)))  # status{message}
    scope = s(1) + s(2) + ld(3, kv())
    scope_spans = ld(1, scope) + ld(2, span) + s(3)
    resource_spans = ld(1, ld(1, kv())) + ld(2, scope_spans) + s(3)
    return ld(1, resource_spans), used


def _otlp_json() -> tuple[bytes, list[str]]:
    m = _markers(20)
    kv = lambda a, b: f'{{"key":"{a}","value":{{"stringValue":"{b}"}}}}'
    doc = (f'{{"resourceSpans":[{{"resource":{{"attributes":[{kv(m[0], m[1])}]}},"schemaUrl":"{m[2]}",'
           f'"scopeSpans":[{{"scope":{{"name":"{m[3]}","version":"{m[4]}","attributes":[{kv(m[5], m[6])}]}},'
           f'"schemaUrl":"{m[7]}","spans":[{{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0102030405060708",'
           f'"traceState":"{m[8]}","name":"{m[9]}","kind":1,"startTimeUnixNano":"1","endTimeUnixNano":"2",'
           f'"attributes":[{kv(m[10], m[11])}],"events":[{{"timeUnixNano":"1","name":"{m[12]}","attributes":[{kv(m[13], m[14])}]}}],'
           f'"links":[{{"traceId":"0102030405060708090a0b0c0d0e0f11","spanId":"0102030405060709","traceState":"{m[15]}",'
           f'"attributes":[{kv(m[16], m[17])}]}}],"status":{{"message":"{m[18]}","code":2}}}}]}}]}}]}}')
    return doc.encode(), m[:19]


def _zipkin_v2_json() -> tuple[bytes, list[str]]:
    m = _markers(10)
    doc = (f'[{{"traceId":"0102030405060708090a0b0c0d0e0f10","id":"0102030405060708","kind":"SERVER","name":"{m[0]}",'
           f'"timestamp":1718000000000000,"duration":10,"localEndpoint":{{"serviceName":"{m[1]}","ipv4":"10.0.0.1"}},'
           f'"remoteEndpoint":{{"serviceName":"{m[2]}"}},"annotations":[{{"timestamp":1718000000000001,"value":"{m[3]}"}}],'
           f'"tags":{{"{m[4]}":"{m[5]}"}}}}]')
    return doc.encode(), m[:6]


def _zipkin_proto() -> tuple[bytes, list[str]]:
    m = _markers(10)
    endpoint = lambda x: ld(1, x.encode())
    span = (ld(1, bytes(range(1, 17))) + ld(3, bytes(range(1, 9))) + tag(4, 0) + varint(2) + ld(5, m[0].encode())
            + fixed64(6, 1718000000000000) + tag(7, 0) + varint(10) + ld(8, endpoint(m[1])) + ld(9, endpoint(m[2]))
            + ld(10, fixed64(1, 1718000000000001) + ld(2, m[3].encode())) + ld(11, ld(1, m[4].encode()) + ld(2, m[5].encode())))
    return ld(1, span), m[:6]


def _zipkin_v1_json() -> tuple[bytes, list[str]]:
    m = _markers(10)
    ep = lambda x: f'{{"serviceName":"{x}","ipv4":"10.0.0.1","port":80}}'
    doc = (f'[{{"traceId":"0102030405060708","id":"0102030405060708","name":"{m[0]}","timestamp":1718000000000000,'
           f'"duration":10,"annotations":[{{"timestamp":1718000000000000,"value":"sr","endpoint":{ep(m[1])}}},'
           f'{{"timestamp":1718000000000001,"value":"{m[2]}","endpoint":{ep(m[3])}}}],'
           f'"binaryAnnotations":[{{"key":"{m[4]}","value":"{m[5]}","endpoint":{ep(m[6])}}}]}}]')
    return doc.encode(), m[:7]


def _thrift_writer():
    """A binary-protocol writer and `field(name, type, id, write)`, which wraps `write()` in a field."""
    from thrift.protocol import TBinaryProtocol
    from thrift.transport import TTransport
    buf = TTransport.TMemoryBuffer()
    p = TBinaryProtocol.TBinaryProtocol(buf)

    def field(name, ttype, fid, write):
        p.writeFieldBegin(name, ttype, fid)
        write()
        p.writeFieldEnd()
    return buf, p, field


def _zipkin_v1_thrift() -> tuple[bytes, list[str]]:
    from thrift.Thrift import TType
    m = _markers(10)
    buf, p, field = _thrift_writer()

    def endpoint(service):
        p.writeStructBegin("Endpoint")
        field("ipv4", TType.I32, 1, lambda: p.writeI32(0x0A000001))
        field("port", TType.I16, 2, lambda: p.writeI16(80))
        field("service_name", TType.STRING, 3, lambda: p.writeString(service))
        p.writeFieldStop()
        p.writeStructEnd()
    p.writeListBegin(TType.STRUCT, 1)
    p.writeStructBegin("Span")
    field("trace_id", TType.I64, 1, lambda: p.writeI64(0x1122334455667788))
    field("name", TType.STRING, 3, lambda: p.writeString(m[0]))
    field("id", TType.I64, 4, lambda: p.writeI64(0x0102030405060708))
    p.writeFieldBegin("annotations", TType.LIST, 6)
    p.writeListBegin(TType.STRUCT, 2)
    for ts, value, service in ((1718000006000000, "sr", m[1]), (1718000006001000, m[2], m[3])):
        p.writeStructBegin("Annotation")
        field("timestamp", TType.I64, 1, lambda: p.writeI64(ts))
        field("value", TType.STRING, 2, lambda: p.writeString(value))
        field("host", TType.STRUCT, 3, lambda: endpoint(service))
        p.writeFieldStop()
        p.writeStructEnd()
    p.writeListEnd()
    p.writeFieldEnd()
    p.writeFieldBegin("binary_annotations", TType.LIST, 8)
    p.writeListBegin(TType.STRUCT, 1)
    p.writeStructBegin("BinaryAnnotation")
    field("key", TType.STRING, 1, lambda: p.writeString(m[4]))
    field("value", TType.STRING, 2, lambda: p.writeBinary(m[5].encode()))
    field("annotation_type", TType.I32, 3, lambda: p.writeI32(6))
    field("host", TType.STRUCT, 4, lambda: endpoint(m[6]))
    p.writeFieldStop()
    p.writeStructEnd()
    p.writeListEnd()
    p.writeFieldEnd()
    p.writeFieldStop()
    p.writeStructEnd()
    p.writeListEnd()
    return buf.getvalue(), m[:7]


def _jaeger_thrift() -> tuple[bytes, list[str]]:
    """A jaeger.thrift Batch (Process with tags, one Span with tags and a log) in the binary protocol."""
    from thrift.Thrift import TType
    m = _markers(10)
    buf, p, field = _thrift_writer()

    def tags(pairs):
        p.writeListBegin(TType.STRUCT, len(pairs))
        for k, v in pairs:
            p.writeStructBegin("Tag")
            field("key", TType.STRING, 1, lambda: p.writeString(k))
            field("vType", TType.I32, 2, lambda: p.writeI32(0))
            field("vStr", TType.STRING, 3, lambda: p.writeString(v))
            p.writeFieldStop()
            p.writeStructEnd()
        p.writeListEnd()
    p.writeStructBegin("Batch")
    p.writeFieldBegin("process", TType.STRUCT, 1)
    p.writeStructBegin("Process")
    field("serviceName", TType.STRING, 1, lambda: p.writeString(m[0]))
    field("tags", TType.LIST, 2, lambda: tags([(m[1], m[2])]))
    p.writeFieldStop()
    p.writeStructEnd()
    p.writeFieldEnd()
    p.writeFieldBegin("spans", TType.LIST, 2)
    p.writeListBegin(TType.STRUCT, 1)
    p.writeStructBegin("Span")
    field("traceIdLow", TType.I64, 1, lambda: p.writeI64(1))
    field("traceIdHigh", TType.I64, 2, lambda: p.writeI64(2))
    field("spanId", TType.I64, 3, lambda: p.writeI64(3))
    field("parentSpanId", TType.I64, 4, lambda: p.writeI64(0))
    field("operationName", TType.STRING, 5, lambda: p.writeString(m[3]))
    field("flags", TType.I32, 7, lambda: p.writeI32(1))
    field("startTime", TType.I64, 8, lambda: p.writeI64(1718000000000000))
    field("duration", TType.I64, 9, lambda: p.writeI64(10))
    field("tags", TType.LIST, 10, lambda: tags([(m[4], m[5])]))
    p.writeFieldBegin("logs", TType.LIST, 11)
    p.writeListBegin(TType.STRUCT, 1)
    p.writeStructBegin("Log")
    field("timestamp", TType.I64, 1, lambda: p.writeI64(1718000000000001))
    field("fields", TType.LIST, 2, lambda: tags([(m[6], m[7])]))
    p.writeFieldStop()
    p.writeStructEnd()
    p.writeListEnd()
    p.writeFieldEnd()
    p.writeFieldStop()
    p.writeStructEnd()
    p.writeListEnd()
    p.writeFieldEnd()
    p.writeFieldStop()
    p.writeStructEnd()
    return buf.getvalue(), m[:8]


# format -> (port attribute, path, content type, payload builder)
UTF8_FORMATS = {
    "OTLP proto": ("otlp", "/v1/traces", "application/x-protobuf", _otlp_proto),
    "OTLP JSON": ("otlp", "/v1/traces", "application/json", _otlp_json),
    "Zipkin v2 JSON": ("zipkin", "/api/v2/spans", "application/json", _zipkin_v2_json),
    "Zipkin v2 proto": ("zipkin", "/api/v2/spans", "application/x-protobuf", _zipkin_proto),
    "Zipkin v1 JSON": ("zipkin", "/api/v1/spans", "application/json", _zipkin_v1_json),
    "Zipkin v1 thrift": ("zipkin", "/api/v1/spans", "application/x-thrift", _zipkin_v1_thrift),
    "Jaeger thrift": ("thrift_http", "/api/traces", "application/x-thrift", _jaeger_thrift),
}


@pytest.mark.parametrize("fmt", list(UTF8_FORMATS))
def test_invalid_utf8_in_every_string_field_is_refused_400_naming_it(server, backend, fmt):
    port_name, path, ctype, build = UTF8_FORMATS[fmt]
    port = getattr(server.ports, port_name)
    payload, markers = build()
    with Case(f"invalid UTF-8, {fmt}", server, backend) as case:
        st, body, _ = raw_exchange(port, post_raw(port, path, payload, ctype))
        assert 200 <= st < 300, f"the valid {fmt} payload was refused: {st} {body[:300]!r}"
        outcomes: dict[str, list[str]] = {}
        for mark in markers:
            assert payload.count(mark.encode()) == 1, mark
            st, body, _ = raw_exchange(port, post_raw(port, path, payload.replace(mark.encode(), BAD), ctype))
            text = body.decode("utf-8", errors="replace")
            outcome = f"{st} " + ("naming UTF-8" if "UTF-8" in text else repr(text[:80]))
            outcomes.setdefault(outcome, []).append(mark)
            assert st == 400 and "UTF-8" in text, f"{fmt}, field {mark}: {st} {text[:300]!r}"
        case.note(f"{len(markers)} string fields: " + ", ".join(f"{o} x{len(v)}" for o, v in outcomes.items()))


# ------------------------------------------------------------------------------ size and depth

def test_a_span_with_a_million_attributes(server, backend):
    attrs = b"".join(ld(9, ld(1, b"%x" % i) + ld(2, tag(3, 0) + varint(i))) for i in range(1_000_000))
    span_id = random.randbytes(8)
    body = raw_request(raw_span(random.randbytes(16), span_id, "a million attributes", attrs))
    with Case("a million attributes", server, backend, rss_budget_mib=256) as case:
        t0 = time.monotonic()
        st, text, _ = raw_exchange(server.ports.otlp, post_raw(server.ports.otlp, "/v1/traces", body, "application/x-protobuf"), timeout=30)
        took = time.monotonic() - t0
        arrived = None
        if st == 200:
            arrived = wait_until(lambda: [s for _, _, s in backend.recorder.spans() if s.span_id == span_id], 30, 0.2,
                                 "the million-attribute span at the backend")[0]
        case.note(f"{len(body) >> 20} MiB body: {st} {text[:80]!r} in {took:.1f} s; at the backend with "
                  f"{len(arrived.attributes) if arrived else 0} attributes")
        assert st in (200, 400, 413)
        if st == 200:
            assert len(arrived.attributes) == 1_000_000


def _nested_any_value_proto(depth: int) -> bytes:
    """AnyValue{array_value{values: AnyValue{array_value{...}}}} `depth` levels, built inside out
    with lengths computed first (no quadratic copying)."""
    leaf = tag(3, 0) + varint(1)  # int_value 1
    heads = []
    size = len(leaf)
    for _ in range(depth):
        array_head = tag(1, 2) + varint(size)  # ArrayValue.values
        size += len(array_head)
        any_head = tag(5, 2) + varint(size)  # AnyValue.array_value
        size += len(any_head)
        heads.append(any_head + array_head)
    value = b"".join(reversed(heads)) + leaf
    attr = ld(1, b"deep") + ld(2, value)
    return raw_request(raw_span(bytes(range(1, 17)), bytes(range(1, 9)), "deep", ld(9, attr)))


def _nested_any_value_json(depth: int) -> bytes:
    value = '{"arrayValue":{"values":[' * depth + '{"intValue":"1"}' + ']}}' * depth
    return ('{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0102030405060708090a0b0c0d0e0f10",'
            '"spanId":"0102030405060708","name":"deep","kind":1,"startTimeUnixNano":"1","endTimeUnixNano":"2",'
            '"attributes":[{"key":"deep","value":' + value + '}]}]}]}]}').encode()


def test_any_value_nested_100000_deep_is_refused_400(server, backend):
    with Case("AnyValue 100,000 deep", server, backend) as case:
        for name, body, ctype in (("proto", _nested_any_value_proto(100_000), "application/x-protobuf"),
                                  ("JSON", _nested_any_value_json(100_000), "application/json")):
            st, text, _ = raw_exchange(server.ports.otlp, post_raw(server.ports.otlp, "/v1/traces", body, ctype), timeout=20)
            case.note(f"{name} ({len(body) >> 10} KiB): {st} {text[:90]!r}")
            assert st == 400, (name, st, text[:300])


# ------------------------------------------------------------------------------ UDP

def test_10000_garbage_datagrams_on_the_jaeger_agent_ports_are_counted(server, backend):
    valid = {"compact": (GOLDEN_JAEGER / "emitBatch.compact").read_bytes(),
             "binary": (GOLDEN_JAEGER / "emitBatch.binary").read_bytes()}
    rng = random.Random(11)
    with Case("10,000 garbage datagrams per agent port", server, backend) as case:
        for kind, port in (("compact", server.ports.compact), ("binary", server.ports.binary)):
            labels = {"receiver": "jaeger", "transport": f"udp_thrift_{kind}"}

            def counters():
                text = server.metrics()
                return (metric(text, "swiftlet_receiver_received_datagrams", **labels),
                        sum(metric(text, "swiftlet_receiver_dropped_datagrams", **labels, reason=r)
                            for r in ("queue_full", "socket_buffer", "too_large")),
                        metric(text, "swiftlet_receiver_invalid_requests", **labels),
                        metric(text, "otelcol_receiver_accepted_spans", **labels))
            before = counters()
            spans_before = backend.recorder.span_count()
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                for i in range(10_000):
                    junk = rng.randbytes(rng.randrange(0, 400)) if i % 3 else bytes([0x00]) + rng.randbytes(64)
                    s.sendto(junk, ("127.0.0.1", port))
                time.sleep(0.3)
                # A good datagram still gets through (resent until it does: the socket buffer may be full).
                def through():
                    s.sendto(valid[kind], ("127.0.0.1", port))
                    time.sleep(0.1)
                    return counters()[3] > before[3]
                wait_until(through, 10, 0.05, f"a valid {kind} datagram accepted after the garbage")
            after = wait_until(lambda: (c := counters()) and c[2] + c[1] - before[2] - before[1] >= 10_000 - 0 and c, 10, 0.1,
                               f"the garbage on the {kind} port counted")
            received, dropped, invalid, accepted = (a - b for a, b in zip(after, before))
            arrived = wait_until(lambda: backend.recorder.span_count() - spans_before >= 4, 10, 0.1,
                                 "the valid datagram's spans at the backend")
            case.note(f"{kind}: {received} received, {invalid} refused as invalid, {dropped} dropped, "
                      f"{accepted} spans accepted from the valid datagram(s)")
            assert invalid + dropped >= 10_000 and accepted >= 4 and arrived


# ------------------------------------------------------------------------------ readers that do not read

def test_a_client_that_never_reads_its_responses(server, backend):
    with Case("never reads", server, backend) as case:
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.connect(("127.0.0.1", server.ports.otlp))
        s.settimeout(0.5)
        request = post_raw(server.ports.otlp, "/v1/traces", good_body("never read"), "application/x-protobuf")
        sent = 0
        blocked = False
        deadline = time.monotonic() + 8 * SLOW  # loopback buffers take some 70,000 requests and answers
        try:
            while sent < 500_000 and time.monotonic() < deadline:
                s.sendall(request)
                sent += 1
        except socket.timeout:
            blocked = True
        except (BrokenPipeError, ConnectionResetError):
            pass
        rss_mid = rss_mib(server.pid)
        s.close()
        case.note(f"{sent} pipelined requests sent before the server stopped reading (blocked={blocked}); "
                  f"RSS while stuck {rss_mid:.1f} MiB")
        assert blocked, "the server kept reading from a client that never reads its answers"


def test_a_stderr_nobody_reads_does_not_stop_the_server(own_server, backend):
    sw = own_server("stderr-pipe", verbosity="detailed", exporters=("otlp", "debug"), stderr_pipe=True)
    with Case("stderr pipe never read, debug detailed", sw, backend) as case:
        answered = 0
        t0 = time.monotonic()
        deadline = t0 + 8
        big = raw_request(*(raw_span(random.randbytes(16), random.randbytes(8), f"printed {i} " + "x" * 200)
                            for i in range(50)))
        conn = http.client.HTTPConnection("127.0.0.1", sw.ports.otlp, timeout=5)
        try:
            while answered < 300 and time.monotonic() < deadline:
                conn.request("POST", "/v1/traces", body=big, headers={"Content-Type": "application/x-protobuf"})
                resp = conn.getresponse()
                resp.read()
                assert resp.status == 200, resp.status
                answered += 1
        finally:
            conn.close()
        def dropped_records():
            return next((int(float(line.split()[1])) for line in sw.metrics().splitlines()
                         if line.startswith("swiftlet_log_records_dropped ")), 0)
        try:  # the debug exporter prints after the batch processor's timeout
            dropped = wait_until(dropped_records, 10, 0.1, "log records dropped")
        except AssertionError:
            dropped = 0
        case.note(f"{answered} requests of 50 detailed spans answered 200 in {time.monotonic() - t0:.1f} s "
                  f"with stderr never read; {dropped} log records dropped")
        assert answered == 300
        assert dropped, "no log record was dropped, yet nobody read stderr"
    print(f"[stderr pipe never read] {dropped_records()} log records dropped in all")
