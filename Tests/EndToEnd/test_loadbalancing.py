"""The `loadbalancing` exporter end to end: one Swiftlet routes by trace ID to gateway Swiftlets
(loopback aliases 127.0.0.11…14, one port), each forwarding to its own grpcio backend standing in
for Tempo. Backends come from a static list, from a Kubernetes API server written for the test
(EndpointSlices, list + watch) or from a DNS server written for the test. Routing is checked
against the Collector's ring, computed here independently (CRC-32 positions, 100 per endpoint,
36,000 on the circle): every span answered 200 arrives exactly once, each trace whole on its
owner; a gateway added takes only its share; the queue of a gateway that dies and leaves the
list is routed to the new owners, not lost."""
from __future__ import annotations

import os
import random
import subprocess
import time
import zlib
from pathlib import Path

import pytest
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GRPCSpanExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HTTPSpanExporter
from opentelemetry.exporter.zipkin.json import ZipkinExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.id_generator import IdGenerator

from conftest import Ports, base_config, free_port, wait_until
from fake_dns import FakeDNS
from fake_kube_api import FakeKubeAPI, endpointslice
from otlp_backend import GRPCBackend

REPO = Path(__file__).resolve().parents[2]
JAEGER_PYTHON = Path(os.environ.get("JAEGER_VENV") or REPO / ".venv-jaeger") / "bin" / "python"
GATEWAY_IPS = ["127.0.0.11", "127.0.0.12", "127.0.0.13", "127.0.0.14"]


# The Collector's ring, written from its description (loadbalancingexporter, consistent_hashing.go).

def ring(endpoints: list[str]) -> list[tuple[int, str]]:
    taken, items = set(), []
    for endpoint in sorted(endpoints):
        for i in range(100):
            position = zlib.crc32(endpoint.encode() + bytes([i])) % 36000
            if position not in taken:
                taken.add(position)
                items.append((position, endpoint))
    return sorted(items)


def owner(items: list[tuple[int, str]], trace_id: int) -> str:
    position = zlib.crc32(trace_id.to_bytes(16, "big")) % 36000
    return next((e for p, e in items if p >= position), items[0][1])


class Gateway:
    """A gateway Swiftlet on `ip:port` forwarding (OTLP/gRPC) to its own grpcio backend."""

    def __init__(self, factory, ip: str, port: int):
        self.ip, self.endpoint = ip, f"{ip}:{port}"
        self.backend = GRPCBackend()
        ports = Ports()
        cfg = base_config(ports, processors=("batch",))
        cfg["processors"]["batch"] = {"timeout": "50ms"}
        cfg["receivers"] = {"otlp": {"protocols": {"grpc": {"endpoint": self.endpoint}}}}
        cfg["exporters"] = {"otlp": {"endpoint": f"127.0.0.1:{self.backend.port}", "tls": {"insecure": True}, "compression": "none"}}
        cfg["service"]["pipelines"]["traces"]["exporters"] = ["otlp"]
        self.process = factory(config=cfg, ports=ports, name=f"gateway-{ip}")

    def traces(self) -> dict[int, set[str]]:
        out: dict[int, set[str]] = {}
        for _, _, span in self.backend.recorder.spans():
            out.setdefault(int.from_bytes(span.trace_id, "big"), set()).add(span.name)
        return out

    def span_keys(self) -> list[tuple[int, str]]:
        return [(int.from_bytes(s.trace_id, "big"), s.name) for _, _, s in self.backend.recorder.spans()]


@pytest.fixture
def gateways(swiftlet_factory):
    port = free_port()
    made = [Gateway(swiftlet_factory, ip, port) for ip in GATEWAY_IPS]
    yield made
    for g in made:
        g.backend.stop()


