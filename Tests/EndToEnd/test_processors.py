"""Processors that edit spans, end to end: the Python SDK's OTLP/HTTP exporter and the SDK's Zipkin
exporter send spans through `resource` and `attributes` to a grpcio OTLP backend, which checks each
attribute as the Collector would leave it; `validate` names a bad action."""
from __future__ import annotations

import hashlib

import pytest
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HTTPSpanExporter
from opentelemetry.exporter.zipkin.json import ZipkinExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from conftest import Ports, base_config, free_port, run_cli, write_yaml
from otlp_backend import GRPCBackend

PROCESSORS = {
    "resource": {"attributes": [
        {"key": "deployment.environment", "value": "production", "action": "upsert"},
        {"key": "replicas", "value": 3, "action": "insert"},
        {"key": "version.text", "value": "1.0", "action": "insert"},
        {"key": "telemetry.sdk.version", "action": "delete"},
    ]},
    "attributes": {
        "include": {"match_type": "regexp", "services": ["^checkout"]},
        "exclude": {"match_type": "strict", "span_names": ["keep-me"]},
        "actions": [
            {"key": "user.email", "action": "hash"},
            {"key": "db.statement", "action": "delete"},
            {"key": "http.url", "action": "extract",
             "pattern": r"^(?P<url_scheme>[a-z]+)://(?P<url_host>[^/]+)(?P<url_path>/[^?]*)"},
            {"key": "http.status_code", "action": "convert", "converted_type": "int"},
            {"key": "peer", "from_attribute": "net.peer.name", "action": "upsert"},
        ],
    },
}


def _config(ports: Ports, backend_port: int, zipkin_port: int) -> dict:
    cfg = base_config(ports, processors=("resource", "attributes", "batch"))
    cfg["processors"].update(PROCESSORS)
    cfg["processors"]["batch"] = {"timeout": "50ms"}
    cfg["receivers"]["zipkin"] = {"endpoint": f"127.0.0.1:{zipkin_port}"}
    cfg["exporters"]["otlp"] = {"endpoint": f"127.0.0.1:{backend_port}", "tls": {"insecure": True}}
    pipeline = cfg["service"]["pipelines"]["traces"]
    pipeline["receivers"] = ["otlp", "zipkin"]
    pipeline["exporters"] = ["otlp"]
    return cfg


def _send(exporter, service: str) -> None:
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("e2e.processors")
    for name in ("edit-me", "keep-me"):
        with tracer.start_as_current_span(name, kind=trace.SpanKind.SERVER) as span:
            span.set_attribute("user.email", "john.doe@example.com")
            span.set_attribute("db.statement", "SELECT 1")
            span.set_attribute("http.url", "https://shop.example.com/cart/items?id=7")
            span.set_attribute("http.status_code", "503")
            span.set_attribute("net.peer.name", "db-1")
    provider.shutdown()


def _attrs(kvs) -> dict:
    out = {}
    for kv in kvs:
        kind = kv.value.WhichOneof("value")
        out[kv.key] = getattr(kv.value, kind) if kind else None
    return out


@pytest.fixture
def backend():
    b = GRPCBackend()
    yield b
    b.stop()


