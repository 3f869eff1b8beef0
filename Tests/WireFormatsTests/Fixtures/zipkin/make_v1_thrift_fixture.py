"""Writes v1_typed.thrift: a TBinaryProtocol list<Span> of zipkinCore.thrift exercising every
binary annotation type, as the Collector's zipkinv1 thrift path reads it. Run from this folder."""
import struct

STOP, BOOL, I16, I32, I64, STRING, STRUCT, LIST = 0, 2, 6, 8, 10, 11, 12, 15


def field(kind, fid, payload):
    return struct.pack(">bh", kind, fid) + payload


def i16(fid, v): return field(I16, fid, struct.pack(">h", v))
def i32(fid, v): return field(I32, fid, struct.pack(">i", v))
def i64(fid, v): return field(I64, fid, struct.pack(">q", v))
def binary(fid, b): return field(STRING, fid, struct.pack(">i", len(b)) + b)
def string(fid, s): return binary(fid, s.encode())
def struct_field(fid, body): return field(STRUCT, fid, body)
def end(*fields): return b"".join(fields) + bytes([STOP])


def struct_list(fid, items):
    return field(LIST, fid, struct.pack(">bi", STRUCT, len(items)) + b"".join(items))


def endpoint(service=None, ipv4=None, port=None, ipv6=None):
    parts = []
    if ipv4 is not None: parts.append(i32(1, ipv4))
    if port is not None: parts.append(i16(2, port))
    if service is not None: parts.append(string(3, service))
    if ipv6 is not None: parts.append(binary(4, ipv6))
    return end(*parts)


def annotation(ts, value, host=None):
    parts = [i64(1, ts), string(2, value)]
    if host is not None: parts.append(struct_field(3, host))
    return end(*parts)


def binary_annotation(key, value, kind=None, host=None):
    parts = [string(1, key), binary(2, value)]
    if kind is not None: parts.append(i32(3, kind))
    if host is not None: parts.append(struct_field(4, host))
    return end(*parts)


BOOL_T, BYTES_T, I16_T, I32_T, I64_T, DOUBLE_T, STRING_T = range(7)
V6 = bytes.fromhex("20010db8000000000000000000000001")
local = endpoint("ledger", ipv6=V6, port=-25536)  # i16 -25536 is port 40000 on the wire
remote = endpoint("bank", ipv4=0x0A000005, port=443)

spans = [
    end(
        i64(1, 0x0102030405060708), string(3, "post-entry"), i64(4, 0x1111111111111111),
        i64(5, 0x2222222222222222),
        struct_list(6, [
            annotation(1718000000000000, "sr", local),
            annotation(1718000000001000, "cs", endpoint("other", ipv4=0x0A000009)),
            annotation(1718000000002500, "db.locked", local),
            annotation(1718000000009000, "ss", local),
        ]),
        struct_list(8, [
            binary_annotation("sa", b"\x01", BOOL_T, remote),
            binary_annotation("cached", b"\x00", BOOL_T),
            binary_annotation("digest", b"\xde\xad\xbe\xef", BYTES_T),
            binary_annotation("retries", struct.pack(">h", -1), I16_T),
            binary_annotation("rows", struct.pack(">i", 70000), I32_T),
            binary_annotation("balance", struct.pack(">q", -42), I64_T),
            binary_annotation("ratio", struct.pack(">d", 0.25), DOUBLE_T),
            binary_annotation("http.path", b"/entries", STRING_T),
            binary_annotation("short", b"\x01", I32_T),
            binary_annotation("odd", b"x", 9),
            binary_annotation("untyped", b"\x01"),
        ]),
        i64(12, 0x0A0B0C0D0E0F1011),
    ),
    # No timestamp, no annotations: the thrift path leaves start and end at zero, unmarked.
    end(
        i64(1, 0x0102030405060708), string(3, "flush"), i64(4, 0x3333333333333333),
        # A later host without a name empties the fallback service name, so `lc` names the service.
        struct_list(8, [
            binary_annotation("peer", b"cache-1", STRING_T, endpoint("cache")),
            binary_annotation("lc", b"journal", STRING_T, endpoint("", ipv4=0x7F000001)),
        ]),
        i64(12, 0x0A0B0C0D0E0F1011),
    ),
]
body = struct.pack(">bi", STRUCT, len(spans)) + b"".join(spans)
with open("v1_typed.thrift", "wb") as f:
    f.write(body)
