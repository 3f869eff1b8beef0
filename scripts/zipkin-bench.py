#!/usr/bin/env python3
"""Zipkin v2 JSON ingest against OTLP/HTTP protobuf ingest, on one Swiftlet process.

The same 100 spans with 10 attributes (ingest-bench.py's request, the Collector testbed's shape)
are sent as OTLP/HTTP protobuf to /v1/traces and as Zipkin v2 JSON to /api/v2/spans, flat out by
h2load on core 1 with Swiftlet pinned to core 0; then Istio-shaped Zipkin spans (the example of
wire-formats.md §10, 21 tags each). Prints CPU seconds per million spans for each and the ratio
Zipkin / OTLP, which issue 6 bounds at 2.

Usage: scripts/zipkin-bench.py SWIFTLET_BINARY   (needs h2load: nghttp2-client)"""
import importlib.util, json, os, random, re, signal, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("ingest_bench", os.path.join(HERE, "ingest-bench.py"))
ingest = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ingest)

SECONDS = 10


def zipkin_body():
    """The spans of ingest-bench's OTLP request, as Zipkin v2 JSON (same ids, names, values)."""
    rng = random.Random(1)
    spans = []
    for i in range(ingest.SPANS_PER_REQUEST):
        start = 1_700_000_000_000_000_000 + i
        trace, span, parent = rng.randbytes(16).hex(), rng.randbytes(8).hex(), rng.randbytes(8).hex()
        spans.append({"traceId": trace, "id": span, "parentId": parent, "name": f"operation-{i % 7}", "kind": "SERVER",
                      "timestamp": start // 1000, "duration": 1, "localEndpoint": {"serviceName": "load-generator"},
                      "tags": {f"attribute.key.{k}": f"value-{rng.randint(0, 10**9)}" for k in range(10)}})
    return json.dumps(spans, separators=(",", ":")).encode()


def istio_body():
    """50 copies of the two Istio spans of the Zipkin fixture, with distinct ids."""
    root = os.path.dirname(HERE)
    pair = json.load(open(os.path.join(root, "Tests/WireFormatsTests/Fixtures/zipkin/istio_v2.json")))
    spans = []
    for i in range(50):
        for s in pair:
            s = dict(s, id=f"{i:04x}" + s["id"][4:])
            spans.append(s)
    return json.dumps(spans, separators=(",", ":")).encode()


def flat_out(pid, port, path, content_type, body_file, spans_per_request):
    args = ["taskset", "-c", "1", "h2load", "--h1", "-d", body_file, "-H", f"Content-Type: {content_type}",
            "-D", str(SECONDS), "-c", "8", f"http://127.0.0.1:{port}{path}"]
    t0 = ingest.cpu_ticks(pid)
    out = subprocess.run(args, capture_output=True, text=True).stdout
    cpu = (ingest.cpu_ticks(pid) - t0) / ingest.TICKS
    m = re.search(r"status codes: (\d+) 2xx", out)
    spans = (int(m.group(1)) if m else 0) * spans_per_request
    return spans / SECONDS, cpu / (spans / 1e6) if spans else float("nan")


def main():
    swiftlet = sys.argv[1] if len(sys.argv) > 1 else ".build/release/swiftlet"
    with tempfile.TemporaryDirectory() as tmp:
        files = {}
        for name, body in [("otlp", ingest.request_body()), ("zipkin", zipkin_body()), ("istio", istio_body())]:
            files[name] = os.path.join(tmp, name)
            open(files[name], "wb").write(body)
        otlp, zipkin = ingest.free_port(), ingest.free_port()
        config = os.path.join(tmp, "config.yaml")
        open(config, "w").write(f"""receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:{otlp}
  zipkin:
    endpoint: 127.0.0.1:{zipkin}
processors:
  batch:
exporters:
  debug:
service:
  telemetry:
    metrics:
      address: 127.0.0.1:{ingest.free_port()}
  pipelines:
    traces:
      receivers: [otlp, zipkin]
      processors: [batch]
      exporters: [debug]
""")
        proc = subprocess.Popen(["taskset", "-c", "0", swiftlet, "--config", config],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            ingest.wait_for_port(zipkin)
            time.sleep(1)
            rows = {
                "OTLP/HTTP protobuf": flat_out(proc.pid, otlp, "/v1/traces", "application/x-protobuf", files["otlp"], 100),
                "Zipkin v2 JSON": flat_out(proc.pid, zipkin, "/api/v2/spans", "application/json", files["zipkin"], 100),
                "Zipkin v2 JSON, Istio": flat_out(proc.pid, zipkin, "/api/v2/spans", "application/json", files["istio"], 100),
            }
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
    for name, (rate, cpu) in rows.items():
        print(f"{name:22} {rate / 1000:7.0f}k spans/s  {cpu:5.2f} CPU-s per million spans")
    base = rows["OTLP/HTTP protobuf"][1]
    print(f"Zipkin v2 JSON / OTLP protobuf CPU per span: {rows['Zipkin v2 JSON'][1] / base:.2f} (same spans), "
          f"Istio spans: {rows['Zipkin v2 JSON, Istio'][1] / base:.2f}")


if __name__ == "__main__":
    main()
