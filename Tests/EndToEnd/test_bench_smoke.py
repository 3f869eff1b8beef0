"""A smoke run of the benchmark harness (scripts/bench.py --smoke): a few requests on every path,
checking only that it runs, fills every row, that the sink counted exactly the spans the sender
had answered and that rotel gets a ratio only beside the Swiftlet rows doing its work (gzip out).
No timing is asserted: figures come from `make bench`. rotel and nginx rows run when they are
installed (make test and make bench install rotel) and are left out otherwise."""
from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from conftest import BIN, REPO, rotel_agent

HARNESS = REPO / "scripts" / "bench.py"
PATHS = ["OTLP/HTTP protobuf", "OTLP/HTTP protobuf, TLS", "OTLP/HTTP protobuf, gzip out", "OTLP/HTTP protobuf, zstd out",
         "OTLP/HTTP JSON", "OTLP/gRPC", "OTLP/gRPC, TLS",
         "OTLP/gRPC, gzip out", "Zipkin v2 JSON", "Jaeger Thrift/HTTP"] + [
         "OTLP/HTTP protobuf, processors: " + p for p in ("k8sattributes", "resource", "attributes", "filter", "transform",
                                                          "resource + attributes + filter", "k8sattributes + resource + filter")] + [
         "OTLP/HTTP protobuf, exporter: loadbalancing to 3 backends"]
# The seed's own config is a row when ../shared holds it (it is read from there, never copied).
SEED_ROW = "OTLP/HTTP protobuf, the seed's config (gzip out)"
SEED_CONFIG = REPO.parent / "shared" / "reference" / "deployment" / "collector-config.yaml"


def test_bench_harness_smoke_run_counts_every_span_at_the_sink():
    if not shutil.which("h2load"):
        pytest.skip("h2load is not installed (Debian nghttp2-client)")
    rotel = rotel_agent()
    argv = [sys.executable, str(HARNESS), str(BIN), "--smoke", "--python", sys.executable]
    argv += ["--rotel", str(rotel)] if rotel else []
    out = subprocess.run(argv, capture_output=True, text=True, timeout=420, cwd=REPO)
    assert out.returncode == 0, out.stdout + out.stderr
    rows = [line for line in out.stdout.splitlines() if line.startswith("| ") and "---" not in line][1:]
    swiftlet = {line.split(" | ")[0][2:]: line for line in rows if " | swiftlet | " in line}
    paths = PATHS + ([SEED_ROW] if SEED_CONFIG.exists() else [])
    assert sorted(swiftlet) == sorted(paths), out.stdout
    with_sink = [line for line in rows if " | swiftlet | " in line or " | rotel | " in line]
    assert len(with_sink) == len(paths) + (2 if rotel else 0), out.stdout
    for line in with_sink:
        assert line.rstrip(" |").split(" | ")[-1].startswith("yes ("), line
        assert "NO:" not in line and "FAILED" not in line, line
    # rotel is compared only with the rows that put its compression on the wire (gzip, whatever
    # its flags: test_bench_wire.py); every other row of its paths says why it has no ratio, and
    # the TLS rows are Swiftlet against its own plain-text rows (rotel is not run with TLS).
    for path, line in swiftlet.items():
        versus = line.rstrip(" |").split(" | ")[-2]
        if not rotel or not path.startswith(("OTLP/HTTP protobuf", "OTLP/gRPC")) or path.endswith(", TLS"):
            assert versus.startswith("—"), line
        elif path.endswith(", gzip out") or path == SEED_ROW:
            assert versus.startswith("CPU ") and "x, max " in versus, line
        else:
            assert versus == "n/a: rotel always sends gzip", line
    if shutil.which("nginx") or shutil.which("/usr/sbin/nginx"):
        assert any(" | nginx | " in line and "FAILED" not in line for line in rows), out.stdout
    assert "Targets (issue 10" in out.stdout and "Targets (issue 21" in out.stdout and "Targets (issue 22" in out.stdout
    # Every Swiftlet row had its system calls counted (or says why not), and the two OTLP/HTTP
    # rows ran on both cores.
    for path in swiftlet:
        assert f"- {path}: " in out.stdout and ("system calls per request" in out.stdout or "not counted" in out.stdout), path
    assert out.stdout.count("on both cores:") == 2, out.stdout


def test_cpu_slices_runs_rows_side_by_side_and_gives_tls_against_plain_text():
    """scripts/cpu-slices.py, one short round: each row's figure, and TLS as a ratio to its plain row."""
    if not shutil.which("h2load"):
        pytest.skip("h2load is not installed (Debian nghttp2-client)")
    script = REPO / "scripts" / "cpu-slices.py"
    argv = [sys.executable, str(script), "--binary", str(BIN), "--rounds", "1", "--slice", "0.2",
            "OTLP/HTTP protobuf", "OTLP/HTTP protobuf, TLS"]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=180, cwd=REPO)
    assert out.returncode == 0, out.stdout + out.stderr
    figures = [line for line in out.stdout.splitlines() if line.startswith("- OTLP/HTTP protobuf") and "mean " in line]
    assert len(figures) == 2 and all(float(line.split("mean ")[1].split(",")[0]) > 0 for line in figures), out.stdout
    assert "- TLS against plain text, OTLP/HTTP protobuf: " in out.stdout, out.stdout
    unknown = subprocess.run([sys.executable, str(script), "--binary", str(BIN), "no such row"],
                             capture_output=True, text=True, timeout=60, cwd=REPO)
    assert unknown.returncode != 0 and "no Swiftlet row 'no such row'" in unknown.stderr, unknown.stdout + unknown.stderr
