"""The persistent sending queue (`sending_queue.storage: file_storage`) end to end: spans answered
200 while the backend is down survive `kill -9`, a torn record appended to the newest segment, and
a SIGTERM with spans held by `batch`, and arrive exactly once when the backend is back; the byte
cap holds under a flood. Every wait is bounded."""
from __future__ import annotations

import collections
import signal
import struct
import time
import zlib
from pathlib import Path

import pytest

from conftest import Ports, base_config, wait_until
from otlp_backend import GRPCBackend, HTTPBackend
from test_otlp_grpc import SPANS_PER_POST, _post_spans


@pytest.fixture
def backend():
    b = GRPCBackend()
    yield b
    b.stop()


def pq_config(ports: Ports, backend, storage: Path, processors=(), batch=None, queue=None,
              fsync=False, exporter="otlp") -> dict:
    cfg = base_config(ports, processors=processors)
    cfg["extensions"]["file_storage"] = {"directory": str(storage), "create_directory": True, "fsync": fsync}
    cfg["service"]["extensions"].append("file_storage")
    if batch:
        cfg["processors"]["batch"] = batch
    cfg["exporters"][exporter] = {
        "retry_on_failure": {"initial_interval": "100ms", "max_interval": "500ms"},
        "sending_queue": {"storage": "file_storage", **(queue or {})},
    }
    if exporter == "otlphttp":
        cfg["exporters"][exporter]["endpoint"] = f"http://127.0.0.1:{backend.port}"
    else:
        cfg["exporters"][exporter].update({"endpoint": f"127.0.0.1:{backend.port}", "tls": {"insecure": True}})
    cfg["service"]["pipelines"]["traces"]["exporters"] = [exporter]
    return cfg


def span_ids(i: int) -> set[bytes]:
    """The span ids `_post_spans(port, i)` sends."""
    return {struct.pack(">Q", i * SPANS_PER_POST + k + 1) for k in range(SPANS_PER_POST)}


def post_all(port: int, count: int, first: int = 0) -> set[bytes]:
    """Posts `count` requests; returns the span ids answered 200 (every answer must be 200 or 503)."""
    accepted: set[bytes] = set()
    for i in range(first, first + count):
        status = _post_spans(port, i)
        assert status in (200, 503), status
        if status == 200:
            accepted |= span_ids(i)
    return accepted


def assert_exactly_once(backend, accepted: set[bytes], timeout: float = 30) -> None:
    assert backend.recorder.wait_for_spans(len(accepted), timeout=timeout), \
        (backend.recorder.span_count(), len(accepted))
    time.sleep(0.5)  # a duplicate would arrive now
    counts = collections.Counter(span.span_id for _, _, span in backend.recorder.spans())
    missing = accepted - set(counts)
    twice = [sid.hex() for sid, n in counts.items() if n > 1]
    extra = set(counts) - accepted
    assert not missing and not twice and not extra, \
        f"{len(missing)} answered 200 but missing, {len(twice)} arrived twice, {len(extra)} never answered 200"


def segments(storage: Path) -> list[Path]:
    return sorted(storage.glob("*/*.seg"))


def queue_disk_bytes(storage: Path) -> int:
    return sum(p.stat().st_size for p in storage.glob("*/*") if p.name != "lock")


