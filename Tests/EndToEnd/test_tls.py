"""TLS end to end, with real peers: the Python SDK's OTLP gRPC and HTTP exporters and its Zipkin
exporter send to Swiftlet over TLS and mTLS; Swiftlet's `otlp` and `otlphttp` exporters send to a
grpcio server and an HTTPS server over TLS and mTLS, and refuse (and retry) a backend whose
certificate is from another CA, expired, or for another name; clients that misbehave (plain text,
garbage, stalled handshakes, certificates from another CA) are refused without holding up a good
client; certificates rotated on disk are picked up by new connections; `validate` names a bad file.
Certificates are made by tls_certs.py."""
from __future__ import annotations

import http.client
import os
import shutil
import socket
import ssl
import threading
import time

import grpc
import pytest
import requests
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GRPCSpanExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HTTPSpanExporter
from opentelemetry.exporter.zipkin.json import ZipkinExporter
from opentelemetry.sdk.trace.export import SpanExportResult

from conftest import Ports, base_config, free_port, run_cli, wait_until, write_yaml
from otlp_backend import GRPCBackend, HTTPBackend, Recorder
from otlp_fixtures import RecordingExporter, emit_spans, make_provider
from test_otlp_grpc import assert_arrived_exactly_once
from tls_certs import CertSet


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return CertSet(tmp_path_factory.mktemp("certs"))


def server_tls(certs, mtls=False, **extra) -> dict:
    tls = {"cert_file": str(certs.server.cert), "key_file": str(certs.server.key)}
    if mtls:
        tls["client_ca_file"] = str(certs.ca.path)
    tls.update(extra)
    return tls


def tls_collector_config(certs, ports: Ports, mtls: bool, exporter: dict, grpc_port: int, zipkin_port: int) -> dict:
    """OTLP gRPC and HTTP and Zipkin receivers, all with TLS, into `exporter`."""
    cfg = base_config(ports)
    cfg["receivers"] = {
        "otlp": {"protocols": {
            "grpc": {"endpoint": f"127.0.0.1:{grpc_port}", "tls": server_tls(certs, mtls)},
            "http": {"endpoint": f"127.0.0.1:{ports.otlp}", "tls": server_tls(certs, mtls)}}},
        "zipkin": {"endpoint": f"127.0.0.1:{zipkin_port}", "tls": server_tls(certs, mtls)},
    }
    cfg["processors"]["batch"] = {"timeout": "50ms"}
    cfg["exporters"] = {"otlp": exporter}
    cfg["service"]["pipelines"]["traces"].update(receivers=["otlp", "zipkin"], exporters=["otlp"])
    return cfg


def plain_exporter(backend) -> dict:
    return {"endpoint": f"127.0.0.1:{backend.port}", "tls": {"insecure": True},
            "retry_on_failure": {"initial_interval": "100ms", "max_interval": "500ms"}}


def send_with(exporter, tag: str, seed: int):
    recording = RecordingExporter(exporter)
    provider, memory = make_provider(tag, recording)
    emit_spans(provider, tag, seed=seed)
    provider.shutdown()
    return recording.results, memory.get_finished_spans()


def client_context(certs, client=None) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(certs.ca.path))
    if client is not None:
        ctx.load_cert_chain(str(client.cert), str(client.key))
    return ctx


