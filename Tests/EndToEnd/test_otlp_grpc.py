"""OTLP/gRPC end to end: the Python SDK's gRPC exporter into the gRPC receiver, forwarding through
the `otlp` and `otlphttp` exporters to real backends (a grpcio server with opentelemetry-proto, and
an HTTP server) that check every span arrived exactly once with every field intact; retry, a
backend that hangs, h2load with 100 concurrent streams, gRPC errors and misbehaving HTTP/2 peers."""
from __future__ import annotations

import shutil
import signal
import socket
import struct
import subprocess
import threading
import time

import grpc
import pytest
from opentelemetry.exporter.otlp.proto.grpc.exporter import Compression as GRPCCompression
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GRPCSpanExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HTTPSpanExporter
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (ExportTraceServiceRequest,
                                                                       ExportTraceServiceResponse)
from opentelemetry.sdk.trace.export import SpanExportResult

from conftest import SHARED, Ports, base_config, free_port, run_cli, wait_until, write_yaml
from otlp_backend import GRPCBackend, HTTPBackend, StalledBackend
from otlp_fixtures import (RecordingExporter, check_printed, emit_spans, expected_from_readable,
                           make_provider, raw_request, raw_span)

EXPORT = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"


# ------------------------------------------------------------------------------ helpers

def grpc_config(ports: Ports, exporters: dict, pipeline_exporters: list[str],
                grpc_extra: dict | None = None, batch: dict | None = None) -> dict:
    cfg = base_config(ports)
    grpc_cfg = {"endpoint": f"127.0.0.1:{ports.otlp}"}
    grpc_cfg.update(grpc_extra or {})
    cfg["receivers"]["otlp"]["protocols"] = {"grpc": grpc_cfg, "http": {"endpoint": f"127.0.0.1:{free_port()}"}}
    cfg["processors"]["batch"] = batch or {"timeout": "50ms"}
    cfg["exporters"].update(exporters)
    cfg["service"]["pipelines"]["traces"]["exporters"] = pipeline_exporters
    return cfg


def http_port(cfg: dict) -> int:
    return int(cfg["receivers"]["otlp"]["protocols"]["http"]["endpoint"].rsplit(":", 1)[1])


def sdk_spans_via_grpc(port: int, tag: str, seed: int, compression=GRPCCompression.NoCompression):
    otlp = RecordingExporter(GRPCSpanExporter(endpoint=f"127.0.0.1:{port}", insecure=True,
                                              compression=compression, timeout=10))
    provider, memory = make_provider(tag, otlp)
    emit_spans(provider, tag, seed=seed)
    provider.shutdown()
    assert otlp.results and all(r == SpanExportResult.SUCCESS for r in otlp.results), otlp.results
    return memory.get_finished_spans()


def sdk_spans_via_http(port: int, tag: str, seed: int):
    otlp = RecordingExporter(HTTPSpanExporter(endpoint=f"http://127.0.0.1:{port}/v1/traces", timeout=10))
    provider, memory = make_provider(tag, otlp)
    emit_spans(provider, tag, seed=seed)
    provider.shutdown()
    assert otlp.results and all(r == SpanExportResult.SUCCESS for r in otlp.results), otlp.results
    return memory.get_finished_spans()


def _value(v):
    """An SDK attribute value as the proto AnyValue field it becomes."""
    if isinstance(v, bool):
        return ("bool_value", v)
    if isinstance(v, int):
        return ("int_value", v)
    if isinstance(v, float):
        return ("double_value", v)
    if isinstance(v, str):
        return ("string_value", v)
    if isinstance(v, (list, tuple)):
        return ("array_value", [_value(x) for x in v])
    raise TypeError(type(v))


def _proto_value(av):
    which = av.WhichOneof("value")
    if which == "array_value":
        return (which, [_proto_value(x) for x in av.array_value.values])
    return (which, getattr(av, which))


def _attrs(kvs):
    return {kv.key: _proto_value(kv.value) for kv in kvs}


