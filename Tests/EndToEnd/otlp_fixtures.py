"""Builders for OTLP test data: SDK spans, expected debug output, OTLP/JSON and raw protobuf."""
from __future__ import annotations

import base64
import json
import random
from dataclasses import dataclass, field

from opentelemetry import trace as trace_api
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Link, NonRecordingSpan, SpanContext, SpanKind, Status, StatusCode, \
    TraceFlags, TraceState

from conftest import DLink, DEvent, compare_attrs, compare_fields, expected_span_fields, go_time, \
    go_value

BASE_NS = 1_718_000_000_000_000_123  # 2024-06-10 06:13:20.000000123 UTC
SCOPE_NAME = "io.swiftlet.e2e"
SCOPE_VERSION = "1.2.0"
SCOPE_SCHEMA = "https://opentelemetry.io/schemas/1.26.0"
SCOPE_ATTRS = {"scope.lang": "python", "scope.level": 3}
RESOURCE_SCHEMA = "https://opentelemetry.io/schemas/1.24.0"

# Every attribute type the SDK can carry, including arrays of each scalar type.
ALL_ATTRS = {
    "http.request.method": "GET",
    "unicode.str": "grüße ✓ \"quoted\"",
    "empty.str": "",
    "flag.true": True,
    "flag.false": False,
    "http.response.status_code": 200,
    "neg.int": -42,
    "big.int": 2**62 + 7,
    "ratio": 1.5,
    "whole.double": 3.0,
    "small.double": -0.0025,
    "arr.str": ["a", "b", "x<y&z"],
    "arr.bool": [True, False],
    "arr.int": [1, -2, 3000000000],
    "arr.float": [1.5, 2.0, -0.25],
}


class RecordingExporter(SpanExporter):
    """Wraps an exporter and keeps every export result."""

    def __init__(self, inner: SpanExporter):
        self.inner = inner
        self.results = []

    def export(self, spans):
        try:
            r = self.inner.export(spans)
        except Exception as e:
            # The SDK's span processors only log what an exporter raises: record it as the failure it is.
            self.results.append(f"raised {type(e).__name__}: {e}")
            raise
        self.results.append(r)
        return r

    def shutdown(self):
        self.inner.shutdown()


def make_provider(tag: str, *exporters: SpanExporter) -> tuple[TracerProvider, InMemorySpanExporter]:
    resource = Resource.create({
        "service.name": f"e2e-{tag}",
        "service.instance.id": tag,
        "deployment.replica": 2,
        "cloud.region.weight": 0.75,
        "host.arch.list": ["amd64", "arm64"],
        "feature.enabled": True,
    }, schema_url=RESOURCE_SCHEMA)
    provider = TracerProvider(resource=resource)
    memory = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    for e in exporters:
        provider.add_span_processor(SimpleSpanProcessor(e))
    return provider, memory


def _rand_ctx(rng: random.Random, trace_state: TraceState | None = None) -> SpanContext:
    return SpanContext(trace_id=rng.getrandbits(128) | 1, span_id=rng.getrandbits(64) | 1,
                       is_remote=True, trace_flags=TraceFlags(1),
                       trace_state=trace_state or TraceState())