def https_post(port: int, ctx: ssl.SSLContext, body: bytes = b'{"resourceSpans":[]}', timeout: float = 5):
    conn = http.client.HTTPSConnection("localhost", port, context=ctx, timeout=timeout)
    try:
        conn.request("POST", "/v1/traces", body=body, headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        return response.status, response.read(), conn.sock.getpeercert(binary_form=True)
    finally:
        conn.close()


# ------------------------------------------------------------------------------ receivers

@pytest.mark.parametrize("mtls", [False, True], ids=["tls", "mtls"])
def test_sdk_exporters_send_over_tls(swiftlet_factory, certs, mtls):
    backend = GRPCBackend()
    try:
        ports, grpc_port, zipkin_port = Ports(), free_port(), free_port()
        swiftlet_factory(tls_collector_config(certs, ports, mtls, plain_exporter(backend), grpc_port, zipkin_port), ports=ports)
        ca = certs.ca.path.read_bytes()
        client_files = {"client_key_file": str(certs.client.key), "client_certificate_file": str(certs.client.cert)} if mtls else {}
        credentials = grpc.ssl_channel_credentials(
            root_certificates=ca,
            private_key=certs.client.key.read_bytes() if mtls else None,
            certificate_chain=certs.client.cert.read_bytes() if mtls else None)

        results, sent_grpc = send_with(GRPCSpanExporter(endpoint=f"localhost:{grpc_port}", insecure=False,
                                                        credentials=credentials, timeout=10), "tls-grpc", 1)
        assert results and all(r == SpanExportResult.SUCCESS for r in results), results
        results, sent_http = send_with(HTTPSpanExporter(endpoint=f"https://localhost:{ports.otlp}/v1/traces",
                                                        certificate_file=str(certs.ca.path), timeout=10,
                                                        **client_files), "tls-http", 2)
        assert results and all(r == SpanExportResult.SUCCESS for r in results), results
        assert backend.recorder.wait_for_spans(len(sent_grpc) + len(sent_http)), backend.recorder.span_count()
        assert_arrived_exactly_once(backend.recorder, sent_grpc + sent_http)

        session = requests.Session()
        session.trust_env = False  # a REQUESTS_CA_BUNDLE in the environment would override `verify`
        session.verify = str(certs.ca.path)
        if mtls:
            session.cert = (str(certs.client.cert), str(certs.client.key))
        before = backend.recorder.span_count()
        results, sent_zipkin = send_with(ZipkinExporter(endpoint=f"https://localhost:{zipkin_port}/api/v2/spans",
                                                        session=session, timeout=10), "tls-zipkin", 3)
        assert results and all(r == SpanExportResult.SUCCESS for r in results), results
        assert backend.recorder.wait_for_spans(before + len(sent_zipkin))
        got = {span.span_id: span.name for _, _, span in backend.recorder.spans()[before:]}
        assert got == {s.context.span_id.to_bytes(8, "big"): s.name for s in sent_zipkin}
    finally:
        backend.stop()


def test_mtls_refuses_clients_without_a_certificate_of_its_ca(swiftlet_factory, certs):
    backend = GRPCBackend()
    try:
        ports, grpc_port, zipkin_port = Ports(), free_port(), free_port()
        s = swiftlet_factory(tls_collector_config(certs, ports, True, plain_exporter(backend), grpc_port, zipkin_port), ports=ports)
        for client in (None, certs.other_client):
            with pytest.raises((ssl.SSLError, ConnectionError, http.client.RemoteDisconnected)):
                https_post(ports.otlp, client_context(certs, client))
            credentials = grpc.ssl_channel_credentials(
                root_certificates=certs.ca.path.read_bytes(),
                private_key=client.key.read_bytes() if client else None,
                certificate_chain=client.cert.read_bytes() if client else None)
            with grpc.secure_channel(f"localhost:{grpc_port}", credentials) as channel:
                with pytest.raises(grpc.RpcError) as raised:
                    channel.unary_unary("/opentelemetry.proto.collector.trace.v1.TraceService/Export")(b"", timeout=5)
                assert raised.value.code() == grpc.StatusCode.UNAVAILABLE
        status, _, _ = https_post(ports.otlp, client_context(certs, certs.client))
        assert status == 200
        time.sleep(0.3)
        assert backend.recorder.span_count() == 0
        assert s.alive()
    finally:
        backend.stop()


# ------------------------------------------------------------------------------ exporters

def grpc_server_credentials(issued, certs=None, require_client=False):
    return grpc.ssl_server_credentials([(issued.key.read_bytes(), issued.cert.read_bytes())],
                                       root_certificates=certs.ca.path.read_bytes() if require_client else None,
                                       require_client_auth=require_client)


def https_server_context(issued, certs=None, require_client=False) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(issued.cert), str(issued.key))
    if require_client:
        ctx.load_verify_locations(str(certs.ca.path))
        ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx


def receiver_only_config(ports: Ports, exporters: dict) -> dict:
    cfg = base_config(ports)
    cfg["processors"]["batch"] = {"timeout": "50ms"}
    cfg["exporters"] = exporters
    cfg["service"]["pipelines"]["traces"]["exporters"] = list(exporters)
    return cfg