def assert_arrived_exactly_once(recorder, sent) -> None:
    """Every SDK span reached the backend once, with ids, parent, name, kind, times, status,
    attributes, events, links, resource and scope as sent."""
    got = recorder.spans()
    by_id: dict[bytes, list] = {}
    for rs, ss, span in got:
        by_id.setdefault(span.span_id, []).append((rs, ss, span))
    problems = []
    for s in sent:
        sid = s.context.span_id.to_bytes(8, "big")
        arrivals = by_id.get(sid, [])
        if len(arrivals) != 1:
            problems.append(f"span {s.name!r} arrived {len(arrivals)} times")
            continue
        rs, ss, p = arrivals[0]
        checks = {
            "trace_id": (p.trace_id, s.context.trace_id.to_bytes(16, "big")),
            "parent": (p.parent_span_id, s.parent.span_id.to_bytes(8, "big") if s.parent else b""),
            "name": (p.name, s.name),
            "kind": (p.kind, s.kind.value + 1),
            "start": (p.start_time_unix_nano, s.start_time),
            "end": (p.end_time_unix_nano, s.end_time),
            "status": ((p.status.code, p.status.message),
                       (s.status.status_code.value, s.status.description or "")),
            "attributes": (_attrs(p.attributes), {k: _value(v) for k, v in s.attributes.items()}),
            "events": ([(e.name, e.time_unix_nano, _attrs(e.attributes)) for e in p.events],
                       [(e.name, e.timestamp, {k: _value(v) for k, v in e.attributes.items()}) for e in s.events]),
            "links": ([(l.trace_id, l.span_id, _attrs(l.attributes)) for l in p.links],
                      [(l.context.trace_id.to_bytes(16, "big"), l.context.span_id.to_bytes(8, "big"),
                        {k: _value(v) for k, v in l.attributes.items()}) for l in s.links]),
            "resource": (_attrs(rs.resource.attributes), {k: _value(v) for k, v in s.resource.attributes.items()}),
            "scope": ((ss.scope.name, ss.scope.version), (s.instrumentation_scope.name, s.instrumentation_scope.version)),
        }
        for what, (actual, expected) in checks.items():
            if actual != expected:
                problems.append(f"span {s.name!r} {what}: got {actual!r}, sent {expected!r}")
    assert len(got) == len(sent), f"backend holds {len(got)} spans, {len(sent)} were sent"
    assert not problems, "\n".join(problems[:30])


@pytest.fixture
def grpc_backend():
    b = GRPCBackend()
    yield b
    b.stop()


@pytest.fixture
def http_backend():
    b = HTTPBackend()
    yield b
    b.stop()


def otlp_exporter(backend, **extra) -> dict:
    cfg = {"endpoint": f"127.0.0.1:{backend.port}", "tls": {"insecure": True},
           "retry_on_failure": {"initial_interval": "100ms", "max_interval": "500ms"}}
    cfg.update(extra)
    return cfg


# ------------------------------------------------------------------------------ receiver

@pytest.mark.parametrize("compression", [GRPCCompression.NoCompression, GRPCCompression.Gzip], ids=["plain", "gzip"])
def test_sdk_grpc_exporter_spans_printed_exactly(swiftlet_factory, compression):
    ports = Ports()
    cfg = grpc_config(ports, {}, ["debug"])
    sw = swiftlet_factory(config=cfg, ports=ports)
    spans = sdk_spans_via_grpc(ports.otlp, f"grpc-{compression.name}", seed=3, compression=compression)
    expected = {f"{s.context.span_id:016x}": expected_from_readable(s, False) for s in spans}
    out = sw.wait_for_spans(set(expected))
    problems = check_printed(out, expected)
    assert not problems, "\n".join(problems[:40])


# ------------------------------------------------------------------------------ forwarding

@pytest.mark.parametrize("compression", ["none", "gzip"])
def test_forwards_to_grpc_backend_exactly_once(swiftlet_factory, grpc_backend, compression):
    ports = Ports()
    cfg = grpc_config(ports, {"otlp": otlp_exporter(grpc_backend, compression=compression,
                                                    headers={"X-Scope-OrgID": "tenant-1"})}, ["otlp"])
    sw = swiftlet_factory(config=cfg, ports=ports)
    spans = list(sdk_spans_via_grpc(ports.otlp, "fwd-a", seed=4)) + list(sdk_spans_via_http(http_port(cfg), "fwd-b", seed=5))
    assert grpc_backend.recorder.wait_for_spans(len(spans)), grpc_backend.recorder.span_count()
    time.sleep(0.2)  # a duplicate would arrive now
    assert_arrived_exactly_once(grpc_backend.recorder, spans)
    metadata = grpc_backend.recorder.requests[0][0]
    assert metadata.get("x-scope-orgid") == "tenant-1", metadata
    wait_until(lambda: f'otelcol_exporter_sent_spans{{exporter="otlp"}} {len(spans)}' in sw.metrics(), 5,
               what="sent_spans counted")