def emit_spans(provider: TracerProvider, tag: str, seed: int) -> None:
    """Emits 7 spans: all five kinds, a parent/child pair, a child of a remote parent with a trace
    state, events, links, error status; explicit start/end times with sub-microsecond digits."""
    rng = random.Random(seed)
    tracer = provider.get_tracer(SCOPE_NAME, SCOPE_VERSION, schema_url=SCOPE_SCHEMA,
                                 attributes=SCOPE_ATTRS)
    t = BASE_NS + seed * 1_000_000_000
    parent = tracer.start_span(f"GET /cart {tag}", kind=SpanKind.SERVER, start_time=t,
                               attributes=ALL_ATTRS)
    parent.add_event("cache miss", attributes={"cache.key": "cart:42", "attempt": 2,
                                               "hit.ratio": 0.5, "tags": ["x", "y"]},
                     timestamp=t + 1_500)
    parent.add_event("no attrs", timestamp=t + 2_000_000_001)
    ctx = trace_api.set_span_in_context(parent)
    link_ctx = _rand_ctx(rng, TraceState([("vendor", "abc"), ("other", "1")]))
    child = tracer.start_span("SELECT cart", context=ctx, kind=SpanKind.CLIENT, start_time=t + 1_001,
                              attributes={"db.system": "postgresql", "db.rows": 3},
                              links=[Link(link_ctx, {"link.reason": "retry", "link.n": 1}),
                                     Link(_rand_ctx(rng))])
    child.set_status(Status(StatusCode.ERROR, "boom: connection reset"))
    child.end(end_time=t + 250_000_007)
    parent.set_status(Status(StatusCode.OK))
    parent.end(end_time=t + 999_999_999)

    for kind, name in ((SpanKind.INTERNAL, "internal work"), (SpanKind.PRODUCER, "publish"),
                       (SpanKind.CONSUMER, "consume")):
        s = tracer.start_span(f"{name} {tag}", kind=kind, start_time=t + 10, attributes={"k": name})
        s.end(end_time=t + 10 + 123_456_789_000)  # 123.456789 s later

    remote = NonRecordingSpan(_rand_ctx(rng, TraceState([("congo", "t61rcWkgMzE")])))
    s = tracer.start_span("remote child", context=trace_api.set_span_in_context(remote),
                          kind=SpanKind.SERVER, start_time=t)
    s.end(end_time=t)  # zero duration

    s = tracer.start_span("whole second", kind=SpanKind.INTERNAL, start_time=1_718_000_000_000_000_000)
    s.end(end_time=1_718_000_001_000_000_000)


# ------------------------------------------------------------------------------ expectations

@dataclass
class Expected:
    fields: dict
    attributes: dict
    events: list
    links: list
    resource_schema: str
    resource_attrs: dict
    scope_name: str
    scope_version: str
    scope_schema: str
    scope_attrs: dict = field(default_factory=dict)


def _ts(tsv) -> str:
    return ",".join(f"{k}={v}" for k, v in tsv.items()) if tsv else ""


def expected_from_readable(span: ReadableSpan, full_wire: bool) -> Expected:
    """What the detailed debug output must show for `span`. `full_wire` says whether the scope's
    schema URL and attributes and the links' trace states were on the wire (the SDK 1.29 OTLP
    exporter drops all three; the hand-built OTLP/JSON carries them)."""
    ctx = span.context
    parent = span.parent.span_id.to_bytes(8, "big") if span.parent else b""
    fields = expected_span_fields(
        ctx.trace_id.to_bytes(16, "big"), ctx.span_id.to_bytes(8, "big"), parent, span.name,
        span.kind.value + 1, span.start_time, span.end_time, span.status.status_code.value,
        span.status.description or "", trace_state=_ts(ctx.trace_state))
    events = [DEvent(e.name, go_time(e.timestamp), "0", {k: go_value(v) for k, v in e.attributes.items()})
              for e in span.events]
    links = [DLink(l.context.trace_id.to_bytes(16, "big").hex(), l.context.span_id.to_bytes(8, "big").hex(),
                   _ts(l.context.trace_state) if full_wire else "", "0", {k: go_value(v) for k, v in (l.attributes or {}).items()})
             for l in span.links]
    scope = span.instrumentation_scope
    return Expected(
        fields=fields,
        attributes={k: go_value(v) for k, v in span.attributes.items()},
        events=events, links=links,
        resource_schema=span.resource.schema_url,
        resource_attrs={k: go_value(v) for k, v in span.resource.attributes.items()},
        scope_name=scope.name, scope_version=scope.version or "",
        scope_schema=(scope.schema_url or "") if full_wire else "",
        scope_attrs={k: go_value(v) for k, v in (scope.attributes or {}).items()} if full_wire else {},
    )


