"""Hostile HTTP/2 peers against the OTLP/gRPC port: rapid reset, PING and SETTINGS floods, an HPACK
bomb, a CONTINUATION flood, a zero-window peer and a client that never reads. Each case runs
while a well-behaved client keeps exporting; the server must stay up, answer the good client,
keep RSS bounded and lose nothing it accepted. Each case prints what the server did."""
from __future__ import annotations

import socket
import struct
import threading
import time

import grpc
import pytest

from conftest import Ports
from otlp_fixtures import raw_request, raw_span
from test_otlp_grpc import EXPORT, PREFACE, _frame, grpc_config

GOOD = raw_request(raw_span(bytes([4] * 16), bytes([4] * 8), "good client"))


def _rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


@pytest.fixture(scope="module")
def server(module_swiftlet_factory):
    ports = Ports()
    cfg = grpc_config(ports, {}, ["debug"])
    cfg["exporters"]["debug"] = {"verbosity": "basic"}
    return module_swiftlet_factory(config=cfg, ports=ports, name="hostile-h2")


class GoodClient:
    """Exports one span at a time over its own channel while a case runs; counts outcomes."""

    def __init__(self, port: int):
        self.channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        self.call = self.channel.unary_unary(EXPORT, request_serializer=lambda b: b, response_deserializer=lambda b: b)
        self.ok = 0
        self.failed = []
        self.running = True
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self):
        deadline = time.monotonic() + 60
        while self.running and time.monotonic() < deadline:
            try:
                self.call(GOOD, timeout=5)
                self.ok += 1
            except grpc.RpcError as e:
                self.failed.append(e.code())
            time.sleep(0.02)

    def stop(self):
        self.running = False
        self.thread.join(timeout=10)
        self.channel.close()


def _raw(port: int) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(PREFACE + _frame(4, 0, 0, b""))
    return s


def _headers_block() -> bytes:
    """A HEADERS block for a gRPC call (literal, no indexing: HPACK 0x00 + name + value)."""
    def lit(name: bytes, value: bytes) -> bytes:
        return b"\x00" + bytes([len(name)]) + name + bytes([len(value)]) + value
    return (lit(b":method", b"POST") + lit(b":scheme", b"http") + lit(b":path", EXPORT.encode())
            + lit(b":authority", b"x") + lit(b"content-type", b"application/grpc") + lit(b"te", b"trailers"))


def _rapid_reset(s):
    block = _headers_block()
    for i in range(2000):
        sid = 2 * i + 1
        s.sendall(_frame(1, 0x4, sid, block) + _frame(3, 0, sid, struct.pack(">I", 8)))


def _ping_flood(s):
    for i in range(20000):
        s.sendall(_frame(6, 0, 0, struct.pack(">Q", i)))


def _settings_flood(s):
    for _ in range(20000):
        s.sendall(_frame(4, 0, 0, struct.pack(">HI", 3, 100)))


def _hpack_bomb(s):
    # One large header inserted into the dynamic table, then referenced over and over.
    big = b"\x40" + bytes([5]) + b"x-big" + b"\x7f\x81\x7f" + b"v" * 16000  # literal with indexing, len 16000
    refs = b"\xbe" * 4000  # indexed field 62 (the entry just added), repeated
    s.sendall(_frame(1, 0x4 | 0x1, 1, _headers_block() + big + refs))


def _continuation_flood(s):
    s.sendall(_frame(1, 0, 1, _headers_block()))
    chunk = b"\x00\x01a\x01b" * 1000
    for _ in range(2000):
        s.sendall(_frame(9, 0, 1, chunk))


def _zero_window(s):
    # Advertise a zero window, then ask for answers the server can never send.
    s.sendall(_frame(4, 0, 0, struct.pack(">HI", 4, 0)))
    block = _headers_block()
    msg = b"\0" + struct.pack(">I", len(GOOD)) + GOOD
    for i in range(100):
        sid = 2 * i + 1
        s.sendall(_frame(1, 0x4, sid, block) + _frame(0, 0x1, sid, msg))


def _never_reads(s):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    block = _headers_block()
    msg = b"\0" + struct.pack(">I", len(GOOD)) + GOOD
    for i in range(3000):
        sid = 2 * i + 1
        s.sendall(_frame(1, 0x4, sid, block) + _frame(0, 0x1, sid, msg))


CASES = {"rapid reset": _rapid_reset, "PING flood": _ping_flood, "SETTINGS flood": _settings_flood,
         "HPACK bomb": _hpack_bomb, "CONTINUATION flood": _continuation_flood, "zero window": _zero_window,
         "never reads": _never_reads}


@pytest.mark.parametrize("case", list(CASES))
def test_hostile_http2_peer(server, case):
    port = server.ports.otlp
    before = _rss_mib(server.pid)
    good = GoodClient(port)
    time.sleep(0.2)
    outcome = "kept open"
    s = _raw(port)
    try:
        CASES[case](s)
        s.settimeout(2)
        try:
            while s.recv(65536):
                pass
            outcome = "closed by the server"
        except socket.timeout:
            outcome = "kept open"
        except ConnectionResetError:
            outcome = "reset by the server"
    except (BrokenPipeError, ConnectionResetError):
        outcome = "closed by the server while sending"
    finally:
        s.close()
    time.sleep(0.5)
    good.stop()
    after = _rss_mib(server.pid)
    print(f"{case}: {outcome}; good client {good.ok} ok, {len(good.failed)} failed; RSS {before:.1f} -> {after:.1f} MiB")
    assert server.alive(), f"the server died during {case}"
    assert good.ok > 0 and not good.failed, (good.ok, good.failed[:5])
    assert after < before + 64, f"RSS grew from {before:.1f} to {after:.1f} MiB"
    assert server.health()[0] == 200