def test_forwards_zstd_between_two_swiftlets(swiftlet_factory, grpc_backend):
    """zstd over gRPC (grpcio has no zstd): the first hop compresses, the second decodes it."""
    second_ports = Ports()
    second = swiftlet_factory(config=grpc_config(second_ports, {"otlp": otlp_exporter(grpc_backend)}, ["otlp"]),
                              ports=second_ports, name="second")
    first_ports = Ports()
    hop = {"endpoint": f"127.0.0.1:{second_ports.otlp}", "tls": {"insecure": True}, "compression": "zstd"}
    first = swiftlet_factory(config=grpc_config(first_ports, {"otlp": hop}, ["otlp"]), ports=first_ports, name="first")
    spans = sdk_spans_via_grpc(first_ports.otlp, "zstd", seed=6)
    assert grpc_backend.recorder.wait_for_spans(len(spans)), grpc_backend.recorder.span_count()
    assert_arrived_exactly_once(grpc_backend.recorder, spans)
    assert first.alive() and second.alive()


@pytest.mark.parametrize("encoding,compression", [("proto", "none"), ("proto", "gzip"), ("proto", "zstd"), ("json", "gzip")])
def test_forwards_through_otlphttp(swiftlet_factory, http_backend, encoding, compression):
    ports = Ports()
    exporter = {"endpoint": f"http://127.0.0.1:{http_backend.port}", "encoding": encoding,
                "compression": compression, "headers": {"X-Scope-OrgID": "t2"},
                "retry_on_failure": {"initial_interval": "100ms"}}
    cfg = grpc_config(ports, {"otlphttp": exporter}, ["otlphttp"])
    swiftlet_factory(config=cfg, ports=ports)
    spans = sdk_spans_via_grpc(ports.otlp, f"http-{encoding}-{compression}", seed=7)
    assert http_backend.recorder.wait_for_spans(len(spans)), http_backend.recorder.span_count()
    time.sleep(0.2)
    assert_arrived_exactly_once(http_backend.recorder, spans)
    meta = http_backend.recorder.requests[0][0]
    assert meta["path"] == "/v1/traces" and meta.get("x-scope-orgid") == "t2", meta
    assert meta["content-type"] == ("application/json" if encoding == "json" else "application/x-protobuf")
    assert meta.get("content-encoding", "none") == compression


def test_compression_params_level_sets_how_hard_the_exporter_compresses(swiftlet_factory, http_backend):
    """configcompression's compression_params::level: 0 sends gzip of stored blocks (larger than the
    protobuf), 9 the smallest; both decompress to the same spans at the backend."""
    stored = HTTPBackend()
    try:
        ports = Ports()
        exporter = lambda backend, level: {"endpoint": f"http://127.0.0.1:{backend.port}", "compression": "gzip",
                                           "compression_params": {"level": level}}
        cfg = grpc_config(ports, {"otlphttp/stored": exporter(stored, 0), "otlphttp/best": exporter(http_backend, 9)},
                          ["otlphttp/stored", "otlphttp/best"], batch={"timeout": "500ms"})
        swiftlet_factory(config=cfg, ports=ports)
        spans = sdk_spans_via_grpc(ports.otlp, "levels", seed=8)
        for backend in (stored, http_backend):
            assert backend.recorder.wait_for_spans(len(spans)), backend.recorder.span_count()
            assert_arrived_exactly_once(backend.recorder, spans)
        def wire_and_plain(backend):
            return [(int(meta["content-length"]), len(request.SerializeToString())) for meta, request in backend.recorder.requests]
        for wire, plain in wire_and_plain(stored):
            assert wire > plain, (wire, plain)
        for wire, plain in wire_and_plain(http_backend):
            assert wire < plain / 2, (wire, plain)
    finally:
        stored.stop()


def test_compression_params_level_is_checked_as_upstream(tmp_path):
    base = {"receivers": {"otlp": {"protocols": {"grpc": {"endpoint": "127.0.0.1:0"}}}},
            "service": {"pipelines": {"traces": {"receivers": ["otlp"], "exporters": ["otlp"]}}}}
    for compression, level, ok in [("gzip", 9, True), ("gzip", -2, True), ("gzip", 10, False), ("zstd", 19, True),
                                   ("none", 3, False), ("none", 0, True)]:
        cfg = dict(base, exporters={"otlp": {"endpoint": "tempo:4317", "tls": {"insecure": True}, "compression": compression,
                                             "compression_params": {"level": level}}})
        path = write_yaml(tmp_path / f"{compression}{level}.yaml", cfg)
        out = run_cli("validate", "--config", str(path))
        assert (out.returncode == 0) == ok, (compression, level, out.stdout + out.stderr)
        if not ok:
            assert out.returncode == 2 and "compression_params::level" in out.stderr + out.stdout, out.stderr