def check_printed(output, expected: dict[str, Expected]) -> list[str]:
    """Compares the parsed debug output with the expected spans (keyed by span id hex); returns
    the list of problems (empty when everything matches)."""
    problems = []
    by_id: dict[str, list] = {}
    for r, sc, sp in output.spans():
        by_id.setdefault(sp.id, []).append((r, sc, sp))
    for sid, exp in expected.items():
        got = by_id.get(sid, [])
        if len(got) != 1:
            problems.append(f"span {sid} ({exp.fields['Name']}) printed {len(got)} times")
            continue
        r, sc, sp = got[0]
        where = f"span {sid} ({exp.fields['Name']})"
        problems += compare_fields(sp.fields, exp.fields, where)
        problems += compare_attrs(sp.attributes, exp.attributes, where)
        if r.schema_url != exp.resource_schema:
            problems.append(f"{where}: resource schema {r.schema_url!r} != {exp.resource_schema!r}")
        problems += compare_attrs(r.attributes, exp.resource_attrs, where + " resource")
        for attr, want in (("name", exp.scope_name), ("version", exp.scope_version),
                           ("schema_url", exp.scope_schema)):
            if getattr(sc, attr) != want:
                problems.append(f"{where}: scope {attr} {getattr(sc, attr)!r} != {want!r}")
        problems += compare_attrs(sc.attributes, exp.scope_attrs, where + " scope")
        if len(sp.events) != len(exp.events):
            problems.append(f"{where}: {len(sp.events)} events, expected {len(exp.events)}")
        for i, (a, e) in enumerate(zip(sp.events, exp.events)):
            for attr in ("name", "timestamp", "dropped_attributes_count"):
                if getattr(a, attr) != getattr(e, attr):
                    problems.append(f"{where} event {i}: {attr} {getattr(a, attr)!r} != {getattr(e, attr)!r}")
            problems += compare_attrs(a.attributes, e.attributes, f"{where} event {i}")
        if len(sp.links) != len(exp.links):
            problems.append(f"{where}: {len(sp.links)} links, expected {len(exp.links)}")
        for i, (a, e) in enumerate(zip(sp.links, exp.links)):
            for attr in ("trace_id", "id", "trace_state", "dropped_attributes_count"):
                if getattr(a, attr) != getattr(e, attr):
                    problems.append(f"{where} link {i}: {attr} {getattr(a, attr)!r} != {getattr(e, attr)!r}")
            problems += compare_attrs(a.attributes, e.attributes, f"{where} link {i}")
    return problems


# ------------------------------------------------------------------------------ OTLP/JSON

def any_value_json(v) -> dict:
    if isinstance(v, bool):
        return {"boolValue": v}
    if isinstance(v, int):
        return {"intValue": str(v)}
    if isinstance(v, float):
        return {"doubleValue": v}
    if isinstance(v, str):
        return {"stringValue": v}
    if isinstance(v, (bytes, bytearray)):
        return {"bytesValue": base64.b64encode(v).decode()}
    if isinstance(v, dict):
        return {"kvlistValue": {"values": [{"key": k, "value": any_value_json(x)} for k, x in v.items()]}}
    if isinstance(v, (list, tuple)):
        return {"arrayValue": {"values": [any_value_json(x) for x in v]}}
    if v is None:
        return {}
    raise TypeError(type(v))


def attrs_json(attrs) -> list:
    return [{"key": k, "value": any_value_json(v)} for k, v in (attrs or {}).items()]


