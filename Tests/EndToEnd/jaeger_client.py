"""Sends a fixed set of spans through the OpenTelemetry Python Jaeger Thrift exporter (or its
protobuf-over-gRPC exporter) and prints them as JSON (one object per span) for test_jaeger.py to
compare with the debug output.

Runs in the Jaeger venv (.venv-jaeger, see jaeger-requirements.txt), not the main test venv:
  python jaeger_client.py collector http://127.0.0.1:14268/api/traces TAG
  python jaeger_client.py agent 6831 TAG
  python jaeger_client.py grpc 127.0.0.1:14250 TAG
  python jaeger_client.py stream http://127.0.0.1:14268/api/traces TAG SECONDS
The stream mode exports one span at a time for SECONDS and prints one JSON line per export: the
span id and the HTTP status the Thrift transport got (or the exception it raised), since the
exporter itself only logs a failed upload.
"""
import json
import random
import sys

from opentelemetry import trace
from opentelemetry.exporter.jaeger.thrift import JaegerExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import Link, SpanContext, SpanKind, Status, StatusCode, TraceFlags

BASE_NS = 1_718_000_000_000_000_000


def stream(target: str, tag: str, seconds: float):
    import time
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    exporter = JaegerExporter(collector_endpoint=target)
    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": f"jaeger-stream-{tag}"}))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("e2e.stream")
    deadline = time.monotonic() + seconds
    for i in range(1_000_000):
        if time.monotonic() >= deadline:
            break
        with tracer.start_as_current_span(f"jaeger-{i}"):
            pass
        span = memory.get_finished_spans()[-1]
        memory.clear()
        try:
            exporter.export([span])
            outcome = {"status": exporter._collector_http_client.http_transport.code}
        except Exception as e:  # noqa: BLE001 - any failure is reported, not hidden
            outcome = {"error": f"{type(e).__name__}: {e}"}
        print(json.dumps({"span_id": f"{span.get_span_context().span_id:016x}", **outcome}), flush=True)
        time.sleep(0.01)


def main():
    mode, target, tag = sys.argv[1], sys.argv[2], sys.argv[3]
    if mode == "stream":
        return stream(target, tag, float(sys.argv[4]))
    if mode == "collector":
        exporter = JaegerExporter(collector_endpoint=target)
    elif mode == "grpc":
        from opentelemetry.exporter.jaeger.proto.grpc import JaegerExporter as GRPCJaegerExporter
        exporter = GRPCJaegerExporter(collector_endpoint=target, insecure=True)
    else:
        exporter = JaegerExporter(agent_host_name="127.0.0.1", agent_port=int(target),
                                  udp_split_oversized_batches=True)
    resource = Resource.create({"service.name": f"jaeger-e2e-{tag}", "deployment.environment": "test"})
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("e2e.lib", "1.2.3")
    rng = random.Random(tag)
    linked = SpanContext(rng.getrandbits(128), rng.getrandbits(64), is_remote=True,
                         trace_flags=TraceFlags(TraceFlags.SAMPLED))

    spans = []
    root = tracer.start_span("GET /checkout", kind=SpanKind.SERVER, start_time=BASE_NS + 1_000, attributes={
        "http.method": "GET", "http.status_code": 200, "retry.count": 3, "ratio": 0.25, "cached": False,
        "tags": ("a", "b"), "run": tag})
    root.add_event("cache miss", {"key": "k1", "hits": 2}, timestamp=BASE_NS + 2_000)
    ctx = trace.set_span_in_context(root)
    child = tracer.start_span("SELECT orders", context=ctx, kind=SpanKind.CLIENT, start_time=BASE_NS + 3_000,
                              links=[Link(linked, {"ignored": "link attributes are not carried"})],
                              attributes={"db.system": "postgresql"})
    child.set_status(Status(StatusCode.ERROR, "timeout"))
    child.end(end_time=BASE_NS + 1_503_000)
    spans.append(child)
    internal = tracer.start_span("compute", context=ctx, kind=SpanKind.INTERNAL, start_time=BASE_NS + 4_000)
    internal.set_status(Status(StatusCode.OK))
    internal.end(end_time=BASE_NS + 4_999_999)
    spans.append(internal)
    producer = tracer.start_span("publish", kind=SpanKind.PRODUCER, start_time=BASE_NS + 5_000,
                                 attributes={"http.status_code": 503})
    producer.end(end_time=BASE_NS + 6_000)
    spans.append(producer)
    root.end(end_time=BASE_NS + 9_000_000)
    spans.append(root)
    provider.shutdown()

    out = []
    for s in spans:
        c = s.get_span_context()
        out.append({
            "trace_id": f"{c.trace_id:032x}", "span_id": f"{c.span_id:016x}",
            "parent_id": f"{s.parent.span_id:016x}" if s.parent else "",
            "name": s.name, "kind": s.kind.name, "start_ns": s.start_time, "end_ns": s.end_time,
            "attributes": dict(s.attributes), "resource": dict(s.resource.attributes),
            "scope": [s.instrumentation_scope.name, s.instrumentation_scope.version],
            "status": [s.status.status_code.name, s.status.description],
            "events": [{"name": e.name, "ts": e.timestamp, "attributes": dict(e.attributes)} for e in s.events],
            "links": [{"trace_id": f"{l.context.trace_id:032x}", "span_id": f"{l.context.span_id:016x}"} for l in s.links],
        })
        if mode == "grpc":
            out[-1]["proto_ns"] = proto_times(s)
    print(json.dumps(out))


def proto_times(s) -> dict:
    """Start, end and event times in nanoseconds as the protobuf exporter encodes them (through a
    float: not the span's exact times) and a collector decodes them (start + duration)."""
    from opentelemetry.exporter.jaeger.proto.grpc.translate import (
        _duration_from_two_time_stamps, _proto_timestamp_from_epoch_nanos)

    def ns(t):
        return t.seconds * 1_000_000_000 + t.nanos

    start, end = _proto_timestamp_from_epoch_nanos(s.start_time), _proto_timestamp_from_epoch_nanos(s.end_time)
    return {"start": ns(start), "end": ns(start) + ns(_duration_from_two_time_stamps(start, end)),
            "events": [ns(_proto_timestamp_from_epoch_nanos(e.timestamp)) for e in s.events]}


if __name__ == "__main__":
    main()
