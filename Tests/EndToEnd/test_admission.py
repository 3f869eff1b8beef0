"""Admission by bytes: many large requests at once against `service::admission_limit_mib`."""
from __future__ import annotations

import http.client
import struct
import threading

from conftest import Ports, base_config, wait_until
from otlp_fixtures import ld, raw_request, raw_span


def _rss_peak_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def _big_request(i: int, spans: int = 100, attribute_bytes: int = 100_000) -> bytes:
    """About spans × attribute_bytes of OTLP protobuf (10 MB by default)."""
    value = b"v" * attribute_bytes
    attribute = ld(9, ld(1, b"blob") + ld(2, ld(1, value)))
    return raw_request(*[raw_span(struct.pack(">QQ", 7, i + 1), struct.pack(">Q", i * spans + k + 1), "big", attribute)
                         for k in range(spans)])


def test_200_clients_with_10_mib_each_against_a_64_mib_cap(swiftlet_factory):
    ports = Ports()
    cfg = base_config(ports, verbosity="basic", processors=())
    cfg["service"]["admission_limit_mib"] = 64
    sw = swiftlet_factory(config=cfg, ports=ports)
    body = _big_request(0)
    assert len(body) > 10_000_000
    statuses: list[int] = []
    lock = threading.Lock()

    def post():
        conn = http.client.HTTPConnection("127.0.0.1", ports.otlp, timeout=120)
        try:
            conn.request("POST", "/v1/traces", body=body, headers={"Content-Type": "application/x-protobuf"})
            resp = conn.getresponse()
            resp.read()
            with lock:
                statuses.append(resp.status)
                if resp.status == 429:
                    assert resp.getheader("Retry-After"), "429 without Retry-After"
        except (ConnectionError, OSError) as e:  # a 429 may close the connection before the upload ends
            with lock:
                statuses.append(-1)
        finally:
            conn.close()

    threads = [threading.Thread(target=post) for _ in range(200)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)
    assert len(statuses) == 200 and all(not t.is_alive() for t in threads)
    ok = statuses.count(200)
    refused = statuses.count(429) + statuses.count(-1)
    peak_mib = _rss_peak_kib(sw.pid) / 1024
    print(f"admission: {ok} answered 200, {statuses.count(429)} answered 429, {statuses.count(-1)} cut off; peak RSS {peak_mib:.0f} MiB")
    assert ok > 0 and refused > 0 and ok + refused == 200, statuses
    assert peak_mib < 64 + 192, f"peak RSS {peak_mib:.0f} MiB: the cap plus a bounded overhead"
    wait_until(lambda: f'otelcol_exporter_sent_spans{{exporter="debug"}} {ok * 100}' in sw.metrics(), 20,
               what="every span answered 200 exported")
