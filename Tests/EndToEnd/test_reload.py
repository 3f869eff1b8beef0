"""Config reload on SIGHUP and with --watch-config: under steady load from real clients no span
is lost and no request refused; the new config takes effect; a receiver whose settings change
takes over its listening socket; a broken config, or one that cannot start, leaves the old
pipelines serving."""
from __future__ import annotations

import json
import os
import signal
import socket
import struct
import subprocess
import threading
import time

import pytest
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GRPCSpanExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HTTPSpanExporter
from opentelemetry.sdk.trace.export import SpanExportResult
from prometheus_client.parser import text_string_to_metric_families

from conftest import Ports, free_port, http_request, wait_until, write_yaml
from otlp_backend import GRPCBackend
from otlp_fixtures import RecordingExporter, make_provider, raw_request, raw_span

SPANS_PER_POST = 20


@pytest.fixture
def backend():
    b = GRPCBackend()
    yield b
    b.stop()


def reload_config(ports: Ports, grpc_port: int, backend_port: int, verbosity: str = "basic",
                  http_extra: dict | None = None) -> dict:
    http_cfg = {"endpoint": f"127.0.0.1:{ports.otlp}"}
    http_cfg.update(http_extra or {})
    return {
        "extensions": {"health_check": {"endpoint": f"127.0.0.1:{ports.health}"}},
        "receivers": {"otlp": {"protocols": {"http": http_cfg, "grpc": {"endpoint": f"127.0.0.1:{grpc_port}"}}}},
        "processors": {"batch": {"timeout": "200ms", "send_batch_size": 500}},
        "exporters": {
            "debug": {"verbosity": verbosity},
            "otlp": {"endpoint": f"127.0.0.1:{backend_port}", "tls": {"insecure": True},
                     "retry_on_failure": {"initial_interval": "100ms", "max_interval": "500ms"}},
        },
        "service": {
            "extensions": ["health_check"],
            "telemetry": {"metrics": {"address": f"127.0.0.1:{ports.metrics}"}},
            "pipelines": {"traces": {"receivers": ["otlp"], "processors": ["batch"], "exporters": ["otlp", "debug"]}},
        },
    }


class RawPoster(threading.Thread):
    """Posts OTLP/HTTP protobuf requests of unique spans, one connection each, and records every status."""

    def __init__(self, port: int, worker: int):
        super().__init__(daemon=True)
        self.port, self.worker = port, worker
        self.stop_flag = threading.Event()
        self.statuses: list[int | str] = []
        self.span_ids: list[bytes] = []

    def run(self):
        for i in range(100_000):
            if self.stop_flag.is_set():
                return
            ids = [struct.pack(">HHI", 0x5200 + self.worker, 0, i * SPANS_PER_POST + k) for k in range(SPANS_PER_POST)]
            body = raw_request(*[raw_span(bytes([7] * 16), sid, f"raw{self.worker}") for sid in ids])
            try:
                status, _, _ = http_request("POST", "127.0.0.1", self.port, "/v1/traces", body,
                                            {"Content-Type": "application/x-protobuf"}, timeout=10)
            except OSError as e:
                status = f"{type(e).__name__}: {e}"
            self.statuses.append(status)
            if status == 200:
                self.span_ids += ids
            time.sleep(0.005)


class SDKSender(threading.Thread):
    """The OpenTelemetry SDK's exporter (HTTP keep-alive or gRPC), one span per export."""

    def __init__(self, exporter, tag: str):
        super().__init__(daemon=True)
        self.otlp = RecordingExporter(exporter)
        self.provider, self.memory = make_provider(tag, self.otlp)
        self.tracer = self.provider.get_tracer("reload")
        self.stop_flag = threading.Event()

    def run(self):
        for i in range(100_000):
            if self.stop_flag.is_set():
                break
            with self.tracer.start_as_current_span(f"sdk-{i}"):
                pass
            time.sleep(0.01)
        self.provider.shutdown()

    def span_ids(self) -> list[bytes]:
        return [s.context.span_id.to_bytes(8, "big") for s in self.memory.get_finished_spans()]


def counter(metrics_text: str, name: str, **labels) -> float:
    total = 0.0
    for family in text_string_to_metric_families(metrics_text):
        for sample in family.samples:
            if sample.name in (name, name + "_total") and all(sample.labels.get(k) == v for k, v in labels.items()):
                total += sample.value
    return total


