"""Authentication end to end: basicauth and bearertokenauth as server authenticators on the OTLP
receiver's gRPC and HTTP servers, driven by the Python SDK's exporters with `headers=`, and as
client authenticators on the `otlp` and `otlphttp` exporters, checked by the fake backends that
record each request's metadata. A refused request gets 401 / UNAUTHENTICATED, reaches nothing
and is counted in swiftlet_receiver_unauthenticated_requests."""
from __future__ import annotations

import base64
import re

import grpc
import pytest
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GRPCSpanExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HTTPSpanExporter
from opentelemetry.sdk.trace.export import SpanExportResult

from conftest import Ports, base_config, free_port, http_request, wait_until
from otlp_backend import GRPCBackend, HTTPBackend
from otlp_fixtures import RecordingExporter, emit_spans, make_provider, raw_request, raw_span

EXPORT = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
SPANS_PER_SEND = 7  # emit_spans

# Python `bcrypt` 5.0.0, bcrypt.hashpw(b"secret", bcrypt.gensalt(4)); the {SHA} of "hunter2" (hashlib.sha1 + base64).
HTPASSWD = ("alice:$2b$04$c3p4MqO2giz9WQqk69l2IuKBmd5NiDCnKyRl3mfWo6uYmlaxvRWcG\n"
            "bob:{SHA}87u9ZqY9S/F0eUBXjsPQEDUw4h0=\n")


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.fixture
def setup(swiftlet_factory, tmp_path):
    """otlp (grpc: basicauth, http: bearertokenauth from a file) -> batch -> debug, otlp (bearer
    client from a file) to a gRPC backend, otlphttp (basic client) to an HTTP backend."""
    grpc_backend, http_backend = GRPCBackend(), HTTPBackend()
    (tmp_path / "htpasswd").write_text(HTPASSWD)
    (tmp_path / "server.token").write_text("receiver-token\n")
    (tmp_path / "client.token").write_text("exporter-token-1\n")
    ports = Ports()
    grpc_port = free_port()
    cfg = base_config(ports, http_extra={"auth": {"authenticator": "bearertokenauth/server"}})
    cfg["receivers"]["otlp"]["protocols"]["grpc"] = {"endpoint": f"127.0.0.1:{grpc_port}",
                                                     "auth": {"authenticator": "basicauth/server"}}
    cfg["processors"]["batch"] = {"timeout": "50ms"}
    # Who the basicauth server let in, from the request's context (upstream's client.Info.Auth).
    cfg["processors"]["attributes"] = {"actions": [{"key": "enduser.id", "from_context": "auth.username", "action": "insert"}]}
    cfg["service"]["pipelines"]["traces"]["processors"] = ["attributes", "batch"]
    cfg["extensions"].update({
        "basicauth/server": {"htpasswd": {"file": str(tmp_path / "htpasswd"), "inline": "carol:plain\n"}},
        "basicauth/client": {"client_auth": {"username": "exporter", "password": "p4ss:word"}},
        "bearertokenauth/server": {"filename": str(tmp_path / "server.token")},
        "bearertokenauth/client": {"filename": str(tmp_path / "client.token"), "scheme": "Token"},
    })
    cfg["exporters"].update({
        "otlp": {"endpoint": f"127.0.0.1:{grpc_backend.port}", "tls": {"insecure": True},
                 "auth": {"authenticator": "bearertokenauth/client"}},
        "otlphttp": {"endpoint": f"http://127.0.0.1:{http_backend.port}", "auth": {"authenticator": "basicauth/client"}},
    })
    cfg["service"]["extensions"] += ["basicauth/server", "basicauth/client", "bearertokenauth/server",
                                     "bearertokenauth/client"]
    cfg["service"]["pipelines"]["traces"]["exporters"] = ["debug", "otlp", "otlphttp"]
    swiftlet = swiftlet_factory(cfg, ports=ports)
    yield swiftlet, grpc_port, grpc_backend, http_backend, tmp_path
    grpc_backend.stop()
    http_backend.stop()


def send_grpc(port: int, headers, tag: str, seed: int):
    otlp = RecordingExporter(GRPCSpanExporter(endpoint=f"127.0.0.1:{port}", insecure=True, headers=headers, timeout=10))
    provider, _ = make_provider(tag, otlp)
    emit_spans(provider, tag, seed=seed)
    provider.shutdown()
    return otlp.results


def send_http(port: int, headers, tag: str, seed: int):
    otlp = RecordingExporter(HTTPSpanExporter(endpoint=f"http://127.0.0.1:{port}/v1/traces", headers=headers, timeout=10))
    provider, _ = make_provider(tag, otlp)
    emit_spans(provider, tag, seed=seed)
    provider.shutdown()
    return otlp.results


def metric(text: str, name: str, **labels) -> float:
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


def raw_grpc_call(port: int, metadata):
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        call = channel.unary_unary(EXPORT)
        return call(raw_request(raw_span(b"\x01" * 16, b"\x02" * 8, "raw")), metadata=metadata, timeout=5)


