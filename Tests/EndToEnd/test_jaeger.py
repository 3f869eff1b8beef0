"""Jaeger receiver end to end: the OpenTelemetry Python Jaeger Thrift exporter in collector mode
(Thrift over HTTP) and agent mode (UDP, compact protocol), its protobuf exporter over gRPC, the Ruby jaeger-client where Debian's
package is installed, the binary-protocol UDP port, a UDP flood half of garbage, and bad HTTP
input. The debug exporter's detailed output is parsed and compared field by field with what the
translation rules (wire-formats §8.2) give for the spans the client reports it sent."""
from __future__ import annotations

import gzip
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import (REPO, Ports, base_config, compare_attrs, compare_fields, free_port, free_udp_port,
                      go_time, go_value, http_request, wait_until)

HERE = Path(__file__).resolve().parent
GOLDEN = REPO / "Tests" / "ComponentsTests" / "Golden" / "jaeger"
JAEGER_VENV = Path(os.environ.get("JAEGER_VENV") or REPO / ".venv-jaeger")
THRIFT = "application/x-thrift"
CLIENT_TIMEOUT = 120


# ---------------------------------------------------------------------------------- set-up

@pytest.fixture(scope="session")
def jaeger_python() -> Path:
    """The Jaeger venv's python, made (or brought up to date) from jaeger-requirements.txt when
    the file is newer than the venv's marker, as the Makefile does."""
    python = JAEGER_VENV / "bin" / "python"
    requirements = HERE / "jaeger-requirements.txt"
    ready = JAEGER_VENV / ".ready"
    if not ready.exists() or ready.stat().st_mtime < requirements.stat().st_mtime:
        if not python.exists():
            subprocess.run([sys.executable, "-m", "venv", str(JAEGER_VENV)], check=True, timeout=120)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "-r",
                        str(requirements)], check=True, timeout=600)
        ready.touch()
    return python


class JaegerPorts(Ports):
    def __init__(self):
        super().__init__()
        self.thrift_http = free_port()
        self.compact = free_udp_port()
        self.binary = free_udp_port()
        self.grpc = free_port()


def jaeger_config(ports: JaegerPorts, verbosity: str = "detailed", processors=("batch",), udp: dict | None = None) -> dict:
    cfg = base_config(ports, verbosity=verbosity, processors=processors)
    udp = udp or {}
    cfg["receivers"]["jaeger"] = {"protocols": {
        "thrift_http": {"endpoint": f"127.0.0.1:{ports.thrift_http}"},
        "thrift_compact": {"endpoint": f"127.0.0.1:{ports.compact}", **udp},
        "thrift_binary": {"endpoint": f"127.0.0.1:{ports.binary}", **udp},
        "grpc": {"endpoint": f"127.0.0.1:{ports.grpc}"},
    }}
    cfg["service"]["pipelines"]["traces"]["receivers"] = ["otlp", "jaeger"]
    return cfg


@pytest.fixture(scope="module")
def collector(module_swiftlet_factory):
    ports = JaegerPorts()
    return module_swiftlet_factory(config=jaeger_config(ports), ports=ports, name="jaeger")


def run_client(python: Path, *args: str) -> list[dict]:
    p = subprocess.run([str(python), str(HERE / "jaeger_client.py"), *args], capture_output=True, text=True,
                       timeout=CLIENT_TIMEOUT)
    assert p.returncode == 0, f"client failed ({p.returncode}):\n{p.stderr[-3000:]}"
    assert "Traceback" not in p.stderr, f"the exporter logged an error:\n{p.stderr[-3000:]}"
    return json.loads(p.stdout.strip().splitlines()[-1])


def metric(text: str, name: str, **labels: str) -> int:
    """The value of one series of the Prometheus text, 0 when absent."""
    want = ",".join(f'{k}="{v}"' for k, v in labels.items())
    for line in text.splitlines():
        m = re.match(rf"^{re.escape(name)}\{{(.*)\}} (\S+)$", line)
        if m and m.group(1) == want:
            return int(float(m.group(2)))
    return 0


# ---------------------------------------------------------------------------------- expected output

def _tag_value(v):
    # The Python exporter sends a sequence attribute as the str() of its tuple (JSON made it a list).
    return str(tuple(v)) if isinstance(v, (tuple, list)) else v