def _balancer(swiftlet_factory, resolver: dict, env: dict | None = None, zipkin: int | None = None, jaeger: int | None = None):
    ports = Ports()
    cfg = base_config(ports, processors=())
    grpc_port = free_port()
    cfg["receivers"]["otlp"]["protocols"]["grpc"] = {"endpoint": f"127.0.0.1:{grpc_port}"}
    receivers = ["otlp"]
    if zipkin:
        cfg["receivers"]["zipkin"] = {"endpoint": f"127.0.0.1:{zipkin}"}
        receivers.append("zipkin")
    if jaeger:
        cfg["receivers"]["jaeger"] = {"protocols": {"thrift_http": {"endpoint": f"127.0.0.1:{jaeger}"}}}
        receivers.append("jaeger")
    cfg["exporters"] = {"loadbalancing": {
        "protocol": {"otlp": {"tls": {"insecure": True}, "timeout": "2s",
                              "retry_on_failure": {"initial_interval": "100ms", "max_interval": "300ms", "max_elapsed_time": "120s"}}},
        "resolver": resolver}}
    pipeline = cfg["service"]["pipelines"]["traces"]
    pipeline["receivers"], pipeline["exporters"] = receivers, ["loadbalancing"]
    balancer = swiftlet_factory(config=cfg, ports=ports, env=env, name="balancer")
    balancer.grpc_port = grpc_port
    return balancer


class FixedTraceIDs(IdGenerator):
    """Hands out the trace IDs a test chose, one per root span."""

    def __init__(self, ids):
        self.ids = iter(ids)
        self.rng = random.Random(7)

    def generate_trace_id(self) -> int:
        return next(self.ids)

    def generate_span_id(self) -> int:
        return self.rng.getrandbits(64) | 1


def _trace_ids(n: int, seed: int) -> list[int]:
    rng = random.Random(seed)
    return [rng.getrandbits(128) | 1 for _ in range(n)]


def _send_two_span_traces(port: int, ids: list[int], service: str) -> set[tuple[int, str]]:
    """Each trace as two requests (child, then root) through the SDK's OTLP/HTTP exporter; returns
    the spans the collector answered 200 for."""
    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": service}), id_generator=FixedTraceIDs(ids))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("e2e.loadbalancing")
    for n in range(len(ids)):
        with tracer.start_as_current_span(f"{service}-root-{n}"):
            with tracer.start_as_current_span(f"{service}-child-{n}"):
                pass
    exporter = HTTPSpanExporter(endpoint=f"http://127.0.0.1:{port}/v1/traces", timeout=10)
    accepted = set()
    for span in memory.get_finished_spans():
        if exporter.export([span]) == SpanExportResult.SUCCESS:
            accepted.add((span.context.trace_id, span.name))
    exporter.shutdown()
    provider.shutdown()
    return accepted


def _received(gateways) -> list[tuple[int, str]]:
    return [key for g in gateways for key in g.span_keys()]


def _wait_for(gateways, expected: set[tuple[int, str]], timeout: float = 30) -> None:
    assert wait_until(lambda: expected <= set(_received(gateways)), timeout), \
        f"missing: {sorted(expected - set(_received(gateways)))[:5]}"


def _assert_exactly_once(gateways) -> None:
    got = _received(gateways)
    assert len(got) == len(set(got)), "a span arrived twice"


def _assert_routed(gateways, ids: list[int], endpoints: list[str]) -> dict[str, int]:
    """Each trace whole on the owner the Collector's ring names; returns traces per gateway."""
    items = ring(endpoints)
    by_endpoint = {g.endpoint: g for g in gateways}
    counts: dict[str, int] = {}
    for trace_id in ids:
        holders = [g.endpoint for g in gateways if trace_id in g.traces()]
        assert holders == [owner(items, trace_id)], f"trace {trace_id:032x} on {holders}, ring says {owner(items, trace_id)}"
        assert len(by_endpoint[holders[0]].traces()[trace_id]) == 2
        counts[holders[0]] = counts.get(holders[0], 0) + 1
    return counts


def _metric(collector, name: str, labels: str) -> float | None:
    for line in collector.metrics().splitlines():
        if line.startswith(name + "{") and all(part in line for part in labels.split(",")):
            return float(line.rsplit(" ", 1)[1])
    return None