def torn_record() -> bytes:
    """The first half of a well-formed record: magic, length, CRC-32, span count, body."""
    payload = struct.pack("<I", 5) + bytes(range(200))
    length = struct.pack("<I", len(payload))
    record = b"SQR1" + length + struct.pack("<I", zlib.crc32(length + payload)) + payload
    return record[: len(record) // 2]


@pytest.mark.parametrize("exporter,fsync", [("otlp", False), ("otlp", True), ("otlphttp", False)],
                         ids=["otlp", "otlp-fsync", "otlphttp"])
def test_kill9_then_restart_delivers_every_accepted_span_exactly_once(swiftlet_factory, tmp_path, exporter, fsync):
    backend = GRPCBackend() if exporter == "otlp" else HTTPBackend()
    try:
        _kill9_then_restart(swiftlet_factory, backend, tmp_path, exporter, fsync)
    finally:
        backend.stop()


def _kill9_then_restart(swiftlet_factory, backend, tmp_path, exporter, fsync):
    backend.recorder.fail_status = "unavailable"
    storage = tmp_path / "storage"
    ports = Ports()
    cfg = pq_config(ports, backend, storage, fsync=fsync, exporter=exporter)
    first = swiftlet_factory(config=cfg, ports=ports, name="first")
    accepted = post_all(ports.otlp, 40)
    assert len(accepted) == 40 * SPANS_PER_POST
    wait_until(lambda: "Will retry the request" in first.stderr(), 10, what="a refused send")
    assert first.stop(signal.SIGKILL)[0] == -9
    assert backend.recorder.span_count() == 0
    assert segments(storage), list(storage.rglob("*"))

    backend.recorder.fail_status = None
    second = swiftlet_factory(config=cfg, ports=ports, name="second")
    assert_exactly_once(backend, accepted)
    assert "Recovered the persistent sending queue" in second.stderr()
    wait_until(lambda: not segments(storage), 10, what="acknowledged segments deleted")


def test_torn_tail_is_skipped_and_every_accepted_span_arrives(swiftlet_factory, backend, tmp_path):
    backend.recorder.fail_status = "unavailable"
    storage = tmp_path / "storage"
    ports = Ports()
    cfg = pq_config(ports, backend, storage)
    first = swiftlet_factory(config=cfg, ports=ports, name="first")
    accepted = post_all(ports.otlp, 25)
    assert len(accepted) == 25 * SPANS_PER_POST
    first.stop(signal.SIGKILL)
    newest = segments(storage)[-1]
    offset = newest.stat().st_size
    with open(newest, "ab") as f:
        f.write(torn_record())

    backend.recorder.fail_status = None
    second = swiftlet_factory(config=cfg, ports=ports, name="second")
    assert_exactly_once(backend, accepted)
    log = second.stderr()
    assert "Skipped a torn or corrupt record" in log and str(newest) in log and f"offset={offset}" in log, log[-2000:]
    assert 'swiftlet_exporter_queue_corrupt_records{exporter="otlp"} 1' in second.metrics()


def test_sigterm_keeps_what_batch_flushed_for_the_next_start(swiftlet_factory, backend, tmp_path):
    backend.recorder.fail_status = "unavailable"
    storage = tmp_path / "storage"
    ports = Ports()
    cfg = pq_config(ports, backend, storage, processors=("batch",),
                    batch={"timeout": "1h", "send_batch_size": 100000})
    first = swiftlet_factory(config=cfg, ports=ports, name="first")
    accepted = post_all(ports.otlp, 10)
    assert len(accepted) == 10 * SPANS_PER_POST
    assert not segments(storage), "batch should still hold the spans"
    code, took = first.stop(signal.SIGTERM, timeout=30)
    # Under the exporter's 5 s drain deadline: requests waiting to retry are on disk, not waited for.
    assert code == 0 and took < 4, (code, took)
    assert segments(storage) and backend.recorder.span_count() == 0
    assert "stay in the persistent sending queue" in first.stderr()

    backend.recorder.fail_status = None
    swiftlet_factory(config=cfg, ports=ports, name="second")
    assert_exactly_once(backend, accepted)


def test_byte_cap_holds_under_a_flood_and_nothing_accepted_is_lost(swiftlet_factory, backend, tmp_path):
    backend.recorder.fail_status = "unavailable"
    storage = tmp_path / "storage"
    cap = 256 << 10
    ports = Ports()
    cfg = pq_config(ports, backend, storage, queue={"max_size_bytes": cap, "num_consumers": 2})
    sw = swiftlet_factory(config=cfg, ports=ports)
    accepted: set[bytes] = set()
    statuses = collections.Counter()
    for i in range(0, 400, 20):
        got = post_all(ports.otlp, 20, first=i)
        statuses[200] += len(got) // SPANS_PER_POST
        statuses[503] += 20 - len(got) // SPANS_PER_POST
        accepted |= got
        assert queue_disk_bytes(storage) <= cap, queue_disk_bytes(storage)
    assert statuses[503] > 0 and statuses[200] > 10, statuses
    metrics = sw.metrics()
    assert f'swiftlet_exporter_queue_capacity_bytes{{exporter="otlp"}} {cap}' in metrics
    size = int(metrics.split('swiftlet_exporter_queue_size_bytes{exporter="otlp"} ')[1].split()[0])
    assert 0 < size <= cap, size

    backend.recorder.fail_status = None
    assert_exactly_once(backend, accepted, timeout=60)
    wait_until(lambda: queue_disk_bytes(storage) == 0, 10, what="the queue emptied on disk")


def test_unusable_storage_stops_the_start_with_its_reason(swiftlet_factory, backend, tmp_path):
    ports = Ports()
    cfg = pq_config(ports, backend, tmp_path / "missing")
    cfg["extensions"]["file_storage"]["create_directory"] = False
    sw = swiftlet_factory(config=cfg, ports=ports, wait_healthy=False, name="missing-dir")
    assert sw.wait_exit(15) not in (None, 0)
    assert str(tmp_path / "missing") in sw.stderr() and "create_directory" in sw.stderr()

    ports = Ports()
    cfg = pq_config(ports, backend, tmp_path / "storage")
    cfg["exporters"]["otlp"]["sending_queue"]["storage"] = "file_storage/other"
    sw = swiftlet_factory(config=cfg, ports=ports, wait_healthy=False, name="missing-extension")
    assert sw.wait_exit(15) not in (None, 0)
    assert "file_storage/other" in sw.stderr()