def _us(ns: int) -> int:
    """The exporter's rounding of nanoseconds to microseconds."""
    return (ns + 500) // 1000


def expected_span(s: dict) -> tuple[dict, dict, list, list]:
    """(fields, attributes, events, links) the translation rules give for a span the Python
    exporter sent: its tags are the span attributes, the resource attributes, the status, the
    kind, the scope and `error`; `span.kind`, `error` and the status tags are consumed."""
    status_code, description = s["status"]
    tags = {k: _tag_value(v) for k, v in s["attributes"].items()}
    tags.update({k: _tag_value(v) for k, v in s["resource"].items()})
    name, version = s["scope"]
    tags.update({"otel.library.name": name, "otel.library.version": version,
                 "otel.scope.name": name, "otel.scope.version": version})
    kind = s["kind"].capitalize()
    if status_code == "ERROR":
        status, message = "Error", description or ""
    elif status_code == "OK":
        status, message = "Ok", ""
    else:
        code = tags.get("http.status_code")
        failed = isinstance(code, int) and not (100 <= code < 399 or (400 <= code < 500 and kind == "Server"))
        status, message = ("Error" if failed else "Unset"), ""
    start_us = _us(s["start_ns"])
    end_us = start_us + _us(s["end_ns"] - s["start_ns"])
    fields = {
        "Trace ID": s["trace_id"], "Parent ID": s["parent_id"], "ID": s["span_id"], "Name": s["name"],
        "Kind": kind, "Start time": go_time(start_us * 1000), "End time": go_time(end_us * 1000),
        "Status code": status, "Status message": message,
        "DroppedAttributesCount": "0", "DroppedEventsCount": "0", "DroppedLinksCount": "0",
    }
    attrs = {k: go_value(v) for k, v in tags.items()}
    events = [("", go_time(_us(e["ts"]) * 1000),
               {**{k: go_value(_tag_value(v)) for k, v in e["attributes"].items()}, "message": go_value(e["name"])})
              for e in s["events"]]
    links = [(l["trace_id"], l["span_id"], {"opentracing.ref_type": "Str(follows_from)"}) for l in s["links"]]
    return fields, attrs, events, links


def expected_proto_span(s: dict) -> tuple[dict, dict, list, list]:
    """As expected_span, for the protobuf exporter: the times it encoded, and the scope taken from
    the `otel.scope.*` tags (which leave the attributes; `otel.library.*` stay)."""
    fields, attrs, events, links = expected_span(s)
    times = s["proto_ns"]
    fields["Start time"], fields["End time"] = go_time(times["start"]), go_time(times["end"])
    del attrs["otel.scope.name"], attrs["otel.scope.version"]
    events = [(name, go_time(ts), a) for (name, _, a), ts in zip(events, times["events"])]
    return fields, attrs, events, links


def check_client_spans(sw, sent: list[dict], tag: str) -> None:
    out = sw.wait_for_spans({s["span_id"] for s in sent}, timeout=15)
    assert not out.unparsed, "lines of the detailed output not understood:\n" + "\n".join(out.unparsed[:20])
    printed = {sp.id: (r, sc, sp) for r, sc, sp in out.spans()}
    problems = []
    for s in sent:
        r, sc, sp = printed[s["span_id"]]
        where = f"span {s['name']!r}"
        fields, attrs, events, links = expected_proto_span(s) if tag == "grpc" else expected_span(s)
        problems += compare_fields(sp.fields, fields, where)
        problems += compare_attrs(sp.attributes, attrs, where)
        # The protobuf exporter sends the resource as the process's tags; the Thrift one, the name only.
        resource = {k: go_value(_tag_value(v)) for k, v in s["resource"].items()} if tag == "grpc" else {}
        problems += compare_attrs(r.attributes, {**resource, "service.name": f"Str(jaeger-e2e-{tag})"}, where + " resource")
        scope = (s["scope"][0], s["scope"][1]) if tag == "grpc" else ("", "")
        if (sc.name, sc.version, sc.attributes) != (*scope, {}):
            problems.append(f"{where}: scope {sc.name!r} {sc.version!r} {sc.attributes}, expected {scope}")
        got_events = [(e.name, e.timestamp, e.attributes) for e in sp.events]
        if got_events != events:
            problems.append(f"{where}: events {got_events}, expected {events}")
        got_links = [(l.trace_id, l.id, l.attributes) for l in sp.links]
        if got_links != links:
            problems.append(f"{where}: links {got_links}, expected {links}")
    assert not problems, f"{len(problems)} differences:\n" + "\n".join(problems[:40])