JAEGER_PART = r'''
import random, sys
from opentelemetry.exporter.jaeger.thrift import JaegerExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.id_generator import IdGenerator
class Fixed(IdGenerator):
    def __init__(self, ids): self.ids = iter(ids); self.rng = random.Random(9)
    def generate_trace_id(self): return next(self.ids)
    def generate_span_id(self): return self.rng.getrandbits(64) | 1
ids = [int(x, 16) for x in sys.argv[2].split(",")]
provider = TracerProvider(resource=Resource.create({"service.name": "hotrod"}), id_generator=Fixed(ids))
provider.add_span_processor(SimpleSpanProcessor(JaegerExporter(collector_endpoint=sys.argv[1])))
for n in range(len(ids)):
    provider.get_tracer("e2e.jaeger").start_span(f"jaeger-{n}").end()
provider.shutdown()
'''


def test_static_resolver_keeps_each_trace_whole_across_requests_and_receivers(swiftlet_factory, gateways, tmp_path):
    """Each trace's spans arrive over OTLP/gRPC, Zipkin and Jaeger (three requests, three
    receivers) and land together on the gateway the Collector's ring names."""
    three = gateways[:3]
    zipkin, jaeger = free_port(), free_port()
    balancer = _balancer(swiftlet_factory, {"static": {"hostnames": [g.endpoint for g in three]}}, zipkin=zipkin, jaeger=jaeger)
    ids = _trace_ids(24, seed=1)
    resource = Resource.create({"service.name": "checkout"})
    expected = set()
    for kind, exporter in (("otlp", GRPCSpanExporter(endpoint=f"127.0.0.1:{balancer.grpc_port}", insecure=True)),
                           ("zipkin", ZipkinExporter(endpoint=f"http://127.0.0.1:{zipkin}/api/v2/spans"))):
        provider = TracerProvider(resource=resource, id_generator=FixedTraceIDs(ids))
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        for n in range(len(ids)):
            provider.get_tracer("e2e").start_span(f"{kind}-{n}").end()
            expected.add((ids[n], f"{kind}-{n}"))
        provider.shutdown()
    parts = 2
    if JAEGER_PYTHON.exists():
        script = tmp_path / "jaeger_part.py"
        script.write_text(JAEGER_PART)
        subprocess.run([str(JAEGER_PYTHON), str(script), f"http://127.0.0.1:{jaeger}/api/traces", ",".join(f"{i:032x}" for i in ids)],
                       check=True, timeout=60, capture_output=True)
        expected |= {(ids[n], f"jaeger-{n}") for n in range(len(ids))}
        parts = 3
    _wait_for(three, expected)
    _assert_exactly_once(three)
    items = ring([g.endpoint for g in three])
    for trace_id in ids:
        holders = [g for g in three if trace_id in g.traces()]
        assert [g.endpoint for g in holders] == [owner(items, trace_id)]
        assert len(holders[0].traces()[trace_id]) == parts
    assert all(any(trace_id in g.traces() for trace_id in ids) for g in three), "a gateway got no trace"
    assert _metric(balancer, "otelcol_loadbalancer_num_backends", 'resolver="static"') == 3
    assert _metric(balancer, "otelcol_loadbalancer_num_resolutions", 'resolver="static",success="true"') == 1
    outcomes = sum(_metric(balancer, "otelcol_loadbalancer_backend_outcome", f'endpoint="{g.endpoint}",success="true"') or 0 for g in three)
    assert outcomes >= len(ids) * parts / 2


def test_k8s_resolver_follows_endpointslices_and_reroutes_a_removed_gateways_queue(swiftlet_factory, gateways, tmp_path):
    kube = FakeKubeAPI(tmp_path / "kube")
    try:
        _k8s_scenario(swiftlet_factory, gateways, kube)
    finally:
        kube.stop()


