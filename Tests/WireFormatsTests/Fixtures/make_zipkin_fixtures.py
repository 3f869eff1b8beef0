#!/usr/bin/env python3
"""Writes the Zipkin fixtures in zipkin/ (our own data). Run from this directory; the output is
checked in. Files sharing a stem describe the same spans (tests compare their decodings):
v2_spans.json = v2_spans.binpb; v1_rpc.json = v1_rpc.thrift;
envoy_64bit.binpb = envoy_64bit.json. istio_v2.json is the example of wire-formats.md §10."""
import ipaddress, json, struct

# --- zipkin.proto3 by hand (field numbers of wire-formats.md §6.2) ---
def varint(v):
    v &= (1 << 64) - 1
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80); v >>= 7
    out.append(v)
    return bytes(out)
def tag(f, wt): return varint(f << 3 | wt)
def ln(f, payload): return tag(f, 2) + varint(len(payload)) + payload
def vi(f, v): return tag(f, 0) + varint(v)
def f64(f, v): return tag(f, 1) + struct.pack('<Q', v)

KINDS = {'CLIENT': 1, 'SERVER': 2, 'PRODUCER': 3, 'CONSUMER': 4}

def proto_endpoint(e):
    out = b''
    if 'serviceName' in e: out += ln(1, e['serviceName'].encode())
    if 'ipv4' in e: out += ln(2, ipaddress.ip_address(e['ipv4']).packed)
    if 'ipv6' in e: out += ln(3, ipaddress.ip_address(e['ipv6']).packed)
    if e.get('port'): out += vi(4, e['port'])
    return out

def proto_span(s, trace_bytes=None):
    out = ln(1, trace_bytes or bytes.fromhex(s['traceId'].rjust(32, '0')))
    if 'parentId' in s: out += ln(2, bytes.fromhex(s['parentId']))
    out += ln(3, bytes.fromhex(s['id']))
    if 'kind' in s: out += vi(4, KINDS[s['kind']])
    if 'name' in s: out += ln(5, s['name'].encode())
    if 'timestamp' in s: out += f64(6, s['timestamp'])
    if 'duration' in s: out += vi(7, s['duration'])
    if 'localEndpoint' in s: out += ln(8, proto_endpoint(s['localEndpoint']))
    if 'remoteEndpoint' in s: out += ln(9, proto_endpoint(s['remoteEndpoint']))
    for a in s.get('annotations', []): out += ln(10, f64(1, a['timestamp']) + ln(2, a['value'].encode()))
    for k, v in s.get('tags', {}).items(): out += ln(11, ln(1, k.encode()) + ln(2, v.encode()))
    if s.get('debug'): out += vi(12, 1)
    if s.get('shared'): out += vi(13, 1)
    out += vi(99, 5)  # an unknown field, skipped
    return out

def proto_list(spans, **kw): return b''.join(ln(1, proto_span(s, **kw)) for s in spans)

# --- zipkinCore.thrift in TBinaryProtocol by hand (wire-formats.md §6.3, §7.3) ---
T_BOOL, T_I16, T_I32, T_I64, T_STRING, T_STRUCT, T_LIST = 2, 6, 8, 10, 11, 12, 15
def fh(t, fid): return struct.pack('>bh', t, fid)
def t_i64(fid, v): return fh(T_I64, fid) + struct.pack('>q', v)
def t_i32(fid, v): return fh(T_I32, fid) + struct.pack('>i', v)
def t_i16(fid, v): return fh(T_I16, fid) + struct.pack('>h', v)
def t_bin(fid, b): return fh(T_STRING, fid) + struct.pack('>i', len(b)) + b
def t_struct(fid, body): return fh(T_STRUCT, fid) + body + b'\x00'
def t_list(fid, elems): return fh(T_LIST, fid) + struct.pack('>bi', T_STRUCT, len(elems)) + b''.join(e + b'\x00' for e in elems)
def signed64(h): return struct.unpack('>q', bytes.fromhex(h))[0]

def thrift_endpoint(e):
    out = b''
    if 'ipv4' in e: out += t_i32(1, struct.unpack('>i', ipaddress.ip_address(e['ipv4']).packed)[0])
    out += t_i16(2, struct.unpack('>h', struct.pack('>H', e.get('port', 0)))[0])
    out += t_bin(3, e.get('serviceName', '').encode())
    if 'ipv6' in e: out += t_bin(4, ipaddress.ip_address(e['ipv6']).packed)
    return out