def test_resource_and_attributes_processors_edit_spans_from_otlp_and_zipkin(swiftlet_factory, backend):
    ports = Ports()
    zipkin_port = free_port()
    swiftlet_factory(config=_config(ports, backend.port, zipkin_port), ports=ports)
    _send(HTTPSpanExporter(endpoint=f"http://127.0.0.1:{ports.otlp}/v1/traces", timeout=10), "checkout")
    _send(HTTPSpanExporter(endpoint=f"http://127.0.0.1:{ports.otlp}/v1/traces", timeout=10), "payments")
    _send(ZipkinExporter(endpoint=f"http://127.0.0.1:{zipkin_port}/api/v2/spans", timeout=10), "checkout-zipkin")
    assert backend.recorder.wait_for_spans(6), backend.recorder.span_count()

    email_hash = hashlib.sha256(b"john.doe@example.com").hexdigest()
    seen = set()
    for rs, _, span in backend.recorder.spans():
        resource = _attrs(rs.resource.attributes)
        service = resource["service.name"]
        assert resource["deployment.environment"] == "production"
        assert resource["replicas"] == 3 and resource["version.text"] == "1.0", resource
        assert "telemetry.sdk.version" not in resource
        attrs = _attrs(span.attributes)
        edited = service.startswith("checkout") and span.name == "edit-me"
        seen.add((service, span.name, edited))
        if edited:
            assert attrs["user.email"] == email_hash, attrs
            assert "db.statement" not in attrs
            assert (attrs["url_scheme"], attrs["url_host"], attrs["url_path"]) == ("https", "shop.example.com", "/cart/items")
            assert attrs["http.status_code"] == 503
            assert attrs["peer"] == "db-1"
        else:
            assert attrs["user.email"] == "john.doe@example.com", (service, span.name, attrs)
            assert attrs["db.statement"] == "SELECT 1"
            assert "url_host" not in attrs and "peer" not in attrs
    assert len(seen) == 6, seen


@pytest.mark.parametrize("action, message", [
    ({"key": "a", "action": "insert"}, "Either field \"value\", \"from_attribute\" or \"from_context\""),
    ({"key": "a", "action": "extract", "pattern": "(x)"}, "unnamed matcher group"),
    ({"key": "a", "action": "upsert", "value": 1, "colour": "red"}, "unknown key 'colour'"),
])
def test_validate_names_a_bad_action(tmp_path, action, message):
    ports = Ports()
    cfg = base_config(ports, processors=("attributes",))
    cfg["processors"]["attributes"] = {"actions": [action]}
    p = run_cli("validate", "--config", str(write_yaml(tmp_path / "c.yaml", cfg)))
    assert p.returncode != 0
    assert message in p.stderr and "processors::attributes::actions[0]" in p.stderr, p.stderr


def _envoy_span(trace: str, span: str, url: str, parent: str | None = None) -> dict:
    """A span as Envoy's Zipkin tracer writes one for Istio (v2 JSON, string tags)."""
    s = {"traceId": trace, "id": span, "kind": "SERVER", "name": "inbound|8080||", "timestamp": 1_700_000_000_000_000,
         "duration": 1200, "localEndpoint": {"serviceName": "productpage.default", "ipv4": "10.1.2.3"},
         "tags": {"component": "proxy", "http.method": "GET", "http.url": url, "http.status_code": "200",
                  "node_id": "sidecar~10.1.2.3~productpage-v1-6b746f74dc-9stp2.default~default.svc.cluster.local"},
         "shared": True}
    if parent:
        s["parentId"] = parent
    return s