def _k8s_scenario(swiftlet_factory, gateways, kube):
    port = int(gateways[0].endpoint.rsplit(":", 1)[1])

    def publish(members: list[int], ready=lambda i: True):
        kube.put("endpointslices", endpointslice("gateway-abc12", "gateway",
                                                 [(gateways[i].ip, f"gateway-{i}", ready(i)) for i in members], port))

    publish([0, 1, 2])
    balancer = _balancer(swiftlet_factory, {"k8s": {"service": "gateway.observability", "ports": [port]}}, env=kube.environment())
    assert wait_until(lambda: _metric(balancer, "otelcol_loadbalancer_num_backends", 'resolver="k8s"') == 3, 10)
    sent = set()

    # Phase A: three gateways.
    ids_a = _trace_ids(30, seed=2)
    sent |= _send_two_span_traces(balancer.ports.otlp, ids_a, "phase-a")
    assert len(sent) == 60
    _wait_for(gateways, sent)
    _assert_routed(gateways, ids_a, [g.endpoint for g in gateways[:3]])

    # Phase B: a fourth gateway joins; it takes its share and nothing else moves.
    publish([0, 1, 2, 3])
    assert wait_until(lambda: _metric(balancer, "otelcol_loadbalancer_num_backends", 'resolver="k8s"') == 4, 10)
    ids_b = _trace_ids(40, seed=3)
    sent |= _send_two_span_traces(balancer.ports.otlp, ids_b, "phase-b")
    _wait_for(gateways, sent)
    counts = _assert_routed(gateways, ids_b, [g.endpoint for g in gateways])
    assert counts.get(gateways[3].endpoint, 0) > 0
    before, after = ring([g.endpoint for g in gateways[:3]]), ring([g.endpoint for g in gateways])
    for trace_id in ids_b:
        assert owner(after, trace_id) in (owner(before, trace_id), gateways[3].endpoint)

    # Phase C: gateway 1 dies; what the balancer accepted for it waits in its queue, retried,
    # until the gateway leaves the EndpointSlice; then it goes to the new owners.
    gateways[1].process.kill()
    ids_c = _trace_ids(40, seed=4)
    accepted_c = _send_two_span_traces(balancer.ports.otlp, ids_c, "phase-c")
    assert len(accepted_c) == 80, "the balancer refused spans while a backend was down but its queue had room"
    sent |= accepted_c
    stuck = [t for t in ids_c if owner(after, t) == gateways[1].endpoint]
    assert stuck, "no trace of phase C belonged to the dead gateway"
    publish([0, 2, 3])
    assert wait_until(lambda: _metric(balancer, "otelcol_loadbalancer_num_backends", 'resolver="k8s"') == 3, 10)
    live = [gateways[0], gateways[2], gateways[3]]
    _wait_for(live, {k for k in accepted_c}, timeout=30)
    remaining = ring([g.endpoint for g in live])
    for trace_id in stuck:
        holders = [g.endpoint for g in live if trace_id in g.traces()]
        assert holders == [owner(remaining, trace_id)]
    _assert_exactly_once(gateways)
    assert set(_received(gateways)) == sent


def test_dns_resolver_follows_the_headless_services_records(swiftlet_factory, gateways):
    """The gateways as a headless Service's A records, from a DNS server written for the test:
    a record added takes its share of new traces, one removed stops receiving, a failed lookup
    keeps the last list (counted as a failed resolution)."""
    dns = FakeDNS().start()
    try:
        name = "otel-gateway.otel-system.svc.cluster.local"
        port = gateways[0].endpoint.rsplit(":", 1)[1]
        dns.set(name, [g.ip for g in gateways[:3]])
        balancer = _balancer(swiftlet_factory, {"dns": {"hostname": name, "port": port, "interval": "200ms", "timeout": "500ms"}},
                             env={"SWIFTLET_DNS_SERVER": f"127.0.0.1:{dns.port}"})
        backends = lambda: _metric(balancer, "otelcol_loadbalancer_num_backends", 'resolver="dns"')
        assert wait_until(lambda: backends() == 3, 10)
        sent = set()
        ids_a = _trace_ids(30, seed=5)
        sent |= _send_two_span_traces(balancer.ports.otlp, ids_a, "dns-a")
        _wait_for(gateways, sent)
        _assert_routed(gateways, ids_a, [g.endpoint for g in gateways[:3]])

        dns.set(name, [g.ip for g in gateways])
        assert wait_until(lambda: backends() == 4, 10)
        ids_b = _trace_ids(40, seed=6)
        sent |= _send_two_span_traces(balancer.ports.otlp, ids_b, "dns-b")
        _wait_for(gateways, sent)
        assert _assert_routed(gateways, ids_b, [g.endpoint for g in gateways]).get(gateways[3].endpoint, 0) > 0

        dns.set(name, [gateways[0].ip, gateways[2].ip, gateways[3].ip])
        assert wait_until(lambda: backends() == 3, 10)
        before = len(gateways[1].span_keys())
        ids_c = _trace_ids(30, seed=7)
        sent |= _send_two_span_traces(balancer.ports.otlp, ids_c, "dns-c")
        _wait_for(gateways, sent)
        assert len(gateways[1].span_keys()) == before
        _assert_routed([gateways[0], gateways[2], gateways[3]], ids_c, [gateways[i].endpoint for i in (0, 2, 3)])
        _assert_exactly_once(gateways)

        dns.remove(name)
        failed = lambda: _metric(balancer, "otelcol_loadbalancer_num_resolutions", 'resolver="dns",success="false"') or 0
        assert wait_until(lambda: failed() >= 2, 10)
        assert backends() == 3
        assert "failed to resolve" in balancer.stderr()
    finally:
        dns.stop()


