"""A DNS server for the end-to-end tests: UDP on 127.0.0.1 on a free port, answering A and AAAA
queries from records a test sets, and changes, while collectors resolve (TTL 0); NXDOMAIN for names
it does not know. A name with only IPv4 addresses gets an empty NOERROR answer to AAAA queries, as
a headless Service's name does. Standard library only."""
from __future__ import annotations

import ipaddress
import socket
import struct
import threading

A, AAAA, CLASS_IN = 1, 28, 1
NXDOMAIN = 3


def _key(name: str) -> str:
    return name.rstrip(".").lower()


class FakeDNS:
    def __init__(self) -> None:
        self.port = 0
        self._lock = threading.Lock()
        self._records: dict[str, list[str]] = {}
        self._queries = 0
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._running = threading.Event()

    def start(self) -> "FakeDNS":
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(0.1)
        self._sock, self.port = sock, sock.getsockname()[1]
        self._running.set()
        self._thread = threading.Thread(target=self._serve, name="fake-dns", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._running.clear()
        if self._thread:
            self._thread.join(timeout=5)
        if self._sock:
            self._sock.close()

    def set(self, name: str, addresses: list[str]) -> None:
        """The addresses served for `name` from now on (IPv4 for A queries, IPv6 for AAAA)."""
        with self._lock:
            self._records[_key(name)] = list(addresses)

    def remove(self, name: str) -> None:
        """`name` becomes unknown: NXDOMAIN."""
        with self._lock:
            self._records.pop(_key(name), None)

    @property
    def queries(self) -> int:
        with self._lock:
            return self._queries

    def _serve(self) -> None:
        while self._running.is_set():
            try:
                query, peer = self._sock.recvfrom(4096)
            except (socket.timeout, OSError):
                continue
            try:
                answer = self._answer(query)
            except (struct.error, IndexError, UnicodeDecodeError):
                continue
            if answer is not None:
                self._sock.sendto(answer, peer)

    def _answer(self, query: bytes) -> bytes | None:
        ident, flags, qdcount = struct.unpack(">HHH", query[:6])
        if flags & 0x8000 or qdcount != 1:
            return None
        labels, pos = [], 12
        while query[pos] != 0:
            length = query[pos]
            labels.append(query[pos + 1:pos + 1 + length].decode("ascii"))
            pos += 1 + length
        qtype, _ = struct.unpack(">HH", query[pos + 1:pos + 5])
        question = query[12:pos + 5]
        with self._lock:
            self._queries += 1
            known = self._records.get(_key(".".join(labels)))
        rcode, records = (NXDOMAIN, []) if known is None else (0, self._addresses(known, qtype))
        # QR, AA and RA set; RD copied from the query.
        header = struct.pack(">HHHHHH", ident, 0x8480 | (flags & 0x0100) | rcode, 1, len(records), 0, 0)
        answers = b"".join(b"\xc0\x0c" + struct.pack(">HHIH", qtype, CLASS_IN, 0, len(data)) + data for data in records)
        return header + question + answers

    @staticmethod
    def _addresses(addresses: list[str], qtype: int) -> list[bytes]:
        version = {A: 4, AAAA: 6}.get(qtype)
        parsed = [ipaddress.ip_address(a) for a in addresses]
        return [ip.packed for ip in parsed if ip.version == version]