def test_filter_drops_istio_health_checks_and_transform_edits_the_rest(swiftlet_factory, backend):
    ports = Ports()
    zipkin_port = free_port()
    cfg = _config(ports, backend.port, zipkin_port)
    cfg["processors"] = {
        "filter/healthz": {"error_mode": "ignore", "traces": {"span": [
            'IsMatch(attributes["http.url"], "/healthz/|/app-health/")',
        ]}},
        "transform": {"trace_statements": [
            {"context": "resource", "statements": ['set(attributes["k8s.cluster.name"], "prod-eu")']},
            {"context": "span", "statements": [
                'replace_pattern(attributes["http.url"], "/reviews/[0-9]+", "/reviews/{id}")',
                'set(attributes["istio.node"], Split(attributes["node_id"], "~"))',
                'delete_key(attributes, "node_id")',
            ]},
        ]},
        "batch": {"timeout": "50ms"},
    }
    cfg["service"]["pipelines"]["traces"]["processors"] = ["filter/healthz", "transform", "batch"]
    collector = swiftlet_factory(config=cfg, ports=ports)
    trace = "5af7183fb1d4cf5f5af7183fb1d4cf5f"
    spans = [
        _envoy_span(trace, "0000000000000001", "http://productpage:9080/productpage"),
        _envoy_span(trace, "0000000000000002", "http://reviews:9080/reviews/17", parent="0000000000000001"),
        _envoy_span("6b08183fb1d4cf5f6b08183fb1d4cf5f", "0000000000000003", "http://10.1.2.3:15021/healthz/ready"),
        _envoy_span("7c09183fb1d4cf5f7c09183fb1d4cf5f", "0000000000000004", "http://10.1.2.3:15020/app-health/productpage/readyz"),
    ]
    import json
    import urllib.request
    req = urllib.request.Request(f"http://127.0.0.1:{zipkin_port}/api/v2/spans", data=json.dumps(spans).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert resp.status == 202
    assert backend.recorder.wait_for_spans(2), backend.recorder.span_count()
    import time
    time.sleep(0.3)  # anything the filter let through would have arrived with them
    got = {span.span_id.hex(): (rs, span) for rs, _, span in backend.recorder.spans()}
    assert sorted(got) == ["0000000000000001", "0000000000000002"], sorted(got)
    for rs, span in got.values():
        assert _attrs(rs.resource.attributes)["k8s.cluster.name"] == "prod-eu"
        attrs = _attrs(span.attributes)
        assert "node_id" not in attrs
        node = [v.string_value for v in span.attributes[[kv.key for kv in span.attributes].index("istio.node")].value.array_value.values]
        assert node == ["sidecar", "10.1.2.3", "productpage-v1-6b746f74dc-9stp2.default", "default.svc.cluster.local"]
    assert _attrs(got["0000000000000002"][1].attributes)["http.url"] == "http://reviews:9080/reviews/{id}"
    # The Collector's count of what the filter dropped, labelled with the processor's id.
    assert 'otelcol_processor_filter_spans_filtered{filter="filter/healthz"} 2' in collector.metrics().splitlines()


@pytest.mark.parametrize("processor, message", [
    ({"filter": {"traces": {"span": ['attributes["a"] = "b"']}}}, "processors::filter::traces::span[0]"),
    ({"filter": {"traces": {"span": ['Frobnicate(name)']}}}, 'undefined function \\"Frobnicate\\"'),
    ({"transform": {"trace_statements": [{"context": "span", "statements": ['set(name, "x") where']}]}}, "column"),
])
def test_validate_names_a_bad_ottl_statement(tmp_path, processor, message):
    ports = Ports()
    cfg = base_config(ports, processors=tuple(processor))
    cfg["processors"].update(processor)
    p = run_cli("validate", "--config", str(write_yaml(tmp_path / "c.yaml", cfg)))
    assert p.returncode != 0
    assert message.replace('\\"', '"') in p.stderr or message in p.stderr, p.stderr


def _fnv_bucket(seed: int, trace_id: bytes) -> int:
    """The Collector's hash_seed bucket: FNV-1a (32-bit) of the seed's 4 little-endian bytes and the
    trace ID, low 14 bits."""
    h = 0x811C9DC5
    for b in seed.to_bytes(4, "little") + trace_id:
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h & 0x3FFF


def _f32(x: float) -> float:
    import struct
    return struct.unpack("<f", struct.pack("<f", x))[0]


def test_probabilistic_sampler_keeps_the_traces_the_collector_keeps(swiftlet_factory, backend):
    ports = Ports()
    cfg = base_config(ports, processors=("probabilistic_sampler", "batch"))
    cfg["processors"]["probabilistic_sampler"] = {"sampling_percentage": 25, "hash_seed": 22}
    cfg["processors"]["batch"] = {"timeout": "50ms"}
    cfg["exporters"]["otlp"] = {"endpoint": f"127.0.0.1:{backend.port}", "tls": {"insecure": True}}
    cfg["service"]["pipelines"]["traces"]["exporters"] = ["otlp"]
    swiftlet_factory(config=cfg, ports=ports)
    provider = TracerProvider(resource=Resource.create({"service.name": "sampled"}))
    provider.add_span_processor(SimpleSpanProcessor(HTTPSpanExporter(endpoint=f"http://127.0.0.1:{ports.otlp}/v1/traces", timeout=10)))
    tracer = provider.get_tracer("e2e.sampling")
    sent = []
    for i in range(200):
        with tracer.start_as_current_span(f"op-{i}") as span:
            sent.append(span.get_span_context().trace_id.to_bytes(16, "big"))
    provider.shutdown()
    threshold = int(_f32(_f32(25.0) * _f32(163.84)))
    expected = {t for t in sent if _fnv_bucket(22, t) < threshold}
    assert 20 < len(expected) < 80, len(expected)  # about a quarter
    assert backend.recorder.wait_for_spans(len(expected)), backend.recorder.span_count()
    import time
    time.sleep(0.3)
    got = {span.trace_id for _, _, span in backend.recorder.spans()}
    assert got == expected
    # A kept span says how it was sampled: 25 % is the threshold c (OpenTelemetry's tracestate th).
    states = {span.trace_state for _, _, span in backend.recorder.spans()}
    assert all(s.startswith("ot=rv:") and s.endswith(";th:c") for s in states), states


def test_from_context_reads_the_senders_address_and_the_metadata_receivers_keep(swiftlet_factory, backend):
    """`include_metadata: true` on the OTLP HTTP and gRPC receivers and on Zipkin keeps each
    request's header fields with its spans; `attributes` and `resource` read them with
    `from_context` (`metadata.<key>`, a bare key, `client.address`), before `batch` merges senders."""
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GRPCSpanExporter
    ports = Ports()
    zipkin, grpc_port = free_port(), free_port()
    cfg = base_config(ports, processors=("resource", "attributes", "batch"), http_extra={"include_metadata": True})
    cfg["receivers"]["otlp"]["protocols"]["grpc"] = {"endpoint": f"127.0.0.1:{grpc_port}", "include_metadata": True}
    cfg["receivers"]["zipkin"] = {"endpoint": f"127.0.0.1:{zipkin}", "include_metadata": True}
    cfg["processors"]["resource"] = {"attributes": [{"key": "tenant", "from_context": "metadata.X-Scope-OrgID", "action": "upsert"}]}
    cfg["processors"]["attributes"] = {"actions": [
        {"key": "client.ip", "from_context": "client.address", "action": "insert"},
        {"key": "team", "from_context": "x-team", "action": "upsert"},
    ]}
    cfg["processors"]["batch"] = {"timeout": "50ms"}
    cfg["exporters"]["otlp"] = {"endpoint": f"127.0.0.1:{backend.port}", "tls": {"insecure": True}}
    pipeline = cfg["service"]["pipelines"]["traces"]
    pipeline["receivers"], pipeline["exporters"] = ["otlp", "zipkin"], ["otlp"]
    swiftlet_factory(config=cfg, ports=ports)
    headers = {"X-Scope-OrgID": "acme", "X-Team": "payments"}
    for service, exporter in (
            ("http-sender", HTTPSpanExporter(endpoint=f"http://127.0.0.1:{ports.otlp}/v1/traces", headers=headers)),
            ("grpc-sender", GRPCSpanExporter(endpoint=f"127.0.0.1:{grpc_port}", insecure=True, headers={k.lower(): v for k, v in headers.items()})),
            ("zipkin-sender", ZipkinExporter(endpoint=f"http://127.0.0.1:{zipkin}/api/v2/spans"))):
        provider = TracerProvider(resource=Resource.create({"service.name": service}))
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        provider.get_tracer("e2e.context").start_span("with-context").end()
        provider.shutdown()
    assert backend.recorder.wait_for_spans(3)
    by_service = {}
    for rs, _, span in backend.recorder.spans():
        resource = _attrs(rs.resource.attributes)
        by_service[resource["service.name"]] = (resource, _attrs(span.attributes))
    for service in ("http-sender", "grpc-sender"):
        resource, attrs = by_service[service]
        assert resource["tenant"] == "acme" and attrs["team"] == "payments" and attrs["client.ip"] == "127.0.0.1", (service, resource, attrs)
    resource, attrs = by_service["zipkin-sender"]  # the Zipkin exporter sends no such headers
    assert "tenant" not in resource and "team" not in attrs and attrs["client.ip"] == "127.0.0.1", (resource, attrs)