def send_plain_http(port: int, tag: str, seed: int):
    results, sent = send_with(HTTPSpanExporter(endpoint=f"http://127.0.0.1:{port}/v1/traces", timeout=10), tag, seed)
    assert results and all(r == SpanExportResult.SUCCESS for r in results), results
    return sent


@pytest.mark.parametrize("mtls", [False, True], ids=["tls", "mtls"])
def test_exporters_send_to_tls_backends(swiftlet_factory, certs, mtls):
    grpc_backend = GRPCBackend(credentials=grpc_server_credentials(certs.server, certs, mtls))
    http_backend = HTTPBackend(ssl_context=https_server_context(certs.server, certs, mtls))
    try:
        client = {"cert_file": str(certs.client.cert), "key_file": str(certs.client.key)} if mtls else {}
        ports = Ports()
        swiftlet_factory(receiver_only_config(ports, {
            "otlp": {"endpoint": f"localhost:{grpc_backend.port}", "tls": {"ca_file": str(certs.ca.path), **client}},
            "otlphttp": {"endpoint": f"https://localhost:{http_backend.port}",
                         "tls": {"ca_file": str(certs.ca.path), **client}},
        }), ports=ports)
        sent = send_plain_http(ports.otlp, "tls-out", 4)
        assert grpc_backend.recorder.wait_for_spans(len(sent))
        assert http_backend.recorder.wait_for_spans(len(sent))
        assert_arrived_exactly_once(grpc_backend.recorder, sent)
        assert_arrived_exactly_once(http_backend.recorder, sent)
    finally:
        grpc_backend.stop()
        http_backend.stop()


@pytest.mark.parametrize("bad,reason", [
    ("other_server", "unable to get local issuer certificate"),
    ("expired", "certificate has expired"),
    ("wrong_name", "hostname mismatch"),
])
def test_exporter_refuses_a_bad_backend_certificate_and_retries(swiftlet_factory, certs, bad, reason):
    recorder = Recorder()
    backend = GRPCBackend(credentials=grpc_server_credentials(getattr(certs, bad)), recorder=recorder)
    port = backend.port
    ports = Ports()
    s = swiftlet_factory(receiver_only_config(ports, {
        "otlp": {"endpoint": f"localhost:{port}", "tls": {"ca_file": str(certs.ca.path)},
                 "retry_on_failure": {"initial_interval": "100ms", "max_interval": "300ms"}}}), ports=ports)
    try:
        sent = send_plain_http(ports.otlp, f"bad-{bad}", 5)
        wait_until(lambda: s.stderr().count("Will retry") >= 2, 15, what="two retries")
        assert reason in s.stderr(), s.stderr()[-2000:]
        assert recorder.span_count() == 0
    finally:
        backend.stop()
    # The backend comes back with a good certificate on the same port: the retry delivers.
    backend = wait_until(lambda: _try_backend(port, grpc_server_credentials(certs.server), recorder), 10,
                         what="the good backend on the same port")
    try:
        assert recorder.wait_for_spans(len(sent), timeout=15), recorder.span_count()
        assert_arrived_exactly_once(recorder, sent)
    finally:
        backend.stop()


def _try_backend(port, credentials, recorder):
    try:
        return GRPCBackend(port=port, credentials=credentials, recorder=recorder)
    except RuntimeError:
        return None


# ------------------------------------------------------------------------------ bad input