def thrift_span(s):
    tid = s['traceId'].rjust(32, '0')
    out = t_i64(1, signed64(tid[16:])) + t_bin(3, s.get('name', '').encode()) + t_i64(4, signed64(s['id']))
    if 'parentId' in s: out += t_i64(5, signed64(s['parentId']))
    anns = []
    for a in s.get('annotations', []):
        body = t_i64(1, a['timestamp']) + t_bin(2, a['value'].encode())
        if 'endpoint' in a: body += t_struct(3, thrift_endpoint(a['endpoint']))
        anns.append(body)
    out += t_list(6, anns)
    bins = []
    for b in s.get('binaryAnnotations', []):
        if b['value'] is True:
            body = t_bin(1, b['key'].encode()) + t_bin(2, b'\x01') + t_i32(3, 0)
        else:
            body = t_bin(1, b['key'].encode()) + t_bin(2, b['value'].encode()) + t_i32(3, 6)
        if 'endpoint' in b: body += t_struct(4, thrift_endpoint(b['endpoint']))
        bins.append(body)
    out += t_list(8, bins)
    if 'timestamp' in s: out += t_i64(10, s['timestamp'])
    if 'duration' in s: out += t_i64(11, s['duration'])
    if tid[:16] != '0' * 16: out += t_i64(12, signed64(tid[:16]))
    return out

def thrift_list(spans): return struct.pack('>bi', T_STRUCT, len(spans)) + b''.join(thrift_span(s) + b'\x00' for s in spans)

def write(name, data):
    with open('zipkin/' + name, 'wb') as f:
        f.write(data if isinstance(data, bytes) else (json.dumps(data, indent=1, ensure_ascii=False) + '\n').encode())

TRACE = '4bf92f3577b34da6a3ce929d0e0e4736'

# Every translation rule that both v2 encodings carry.
v2_spans = [
    {'traceId': TRACE, 'parentId': '6b221d5bc9e6496c', 'id': '352bff9a74ca9ad2', 'kind': 'SERVER',
     'name': 'get /api/cart', 'timestamp': 1718000000000001, 'duration': 250000, 'shared': True,
     'localEndpoint': {'serviceName': 'cart', 'ipv6': '2001:db8::c001', 'port': 8080},
     'remoteEndpoint': {'serviceName': 'frontend', 'ipv4': '192.168.0.7', 'port': 51234},
     'annotations': [{'timestamp': 1718000000100000, 'value': 'cache.miss'},
                     {'timestamp': 1718000000200000, 'value': 'retry|{"attempt":2,"backoff":0.5,"final":false,"host":"db|1"}|3'}],
     'tags': {'http.method': 'GET', 'http.status_code': '503', 'error': 'upstream timed out',
              'otel.status_code': 'ERROR', 'otel.status_description': 'deadline exceeded',
              'w3c.tracestate': 'vendor=abc', 'otel.scope.name': 'io.example.cart', 'otel.scope.version': '2.1.0',
              'k8s.pod.name': 'cart-7d9f', 'net.host.ip': 'shadowed by the endpoint',
              'otlp.link.0': '0af7651916cd43dd8448eb211c80319c|b7ad6b7169203331|k=v|{"link.kind":"follows"}|0',
              'retries': '3', 'ratio': '0.25', 'cached': 'true'}},
    {'traceId': TRACE, 'parentId': '352bff9a74ca9ad2', 'id': '00f067aa0ba902b7', 'kind': 'CLIENT',
     'name': 'select cart', 'timestamp': 1718000000050000, 'duration': 120000,
     'localEndpoint': {'serviceName': 'cart', 'ipv4': '10.1.2.3'},
     'remoteEndpoint': {'serviceName': 'postgres', 'ipv6': '::ffff:10.9.8.7', 'port': 5432},
     'tags': {'otel.scope.name': 'io.example.cart', 'db.system': 'postgresql', 'otel.status_code': 'STATUS_CODE_OK',
              'error': 'true'}},
    {'traceId': 'a3ce929d0e0e4736', 'parentId': '1111111111111111', 'id': '1111111111111111', 'kind': 'PRODUCER',
     'name': 'publish', 'timestamp': 1718000001000000, 'duration': 7,
     'tags': {'otel.library.name': 'legacy-lib', 'otel.library.version': '0.9', 'messaging.system': 'kafka',
              'deployment.environment': 'prod'}},
    {'traceId': TRACE, 'parentId': '00f067aa0ba902b7', 'id': 'd75597dee50b0cac', 'kind': 'CONSUMER',
     'name': 'settle', 'timestamp': 1718000002000000, 'duration': 1,
     'localEndpoint': {'serviceName': 'billing', 'port': 0},
     'tags': {'deployment.environment': 'prod', 'service.version': '4.2', 'otel.status_code': 'Ok',
              'otel.status_description': 'fine', 'span.kind': 'internal', 'otlp.link.1': 'after a gap, kept'}},
]
write('v2_spans.json', v2_spans)
write('v2_spans.binpb', proto_list(v2_spans))

