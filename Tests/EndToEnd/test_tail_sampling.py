"""The tail_sampling processor end to end: the Python SDK's OTLP/HTTP exporter sends traces span by
span; after `decision_wait` exactly the traces a policy samples (an erroring span, a slow trace, a
matching attribute) reach a grpcio OTLP backend, whole. A flood of a million distinct trace ids
keeps the process's memory bounded by `num_traces`, and the traces pushed out undecided are
counted in `otelcol_processor_tail_sampling_sampling_trace_dropped_too_early`."""
from __future__ import annotations

import http.client
import re
import time

import pytest
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HTTPSpanExporter
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
from opentelemetry.proto.trace.v1 import trace_pb2
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import Status, StatusCode

from conftest import Ports, base_config
from otlp_backend import GRPCBackend

POLICIES = [
    {"name": "errors", "type": "status_code", "status_code": {"status_codes": ["ERROR"]}},
    {"name": "slow", "type": "latency", "latency": {"threshold_ms": 500}},
    {"name": "flagged", "type": "string_attribute", "string_attribute": {"key": "app.keep", "values": ["yes"]}},
]


def _config(ports: Ports, backend_port: int, tail_sampling: dict) -> dict:
    cfg = base_config(ports, processors=("tail_sampling",))
    cfg["processors"]["tail_sampling"] = tail_sampling
    cfg["exporters"]["otlp"] = {"endpoint": f"127.0.0.1:{backend_port}", "tls": {"insecure": True}}
    cfg["service"]["pipelines"]["traces"]["exporters"] = ["otlp"]
    return cfg


@pytest.fixture
def backend():
    b = GRPCBackend()
    yield b
    b.stop()


def _send_traces(port: int) -> dict[str, set[int]]:
    """Five traces of three spans, each span its own request; returns the sampled traces' span ids
    by trace name (the others under their names too, to check they never arrive)."""
    provider = TracerProvider(resource=Resource.create({"service.name": "shop"}))
    provider.add_span_processor(SimpleSpanProcessor(HTTPSpanExporter(endpoint=f"http://127.0.0.1:{port}/v1/traces", timeout=10)))
    tracer = provider.get_tracer("e2e.tail_sampling")
    sent: dict[str, tuple[int, set[int]]] = {}
    now = time.time_ns()
    for name in ("erroring", "slow", "flagged", "plain", "unflagged"):
        ids = set()
        root = tracer.start_span(name, start_time=now)
        ctx = trace.set_span_in_context(root)
        for i in range(2):
            child = tracer.start_span(f"{name}-child{i}", context=ctx, start_time=now + 1_000_000)
            if name == "erroring" and i == 1:
                child.set_status(Status(StatusCode.ERROR, "boom"))
            if name in ("flagged", "unflagged") and i == 0:
                child.set_attribute("app.keep", "yes" if name == "flagged" else "no")
            child.end(end_time=now + 2_000_000)
            ids.add(child.get_span_context().span_id)
        root.end(end_time=now + (800_000_000 if name == "slow" else 3_000_000))
        ids.add(root.get_span_context().span_id)
        sent[name] = (root.get_span_context().trace_id, ids)
    provider.shutdown()
    return sent


def test_policies_sample_exactly_the_matching_traces_whole(swiftlet_factory, backend):
    ports = Ports()
    swiftlet_factory(config=_config(ports, backend.port, {"decision_wait": "1s", "policies": POLICIES}), ports=ports)
    sent = _send_traces(ports.otlp)
    assert backend.recorder.wait_for_spans(9, timeout=15), backend.recorder.span_count()
    time.sleep(2.5)  # two more ticks: the dropped traces' decisions are due by now
    got: dict[int, set[int]] = {}
    for rs, ss, span in backend.recorder.spans():
        assert {kv.key: kv.value.string_value for kv in rs.resource.attributes}["service.name"] == "shop"
        assert ss.scope.name == "e2e.tail_sampling"
        got.setdefault(int.from_bytes(span.trace_id, "big"), set()).add(int.from_bytes(span.span_id, "big"))
    expected = {sent[n][0]: sent[n][1] for n in ("erroring", "slow", "flagged")}
    assert got == expected, {n: sent[n][0] for n in sent}
    assert backend.recorder.span_count() == 9, "a span arrived twice"