def _one_span_request(trace_id: int, name: str) -> bytes:
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
    request = ExportTraceServiceRequest()
    rs = request.resource_spans.add()
    kv = rs.resource.attributes.add()
    kv.key, kv.value.string_value = "service.name", "queue-test"
    span = rs.scope_spans.add().spans.add()
    span.trace_id, span.span_id, span.name = trace_id.to_bytes(16, "big"), (trace_id & 0xFFFFFFFF | 1).to_bytes(8, "big"), name
    span.start_time_unix_nano, span.end_time_unix_nano = 1_700_000_000_000_000_000, 1_700_000_000_001_000_000
    return request.SerializeToString()


def test_a_listed_backend_that_is_down_is_retried_and_refused_only_when_its_queue_is_full(swiftlet_factory, gateways):
    import http.client
    live, down_port = gateways[0], free_port()
    down = f"127.0.0.1:{down_port}"
    ports = Ports()
    cfg = base_config(ports, processors=())
    cfg["exporters"] = {"loadbalancing": {
        "protocol": {"otlp": {"tls": {"insecure": True}, "timeout": "1s", "sending_queue": {"num_consumers": 1, "queue_size": 2},
                              "retry_on_failure": {"initial_interval": "100ms", "max_interval": "200ms", "max_elapsed_time": "120s"}}},
        "resolver": {"static": {"hostnames": [live.endpoint, down]}}}}
    cfg["service"]["pipelines"]["traces"]["exporters"] = ["loadbalancing"]
    balancer = swiftlet_factory(config=cfg, ports=ports, name="balancer")
    items = ring([live.endpoint, down])
    ids = _trace_ids(40, seed=8)
    statuses: dict[str, list[int]] = {live.endpoint: [], down: []}
    for n, trace_id in enumerate(ids):
        conn = http.client.HTTPConnection("127.0.0.1", ports.otlp, timeout=10)
        conn.request("POST", "/v1/traces", body=_one_span_request(trace_id, f"q-{n}"), headers={"Content-Type": "application/x-protobuf"})
        statuses[owner(items, trace_id)].append(conn.getresponse().status)
        conn.close()
    assert statuses[live.endpoint] and set(statuses[live.endpoint]) == {200}
    # One request in flight (retrying) and two queued are taken; the rest refused, retryable.
    assert statuses[down][:3] == [200, 200, 200] and set(statuses[down][3:]) == {503}, statuses[down]
    # The backend comes up on that address: what was accepted for it arrives, once.
    backend = GRPCBackend(port=down_port)
    try:
        assert backend.recorder.wait_for_spans(3, timeout=20)
        time.sleep(0.5)
        assert backend.recorder.span_count() == 3
    finally:
        backend.stop()
    accepted_live = {(t, f"q-{n}") for n, t in enumerate(ids) if owner(items, t) == live.endpoint}
    _wait_for([live], accepted_live)
