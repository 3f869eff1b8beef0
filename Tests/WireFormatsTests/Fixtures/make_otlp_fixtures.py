#!/usr/bin/env python3
"""Writes the OTLP fixtures in otlp/. Run from this directory; the output is checked in.
request_mixed.binpb and request_mixed.json describe the same data (tests compare them)."""
import json, struct

def varint(v):
    v &= (1 << 64) - 1
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80); v >>= 7
    out.append(v)
    return bytes(out)

def tag(f, wt): return varint(f << 3 | wt)
def ln(f, payload): return tag(f, 2) + varint(len(payload)) + payload
def s(f, text): return ln(f, text.encode())
def vi(f, v): return tag(f, 0) + varint(v)
def f64(f, v): return tag(f, 1) + struct.pack('<Q', v)
def f32(f, v): return tag(f, 5) + struct.pack('<I', v)
def dbl(f, v): return tag(f, 1) + struct.pack('<d', v)

def anyv(kind, v):
    return {'s': lambda: s(1, v), 'b': lambda: vi(2, 1 if v else 0), 'i': lambda: vi(3, v),
            'd': lambda: dbl(4, v), 'y': lambda: ln(7, v), 'e': lambda: b''}[kind]()
def kv(key, value): return ln(1, key.encode()) + ln(2, value)

TRACE = bytes.fromhex('0af7651916cd43dd8448eb211c80319c')
SPAN1 = bytes.fromhex('b7ad6b7169203331')
SPAN2 = bytes.fromhex('00f067aa0ba902b7')
UNKNOWN = vi(99, 7) + ln(100, b'\x01\x02') + f32(101, 5) + f64(102, 9)

span1 = (ln(1, TRACE) + ln(2, SPAN1) + s(3, 'congo=t61rcWkgMzE') + s(5, 'GET /cart') + vi(6, 2)
         + f64(7, 1718000000000000000) + f64(8, 1718000000250000000)
         + ln(9, kv('http.response.status_code', anyv('i', 200)))
         + ln(9, kv('neg', anyv('i', -2)))
         + ln(9, kv('empty', anyv('e', None)))
         + ln(9, kv('nan', anyv('d', float('nan'))))
         + ln(9, kv('inf', anyv('d', float('inf'))))
         + ln(9, kv('-inf', anyv('d', float('-inf'))))
         + ln(9, kv('bytes', anyv('y', b'\x00\xffhi')))
         + ln(9, kv('arr', ln(5, ln(1, anyv('s', 'x')) + ln(1, anyv('b', True)) + ln(1, b''))))
         + ln(9, kv('map', ln(6, ln(1, kv('inner', anyv('d', 1.5))))))
         + vi(10, 1)
         + ln(11, f64(1, 1718000000100000000) + s(2, 'exception') + ln(3, kv('exception.type', anyv('s', 'E'))) + UNKNOWN)
         + ln(13, ln(1, TRACE) + ln(2, SPAN2) + s(3, 'k=v') + f32(6, 0x301))
         + vi(14, 3) + ln(15, s(2, 'boom') + vi(3, 2)) + f32(16, 0x301) + UNKNOWN)
span2 = (ln(1, TRACE) + ln(2, SPAN2) + ln(4, SPAN1) + s(5, 'SELECT \u00e9\U0001F600') + vi(6, 3)
         + f64(7, 1718000000010000000) + f64(8, 1718000000020000000))
legacy_span = ln(1, TRACE) + ln(2, bytes.fromhex('1111111111111111')) + s(5, 'legacy')

scope_spans = ln(1, s(1, 'io.example.http') + s(2, '1.2.0') + UNKNOWN) + ln(2, span1) + ln(2, span2) + s(3, 'https://opentelemetry.io/schemas/1.24.0')
legacy = ln(1, s(1, 'old-lib') + s(2, '0.9')) + ln(2, legacy_span)
resource = ln(1, kv('service.name', anyv('s', 'checkout'))) + vi(2, 1) + ln(3, s(2, 'service')) + UNKNOWN
rs = ln(1, resource) + ln(2, scope_spans) + ln(1000, legacy) + s(3, 'https://opentelemetry.io/schemas/1.24.0') + UNKNOWN
open('otlp/request_mixed.binpb', 'wb').write(ln(1, rs) + UNKNOWN)
open('otlp/request_empty.binpb', 'wb').write(b'')

attrs1 = [
    {'key': 'http.response.status_code', 'value': {'intValue': '200'}},
    {'key': 'neg', 'value': {'intValue': -2}},
    {'key': 'empty', 'value': {}},
    {'key': 'nan', 'value': {'doubleValue': 'NaN'}},
    {'key': 'inf', 'value': {'doubleValue': 'Infinity'}},
    {'key': '-inf', 'value': {'double_value': '-Infinity'}},
    {'key': 'bytes', 'value': {'bytesValue': 'AP9oaQ'}},
    {'key': 'arr', 'value': {'arrayValue': {'values': [{'stringValue': 'x'}, {'boolValue': True}, {}]}}},
    {'key': 'map', 'value': {'kvlistValue': {'values': [{'key': 'inner', 'value': {'doubleValue': 1.5}}]}}},
]
doc = {'resourceSpans': [{
    'resource': {'attributes': [{'key': 'service.name', 'value': {'stringValue': 'checkout'}}], 'dropped_attributes_count': 1,
                 'entityRefs': [{'type': 'service'}], 'unknownKey': {'deep': [1, 2, {'x': None}]}},
    'scopeSpans': [{
        'scope': {'name': 'io.example.http', 'version': '1.2.0'},
        'spans': [
            {'traceId': '0AF7651916CD43DD8448EB211C80319C', 'spanId': 'b7ad6b7169203331', 'traceState': 'congo=t61rcWkgMzE',
             'parentSpanId': '', 'flags': 769, 'name': 'GET /cart', 'kind': 'SPAN_KIND_SERVER',
             'startTimeUnixNano': '1718000000000000000', 'end_time_unix_nano': 1718000000250000000,
             'attributes': attrs1, 'droppedAttributesCount': '1',
             'events': [{'timeUnixNano': '1718000000100000000', 'name': 'exception',
                         'attributes': [{'key': 'exception.type', 'value': {'stringValue': 'E'}}]}],
             'links': [{'traceId': '0af7651916cd43dd8448eb211c80319c', 'spanId': '00f067aa0ba902b7', 'traceState': 'k=v', 'flags': 769}],
             'droppedLinksCount': 3, 'status': {'message': 'boom', 'code': 'STATUS_CODE_ERROR'}, 'futureField': True},
            {'trace_id': '0af7651916cd43dd8448eb211c80319c', 'span_id': '00f067aa0ba902b7', 'parent_span_id': 'b7ad6b7169203331',
             'name': 'SELECT \u00e9\U0001F600', 'kind': 3, 'startTimeUnixNano': '1718000000010000000',
             'endTimeUnixNano': '1718000000020000000', 'status': None},
        ],
        'schemaUrl': 'https://opentelemetry.io/schemas/1.24.0'}],
    'instrumentationLibrarySpans': [{'instrumentationLibrary': {'name': 'old-lib', 'version': '0.9'},
                                     'spans': [{'traceId': '0af7651916cd43dd8448eb211c80319c', 'spanId': '1111111111111111', 'name': 'legacy'}]}],
    'schemaUrl': 'https://opentelemetry.io/schemas/1.24.0'}]}
open('otlp/request_mixed.json', 'w').write(json.dumps(doc, indent=1, ensure_ascii=True) + '\n')