def _fd_count(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def _client_hello() -> bytes:
    """The first flight of a real TLS client."""
    ctx = ssl.create_default_context()
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    client = ctx.wrap_bio(incoming, outgoing, server_hostname="localhost")
    with pytest.raises(ssl.SSLWantReadError):
        client.do_handshake()
    return outgoing.read()


def test_misbehaving_clients_are_refused_and_never_hold_up_a_good_one(swiftlet_factory, certs):
    ports = Ports()
    cfg = base_config(ports, http_extra={"tls": server_tls(certs), "read_header_timeout": "1s"})
    plain_port = free_port()
    cfg["receivers"]["zipkin"] = {"endpoint": f"127.0.0.1:{plain_port}"}
    cfg["service"]["pipelines"]["traces"]["receivers"] = ["otlp", "zipkin"]
    s = swiftlet_factory(cfg, ports=ports)
    good = client_context(certs)
    assert https_post(ports.otlp, good)[0] == 200
    baseline = _fd_count(s.pid)

    # Plain text to the TLS port: no answer in plain text, the connection is closed.
    with socket.create_connection(("127.0.0.1", ports.otlp), timeout=5) as sock:
        sock.sendall(b"POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
        data = sock.recv(4096)
        assert not data.startswith(b"HTTP/1.1 200")
    # A TLS client to a plain port: the handshake fails on the client, nothing else happens.
    with pytest.raises((ssl.SSLError, ConnectionError)):
        with socket.create_connection(("127.0.0.1", plain_port), timeout=5) as sock:
            with good.wrap_socket(sock, server_hostname="localhost"):
                pass
    # A garbage ClientHello.
    with socket.create_connection(("127.0.0.1", ports.otlp), timeout=5) as sock:
        sock.sendall(b"\x16\x03\x01\x00\x40" + os.urandom(64))
        assert sock.recv(4096)[:1] in (b"\x15", b"")  # an alert, or closed
    # 200 clients stop mid-handshake; a good client is served meanwhile without waiting.
    hello = _client_hello()
    stalled = []
    try:
        for _ in range(200):
            sock = socket.create_connection(("127.0.0.1", ports.otlp), timeout=5)
            sock.sendall(hello[: len(hello) // 2])
            stalled.append(sock)
        started = time.monotonic()
        for _ in range(5):
            assert https_post(ports.otlp, good)[0] == 200
        assert time.monotonic() - started < 2.5
        # The header timeout (1 s) drops every stalled handshake.
        for sock in stalled:
            sock.settimeout(5)
            try:
                assert sock.recv(4096) == b""
            except ConnectionResetError:
                pass
    finally:
        for sock in stalled:
            sock.close()
    assert s.alive()
    wait_until(lambda: _fd_count(s.pid) <= baseline, 5, what=f"descriptors back to {baseline}")
    assert https_post(ports.otlp, good)[0] == 200


# ------------------------------------------------------------------------------ rotation

def test_rotated_certificates_are_used_by_new_connections_without_a_refused_request(swiftlet_factory, certs, tmp_path):
    live_cert, live_key = tmp_path / "tls.crt", tmp_path / "tls.key"
    shutil.copy(certs.server.cert, live_cert)
    shutil.copy(certs.server.key, live_key)
    ports = Ports()
    cfg = base_config(ports, http_extra={"tls": {"cert_file": str(live_cert), "key_file": str(live_key),
                                                 "reload_interval": "100ms"}})
    s = swiftlet_factory(cfg, ports=ports)
    ctx = client_context(certs)
    old_der = ssl.PEM_cert_to_DER_cert(certs.server.cert.read_text())
    new_der = ssl.PEM_cert_to_DER_cert(certs.server2.cert.read_text())
    statuses, seen, errors = [], set(), []
    stop = threading.Event()

    def load():
        while not stop.is_set():
            try:
                status, _, der = https_post(ports.otlp, ctx)
                statuses.append(status)
                seen.add(der)
            except Exception as e:  # noqa: BLE001 - every failure is a refused request
                errors.append(repr(e))

    workers = [threading.Thread(target=load) for _ in range(4)]
    for w in workers:
        w.start()
    try:
        time.sleep(1)
        # As a Kubernetes secret update does it: the new files appear under the same names.
        for source, target in ((certs.server2.key, live_key), (certs.server2.cert, live_cert)):
            staged = target.with_suffix(".new")
            shutil.copy(source, staged)
            os.replace(staged, target)
        wait_until(lambda: new_der in seen, 10, what="the rotated certificate in use")
        time.sleep(0.5)
    finally:
        stop.set()
        for w in workers:
            w.join(10)
    assert not errors, errors[:5]
    assert statuses and set(statuses) == {200}
    assert old_der in seen and new_der in seen
    assert "TLS certificates reloaded" in s.stderr()


# ------------------------------------------------------------------------------ validate

@pytest.mark.parametrize("case", ["missing", "expired", "mismatch", "not-pem", "ca-missing"])
def test_validate_names_the_bad_file(certs, tmp_path, case):
    ports = Ports()
    tls = server_tls(certs)
    named = {
        "missing": str(tmp_path / "absent.crt"),
        "expired": str(certs.expired.cert),
        "mismatch": str(certs.server.cert),
        "not-pem": str(tmp_path / "garbage.crt"),
        "ca-missing": str(tmp_path / "absent-ca.crt"),
    }[case]
    (tmp_path / "garbage.crt").write_text("not a certificate\n")
    if case == "ca-missing":
        tls["client_ca_file"] = named
    else:
        tls["cert_file"] = named
    if case == "expired":
        tls["key_file"] = str(certs.expired.key)
    if case == "mismatch":
        tls["key_file"] = str(certs.client.key)
    path = write_yaml(tmp_path / "config.yaml", base_config(ports, http_extra={"tls": tls}))
    result = run_cli("validate", "--config", str(path))
    assert result.returncode == 2, result
    assert named in result.stderr, result.stderr
    assert {"expired": "expired", "mismatch": "does not match", "missing": "No such file",
            "not-pem": "no PEM certificate", "ca-missing": "No such file"}[case] in result.stderr, result.stderr


# ------------------------------------------------------------------------------ every endpoint

def test_every_tcp_endpoint_serves_tls(swiftlet_factory, certs):
    ports = Ports()
    p = {name: free_port() for name in ("grpc", "zipkin", "jaeger_http", "jaeger_grpc", "query")}
    tls = server_tls(certs)
    cfg = base_config(ports, http_extra={"tls": tls})
    cfg["extensions"] = {"health_check": {"endpoint": f"127.0.0.1:{ports.health}", "tls": tls},
                         "trace_query": {"endpoint": f"127.0.0.1:{p['query']}", "tls": tls}}
    cfg["receivers"]["otlp"]["protocols"]["grpc"] = {"endpoint": f"127.0.0.1:{p['grpc']}", "tls": tls}
    cfg["receivers"]["zipkin"] = {"endpoint": f"127.0.0.1:{p['zipkin']}", "tls": tls}
    cfg["receivers"]["jaeger"] = {"protocols": {"thrift_http": {"endpoint": f"127.0.0.1:{p['jaeger_http']}", "tls": tls},
                                                "grpc": {"endpoint": f"127.0.0.1:{p['jaeger_grpc']}", "tls": tls}}}
    cfg["exporters"]["tracestore"] = {}
    cfg["service"]["extensions"] = ["health_check", "trace_query"]
    cfg["service"]["pipelines"]["traces"].update(receivers=["otlp", "zipkin", "jaeger"], exporters=["debug", "tracestore"])
    swiftlet_factory(cfg, ports=ports, wait_healthy=False)
    ctx = client_context(certs)

    def get(port, path):
        conn = http.client.HTTPSConnection("localhost", port, context=ctx, timeout=5)
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def healthy():
        try:
            return get(ports.health, "/")[0] == 200
        except OSError:
            return False

    wait_until(healthy, 10, what="health_check over TLS")
    assert get(p["query"], "/api/echo") == (200, b"echo")
    assert https_post(ports.otlp, ctx)[0] == 200
    conn = http.client.HTTPSConnection("localhost", p["zipkin"], context=ctx, timeout=5)
    conn.request("POST", "/api/v2/spans", body=b"[]", headers={"Content-Type": "application/json"})
    assert conn.getresponse().status == 202
    conn.close()
    conn = http.client.HTTPSConnection("localhost", p["jaeger_http"], context=ctx, timeout=5)
    conn.request("POST", "/api/traces", body=b"", headers={"Content-Type": "application/x-thrift"})
    assert conn.getresponse().status in (200, 202, 400)  # spoken over TLS; an empty batch is not the point
    conn.close()
    credentials = grpc.ssl_channel_credentials(root_certificates=certs.ca.path.read_bytes())
    for port, method in ((p["grpc"], "/opentelemetry.proto.collector.trace.v1.TraceService/Export"),
                         (p["jaeger_grpc"], "/jaeger.api_v2.CollectorService/PostSpans")):
        with grpc.secure_channel(f"localhost:{port}", credentials) as channel:
            assert isinstance(channel.unary_unary(method)(b"", timeout=5), bytes)  # an OK answer
