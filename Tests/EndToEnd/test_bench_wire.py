"""A test of the benchmark harness, not of Swiftlet's speed: what each exporter configuration the
harness runs actually puts on the wire. scripts/benchlib/subjects.py names it in WIRE_COMPRESSION
(rotel 0.0.1a15 gzips whatever --otlp-exporter-compression says), and bench.py compares a peer's
row only with a Swiftlet row of the same wire compression. Each configuration here gets one OTLP/HTTP
request through its receiver and exports it over gRPC to a recording HTTP/2 server (grpc_wire.py):
the test asserts the grpc-encoding header and each message's compressed flag, so if rotel ever
honours `none`, or Swiftlet stops compressing, this fails and the table must change."""
from __future__ import annotations

import sys
import urllib.request

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from conftest import REPO, free_port, rotel_agent, wait_until
from grpc_wire import WireServer

sys.path.insert(0, str(REPO / "scripts"))
from benchlib import payloads, subjects  # noqa: E402
from benchlib.procs import Pinned, wait_for_port  # noqa: E402

EXPORT_TIMEOUT = 20  # seconds for the one request to reach the recording server


def post_spans(port: int) -> None:
    """The harness's own request (100 spans), once, to an OTLP/HTTP receiver."""
    req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/traces", data=payloads.otlp_proto(),
                                 headers={"content-type": "application/x-protobuf"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert resp.status == 200, resp.status


def observed_compression(server: WireServer, log) -> str:
    """The compression the one exported request carried, as seen on the wire: its grpc-encoding
    ("none" without one), checked against each gRPC message's compressed flag and its content."""
    requests = wait_until(server.traces, EXPORT_TIMEOUT, what=f"an export at the recording server; log:\n{log()}")
    assert not server.errors, server.errors
    request = requests[0]
    assert request.headers.get("content-type", "").startswith("application/grpc"), request.headers
    assert request.messages, f"no gRPC message in the request: {request.headers}"
    encoding = request.encoding or "none"
    spans = 0
    for m in request.messages:
        # gRPC: the flag says the message is compressed with the grpc-encoding; none without one.
        assert m.compressed == (encoding not in ("none", "identity")), (encoding, m.compressed)
        parsed = ExportTraceServiceRequest.FromString(m.decoded(encoding))
        spans += sum(len(ss.spans) for rs in parsed.resource_spans for ss in rs.scope_spans)
    assert spans == payloads.SPANS_PER_REQUEST, spans  # the messages were decoded as what they claim
    return "none" if encoding == "identity" else encoding


def test_the_harness_runs_rotel_with_a_flag_value_this_test_checks():
    assert subjects.ROTEL_COMPRESSION in subjects.WIRE_COMPRESSION["rotel"]
    assert "none" in subjects.WIRE_COMPRESSION["rotel"]


@pytest.mark.parametrize("flag", sorted(subjects.WIRE_COMPRESSION["rotel"]))
def test_rotel_exporter_compression_flag_on_the_wire(tmp_path, flag):
    binary = rotel_agent()
    if binary is None:
        pytest.skip("rotel-agent is not installed: make .venv-bench/.ready installs it (make test does)")
    server = WireServer(free_port())
    http_port, grpc_port = free_port(), free_port()
    argv = subjects.rotel_argv(str(binary), http_port, grpc_port, f"http://127.0.0.1:{server.port}", flag)
    log = tmp_path / "rotel.log"
    proc = None
    try:
        proc = Pinned(argv, 0, str(log), pinned=False)
        wait_for_port(http_port, proc.proc)
        post_spans(http_port)
        seen = observed_compression(server, lambda: log.read_text(errors="replace")[-2000:])
    finally:
        if proc is not None:
            proc.stop()
        server.stop()
    assert seen == subjects.WIRE_COMPRESSION["rotel"][flag], \
        f"rotel --otlp-exporter-compression {flag} sent {seen}: correct WIRE_COMPRESSION in scripts/benchlib/subjects.py"


@pytest.mark.parametrize("compression", sorted(subjects.WIRE_COMPRESSION["swiftlet"]))
def test_swiftlet_exporter_compression_on_the_wire(swiftlet_factory, tmp_path, compression):
    server = WireServer(free_port())
    port, metrics = free_port(), free_port()
    config = subjects.swiftlet_config(str(tmp_path / "swiftlet.yaml"),
                                      f"otlp:\n    protocols:\n      http:\n        endpoint: 127.0.0.1:{port}",
                                      subjects.otlp_exporter(server.port, compression), metrics, batch=True)
    try:
        s = swiftlet_factory(args=["--config", config], wait_healthy=False)
        wait_for_port(port, s.proc)
        post_spans(port)
        seen = observed_compression(server, lambda: s.stderr()[-2000:])
    finally:
        server.stop()
    assert seen == subjects.WIRE_COMPRESSION["swiftlet"][compression], \
        f"Swiftlet with compression {compression} sent {seen}: correct WIRE_COMPRESSION in scripts/benchlib/subjects.py"