# ---------------------------------------------------------------------------------- real clients

def test_python_exporter_collector_mode_over_http(collector, jaeger_python):
    url = f"http://127.0.0.1:{collector.ports.thrift_http}/api/traces"
    sent = run_client(jaeger_python, "collector", url, "http")
    assert len(sent) == 4
    check_client_spans(collector, sent, "http")
    assert metric(collector.metrics(), "otelcol_receiver_accepted_spans", receiver="jaeger", transport="collector_http") >= 4


def test_python_exporter_agent_mode_over_udp_compact(collector, jaeger_python):
    sent = run_client(jaeger_python, "agent", str(collector.ports.compact), "udp")
    check_client_spans(collector, sent, "udp")
    text = collector.metrics()
    assert metric(text, "otelcol_receiver_accepted_spans", receiver="jaeger", transport="udp_thrift_compact") >= 4
    assert metric(text, "swiftlet_receiver_invalid_requests", receiver="jaeger", transport="udp_thrift_compact") == 0


def test_python_protobuf_exporter_over_grpc(collector, jaeger_python):
    sent = run_client(jaeger_python, "grpc", f"127.0.0.1:{collector.ports.grpc}", "grpc")
    assert len(sent) == 4
    check_client_spans(collector, sent, "grpc")
    assert metric(collector.metrics(), "otelcol_receiver_accepted_spans", receiver="jaeger", transport="grpc") >= 4


def test_grpc_bad_message_is_invalid_argument_naming_the_field(collector):
    grpc = pytest.importorskip("grpc")
    with grpc.insecure_channel(f"127.0.0.1:{collector.ports.grpc}") as channel:
        post = channel.unary_unary("/jaeger.api_v2.CollectorService/PostSpans")  # raw bytes both ways
        # PostSpansRequest{batch: Batch{spans: [Span{span_id: 2 bytes}]}}
        with pytest.raises(grpc.RpcError) as refused:
            post(bytes([0x0A, 0x06, 0x0A, 0x04, 0x12, 0x02, 0x01, 0x02]), timeout=10)
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT, refused.value
        assert "batch.spans[0].span_id" in refused.value.details() and "invalid length 2" in refused.value.details()
        assert post(b"", timeout=10) == b"", "an empty request gets the empty PostSpansResponse"
        with pytest.raises(grpc.RpcError) as unknown:
            channel.unary_unary("/jaeger.api_v2.CollectorService/GetTrace")(b"", timeout=10)
        assert unknown.value.code() == grpc.StatusCode.UNIMPLEMENTED
    assert collector.alive()
    assert metric(collector.metrics(), "swiftlet_receiver_invalid_requests", receiver="jaeger", transport="grpc") >= 1


RUBY_CLIENT = r'''
require "jaeger/client"
require "logger"
port, mode = ARGV[0].to_i, ARGV[1]
logger = Logger.new($stderr)
encoder = Jaeger::Encoders::ThriftEncoder.new(service_name: "ruby-e2e", tags: {"hostname" => "rubyhost"}, logger: logger)
sender =
  if mode == "http"
    Jaeger::HttpSender.new(url: "http://127.0.0.1:#{port}/api/traces", encoder: encoder, logger: logger)
  else
    Jaeger::UdpSender.new(host: "127.0.0.1", port: port, encoder: encoder, logger: logger)
  end
reporter = Jaeger::Reporters::RemoteReporter.new(sender: sender, flush_interval: 0.1)
tracer = Jaeger::Client.build(service_name: "ruby-e2e", reporter: reporter)
root = tracer.start_span("ruby-root", tags: {"span.kind" => "server", "answer" => 42, "ok" => true})
child = tracer.start_span("ruby-child", child_of: root, tags: {"span.kind" => "client", "error" => true})
child.log_kv(event: "retry", attempt: 2)
child.finish
root.finish
reporter.flush
puts [root.context.span_id, child.context.span_id, root.context.trace_id].map { |v| v.to_s(16).rjust(16, "0") }.join(" ")
'''