def reloaded(collector, count: int):
    return lambda: collector.stderr().count("Configuration reloaded") >= count


def test_reload_under_load_loses_nothing_refuses_nothing_and_takes_effect(swiftlet_factory, backend, tmp_path):
    ports, grpc_port = Ports(), free_port()
    cfg = reload_config(ports, grpc_port, backend.port, verbosity="basic")
    collector = swiftlet_factory(cfg, ports=ports)
    cfg_path = collector.workdir / "config.yaml"

    raw = [RawPoster(ports.otlp, w) for w in range(3)]
    sdk = [SDKSender(HTTPSpanExporter(endpoint=f"http://127.0.0.1:{ports.otlp}/v1/traces", timeout=10), "reload-http"),
           SDKSender(GRPCSpanExporter(endpoint=f"127.0.0.1:{grpc_port}", insecure=True, timeout=10), "reload-grpc")]
    senders = raw + sdk
    for s in senders:
        s.start()
    try:
        time.sleep(1.0)
        assert "Span #0" not in collector.stderr()

        # 1. Only the debug exporter changes: receivers and their connections are carried over.
        write_yaml(cfg_path, reload_config(ports, grpc_port, backend.port, verbosity="detailed"))
        os.kill(collector.pid, signal.SIGHUP)
        wait_until(reloaded(collector, 1), 15, what="first reload")
        wait_until(lambda: "Span #0" in collector.stderr(), 10, what="detailed debug output after the reload")
        time.sleep(1.0)

        # 2. The OTLP receiver's settings change: the new receiver takes over both listening sockets.
        write_yaml(cfg_path, reload_config(ports, grpc_port, backend.port, verbosity="detailed",
                                           http_extra={"max_request_body_size": 8 << 20}))
        os.kill(collector.pid, signal.SIGHUP)
        wait_until(reloaded(collector, 2), 15, what="second reload")
        time.sleep(1.0)

        # 3. A broken config: logged, and the running pipelines keep serving.
        cfg_path.write_text("receivers: [unterminated\n")
        os.kill(collector.pid, signal.SIGHUP)
        wait_until(lambda: "The new configuration is invalid" in collector.stderr(), 15, what="invalid config error")
        time.sleep(1.0)
        status, _, _ = http_request("GET", "127.0.0.1", ports.health, "/")
        assert status == 200
    finally:
        for s in senders:
            s.stop_flag.set()
        for s in senders:
            s.join(timeout=30)
    assert not any(s.is_alive() for s in senders), "a sender did not finish"

    refused = [(s.worker, st) for s in raw for st in s.statuses if st != 200]
    assert not refused, f"requests not answered 200 during the reloads: {refused[:10]}"
    for s in sdk:
        assert s.otlp.results and all(r == SpanExportResult.SUCCESS for r in s.otlp.results), \
            [r for r in s.otlp.results if r != SpanExportResult.SUCCESS][:5]

    sent = {sid for s in raw for sid in s.span_ids} | {sid for s in sdk for sid in s.span_ids()}
    wait_until(lambda: backend.recorder.span_count() >= len(sent), 30, what=f"{len(sent)} spans at the backend")
    got = [span.span_id for _, _, span in backend.recorder.spans()]
    missing = sent - set(got)
    assert not missing, f"{len(missing)} of {len(sent)} accepted spans never reached the backend"
    assert len(got) == len(set(got)), "some spans reached the backend twice"
    print(f"\n{len(sent)} spans sent by {len(senders)} clients across 3 reloads: all exported once, "
          f"{sum(len(s.statuses) for s in raw)} raw posts all answered 200")

    metrics = collector.metrics()
    assert counter(metrics, "otelcol_receiver_refused_spans") == 0
    assert counter(metrics, "otelcol_receiver_accepted_spans", receiver="otlp") == len(sent)
    assert counter(metrics, "otelcol_exporter_sent_spans", exporter="otlp") == len(sent)
    assert collector.alive()