def _flood_requests(requests: int, spans_per_request: int):
    """OTLP protobuf bodies with `spans_per_request` spans of distinct trace ids each: one request
    is encoded, then only the trace ids are rewritten in its bytes."""
    marker = b"\xa5\x5a\xc3\x3c\x96\x69\x0f\xf0"
    req = trace_service_pb2.ExportTraceServiceRequest()
    rs = req.resource_spans.add()
    kv = rs.resource.attributes.add()
    kv.key, kv.value.string_value = "service.name", "flood"
    ss = rs.scope_spans.add()
    ss.scope.name = "flood"
    for i in range(spans_per_request):
        s = ss.spans.add()
        s.trace_id = marker + i.to_bytes(8, "big")
        s.span_id = (i + 1).to_bytes(8, "big")
        s.name = "f"
        s.kind = trace_pb2.Span.SPAN_KIND_SERVER
        s.start_time_unix_nano = 1_700_000_000_000_000_000
        s.end_time_unix_nano = 1_700_000_000_001_000_000
    template = bytearray(req.SerializeToString())
    offsets = [m.start() for m in re.finditer(re.escape(marker), template)]
    assert len(offsets) == spans_per_request
    for r in range(requests):
        prefix = b"\x01" + r.to_bytes(7, "big")
        for off in offsets:
            template[off:off + 8] = prefix
        yield bytes(template)


def _rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def _metric(text: str, name: str) -> int:
    m = re.search(rf"^{name}\{{[^}}]*\}} (\d+)$", text, re.M)
    assert m, f"{name} not in /metrics"
    return int(m.group(1))


# A million traces of one 53-byte span each: held whole they would take over 53 MB of span bytes
# alone, and several times that with any per-trace bookkeeping. `num_traces: 50000` keeps 5 % of
# them; 50,000 traces at under 400 bytes each is 20 MB. The bound leaves room for the allocator
# and the in-flight requests, and fails if more than about a fifth of the flood were held.
RSS_GROWTH_BOUND_KIB = 80 * 1024


def test_a_flood_of_new_traces_stays_bounded_and_counts_early_drops(swiftlet_factory, backend):
    ports = Ports()
    # decision_wait longer than the flood: every trace pushed out is pushed out undecided.
    tail = {"decision_wait": "120s", "num_traces": 50000, "policies": POLICIES[:1]}
    s = swiftlet_factory(config=_config(ports, backend.port, tail), ports=ports)
    baseline = _rss_kib(s.pid)
    requests, per_request = 1000, 1000
    peak = baseline
    conn = http.client.HTTPConnection("127.0.0.1", ports.otlp, timeout=30)
    started = time.monotonic()
    try:
        for i, body in enumerate(_flood_requests(requests, per_request)):
            conn.request("POST", "/v1/traces", body=body, headers={"Content-Type": "application/x-protobuf"})
            resp = conn.getresponse()
            resp.read()
            assert resp.status == 200, (i, resp.status)
            if i % 50 == 0:
                peak = max(peak, _rss_kib(s.pid))
    finally:
        conn.close()
    elapsed = time.monotonic() - started
    peak = max(peak, _rss_kib(s.pid))
    metrics = s.metrics()
    dropped = _metric(metrics, "otelcol_processor_tail_sampling_sampling_trace_dropped_too_early")
    held = _metric(metrics, "otelcol_processor_tail_sampling_sampling_traces_on_memory")
    print(f"flood: {requests * per_request} traces in {elapsed:.1f}s, RSS {baseline} KiB -> peak {peak} KiB, held {held}")
    assert held == 50000
    assert dropped == requests * per_request - 50000
    assert _metric(metrics, "otelcol_processor_tail_sampling_new_trace_id_received") == requests * per_request
    assert peak - baseline < RSS_GROWTH_BOUND_KIB, (baseline, peak)
    assert backend.recorder.span_count() == 0, "no trace had an error"
