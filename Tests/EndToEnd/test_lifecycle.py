"""Start-up, health check, graceful shutdown, runtime failures and self-metrics."""
from __future__ import annotations

import datetime as dt
import json
import re
import signal
import socket

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1 import trace_pb2

from conftest import Ports, base_config, free_port, free_udp_port, wait_until

SHUTDOWN_DEADLINE = 2.0  # seconds, idle collector, SIGTERM/SIGINT to exit


def _default_args(ports: Ports) -> list[str]:
    jaeger = "receivers::jaeger::protocols"
    return ["--set", f"extensions::health_check::endpoint=127.0.0.1:{ports.health}",
            "--set", f"receivers::otlp::protocols::http::endpoint=127.0.0.1:{ports.otlp}",
            "--set", f"receivers::otlp::protocols::grpc::endpoint=127.0.0.1:{free_port()}",
            "--set", f"{jaeger}::thrift_http::endpoint=127.0.0.1:{free_port()}",
            "--set", f"{jaeger}::thrift_compact::endpoint=127.0.0.1:{free_udp_port()}",
            "--set", f"{jaeger}::thrift_binary::endpoint=127.0.0.1:{free_udp_port()}",
            "--set", f"{jaeger}::grpc::endpoint=127.0.0.1:{free_port()}",
            "--set", f"receivers::zipkin::endpoint=127.0.0.1:{free_port()}",
            "--set", f"service::telemetry::metrics::address=127.0.0.1:{ports.metrics}"]


def _request(n_spans: int, service: str = "lifecycle") -> tuple[bytes, set[str]]:
    spans = []
    for i in range(n_spans):
        spans.append(trace_pb2.Span(
            trace_id=bytes.fromhex("5b8efff798038103d269b633813fc60c"),
            span_id=(0x1000 + i).to_bytes(8, "big"), name=f"op-{i}", kind=2,
            start_time_unix_nano=1_718_000_000_000_000_000 + i,
            end_time_unix_nano=1_718_000_000_250_000_000 + i))
    req = ExportTraceServiceRequest(resource_spans=[trace_pb2.ResourceSpans(
        scope_spans=[trace_pb2.ScopeSpans(spans=spans)])])
    req.resource_spans[0].resource.attributes.add(key="service.name").value.string_value = service
    return req.SerializeToString(), {s.span_id.hex() for s in spans}


def _go_duration_ok(s: str) -> bool:
    return re.fullmatch(r"(\d+h)?(\d+m)?(\d+(\.\d+)?(s|ms|µs|us|ns))?|0s", s) is not None and s != ""


def test_default_config_health_and_sigterm(swiftlet_factory):
    ports = Ports()
    sw = swiftlet_factory(args=_default_args(ports), ports=ports)
    status, headers, body = sw.health()
    assert status == 200, body
    doc = json.loads(body)
    assert doc.get("status") == "Server available", doc
    up = dt.datetime.fromisoformat(doc["upSince"].replace("Z", "+00:00"))
    assert up.tzinfo is not None, f"upSince without a zone: {doc['upSince']}"
    assert abs((dt.datetime.now(dt.timezone.utc) - up).total_seconds()) < 300, doc
    assert _go_duration_ok(doc["uptime"]), f"uptime is not a Go duration: {doc['uptime']!r}"
    code, elapsed = sw.stop(signal.SIGTERM)
    assert code == 0, f"SIGTERM exit code {code}; stderr tail:\n{sw.stderr()[-2000:]}"
    assert elapsed < SHUTDOWN_DEADLINE, f"idle shutdown took {elapsed:.2f}s (> {SHUTDOWN_DEADLINE}s)"


def test_sigint_graceful(swiftlet_factory):
    ports = Ports()
    sw = swiftlet_factory(config=base_config(ports), ports=ports)
    code, elapsed = sw.stop(signal.SIGINT)
    assert code == 0, f"SIGINT exit code {code}; stderr tail:\n{sw.stderr()[-2000:]}"
    assert elapsed < SHUTDOWN_DEADLINE, f"idle shutdown took {elapsed:.2f}s (> {SHUTDOWN_DEADLINE}s)"