def test_watch_config_applies_a_changed_file_and_closes_removed_ports(swiftlet_factory, backend):
    ports, grpc_port = Ports(), free_port()
    cfg = reload_config(ports, grpc_port, backend.port)
    collector = swiftlet_factory(cfg, args=["--watch-config"], ports=ports)
    cfg_path = collector.workdir / "config.yaml"

    zipkin_port = free_port()
    changed = reload_config(ports, grpc_port, backend.port)
    del changed["receivers"]["otlp"]["protocols"]["grpc"]
    changed["receivers"]["zipkin"] = {"endpoint": f"127.0.0.1:{zipkin_port}"}
    changed["service"]["pipelines"]["traces"]["receivers"] = ["otlp", "zipkin"]
    tmp = cfg_path.with_suffix(".new")
    write_yaml(tmp, changed)
    os.replace(tmp, cfg_path)  # as a ConfigMap volume does: the path points at a new file
    wait_until(reloaded(collector, 1), 15, what="reload after the file changed")

    span = [{"traceId": "5a" * 16, "id": "5b" * 8, "name": "watched", "timestamp": 1_700_000_000_000_000,
             "duration": 10, "localEndpoint": {"serviceName": "zipkin-client"}}]
    import json
    status, _, body = http_request("POST", "127.0.0.1", zipkin_port, "/api/v2/spans", json.dumps(span).encode(),
                                   {"Content-Type": "application/json"})
    assert status == 202, body
    assert backend.recorder.wait_for_spans(1, timeout=15)
    assert backend.recorder.spans()[0][2].name == "watched"
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", grpc_port), timeout=2).close()


def test_reload_that_cannot_start_keeps_the_old_pipelines(swiftlet_factory, backend):
    ports, grpc_port = Ports(), free_port()
    collector = swiftlet_factory(reload_config(ports, grpc_port, backend.port), ports=ports)
    cfg_path = collector.workdir / "config.yaml"
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", 0))
    blocker.listen()
    try:
        taken = blocker.getsockname()[1]
        broken = reload_config(ports, grpc_port, backend.port)
        broken["receivers"]["zipkin"] = {"endpoint": f"127.0.0.1:{taken}"}
        broken["service"]["pipelines"]["traces"]["receivers"] = ["otlp", "zipkin"]
        write_yaml(cfg_path, broken)
        os.kill(collector.pid, signal.SIGHUP)
        wait_until(lambda: "did not start; the running one keeps serving" in collector.stderr(), 15,
                   what="start failure logged")
    finally:
        blocker.close()
    body = raw_request(raw_span(bytes([9] * 16), bytes([9] * 8), "after-failed-reload"))
    status, _, _ = http_request("POST", "127.0.0.1", ports.otlp, "/v1/traces", body,
                                {"Content-Type": "application/x-protobuf"})
    assert status == 200
    assert backend.recorder.wait_for_spans(1, timeout=15)
    with socket.create_connection(("127.0.0.1", grpc_port), timeout=2):
        pass
    assert collector.alive()


def stress_config(ports: Ports, p: dict, backend_port: int, flip: bool) -> dict:
    """Every receiver's settings differ between the two values of `flip`, so each reload replaces
    them all and their open connections are handed over."""
    body = (16 if flip else 20) << 20
    http = lambda port: {"endpoint": f"127.0.0.1:{port}", "max_request_body_size": body}  # noqa: E731
    cfg = reload_config(ports, p["grpc"], backend_port)
    cfg["receivers"] = {
        "otlp": {"protocols": {"http": http(ports.otlp),
                               "grpc": {"endpoint": f"127.0.0.1:{p['grpc']}", "max_recv_msg_size_mib": 5 if flip else 4}}},
        "zipkin": http(p["zipkin"]),
        "jaeger": {"protocols": {"thrift_http": http(p["jaeger"])}},
    }
    cfg["service"]["pipelines"]["traces"]["receivers"] = ["otlp", "zipkin", "jaeger"]
    cfg["service"]["pipelines"]["traces"]["exporters"] = ["otlp"]
    del cfg["exporters"]["debug"]
    return cfg