def test_retries_until_the_backend_accepts(swiftlet_factory, grpc_backend, http_backend):
    grpc_backend.recorder.fail_next = 3
    http_backend.recorder.fail_next = 2
    ports = Ports()
    cfg = grpc_config(ports, {"otlp": otlp_exporter(grpc_backend),
                              "otlphttp": {"endpoint": f"http://127.0.0.1:{http_backend.port}",
                                           "retry_on_failure": {"initial_interval": "100ms"}}},
                      ["otlp", "otlphttp"])
    sw = swiftlet_factory(config=cfg, ports=ports)
    spans = sdk_spans_via_grpc(ports.otlp, "retry", seed=8)
    for b in (grpc_backend, http_backend):
        assert b.recorder.wait_for_spans(len(spans), timeout=15), b.recorder.span_count()
        assert_arrived_exactly_once(b.recorder, spans)
    assert "Will retry the request after interval" in sw.stderr()


def test_permanent_errors_are_dropped_not_retried(swiftlet_factory, grpc_backend):
    grpc_backend.recorder.fail_status = "invalid"
    ports = Ports()
    sw = swiftlet_factory(config=grpc_config(ports, {"otlp": otlp_exporter(grpc_backend)}, ["otlp"]), ports=ports)
    sdk_spans_via_grpc(ports.otlp, "perm", seed=9)
    wait_until(lambda: "Exporting failed. Dropping data." in sw.stderr(), 10, what="drop logged")
    assert "Will retry" not in sw.stderr()
    wait_until(lambda: 'otelcol_exporter_send_failed_spans{exporter="otlp"} 7' in sw.metrics(), 5, what="failed counted")


SPANS_PER_POST = 50


def _post_spans(port: int, i: int) -> int:
    """Posts SPANS_PER_POST spans with ids i*SPANS_PER_POST+1...; returns the status code."""
    body = raw_request(*[raw_span(bytes([1] * 15 + [i % 250 + 1]), struct.pack(">Q", i * SPANS_PER_POST + k + 1), f"s{i}")
                         for k in range(SPANS_PER_POST)])
    conn = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        conn.sendall(b"POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\n"
                     + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body)
        data = b""
        while b"\r\n" not in data:
            chunk = conn.recv(4096)
            if not chunk:
                break
            data += chunk
        return int(data.split(b" ", 2)[1])
    finally:
        conn.close()


def test_hanging_backend_never_stalls_receivers_health_or_sigterm(swiftlet_factory, grpc_backend):
    """The backend takes 3 s per call. Receivers keep answering at once (200 while the batch
    processor's backlog and the exporter's queue have room, then 503), the health check stays
    fast, every span answered 200 arrives once the backend recovers, and SIGTERM ends the process
    promptly."""
    grpc_backend.recorder.hang_seconds = 3.0
    ports = Ports()
    exporter = otlp_exporter(grpc_backend, timeout="10s", sending_queue={"num_consumers": 1, "queue_size": 2})
    cfg = grpc_config(ports, {"otlp": exporter}, ["otlp"], batch={"timeout": "1ms", "send_batch_size": 1})
    sw = swiftlet_factory(config=cfg, ports=ports)
    port = http_port(cfg)
    statuses = []
    accepted = set()
    t0 = time.monotonic()
    for i in range(400):
        status = _post_spans(port, i)
        statuses.append(status)
        if status == 200:
            accepted.update(struct.pack(">Q", i * SPANS_PER_POST + k + 1) for k in range(SPANS_PER_POST))
        if i % 50 == 0:
            h0 = time.monotonic()
            assert sw.health()[0] == 200
            assert time.monotonic() - h0 < 1.0, "the health check waited on the backend"
    elapsed = time.monotonic() - t0
    assert 503 in statuses, f"never refused: {sorted(set(statuses))}"
    assert set(statuses) <= {200, 503}, sorted(set(statuses))
    assert elapsed < 30, f"400 requests took {elapsed:.1f}s: receivers waited on the backend"
    grpc_backend.recorder.hang_seconds = 0.0
    assert grpc_backend.recorder.wait_for_spans(len(accepted), timeout=40), (grpc_backend.recorder.span_count(), len(accepted))
    got = [span.span_id for _, _, span in grpc_backend.recorder.spans()]
    assert sorted(got) == sorted(accepted), "spans answered 200 missing or duplicated"
    # Now hang again with work queued, and stop: SIGTERM must not wait on the backend for long.
    grpc_backend.recorder.hang_seconds = 30.0
    for i in range(1000, 1010):
        _post_spans(port, i)
    code, took = sw.stop(signal.SIGTERM, timeout=30)
    assert code == 0 and took < 20, (code, took)