def test_sdk_clients_with_credentials_are_served_and_forwarded_with_the_exporters_credentials(setup):
    swiftlet, grpc_port, grpc_backend, http_backend, tmp_path = setup
    assert send_grpc(grpc_port, (("authorization", basic("alice", "secret")),), "grpc-alice", 1) == [SpanExportResult.SUCCESS] * SPANS_PER_SEND
    assert send_grpc(grpc_port, {"authorization": basic("carol", "plain")}, "grpc-carol", 2) == [SpanExportResult.SUCCESS] * SPANS_PER_SEND
    assert send_http(swiftlet.ports.otlp, {"Authorization": "Bearer receiver-token"}, "http", 3) == [SpanExportResult.SUCCESS] * SPANS_PER_SEND
    total = 3 * SPANS_PER_SEND
    assert grpc_backend.recorder.wait_for_spans(total) and http_backend.recorder.wait_for_spans(total)
    swiftlet.wait_for_spans(count=total)
    assert grpc_backend.recorder.span_count() == total and http_backend.recorder.span_count() == total
    assert {m.get("authorization") for m, _ in grpc_backend.recorder.requests} == {"Token exporter-token-1"}
    users = {}
    for rs, _, span in grpc_backend.recorder.spans():
        service = next(kv.value.string_value for kv in rs.resource.attributes if kv.key == "service.name")
        users.setdefault(service, set()).add(next((kv.value.string_value for kv in span.attributes if kv.key == "enduser.id"), None))
    assert users == {"e2e-grpc-alice": {"alice"}, "e2e-grpc-carol": {"carol"}, "e2e-http": {None}}, users
    assert {m.get("authorization") for m, _ in http_backend.recorder.requests} == {basic("exporter", "p4ss:word")}

    # The exporter's token file is read again once it changed: the next request carries it.
    (tmp_path / "client.token").write_text("exporter-token-2\n")
    import time
    time.sleep(1.2)
    assert send_http(swiftlet.ports.otlp, {"Authorization": "Bearer receiver-token"}, "http", 4) == [SpanExportResult.SUCCESS] * SPANS_PER_SEND
    assert grpc_backend.recorder.wait_for_spans(total + SPANS_PER_SEND)
    assert grpc_backend.recorder.requests[-1][0].get("authorization") == "Token exporter-token-2"


def test_wrong_or_missing_credentials_are_refused_and_reach_nothing(setup):
    swiftlet, grpc_port, grpc_backend, http_backend, tmp_path = setup
    # gRPC: the SDK's exporter fails for good (UNAUTHENTICATED is not retried).
    assert send_grpc(grpc_port, (("authorization", basic("alice", "wrong")),), "bad", 5) == [SpanExportResult.FAILURE] * SPANS_PER_SEND
    assert send_grpc(grpc_port, None, "none", 6) == [SpanExportResult.FAILURE] * SPANS_PER_SEND
    for metadata in [(("authorization", basic("bob", "hunter3")),), (("authorization", "Bearer receiver-token"),), ()]:
        with pytest.raises(grpc.RpcError) as refused:
            raw_grpc_call(grpc_port, metadata)
        assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
        assert refused.value.details() == "Unauthorized"
    raw_grpc_call(grpc_port, (("authorization", basic("bob", "hunter2")),))

    # HTTP: 401 with a google.rpc.Status, no WWW-Authenticate (confighttp sends none).
    assert send_http(swiftlet.ports.otlp, {"Authorization": "Bearer wrong"}, "bad", 7) == [SpanExportResult.FAILURE] * SPANS_PER_SEND
    body = raw_request(raw_span(b"\x03" * 16, b"\x04" * 8, "raw"))
    for headers in [{}, {"Authorization": "Bearer receiver-token2"}, {"Authorization": basic("alice", "secret")}]:
        status, response_headers, _ = swiftlet.post("/v1/traces", body, headers=headers)
        assert status == 401
        assert "www-authenticate" not in {k.lower() for k in dict(response_headers)}
    status, _, _ = swiftlet.post("/v1/traces", body, headers={"Authorization": "Bearer receiver-token"})
    assert status == 200

    assert grpc_backend.recorder.wait_for_spans(2)
    wait_until(lambda: metric(swiftlet.metrics(), "otelcol_exporter_sent_spans", exporter="otlp") >= 2, 10, 0.1, "sent")
    assert grpc_backend.recorder.span_count() == 2
    text = swiftlet.metrics()
    assert metric(text, "otelcol_receiver_accepted_spans", receiver="otlp") == 2
    # The SDK sends each span alone (SimpleSpanProcessor): 7 + 7 calls, then 3 raw ones.
    assert metric(text, "swiftlet_receiver_unauthenticated_requests", receiver="otlp", transport="grpc") == 2 * SPANS_PER_SEND + 3
    assert metric(text, "swiftlet_receiver_unauthenticated_requests", receiver="otlp", transport="http") == SPANS_PER_SEND + 3
    assert re.search(r"# TYPE swiftlet_receiver_unauthenticated_requests counter", text)
    assert "wrong" not in swiftlet.stderr() and "hunter3" not in swiftlet.stderr()


def test_a_receiver_naming_an_authenticator_not_in_service_extensions_does_not_start(swiftlet_factory):
    ports = Ports()
    cfg = base_config(ports, http_extra={"auth": {"authenticator": "bearertokenauth"}})
    cfg["extensions"]["bearertokenauth"] = {"token": "t"}
    s = swiftlet_factory(cfg, ports=ports, wait_healthy=False)
    assert s.wait_exit(30) not in (None, 0)
    assert "bearertokenauth is not configured or not listed in service::extensions" in s.stderr()
