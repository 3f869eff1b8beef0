#!/usr/bin/env python3
"""Writes the Jaeger golden fixtures: one jaeger.thrift Batch as
  batch.thrift-binary        the bare Batch in TBinaryProtocol (the POST /api/traces body),
  emitBatch.compact          an Agent.emitBatch ONEWAY message in TCompactProtocol (UDP 6831),
  emitBatch.binary           the same in TBinaryProtocol, strict header (UDP 6832),
  emitBatch-nonstrict.binary the same with the old non-strict binary header, as a CALL.
All must decode to the spans in batch_detailed.out (written by hand from the translation rules).

Run with the Jaeger venv (the exporter package ships the generated jaeger.thrift types):
  .venv-jaeger/bin/python Tests/ComponentsTests/Golden/jaeger/make_jaeger_fixtures.py
"""
import pathlib

from opentelemetry.exporter.jaeger.thrift.gen.agent import Agent
from opentelemetry.exporter.jaeger.thrift.gen.jaeger import ttypes as j
from thrift.protocol import TBinaryProtocol, TCompactProtocol
from thrift.Thrift import TMessageType
from thrift.transport import TTransport

OUT = pathlib.Path(__file__).resolve().parent
START = 1581452772000000  # 2020-02-11 20:26:12 UTC, in microseconds
TRACE_HIGH, TRACE_LOW = 0x0102030405060708, 0x090A0B0C0D0E0F10


def s64(v):
    """An unsigned 64-bit pattern as the signed i64 thrift carries."""
    return v - (1 << 64) if v >= 1 << 63 else v


def tag(key, value):
    if isinstance(value, bool):
        return j.Tag(key=key, vType=j.TagType.BOOL, vBool=value)
    if isinstance(value, int):
        return j.Tag(key=key, vType=j.TagType.LONG, vLong=value)
    if isinstance(value, float):
        return j.Tag(key=key, vType=j.TagType.DOUBLE, vDouble=value)
    if isinstance(value, bytes):
        return j.Tag(key=key, vType=j.TagType.BINARY, vBinary=value)
    return j.Tag(key=key, vType=j.TagType.STRING, vStr=value)


def batch():
    process = j.Process(serviceName="frontend", tags=[
        tag("hostname", "web-1"), tag("ip", "10.0.0.7"), tag("client-uuid", "6c1e5a2b3f4d"),
        tag("jaeger.version", "Python-4.8.0"), tag("process.pid", 4242)])
    server = j.Span(
        traceIdLow=TRACE_LOW, traceIdHigh=TRACE_HIGH, spanId=0x1112131415161718, parentSpanId=0,
        operationName="HTTP GET /dispatch", flags=1, startTime=START, duration=1500123,
        tags=[tag("span.kind", "server"), tag("http.method", "GET"), tag("http.status_code", 200),
              tag("error", True), tag("otel.status_description", "boom"), tag("http.status_message", "Internal"),
              tag("sampler.param", 0.5), tag("payload", b"\x00\x01\xfe"), tag("cache.hit", False)],
        logs=[j.Log(timestamp=START + 1000, fields=[tag("event", "cache miss"), tag("key", "customer:123"), tag("retries", 2)]),
              j.Log(timestamp=START + 2000, fields=[tag("level", "info")])])
    client = j.Span(
        traceIdLow=TRACE_LOW, traceIdHigh=TRACE_HIGH, spanId=0x2122232425262728, parentSpanId=0x1112131415161718,
        operationName="SQL SELECT", flags=0, startTime=START + 100000, duration=250000,
        references=[j.SpanRef(refType=j.SpanRefType.CHILD_OF, traceIdLow=TRACE_LOW, traceIdHigh=TRACE_HIGH, spanId=0x1112131415161718),
                    j.SpanRef(refType=j.SpanRefType.FOLLOWS_FROM, traceIdLow=s64(0xAAAAAAAAAAAAAAAA), traceIdHigh=0, spanId=0x3132333435363738)],
        tags=[tag("span.kind", "client"), tag("otel.status_code", "ok"), tag("otel.status_description", "fine"),
              tag("db.system", "mysql"), tag("http.status_code", "404")])
    producer = j.Span(
        traceIdLow=s64(0xFFFFFFFFFFFFFFFE), traceIdHigh=0, spanId=s64(0xFFFFFFFFFFFFFFFD), parentSpanId=0,
        operationName="publish", flags=3, startTime=START + 200000, duration=0,
        references=[j.SpanRef(refType=j.SpanRefType.CHILD_OF, traceIdLow=s64(0xFFFFFFFFFFFFFFFE), traceIdHigh=0, spanId=0x4142434445464748)],
        tags=[tag("span.kind", "producer"), tag("http.status_code", 404)])
    consumer = j.Span(
        traceIdLow=s64(0xFFFFFFFFFFFFFFFE), traceIdHigh=0, spanId=5, parentSpanId=0,
        operationName="consume", flags=1, startTime=START + 300000, duration=7,
        references=[j.SpanRef(refType=j.SpanRefType.FOLLOWS_FROM, traceIdLow=s64(0xFFFFFFFFFFFFFFFE), traceIdHigh=0, spanId=0x5152535455565758)],
        tags=[tag("span.kind", "consumer"), tag("error", "true"), tag("otel.status_code", "Unset"), tag("http.status_code", 503)],
        logs=[j.Log(timestamp=START + 300001, fields=[tag("event", 7), tag("note", "ünïcode ✓")])])
    return j.Batch(process=process, spans=[server, client, producer, consumer])


def bare(protocol_factory):
    buf = TTransport.TMemoryBuffer()
    batch().write(protocol_factory.getProtocol(buf))
    return buf.getvalue()


def emit(protocol):
    buf = TTransport.TMemoryBuffer()
    Agent.Client(protocol(buf)).emitBatch(batch())
    return buf.getvalue()


def emit_nonstrict_call():
    buf = TTransport.TMemoryBuffer()
    prot = TBinaryProtocol.TBinaryProtocol(buf, strictWrite=False)
    prot.writeMessageBegin("emitBatch", TMessageType.CALL, 7)
    args = Agent.emitBatch_args(batch=batch())
    args.write(prot)
    prot.writeMessageEnd()
    return buf.getvalue()


def main():
    # The pure-Python protocols: the accelerated ones write the same bytes.
    (OUT / "batch.thrift-binary").write_bytes(bare(TBinaryProtocol.TBinaryProtocolFactory()))
    (OUT / "emitBatch.compact").write_bytes(emit(TCompactProtocol.TCompactProtocol))
    (OUT / "emitBatch.binary").write_bytes(emit(TBinaryProtocol.TBinaryProtocol))
    (OUT / "emitBatch-nonstrict.binary").write_bytes(emit_nonstrict_call())


if __name__ == "__main__":
    main()