def test_h2load_drives_100_concurrent_streams(swiftlet_factory, tmp_path):
    h2load = shutil.which("h2load")
    if not h2load:
        pytest.skip("h2load (Debian nghttp2-client) is not installed; make test installs it")
    ports = Ports()
    cfg = grpc_config(ports, {}, ["debug"])
    cfg["exporters"]["debug"] = {"verbosity": "basic"}
    sw = swiftlet_factory(config=cfg, ports=ports)
    req = ExportTraceServiceRequest.FromString(raw_request(*[
        raw_span(bytes([7] * 16), struct.pack(">Q", i + 1), f"h2load {i}") for i in range(5)]))
    msg = req.SerializeToString()
    body = tmp_path / "body.bin"
    body.write_bytes(b"\0" + struct.pack(">I", len(msg)) + msg)
    out = subprocess.run([h2load, "-n", "2000", "-c", "2", "-m", "100", "-d", str(body),
                          "-H", "content-type: application/grpc", "-H", "te: trailers",
                          f"http://127.0.0.1:{ports.otlp}{EXPORT}"], capture_output=True, text=True, timeout=120)
    assert "2000 succeeded, 0 failed, 0 errored, 0 timeout" in out.stdout, out.stdout + out.stderr
    assert "2000 2xx" in out.stdout, out.stdout
    wait_until(lambda: 'otelcol_receiver_accepted_spans{receiver="otlp",transport="grpc"} 10000' in sw.metrics(), 10,
               what="10000 spans accepted")


# ------------------------------------------------------------------------------ gRPC errors

def _raw_call(port: int, path: str, payload: bytes, compression=None):
    with grpc.insecure_channel(f"127.0.0.1:{port}", options=[("grpc.max_send_message_length", 64 << 20)]) as ch:
        call = ch.unary_unary(path, request_serializer=lambda b: b, response_deserializer=lambda b: b)
        try:
            resp = call(payload, timeout=10, compression=compression)
            return grpc.StatusCode.OK, "", resp
        except grpc.RpcError as e:
            return e.code(), e.details(), None


@pytest.fixture(scope="module")
def grpc_collector(module_swiftlet_factory):
    ports = Ports()
    cfg = grpc_config(ports, {}, ["debug"])
    cfg["exporters"]["debug"] = {"verbosity": "basic"}
    return module_swiftlet_factory(config=cfg, ports=ports, name="grpc-errors")


def test_grpc_answers_and_errors(grpc_collector):
    port = grpc_collector.ports.otlp
    ok = raw_request(raw_span(bytes([9] * 16), bytes([1] * 8), "ok"))
    code, _, resp = _raw_call(port, EXPORT, ok)
    partial = ExportTraceServiceResponse.FromString(resp).partial_success  # present and empty, as the Go collector answers
    assert code == grpc.StatusCode.OK and partial.rejected_spans == 0 and not partial.error_message
    code, _, resp = _raw_call(port, EXPORT, ok, compression=grpc.Compression.Gzip)
    assert code == grpc.StatusCode.OK
    bad_id = raw_request(raw_span(bytes([9] * 16), bytes(8), "zero id"), raw_span(bytes([9] * 16), bytes([2] * 8), "fine"))
    code, _, resp = _raw_call(port, EXPORT, bad_id)
    partial = ExportTraceServiceResponse.FromString(resp).partial_success
    assert code == grpc.StatusCode.OK and partial.rejected_spans == 1 and partial.error_message, partial
    code, details, _ = _raw_call(port, EXPORT, b"\x0a\xff\xff\xff\x0f garbage")
    assert code == grpc.StatusCode.INVALID_ARGUMENT and details, details
    code, details, _ = _raw_call(port, "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export", b"")
    assert code == grpc.StatusCode.UNIMPLEMENTED and "traces only" in details, details
    code, details, _ = _raw_call(port, "/opentelemetry.proto.collector.logs.v1.LogsService/Export", b"")
    assert code == grpc.StatusCode.UNIMPLEMENTED and "traces only" in details, details
    code, details, _ = _raw_call(port, "/no.such.Service/Method", b"")
    assert code == grpc.StatusCode.UNIMPLEMENTED, details
    big = raw_request(raw_span(bytes([9] * 16), bytes([3] * 8), "x" * (5 << 20)))
    code, details, _ = _raw_call(port, EXPORT, big)
    assert code == grpc.StatusCode.RESOURCE_EXHAUSTED and "4194304" in details, (code, details)
    assert grpc_collector.alive() and grpc_collector.health()[0] == 200