# What only JSON has: no timestamp (upstream marks it), a timestamp in exponent form (old Envoy),
# span.kind for a span without kind, escapes, keys in another case, null members, unknown keys.
v2_json_only = ('[{"traceId":"' + TRACE + '","id":"b7ad6b7169203331","name":"no timestamp","duration":42,'
                '"localEndpoint":{"serviceName":"worker"},"tags":{"span.kind":"internal","note":"caf\\u00e9 \\ud83d\\ude00"}},'
                '{"TraceId":"' + TRACE + '","ID":"b7ad6b7169203332","Name":"exponent form","kind":"server",'
                '"timestamp":1.71800000030000e+15,"duration":2.5e3,"localEndpoint":{"serviceName":"worker","ipv4":""},'
                '"parentId":"","remoteEndpoint":null,"unknown":{"nested":[1,{"a":null}]},"annotations":[],"tags":{}},'
                'null]\n')
write('v2_json_only.json', v2_json_only.encode())

# A v1 span both sides logged (cs/sr/ss/cr), with address annotations, plus a local span (lc).
cart = {'serviceName': 'cart', 'ipv4': '10.1.2.3', 'port': 8080}
inventory = {'serviceName': 'inventory', 'ipv4': '10.1.2.9', 'port': 9090}
v1_rpc = [
    {'traceId': TRACE, 'parentId': '6b221d5bc9e6496c', 'id': 'e457b5a2e4d86bd1', 'name': 'reserve',
     'timestamp': 1718000000010000, 'duration': 90000,
     'annotations': [{'timestamp': 1718000000010000, 'value': 'cs', 'endpoint': cart},
                     {'timestamp': 1718000000012000, 'value': 'sr', 'endpoint': inventory},
                     {'timestamp': 1718000000050000, 'value': 'stock.checked', 'endpoint': inventory},
                     {'timestamp': 1718000000095000, 'value': 'ss', 'endpoint': inventory},
                     {'timestamp': 1718000000100000, 'value': 'cr', 'endpoint': cart}],
     'binaryAnnotations': [{'key': 'http.path', 'value': '/reserve', 'endpoint': cart},
                           {'key': 'items', 'value': '4', 'endpoint': inventory},
                           {'key': 'sa', 'value': True, 'endpoint': {'serviceName': 'inventory', 'ipv4': '10.1.2.9', 'port': 9090}},
                           {'key': 'ca', 'value': True, 'endpoint': {'ipv4': '10.1.2.3', 'port': 40001}}]},
    {'traceId': 'a3ce929d0e0e4736', 'id': '5b4185666d50f68b', 'name': 'compress', 'timestamp': 1718000003000000,
     'duration': 1500,
     'binaryAnnotations': [{'key': 'lc', 'value': 'zlib', 'endpoint': {'serviceName': 'archiver'}}]},
]
write('v1_rpc.json', v1_rpc)
write('v1_rpc.thrift', thrift_list(v1_rpc))

# Envoy's HTTP_PROTO with 64-bit ids writes an 8-byte trace_id; plain Envoy: shared server span,
# port 0, no service name in the remote endpoint, the closing annotation.
envoy = [{'traceId': '9b7ee1b7d47e6ee4', 'parentId': '9b7ee1b7d47e6ee4', 'id': '4e1d1f2b7f3e8a90', 'kind': 'SERVER',
          'name': 'ingress', 'timestamp': 1718000004000000, 'duration': 3300, 'shared': True,
          'localEndpoint': {'serviceName': 'front-proxy', 'ipv4': '172.18.0.6', 'port': 0},
          'annotations': [{'timestamp': 1718000004003300, 'value': 'ss'}],
          'tags': {'component': 'proxy', 'http.status_code': '200', 'response_flags': '-', 'upstream_cluster': 'service1'}}]
write('envoy_64bit.json', envoy)
write('envoy_64bit.binpb', proto_list(envoy, trace_bytes=bytes.fromhex('9b7ee1b7d47e6ee4')))
