"""Self-metrics end to end: counts per receiver and transport, processors and exporters equal to
what happened, the text parsed by prometheus_client's parser, and every metric the Grafana
dashboard queries present in a live scrape."""
from __future__ import annotations

import json
import re
import struct

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from conftest import REPO, Ports, base_config, free_port, wait_until
from otlp_backend import GRPCBackend
from otlp_fixtures import raw_request, raw_span
from test_otlp_grpc import grpc_config, http_port, otlp_exporter, sdk_spans_via_grpc, sdk_spans_via_http


def _samples(text: str) -> dict[tuple, float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            # The parser names counter samples `<name>_total`; ours are written without the suffix.
            name = family.name if family.type == "counter" and s.name == family.name + "_total" else s.name
            out[(name, tuple(sorted(s.labels.items())))] = s.value
    return out


def _value(samples, name, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def backend():
    b = GRPCBackend()
    yield b
    b.stop()


def test_metrics_count_what_happened_per_receiver_transport_processor_and_exporter(swiftlet_factory, backend):
    ports = Ports()
    cfg = grpc_config(ports, {"otlp": otlp_exporter(backend)}, ["otlp"])
    cfg["service"]["pipelines"]["traces"]["processors"] = ["memory_limiter", "batch"]
    sw = swiftlet_factory(config=cfg, ports=ports)
    via_grpc = sdk_spans_via_grpc(ports.otlp, "m-grpc", seed=21)
    via_http = sdk_spans_via_http(http_port(cfg), "m-http", seed=22)
    # One request with one invalid span (zero span id) beside a valid one: 1 failed, 1 accepted.
    body = raw_request(raw_span(bytes([1] * 16), bytes(8), "bad"), raw_span(bytes([1] * 16), bytes([9] * 8), "good"))
    from conftest import http_request
    status, _, _ = http_request("POST", "127.0.0.1", http_port(cfg), "/v1/traces", body, {"Content-Type": "application/x-protobuf"})
    assert status == 200
    total = len(via_grpc) + len(via_http) + 1
    assert backend.recorder.wait_for_spans(total)

    def settled():
        s = _samples(sw.metrics())
        return s if _value(s, "otelcol_exporter_sent_spans", exporter="otlp") == total else None
    s = wait_until(settled, 10, what="sent spans counted")
    assert _value(s, "otelcol_receiver_accepted_spans", receiver="otlp", transport="grpc") == len(via_grpc)
    assert _value(s, "otelcol_receiver_accepted_spans", receiver="otlp", transport="http") == len(via_http) + 1
    assert _value(s, "otelcol_receiver_failed_spans", receiver="otlp", transport="http") == 1
    assert _value(s, "otelcol_receiver_refused_spans", receiver="otlp", transport="http") == 0
    for p in ("memory_limiter", "batch"):
        assert _value(s, "otelcol_processor_incoming_items", processor=p, otel_signal="traces") == total
        assert _value(s, "otelcol_processor_outgoing_items", processor=p, otel_signal="traces") == total
    assert _value(s, "otelcol_processor_batch_batch_send_size_count", processor="batch") >= 1
    assert _value(s, "otelcol_processor_batch_batch_send_size_sum", processor="batch") == total
    assert _value(s, "otelcol_exporter_send_failed_spans", exporter="otlp") == 0
    assert _value(s, "otelcol_exporter_queue_capacity", exporter="otlp") == 1000
    assert _value(s, "otelcol_exporter_queue_size", exporter="otlp") == 0
    assert _value(s, "otelcol_process_memory_rss") > 0


def test_metrics_level_none_turns_the_endpoint_off(swiftlet_factory):
    ports = Ports()
    cfg = base_config(ports)
    cfg["service"]["telemetry"]["metrics"] = {"level": "none", "address": f"127.0.0.1:{ports.metrics}"}
    sw = swiftlet_factory(config=cfg, ports=ports)
    with pytest.raises(OSError):
        sw.metrics()


def test_every_metric_the_dashboard_queries_is_exposed(swiftlet_factory, backend):
    doc = [d for d in yaml.safe_load_all((REPO / "config" / "kubernetes" / "monitoring.yaml").read_text())
           if d and d.get("kind") == "ConfigMap"][0]
    dashboard = json.loads(next(iter(doc["data"].values())))
    queried = {m for p in dashboard["panels"] for t in p["targets"] for m in re.findall(r"\botelcol_[a-z_]+", t["expr"])}
    ports = Ports()
    cfg = grpc_config(ports, {"otlp": otlp_exporter(backend)}, ["otlp"])
    cfg["service"]["pipelines"]["traces"]["processors"] = ["memory_limiter", "batch"]
    sw = swiftlet_factory(config=cfg, ports=ports)
    sdk_spans_via_grpc(ports.otlp, "dash", seed=23)
    exposed = {f.name for f in text_string_to_metric_families(sw.metrics())}
    exposed |= {n + suffix for n in exposed for suffix in ("_bucket", "_sum", "_count")}
    missing = sorted(queried - exposed)
    assert not missing, f"the dashboard queries metrics /metrics does not expose: {missing}"