# ------------------------------------------------------------------------------ bad HTTP/2 peers

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def _frame(ftype: int, flags: int, stream: int, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + struct.pack(">I", stream) + payload


def _read_all(sock, seconds=3.0) -> bytes:
    sock.settimeout(seconds)
    data = b""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except socket.timeout:
        pass
    return data


def _frames(data: bytes):
    out = []
    while len(data) >= 9:
        n = int.from_bytes(data[:3], "big")
        out.append((data[3], data[4], int.from_bytes(data[5:9], "big") & 0x7FFFFFFF, data[9:9 + n]))
        data = data[9 + n:]
    return out


def _h2_connection(port: int):
    import h2.config
    import h2.connection
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
    conn.initiate_connection()
    sock.sendall(conn.data_to_send())
    return sock, conn


def _grpc_headers(port: int, extra=()):
    return [(":method", "POST"), (":scheme", "http"), (":authority", f"127.0.0.1:{port}"), (":path", EXPORT),
            ("content-type", "application/grpc"), ("te", "trailers"), *extra]


def _h2_events_until_end(sock, conn, stream_id, seconds=5.0):
    import h2.events
    headers, ended, resets = [], False, []
    deadline = time.monotonic() + seconds
    while not ended and time.monotonic() < deadline:
        try:
            data = sock.recv(65536)
        except socket.timeout:
            break
        if not data:
            break
        for ev in conn.receive_data(data):
            if isinstance(ev, (h2.events.ResponseReceived, h2.events.TrailersReceived)) and ev.stream_id == stream_id:
                headers += ev.headers
            if isinstance(ev, h2.events.StreamEnded) and ev.stream_id == stream_id:
                ended = True
            if isinstance(ev, h2.events.StreamReset) and ev.stream_id == stream_id:
                resets.append(ev.error_code)
                ended = True
            if isinstance(ev, h2.events.DataReceived):
                conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
        sock.sendall(conn.data_to_send())
    return dict(headers), resets


def _still_serving(port: int):
    code, _, _ = _raw_call(port, EXPORT, raw_request(raw_span(bytes([5] * 16), bytes([5] * 8), "after")))
    assert code == grpc.StatusCode.OK


def test_bad_peers_get_the_right_errors_and_others_go_on(grpc_collector):
    port = grpc_collector.ports.otlp
    bystander = socket.create_connection(("127.0.0.1", port), timeout=5)  # an idle good connection
    bystander.sendall(PREFACE + _frame(4, 0, 0, b""))

    # A wrong preface (HTTP/1.1 on the gRPC port): the connection is closed.
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(b"POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
    _read_all(s)
    s.close()

    # A malformed frame (DATA on stream 0): GOAWAY with PROTOCOL_ERROR.
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(PREFACE + _frame(4, 0, 0, b"") + _frame(0, 0, 0, b"xx"))
    frames = _frames(_read_all(s))
    goaways = [f for f in frames if f[0] == 7]
    assert goaways and int.from_bytes(goaways[0][3][4:8], "big") == 1, frames
    s.close()

    # A lying length prefix (says 100 bytes, sends 10): INTERNAL in trailers-only.
    sock, conn = _h2_connection(port)
    sid = conn.get_next_available_stream_id()
    conn.send_headers(sid, _grpc_headers(port))
    conn.send_data(sid, b"\0" + struct.pack(">I", 100) + b"0123456789", end_stream=True)
    sock.sendall(conn.data_to_send())
    headers, resets = _h2_events_until_end(sock, conn, sid)
    assert headers.get("grpc-status") == "13" and "longer" in headers.get("grpc-message", ""), headers

    # A stream reset mid-message, then a good request on the same connection.
    sid = conn.get_next_available_stream_id()
    conn.send_headers(sid, _grpc_headers(port))
    conn.send_data(sid, b"\0" + struct.pack(">I", 1000) + b"partial")
    conn.reset_stream(sid)
    sid = conn.get_next_available_stream_id()
    msg = raw_request(raw_span(bytes([6] * 16), bytes([6] * 8), "same connection"))
    conn.send_headers(sid, _grpc_headers(port))
    conn.send_data(sid, b"\0" + struct.pack(">I", len(msg)) + msg, end_stream=True)
    sock.sendall(conn.data_to_send())
    headers, _ = _h2_events_until_end(sock, conn, sid)
    assert headers.get("grpc-status") == "0", headers

    # An oversized header block: that stream is refused, the connection goes on.
    sid = conn.get_next_available_stream_id()
    conn.send_headers(sid, _grpc_headers(port, [("x-huge", "v" * 70000)]), end_stream=True)
    sock.sendall(conn.data_to_send())
    headers, resets = _h2_events_until_end(sock, conn, sid)
    assert resets or headers.get("grpc-status") not in (None, "0"), (headers, resets)
    sock.close()

    _still_serving(port)
    bystander.sendall(PREFACE[:0] + _frame(6, 0, 0, b"12345678"))  # PING on the idle connection
    pongs = [f for f in _frames(_read_all(bystander, 1.0)) if f[0] == 6 and f[1] & 1]
    assert pongs and pongs[0][3] == b"12345678"
    bystander.close()
    assert grpc_collector.alive()


# ------------------------------------------------------------------------------ config

def test_validate_checks_the_exporters_tls(tmp_path):
    """TLS is on unless `insecure: true` says otherwise (configtls): those configs load; a bad
    `tls` setting or file is refused naming it."""
    ports = Ports()
    for exporter, needle in (
            ({"endpoint": "tempo:4317"}, None),
            ({"endpoint": "https://tempo:4317", "tls": {"insecure": True}}, None),
            ({"endpoint": "tempo:4317", "tls": {"insecure": False, "min_version": "1.3"}}, None),
            ({"endpoint": "tempo:4317", "tls": {"insecure": True}, "compression": "snappy"}, "snappy"),
            ({"endpoint": "tempo:4317", "tls": {"ca_file": str(tmp_path / "absent-ca.pem")}}, "absent-ca.pem: No such file"),
            ({"endpoint": "tempo:4317", "tls": {"min_version": "1.4"}}, "unsupported TLS version"),
            ({"endpoint": "tempo:4317", "tls": {"insecure": True, "bogus": 1}}, "unknown key 'bogus'")):
        cfg = grpc_config(ports, {"otlp": exporter}, ["otlp"])
        path = write_yaml(tmp_path / "c.yaml", cfg)
        r = run_cli("validate", "--config", str(path))
        if needle is None:
            assert r.returncode == 0, (exporter, r.stderr)
        else:
            assert r.returncode == 2 and needle in r.stderr and "exporters::otlp" in r.stderr, (exporter, r.stderr)
    cfg = grpc_config(ports, {"otlphttp": {"endpoint": "https://tempo:4318"}}, ["otlphttp"])
    r = run_cli("validate", "--config", str(write_yaml(tmp_path / "h.yaml", cfg)))
    assert r.returncode == 0, r.stderr


SEED = SHARED / "reference" / "deployment" / "collector-config.yaml"


def test_the_seeds_config_forwards_to_the_backend(swiftlet_factory, grpc_backend, tmp_path):
    if not SEED.exists():
        pytest.skip(f"{SEED} is not here (../shared is absent)")
    grpc_port, http_p, zipkin, health = free_port(), free_port(), free_port(), free_port()
    sets = [f"receivers::otlp::protocols::grpc::endpoint=127.0.0.1:{grpc_port}",
            f"receivers::otlp::protocols::http::endpoint=127.0.0.1:{http_p}",
            f"exporters::otlp::endpoint=127.0.0.1:{grpc_backend.port}",
            f"receivers::zipkin::endpoint=127.0.0.1:{zipkin}",
            f"receivers::jaeger::protocols::grpc::endpoint=127.0.0.1:{free_port()}",
            f"receivers::jaeger::protocols::thrift_http::endpoint=127.0.0.1:{free_port()}",
            f"receivers::jaeger::protocols::thrift_compact::endpoint=127.0.0.1:{free_port()}",
            f"receivers::jaeger::protocols::thrift_binary::endpoint=127.0.0.1:{free_port()}",
            f"receivers::opencensus::endpoint=127.0.0.1:{free_port()}",
            f"service::telemetry::metrics::address=127.0.0.1:{free_port()}"]
    args = ["--config", str(SEED)] + [a for s in sets for a in ("--set", s)]
    r = run_cli("validate", *args)
    # Every receiver of the seed is served; only the unused opencensus one draws a warning.
    assert r.returncode == 0, r.stderr
    sw = swiftlet_factory(args=args, wait_healthy=False)
    wait_until(lambda: "Everything is ready" in sw.stderr(), 10, what="start")
    # One export call, so the logging exporter's sampling (2 messages a second) prints it whole.
    provider, memory = make_provider("seed")
    emit_spans(provider, "seed", seed=11)
    provider.shutdown()
    spans = memory.get_finished_spans()
    exporter = GRPCSpanExporter(endpoint=f"127.0.0.1:{grpc_port}", insecure=True, timeout=10)
    assert exporter.export(spans) == SpanExportResult.SUCCESS
    assert grpc_backend.recorder.wait_for_spans(len(spans)), grpc_backend.recorder.span_count()
    assert_arrived_exactly_once(grpc_backend.recorder, spans)
    sw.wait_for_spans({f"{s.context.span_id:016x}" for s in spans})


# ------------------------------------------------------------------------------ backend outages

def test_backend_down_for_20s_then_back_everything_arrives(swiftlet_factory):
    port = free_port()
    ports = Ports()
    exporter = {"endpoint": f"127.0.0.1:{port}", "tls": {"insecure": True}, "timeout": "1s",
                "retry_on_failure": {"initial_interval": "200ms", "max_interval": "1s"}}
    sw = swiftlet_factory(config=grpc_config(ports, {"otlp": exporter}, ["otlp"]), ports=ports)
    spans = list(sdk_spans_via_grpc(ports.otlp, "outage-a", seed=12))
    time.sleep(10)
    spans += list(sdk_spans_via_http(_http_port_of(sw), "outage-b", seed=13))
    time.sleep(10)
    backend = GRPCBackend(port=port)
    try:
        assert backend.recorder.wait_for_spans(len(spans), timeout=20), backend.recorder.span_count()
        time.sleep(0.5)
        assert_arrived_exactly_once(backend.recorder, spans)
    finally:
        backend.stop()
    assert "Will retry the request after interval" in sw.stderr()


def _http_port_of(sw) -> int:
    cfg = __import__("yaml").safe_load((sw.workdir / "config.yaml").read_text())
    return http_port(cfg)


def _rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


async def _sender(i: int, port: int, stop_at: float, results: list, timeouts: list):
    import asyncio
    seq = 0
    trace_id = struct.pack(">QQ", 0xABC, i + 1)
    while time.monotonic() < stop_at:
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 10)
        except (OSError, asyncio.TimeoutError):
            await asyncio.sleep(0.2)
            continue
        try:
            while time.monotonic() < stop_at:
                seq += 1
                span_id = struct.pack(">Q", i * 1_000_000 + seq)
                body = raw_request(raw_span(trace_id, span_id, f"sender {i}"))
                writer.write(b"POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\n"
                             + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
                await writer.drain()
                try:
                    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
                except asyncio.TimeoutError:
                    timeouts.append(span_id)
                    break
                status = int(head.split(b" ", 2)[1])
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                await reader.readexactly(length)
                results.append((span_id, status))
                if status != 200:
                    await asyncio.sleep(0.5)  # back off, as an SDK does on 503
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()


def test_stalled_backend_1000_senders_for_30s(swiftlet_factory):
    """A backend that accepts connections and never answers; 1,000 concurrent senders post for
    30 s. Health answers, senders get 200 or 503 and never wait past their timeout, RSS stays
    bounded; once a real backend answers, every span answered 200 arrives; SIGTERM exits 0."""
    import asyncio
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 4096:
        pytest.skip(f"the descriptor limit ({hard}) is too low for 1,000 senders and the collector")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 8192)) if hard != resource.RLIM_INFINITY else 8192, hard))
    stalled = StalledBackend()
    port = stalled.port
    ports = Ports()
    exporter = {"endpoint": f"127.0.0.1:{port}", "tls": {"insecure": True}, "timeout": "2s",
                "retry_on_failure": {"initial_interval": "200ms", "max_interval": "1s", "max_elapsed_time": "0s"},
                "sending_queue": {"queue_size": 10}}
    sw = swiftlet_factory(config=grpc_config(ports, {"otlp": exporter}, ["otlp"], batch={"timeout": "200ms"}), ports=ports)
    http = _http_port_of(sw)
    results, timeouts, rss, health = [], [], [], []

    async def watch(stop_at):
        while time.monotonic() < stop_at:
            rss.append(_rss_kib(sw.pid))
            t0 = time.monotonic()
            status = await asyncio.get_running_loop().run_in_executor(None, lambda: sw.health(timeout=5)[0])
            health.append((status, time.monotonic() - t0))
            await asyncio.sleep(1)

    async def run():
        stop_at = time.monotonic() + 30
        await asyncio.gather(watch(stop_at), *[_sender(i, http, stop_at, results, timeouts) for i in range(1000)])

    try:
        asyncio.run(run())
        statuses = {s for _, s in results}
        accepted = {sid for sid, s in results if s == 200}
        assert not timeouts, f"{len(timeouts)} requests waited past 10 s"
        assert statuses <= {200, 503}, statuses
        assert 503 in statuses and accepted, (len(accepted), statuses)
        assert health and all(s == 200 and t < 2 for s, t in health), health
        assert max(rss) < 512 * 1024, f"RSS grew to {max(rss) // 1024} MiB"
    finally:
        stalled.stop()
    backend = GRPCBackend(port=port)
    try:
        assert backend.recorder.wait_for_spans(len(accepted), timeout=90), (backend.recorder.span_count(), len(accepted))
        time.sleep(1)
        got = [span.span_id for _, _, span in backend.recorder.spans()]
        assert len(got) == len(set(got)) and set(got) == accepted, \
            f"{len(set(got) - accepted)} unexpected, {len(accepted - set(got))} missing, {len(got) - len(set(got))} duplicated"
    finally:
        backend.stop()
    stalled = StalledBackend(port=port)
    try:
        for i in range(5):
            _post_spans(http, 5000 + i)
        code, took = sw.stop(signal.SIGTERM, timeout=40)
        assert code == 0 and took < 30, (code, took)
    finally:
        stalled.stop()
