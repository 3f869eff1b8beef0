"""One request of the Collector testbed's shape (100 spans of 10 string attributes, one resource,
one scope), in every encoding the harness sends: OTLP protobuf (plain and gRPC-framed), OTLP JSON,
Zipkin v2 JSON and Jaeger Thrift (binary protocol). Every encoding carries the same spans: same
ids, names, times and attribute values. Written by hand: the harness needs no protobuf or thrift
package to send."""
import json, random, struct

SPANS_PER_REQUEST = 100
ATTRIBUTES = 10
BASE_NS = 1_700_000_000_000_000_000
SERVICE = "load-generator"


def spans():
    """The request's spans as plain values, drawn from a fixed seed."""
    rng = random.Random(1)
    out = []
    for i in range(SPANS_PER_REQUEST):
        start = BASE_NS + i * 1000
        out.append({"trace": rng.randbytes(16), "span": rng.randbytes(8), "parent": rng.randbytes(8),
                    "name": f"operation-{i % 7}", "start": start, "end": start + 1_000_000,
                    "attrs": [(f"attribute.key.{k}", f"value-{rng.randint(0, 10**9)}") for k in range(ATTRIBUTES)]})
    return out


# --- protobuf -------------------------------------------------------------------------------

def _varint(n):
    out = bytearray()
    while True:
        b, n = n & 0x7F, n >> 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _field(number, payload):
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _kv(k, v):
    return _field(1, k.encode()) + _field(2, _field(1, v.encode()))


def otlp_proto(span_list=None):
    """ExportTraceServiceRequest: resource_spans { resource, scope_spans { scope, spans } }, of
    `spans()` unless given others of their shape."""
    body = b""
    for s in (spans() if span_list is None else span_list):
        span = _field(1, s["trace"]) + _field(2, s["span"]) + _field(4, s["parent"]) + _field(5, s["name"].encode())
        span += bytes([0x30, 2])  # kind SERVER
        span += b"\x39" + s["start"].to_bytes(8, "little") + b"\x41" + s["end"].to_bytes(8, "little")
        for k, v in s["attrs"]:
            span += _field(9, _kv(k, v))
        body += _field(2, span)
    scope = _field(1, _field(1, b"bench")) + body
    resource = _field(1, _field(1, _kv("service.name", SERVICE)))
    return _field(1, resource + _field(2, scope))


def grpc_frame(message):
    """The gRPC length prefix: not compressed, 4-byte big-endian length."""
    return b"\x00" + len(message).to_bytes(4, "big") + message


# --- JSON -----------------------------------------------------------------------------------

def _compact(value):
    return json.dumps(value, separators=(",", ":")).encode()


def otlp_json():
    out = [{"traceId": s["trace"].hex(), "spanId": s["span"].hex(), "parentSpanId": s["parent"].hex(),
            "name": s["name"], "kind": 2, "startTimeUnixNano": str(s["start"]), "endTimeUnixNano": str(s["end"]),
            "attributes": [{"key": k, "value": {"stringValue": v}} for k, v in s["attrs"]]} for s in spans()]
    return _compact({"resourceSpans": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": SERVICE}}]},
        "scopeSpans": [{"scope": {"name": "bench"}, "spans": out}]}]})


def zipkin_json():
    return _compact([{"traceId": s["trace"].hex(), "id": s["span"].hex(), "parentId": s["parent"].hex(),
                      "name": s["name"], "kind": "SERVER", "timestamp": s["start"] // 1000,
                      "duration": (s["end"] - s["start"]) // 1000, "localEndpoint": {"serviceName": SERVICE},
                      "tags": dict(s["attrs"])} for s in spans()])


# --- Thrift binary protocol -----------------------------------------------------------------

T_I32, T_I64, T_STRING, T_STRUCT, T_LIST = 8, 10, 11, 12, 15


def _t_field(kind, fid, payload):
    return struct.pack(">bh", kind, fid) + payload


def _t_i64(fid, value):
    return _t_field(T_I64, fid, struct.pack(">q", value))


def _t_string(fid, text):
    data = text.encode()
    return _t_field(T_STRING, fid, struct.pack(">i", len(data)) + data)


def _t_list(fid, structs):
    return _t_field(T_LIST, fid, struct.pack(">bi", T_STRUCT, len(structs)) + b"".join(structs))


def _signed(data):
    return int.from_bytes(data, "big", signed=True)


def jaeger_thrift():
    """jaeger.thrift Batch { process: Process { serviceName }, spans: list<Span> }, the body of
    POST /api/traces with Content-Type application/x-thrift."""
    out = []
    for s in spans():
        tags = [_t_string(1, k) + _t_field(T_I32, 2, struct.pack(">i", 0)) + _t_string(3, v) + b"\x00" for k, v in s["attrs"]]
        out.append(_t_i64(1, _signed(s["trace"][8:])) + _t_i64(2, _signed(s["trace"][:8])) + _t_i64(3, _signed(s["span"]))
                   + _t_i64(4, _signed(s["parent"])) + _t_string(5, s["name"]) + _t_field(T_I32, 7, struct.pack(">i", 1))
                   + _t_i64(8, s["start"] // 1000) + _t_i64(9, (s["end"] - s["start"]) // 1000) + _t_list(10, tags) + b"\x00")
    process = _t_string(1, SERVICE) + b"\x00"
    return _t_field(T_STRUCT, 1, process) + _t_list(2, out) + b"\x00"