class JaegerStream:
    """The OpenTelemetry Jaeger Thrift exporter (its own venv) exporting one span at a time."""

    def __init__(self, port: int, seconds: float):
        from test_jaeger import HERE, JAEGER_VENV
        python = JAEGER_VENV / "bin" / "python"
        if not python.exists():
            pytest.skip(f"the Jaeger venv is missing ({JAEGER_VENV}; make test makes it)")
        self.proc = subprocess.Popen([str(python), str(HERE / "jaeger_client.py"), "stream",
                                      f"http://127.0.0.1:{port}/api/traces", "reload", str(seconds)],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def results(self, timeout: float) -> list[dict]:
        try:
            out, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, err = self.proc.communicate()
            pytest.fail(f"the Jaeger sender did not finish:\n{err[-2000:]}")
        assert self.proc.returncode == 0, err[-3000:]
        return [json.loads(line) for line in out.splitlines() if line.strip()]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


@pytest.mark.parametrize("round_", range(3))
def test_reload_every_200ms_under_four_protocols_answers_every_request_and_delivers_every_span_once(
        swiftlet_factory, backend, round_):
    from opentelemetry.exporter.zipkin.json import ZipkinExporter
    ports = Ports()
    p = {"grpc": free_port(), "zipkin": free_port(), "jaeger": free_port()}
    collector = swiftlet_factory(stress_config(ports, p, backend.port, False), ports=ports)
    cfg_path = collector.workdir / "config.yaml"
    seconds = 20.0

    raw = [RawPoster(ports.otlp, w) for w in range(2)]
    sdk = [SDKSender(HTTPSpanExporter(endpoint=f"http://127.0.0.1:{ports.otlp}/v1/traces", timeout=10), "stress-http"),
           SDKSender(GRPCSpanExporter(endpoint=f"127.0.0.1:{p['grpc']}", insecure=True, timeout=10), "stress-grpc"),
           SDKSender(ZipkinExporter(endpoint=f"http://127.0.0.1:{p['zipkin']}/api/v2/spans", timeout=10), "stress-zipkin")]
    jaeger = JaegerStream(p["jaeger"], seconds)
    senders = raw + sdk
    reloads = 0
    try:
        for s in senders:
            s.start()
        started = time.monotonic()
        for i in range(int(seconds / 0.2)):
            if time.monotonic() - started >= seconds:
                break
            tmp = cfg_path.with_suffix(".new")
            write_yaml(tmp, stress_config(ports, p, backend.port, i % 2 == 0))
            os.replace(tmp, cfg_path)  # a SIGHUP never reads a half-written file
            os.kill(collector.pid, signal.SIGHUP)
            reloads += 1
            time.sleep(0.2)
        jaeger_results = jaeger.results(timeout=60)
    finally:
        for s in senders:
            s.stop_flag.set()
        for s in senders:
            s.join(timeout=30)
        jaeger.stop()
    assert not any(s.is_alive() for s in senders), "a sender did not finish"
    done = collector.stderr().count("Configuration reloaded")
    assert done >= reloads // 2, f"only {done} of {reloads} reloads were carried out"
    assert "The new configuration is invalid" not in collector.stderr()

    refused = [(s.worker, st) for s in raw for st in s.statuses if st != 200]
    assert not refused, f"raw posts not answered 200 during the reloads: {refused[:10]}"
    for s in sdk:
        failed = [r for r in s.otlp.results if r != SpanExportResult.SUCCESS]
        assert s.otlp.results and not failed, f"{len(failed)} exports failed: {failed[:5]}"
    jaeger_failed = [r for r in jaeger_results if r.get("status") not in (200, 202)]
    assert jaeger_results and not jaeger_failed, f"{len(jaeger_failed)} Jaeger uploads failed: {jaeger_failed[:5]}"

    sent = ({sid for s in raw for sid in s.span_ids} | {sid for s in sdk for sid in s.span_ids()}
            | {bytes.fromhex(r["span_id"]) for r in jaeger_results})
    wait_until(lambda: backend.recorder.span_count() >= len(sent), 30, what=f"{len(sent)} spans at the backend")
    got = [span.span_id for _, _, span in backend.recorder.spans()]
    missing = sent - set(got)
    assert not missing, f"{len(missing)} of {len(sent)} accepted spans never reached the backend"
    assert len(got) == len(set(got)), "some spans reached the backend twice"
    assert set(got) == sent, f"{len(set(got) - sent)} spans arrived that no sender had sent"
    metrics = collector.metrics()
    assert counter(metrics, "otelcol_receiver_refused_spans") == 0
    assert collector.alive()
    print(f"\nround {round_}: {done} reloads in {seconds:.0f} s; {len(sent)} spans from {len(senders) + 1} clients "
          f"(OTLP/HTTP, OTLP/gRPC, Zipkin, Jaeger) all exported once")