def test_health_path_configurable(swiftlet_factory):
    ports = Ports()
    cfg = base_config(ports)
    cfg["extensions"]["health_check"]["path"] = "/health/status"
    sw = swiftlet_factory(config=cfg, ports=ports, wait_healthy=False)
    from conftest import http_request

    def ok():
        try:
            return http_request("GET", "127.0.0.1", ports.health, "/health/status", timeout=1)[0] == 200
        except OSError:
            return False
    wait_until(ok, 10, what="health on the configured path")


@pytest.mark.parametrize("which", ["otlp", "health"])
def test_port_in_use_exits_1_naming_the_address(swiftlet_factory, which):
    ports = Ports()
    blocker = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 0)
    try:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen(1)
        busy = blocker.getsockname()[1]
        if which == "otlp":
            ports.otlp = busy
        else:
            ports.health = busy
        sw = swiftlet_factory(config=base_config(ports), ports=ports, wait_healthy=False)
        code = sw.wait_exit(timeout=10)
        assert code is not None, "swiftlet kept running although its port is taken"
        assert code == 1, f"exit {code}, expected 1; stderr: {sw.stderr()!r}"
        err = sw.stderr()
        assert f"127.0.0.1:{busy}" in err, f"address not named: {err!r}"
        assert any(l.startswith("swiftlet: ") for l in err.splitlines()), err
    finally:
        blocker.close()


def _metric(text: str, name: str, label: str) -> float | None:
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        m = re.match(r"^(\w+)\{([^}]*)\}\s+(\S+)", line)
        if m and m.group(1) == name and label in m.group(2):
            return float(m.group(3))
    return None


def test_self_metrics_count_spans(swiftlet_factory):
    ports = Ports()
    sw = swiftlet_factory(args=_default_args(ports), ports=ports)
    body, ids = _request(3)
    status, _, resp = sw.post("/v1/traces", body)
    assert status == 200, resp
    sw.wait_for_spans(ids)

    def counted():
        text = sw.metrics()
        acc = _metric(text, "otelcol_receiver_accepted_spans", 'receiver="otlp",transport="http"')
        sent = _metric(text, "otelcol_exporter_sent_spans", 'exporter="debug"')
        return (acc, sent) if acc == 3 and sent == 3 else None
    try:
        wait_until(counted, 10, what="self-metrics to count 3 spans")
    except AssertionError:
        pytest.fail("self-metrics did not reach 3 accepted/sent spans:\n" + sw.metrics()[:3000])


def test_debug_verbosity_basic_prints_summary_only(swiftlet_factory):
    ports = Ports()
    sw = swiftlet_factory(config=base_config(ports, verbosity="basic"), ports=ports)
    body, ids = _request(2)
    assert sw.post("/v1/traces", body)[0] == 200

    def summary():
        out = sw.debug_output()
        return out if out.batches else None
    out = wait_until(summary, 10, what="a Traces log line")
    assert sum(b[1] for b in out.batches) == 2, out.batches
    assert not out.resources, "basic verbosity printed span details"
    line = next(l for l in sw.stderr().splitlines() if "\tTraces\t" in l)
    parts = line.split("\t")
    assert parts[1] == "info" and parts[2] == "debug" and parts[3] == "Traces", parts
    assert "resource_spans=1" in parts[4] and "spans=2" in parts[4], parts


def test_deprecated_logging_exporter_prints_detailed(swiftlet_factory):
    ports = Ports()
    cfg = base_config(ports)
    cfg["exporters"] = {"logging": {"loglevel": "debug"}}
    cfg["service"]["pipelines"]["traces"]["exporters"] = ["logging"]
    sw = swiftlet_factory(config=cfg, ports=ports)
    body, ids = _request(2, service="via-logging")
    assert sw.post("/v1/traces", body)[0] == 200
    out = sw.wait_for_spans(ids)
    res = [r for r, _, sp in out.spans() if sp.id in ids]
    assert res and res[0].attributes.get("service.name") == "Str(via-logging)", res
    assert re.search(r"warn.*logging.*deprecated", sw.stderr()), "no deprecation warning for 'logging'"