def span_json(s: ReadableSpan) -> dict:
    d = {
        "traceId": f"{s.context.trace_id:032x}",
        "spanId": f"{s.context.span_id:016x}",
        "name": s.name,
        "kind": s.kind.value + 1,
        "startTimeUnixNano": str(s.start_time),
        "endTimeUnixNano": str(s.end_time),
        "attributes": attrs_json(s.attributes),
        "events": [{"timeUnixNano": str(e.timestamp), "name": e.name,
                    "attributes": attrs_json(e.attributes)} for e in s.events],
        "links": [{"traceId": f"{l.context.trace_id:032x}", "spanId": f"{l.context.span_id:016x}",
                   "traceState": _ts(l.context.trace_state), "attributes": attrs_json(l.attributes)}
                  for l in s.links],
        "status": {"code": s.status.status_code.value, "message": s.status.description or ""},
    }
    if s.parent:
        d["parentSpanId"] = f"{s.parent.span_id:016x}"
    if s.context.trace_state:
        d["traceState"] = _ts(s.context.trace_state)
    return d


def request_json(spans: list[ReadableSpan]) -> dict:
    """ExportTraceServiceRequest in OTLP/JSON, grouped by resource then scope (with the scope's
    schema URL and attributes)."""
    groups: dict = {}
    for s in spans:
        groups.setdefault(s.resource, {}).setdefault(s.instrumentation_scope, []).append(s)
    rs = []
    for res, scopes in groups.items():
        ss = []
        for scope, items in scopes.items():
            ss.append({"scope": {"name": scope.name, "version": scope.version or "",
                                 "attributes": attrs_json(scope.attributes)},
                       "schemaUrl": scope.schema_url or "",
                       "spans": [span_json(s) for s in items]})
        rs.append({"resource": {"attributes": attrs_json(res.attributes)},
                   "schemaUrl": res.schema_url, "scopeSpans": ss})
    return {"resourceSpans": rs}


# ------------------------------------------------------------------------------ raw protobuf

def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def tag(fieldno: int, wire: int) -> bytes:
    return varint(fieldno << 3 | wire)


def ld(fieldno: int, payload: bytes) -> bytes:
    return tag(fieldno, 2) + varint(len(payload)) + payload


def fixed64(fieldno: int, v: int) -> bytes:
    return tag(fieldno, 1) + v.to_bytes(8, "little")


def raw_span(trace_id: bytes, span_id: bytes, name: str, extra: bytes = b"") -> bytes:
    return (ld(1, trace_id) + ld(2, span_id) + ld(5, name.encode()) + tag(6, 0) + varint(1)
            + fixed64(7, BASE_NS) + fixed64(8, BASE_NS + 1000) + extra)


def raw_request(*spans: bytes) -> bytes:
    """ExportTraceServiceRequest{resource_spans{scope_spans{spans...}}}."""
    scope_spans = ld(1, ld(1, b"raw")) + b"".join(ld(2, s) for s in spans)
    return ld(1, ld(2, scope_spans))


def nested_kvlist_proto(depth: int) -> bytes:
    inner = ld(1, b"leaf")  # AnyValue.string_value
    for _ in range(depth):
        kv = ld(1, b"k") + ld(2, inner)  # KeyValue{key, value}
        inner = ld(6, ld(1, kv))  # AnyValue.kvlist_value{values}
    attr = ld(1, b"deep") + ld(2, inner)
    return raw_request(raw_span(bytes(range(1, 17)), bytes(range(1, 9)), "deep", ld(9, attr)))


def nested_kvlist_json(depth: int) -> bytes:
    value = '{"stringValue":"leaf"}'
    for _ in range(depth):
        value = '{"kvlistValue":{"values":[{"key":"k","value":' + value + '}]}}'
    body = ('{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0102030405060708090a0b0c0d0e0f10",'
            '"spanId":"0102030405060708","name":"deep","kind":1,"startTimeUnixNano":"1",'
            '"endTimeUnixNano":"2","attributes":[{"key":"deep","value":' + value + '}]}]}]}]}')
    return body.encode()


def new_ids(rng: random.Random) -> tuple[bytes, bytes]:
    return rng.getrandbits(128).to_bytes(16, "big"), (rng.getrandbits(64) | 1).to_bytes(8, "big")


def dumps(doc) -> bytes:
    return json.dumps(doc, ensure_ascii=False).encode()