@pytest.mark.parametrize("mode", ["udp", "http"])
def test_ruby_jaeger_client(collector, tmp_path, mode):
    """Debian's ruby-jaeger-client (Uber's Ruby client): UDP compact to the agent port, or HTTP."""
    if shutil.which("ruby") is None or subprocess.run(["ruby", "-e", 'require "jaeger/client"'],
                                                      capture_output=True, timeout=30).returncode != 0:
        pytest.skip("Debian's ruby-jaeger-client is not installed (apt-get install ruby-jaeger-client)")
    script = tmp_path / "client.rb"
    script.write_text(RUBY_CLIENT)
    port = collector.ports.compact if mode == "udp" else collector.ports.thrift_http
    p = subprocess.run(["ruby", str(script), str(port), mode], capture_output=True, text=True, timeout=CLIENT_TIMEOUT)
    assert p.returncode == 0, p.stderr[-3000:]
    root_id, child_id, trace_low = p.stdout.split()
    out = collector.wait_for_spans({root_id, child_id}, timeout=15)
    spans = {sp.id: (r, sp) for r, _, sp in out.spans()}
    r, root = spans[root_id]
    _, child = spans[child_id]
    assert r.attributes["service.name"] == "Str(ruby-e2e)"
    assert r.attributes.get("host.name") == "Str(rubyhost)" and "hostname" not in r.attributes, r.attributes
    assert r.attributes.get("opencensus.exporterversion", "").startswith("Str(Jaeger-Ruby-"), r.attributes
    assert root.fields["Kind"] == "Server" and root.fields["Parent ID"] == ""
    assert root.fields["Trace ID"].endswith(trace_low)
    assert root.attributes["answer"] == "Int(42)" and root.attributes["ok"] == "Bool(true)"
    assert child.fields["Kind"] == "Client" and child.fields["Parent ID"] == root_id
    assert child.fields["Status code"] == "Error" and "error" not in child.attributes
    assert [(e.name, e.attributes) for e in child.events] == [("retry", {"attempt": "Int(2)"})]


# ---------------------------------------------------------------------------------- golden datagrams

def test_binary_udp_port_and_gzip_http_give_the_golden_spans(module_swiftlet_factory):
    ports = JaegerPorts()
    sw = module_swiftlet_factory(config=jaeger_config(ports, processors=()), ports=ports, name="jaeger-golden")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.sendto((GOLDEN / "emitBatch.binary").read_bytes(), ("127.0.0.1", ports.binary))
    expected = (GOLDEN / "batch_detailed.out").read_text()
    wait_until(lambda: expected in sw.stderr(), 10, what="the golden detailed output from the binary UDP port")
    body = gzip.compress((GOLDEN / "batch.thrift-binary").read_bytes())
    status, _, data = http_request("POST", "127.0.0.1", ports.thrift_http, "/api/traces?format=jaeger.thrift", body,
                                   {"Content-Type": THRIFT, "Content-Encoding": "gzip"})
    assert status == 202 and data == b"", (status, data)
    wait_until(lambda: sw.stderr().count(expected) == 2, 10, what="the golden output twice")


# ---------------------------------------------------------------------------------- robustness

def test_bad_http_input_is_refused_with_a_reason_and_the_server_keeps_serving(collector):
    port = collector.ports.thrift_http
    valid = (GOLDEN / "batch.thrift-binary").read_bytes()
    cases = {
        "truncated": valid[:200],
        "negative string length": bytes([0x0C, 0x00, 0x01, 0x0B, 0x00, 0x01, 0xFF, 0xFF, 0xFF, 0xF0]),
        "huge list": bytes([0x0C, 0x00, 0x01, 0x0B, 0x00, 0x01, 0, 0, 0, 1, 0x61, 0x00,
                            0x0F, 0x00, 0x02, 0x0C, 0x7F, 0xFF, 0xFF, 0xFF]),
        "wrong field type": bytes([0x08, 0x00, 0x01, 0, 0, 0, 1, 0x00]),
        "deep nesting": bytes([0x0C, 0x00, 0x63] * 5000),
        "unknown tag type": valid.replace(bytes([0x08, 0x00, 0x02, 0, 0, 0, 0]), bytes([0x08, 0x00, 0x02, 0, 0, 0, 9]), 1),
        "empty": b"",
    }
    reasons = {
        "negative string length": "negative length", "huge list": "cannot fit", "wrong field type": "wrong field type",
        "deep nesting": "nesting depth limit", "unknown tag type": "unknown TagType value 9",
    }
    for name, body in cases.items():
        status, _, data = http_request("POST", "127.0.0.1", port, "/api/traces", body, {"Content-Type": THRIFT})
        text = data.decode(errors="replace")
        assert status == 400, f"{name}: {status} {text}"
        assert text.startswith("Unable to process request body: invalid thrift at byte"), f"{name}: {text}"
        assert reasons.get(name, "") in text, f"{name}: {text}"
    status, _, data = http_request("POST", "127.0.0.1", port, "/api/traces", valid, {"Content-Type": "application/json"})
    assert status == 415, (status, data)
    status, _, _ = http_request("POST", "127.0.0.1", port, "/api/traces", valid,
                                {"Content-Type": "application/vnd.apache.thrift.binary"})
    assert status == 202
    assert collector.alive()
    assert metric(collector.metrics(), "swiftlet_receiver_invalid_requests", receiver="jaeger",
                  transport="collector_http") >= len(cases)


