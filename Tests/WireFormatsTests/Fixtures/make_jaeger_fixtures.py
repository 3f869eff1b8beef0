#!/usr/bin/env python3
"""Writes the Jaeger protobuf fixtures in jaeger/ (our own data) with the Python protobuf library
and the model classes of opentelemetry-exporter-jaeger-proto-grpc (run it with the Jaeger venv,
.venv-jaeger, from this directory; the output is checked in). post_spans.binpb is the request
JaegerProtoDecoderTests decodes field by field; both files seed the FuzzJaegerProto corpus."""
from google.protobuf.duration_pb2 import Duration
from google.protobuf.timestamp_pb2 import Timestamp
from opentelemetry.exporter.jaeger.proto.grpc.gen import collector_pb2, model_pb2


def tag(key, **value):
    return model_pb2.KeyValue(key=key, **value)


process = model_pb2.Process(service_name="seed-svc", tags=[tag("hostname", v_str="h1"), tag("jaeger.version", v_str="Go-2.30.0")])
trace = bytes(range(1, 17))
span = model_pb2.Span(
    trace_id=trace, span_id=bytes(range(1, 9)), operation_name="GET /x", flags=1,
    references=[model_pb2.SpanRef(trace_id=trace, span_id=bytes([9] * 8), ref_type=0),
                model_pb2.SpanRef(trace_id=bytes([7] * 16), span_id=bytes([8] * 8), ref_type=1)],
    start_time=Timestamp(seconds=1718000000, nanos=1000), duration=Duration(seconds=0, nanos=1500000),
    tags=[tag("span.kind", v_str="server"), tag("b", v_type=1, v_bool=True), tag("i", v_type=2, v_int64=-3),
          tag("d", v_type=3, v_float64=0.25), tag("x", v_type=4, v_binary=b"\x00\x01"), tag("otel.scope.name", v_str="lib"),
          tag("w3c.tracestate", v_str="a=1"), tag("error", v_type=1, v_bool=True)],
    logs=[model_pb2.Log(timestamp=Timestamp(seconds=1718000000, nanos=2000),
                        fields=[tag("event", v_str="e"), tag("k", v_type=2, v_int64=1)])],
    process=model_pb2.Process(service_name="own"), warnings=["w"])
child = model_pb2.Span(trace_id=bytes([5] * 8), span_id=bytes([6] * 8), operation_name="child",
                       start_time=Timestamp(seconds=1718000001), duration=Duration(seconds=1))
request = collector_pb2.PostSpansRequest(batch=model_pb2.Batch(spans=[span, child], process=process))
with open("jaeger/post_spans.binpb", "wb") as f:
    f.write(request.SerializeToString())
with open("jaeger/empty_batch.binpb", "wb") as f:
    f.write(collector_pb2.PostSpansRequest(batch=model_pb2.Batch(process=process)).SerializeToString())
