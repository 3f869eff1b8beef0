"""A plain-text HTTP/2 gRPC server (the h2 package, no gRPC library) that records what a client
puts on the wire: each request's headers and, for every gRPC message in its body, the compressed
flag and the first bytes. A gRPC library would undo the compression before a test could see it.
Every request is answered OK with an empty message. Each connection runs on its own thread; every
socket read has a timeout and every loop is bounded."""
from __future__ import annotations

import gzip
import socket
import struct
import threading
from dataclasses import dataclass, field

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import zstandard

READ_TIMEOUT = 10  # seconds a connection may stay silent before the server drops it
MAX_READS = 100_000  # socket reads on one connection, a bound on its loop
ACCEPT_POLL = 0.2  # seconds
MAX_ACCEPT_POLLS = 3000  # the accepting loop ends by itself after 10 minutes


@dataclass
class Message:
    compressed: bool  # the gRPC message prefix's flag byte was 1
    body: bytes

    def decoded(self, encoding: str | None) -> bytes:
        """The message as a server would decode it: gzip or zstd undone when flagged."""
        if self.compressed and encoding == "gzip":
            return gzip.decompress(self.body)
        if self.compressed and encoding == "zstd":  # a frame may not say its size: streamed
            return zstandard.ZstdDecompressor().decompressobj().decompress(self.body)
        return self.body


@dataclass
class Request:
    headers: dict
    messages: list = field(default_factory=list)

    @property
    def encoding(self) -> str | None:
        return self.headers.get("grpc-encoding")


def split_messages(body: bytes) -> list[Message]:
    """The length-prefixed gRPC messages of a request body (flag byte, 4-byte big-endian length)."""
    out, at = [], 0
    while at < len(body):
        if len(body) - at < 5:
            raise ValueError(f"a truncated gRPC message prefix at byte {at} of {len(body)}")
        flag, length = struct.unpack(">BI", body[at:at + 5])
        if flag not in (0, 1) or at + 5 + length > len(body):
            raise ValueError(f"a malformed gRPC message at byte {at}: flag {flag}, length {length}")
        out.append(Message(flag == 1, body[at + 5:at + 5 + length]))
        at += 5 + length
    return out


class WireServer:
    """Listens on 127.0.0.1:PORT; `requests` holds each complete request, in arrival order."""

    def __init__(self, port: int):
        self.port = port
        self.requests: list[Request] = []
        self.errors: list[str] = []
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", port))
        self._sock.listen(16)
        self._sock.settimeout(ACCEPT_POLL)
        self._threads: list[threading.Thread] = []
        self._conns: list[socket.socket] = []
        self._accepter = threading.Thread(target=self._accept, daemon=True)
        self._accepter.start()

    def _accept(self):
        for _ in range(MAX_ACCEPT_POLLS):
            if self._stopped.is_set():
                return
            try:
                conn, _ = self._sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            t = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            t.start()
            with self._lock:
                self._threads.append(t)
                self._conns.append(conn)

    def _serve(self, sock: socket.socket):
        sock.settimeout(READ_TIMEOUT)
        conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False, header_encoding="utf-8"))
        conn.initiate_connection()
        heads, bodies = {}, {}
        try:
            sock.sendall(conn.data_to_send())
            for _ in range(MAX_READS):
                if self._stopped.is_set():
                    return
                data = sock.recv(65536)
                if not data:
                    return
                for event in conn.receive_data(data):
                    if isinstance(event, h2.events.RequestReceived):
                        heads[event.stream_id] = {k.lower(): v for k, v in event.headers}
                        bodies[event.stream_id] = bytearray()
                    elif isinstance(event, h2.events.DataReceived):
                        bodies.setdefault(event.stream_id, bytearray()).extend(event.data)
                        conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                    elif isinstance(event, h2.events.StreamEnded):
                        self._answer(conn, event.stream_id, heads.pop(event.stream_id, {}),
                                     bytes(bodies.pop(event.stream_id, b"")))
                sock.sendall(conn.data_to_send())
        except (OSError, h2.exceptions.ProtocolError) as e:
            if not self._stopped.is_set():
                with self._lock:
                    self.errors.append(f"{type(e).__name__}: {e}")
        finally:
            sock.close()

    def _answer(self, conn, stream_id, headers, body):
        request = Request(headers)
        try:
            request.messages = split_messages(body)
        except ValueError as e:
            with self._lock:
                self.errors.append(str(e))
        with self._lock:
            self.requests.append(request)
        conn.send_headers(stream_id, [(":status", "200"), ("content-type", "application/grpc")])
        conn.send_data(stream_id, b"\x00\x00\x00\x00\x00")  # an empty ExportTraceServiceResponse
        conn.send_headers(stream_id, [("grpc-status", "0")], end_stream=True)

    def traces(self) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if r.headers.get(":path", "").endswith("TraceService/Export")]

    def stop(self):
        self._stopped.set()
        self._sock.close()
        self._accepter.join(timeout=5)
        with self._lock:
            conns, threads = list(self._conns), list(self._threads)
        for c in conns:  # wakes a thread blocked in recv
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for t in threads:
            t.join(timeout=READ_TIMEOUT + 1)