def _garbage(rng: random.Random, valid: bytes) -> bytes:
    """Never a valid emitBatch: a truncated valid datagram, or random bytes not starting 0x82."""
    if rng.random() < 0.5:
        return valid[:rng.randrange(0, len(valid) - 2)]
    return bytes([0x00]) + rng.randbytes(rng.randrange(0, 300))


def test_udp_flood_half_garbage_every_valid_datagram_is_exported_or_counted(module_swiftlet_factory):
    ports = JaegerPorts()
    cfg = jaeger_config(ports, verbosity="basic", processors=(), udp={"queue_size": 200, "workers": 2})
    sw = module_swiftlet_factory(config=cfg, ports=ports, name="jaeger-flood")
    valid = (GOLDEN / "emitBatch.compact").read_bytes()  # 4 spans
    rng = random.Random(7)
    total, n_valid = 10_000, 0
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for i in range(total):  # bounded: one pass, as fast as one sender goes
            if i % 2 == 0:
                s.sendto(valid, ("127.0.0.1", ports.compact))
                n_valid += 1
            else:
                s.sendto(_garbage(rng, valid), ("127.0.0.1", ports.compact))
    labels = {"receiver": "jaeger", "transport": "udp_thrift_compact"}
    probes = 0

    def counters():
        text = sw.metrics()
        return (metric(text, "swiftlet_receiver_received_datagrams", **labels),
                {r: metric(text, "swiftlet_receiver_dropped_datagrams", **labels, reason=r)
                 for r in ("queue_full", "socket_buffer", "too_large")},
                metric(text, "swiftlet_receiver_invalid_requests", **labels),
                metric(text, "otelcol_receiver_accepted_spans", **labels),
                metric(text, "otelcol_receiver_refused_spans", **labels),
                metric(text, "otelcol_exporter_sent_spans", exporter="debug"))

    def settled():
        # Kernel drops are reported with the next datagram read, so keep probing with valid
        # datagrams (which also shows the listener still answers) until every one is accounted for.
        nonlocal probes
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.sendto(valid, ("127.0.0.1", ports.compact))
        probes += 1
        wait_until(lambda: True, 0.2)
        received, dropped, invalid, accepted, refused, exported = c = counters()
        sent = total + probes
        done = received + dropped["socket_buffer"] == sent and \
            received == dropped["queue_full"] + dropped["too_large"] + invalid + (accepted + refused) // 4
        return c if done and accepted == exported else None

    try:
        received, dropped, invalid, accepted, refused, exported = wait_until(settled, 60, 0.05, "the flood to settle")
    except AssertionError:
        raise AssertionError(f"counters do not add up after {probes} probes: {counters()}") from None
    processed_valid = (accepted + refused) // 4
    n_sent_valid = n_valid + probes
    # Every valid datagram was exported (4 spans each) or counted as dropped before decoding;
    # every garbage one was counted invalid or dropped. The numbers add up exactly.
    assert refused == 0 and dropped["too_large"] == 0
    assert processed_valid <= n_sent_valid and invalid <= total - n_valid
    assert total + probes == processed_valid + invalid + sum(dropped.values())
    assert processed_valid >= 1, "not one valid datagram got through"
    print(f"flood: {processed_valid} valid exported, {invalid} invalid, dropped {dropped}, {probes} probes")
    assert sw.alive()
