#!/usr/bin/env python3
"""Search over a tracestore holding 1M spans: fills the store through OTLP/HTTP (100k traces of 10
spans, five services, ten attributes a span), then times queries against trace_query as Grafana
sends them: the median of five answers each, with the spans the search inspected. A figure, not a
test (`make bench` writes it to BENCHMARKS.md).

Usage: scripts/trace-query-bench.py SWIFTLET_BINARY [SPANS]"""
import json, os, shutil, struct, sys, tempfile, time, urllib.parse, urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib.payloads import _field, _kv, _varint  # noqa: E402
from benchlib.procs import Pinned, free_port, wait_for_port  # noqa: E402

BASE_NS = 1_700_000_000_000_000_000
TRACES_PER_REQUEST = 100
SPANS_PER_TRACE = 10
SERVICES = 5
MARKER = b"\xfe\xed\xfa\xce"  # replaced by the request number in every trace id


def _int_kv(k, v):
    return _field(1, k.encode()) + _field(2, bytes([0x18]) + _varint(v))


def template():
    """One request: TRACES_PER_REQUEST traces, each a root in service 0 and children spread over the
    services; trace ids MARKER + trace number, so each request's ids differ after replacement."""
    per_service = [b"" for _ in range(SERVICES)]
    for t in range(TRACES_PER_REQUEST):
        trace_id = MARKER + struct.pack(">IQ", 0, t)
        for s in range(SPANS_PER_TRACE):
            service = 0 if s == 0 else 1 + s % (SERVICES - 1)
            start = BASE_NS + t * 1_000_000 + s * 1000
            duration = 5_000_000 if s else 50_000_000 + t * 10_000
            span = _field(1, trace_id) + _field(2, struct.pack(">Q", t * 16 + s + 1))
            if s:
                span += _field(4, struct.pack(">Q", t * 16 + 1))
            span += _field(5, (f"GET /api/v{t % 3}/item" if s == 0 else f"operation-{s}").encode())
            span += bytes([0x30, 2 if s == 0 else 3])
            span += b"\x39" + start.to_bytes(8, "little") + b"\x41" + (start + duration).to_bytes(8, "little")
            span += _field(9, _kv("http.method", ["GET", "POST"][t % 2]))
            span += _field(9, _int_kv("http.status_code", 500 if t % 50 == 0 else 200))
            for k in range(8):
                span += _field(9, _kv(f"attribute.key.{k}", f"value-{(t * 7 + s * 13 + k) % 997}"))
            if s == 0 and t % 50 == 0:
                span += _field(15, bytes([0x18, 2]))  # status { code: ERROR }
            per_service[service] += _field(2, span)
    body = b""
    for i, spans in enumerate(per_service):
        resource = _field(1, _field(1, _kv("service.name", f"service-{i}")))
        body += _field(1, resource + _field(2, _field(1, _field(1, b"bench")) + spans))
    return body


def post(port, body):
    req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/traces", data=body,
                                 headers={"Content-Type": "application/x-protobuf"})
    with urllib.request.urlopen(req, timeout=30) as r:
        r.read()


def get(port, path, **params):
    url = f"http://127.0.0.1:{port}{path}" + ("?" + urllib.parse.urlencode(params) if params else "")
    start = time.perf_counter()
    with urllib.request.urlopen(url, timeout=60) as r:
        body = r.read()
    return time.perf_counter() - start, json.loads(body)


def main():
    binary = sys.argv[1]
    spans = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
    requests = spans // (TRACES_PER_REQUEST * SPANS_PER_TRACE)
    otlp, query, metrics = free_port(), free_port(), free_port()
    tmp = tempfile.mkdtemp(prefix="trace-query-bench-")
    config = os.path.join(tmp, "config.yaml")
    with open(config, "w") as f:
        f.write(f"""receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:{otlp}
exporters:
  tracestore:
    max_bytes: {8 << 30}
    max_traces: {spans}
extensions:
  trace_query:
    endpoint: 127.0.0.1:{query}
service:
  telemetry:
    metrics:
      address: 127.0.0.1:{metrics}
  extensions: [trace_query]
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [tracestore]
""")
    proc = Pinned([binary, "--config", config], 0, os.path.join(tmp, "swiftlet.log"), pinned=False)
    try:
        wait_for_port(otlp, proc.proc)
        wait_for_port(query, proc.proc)
        body = template()
        started = time.monotonic()
        for r in range(requests):
            post(otlp, body.replace(MARKER, struct.pack(">I", r + 1)))
        load_seconds = time.monotonic() - started
        rss = proc.rss_mib()
        cases = [
            ("{} (newest 20)", "/api/search", {"q": "{}", "limit": 20}),
            ("service and status, common", "/api/search", {"q": '{ resource.service.name = "service-0" && status = error }'}),
            ("attribute matching nothing: full scan", "/api/search", {"q": '{ span.attribute.key.3 = "absent" }'}),
            ("duration matching nothing: full scan", "/api/search", {"q": "{ duration > 10s }"}),
            ("regex on name, 1 trace in 300", "/api/search", {"q": '{ name =~ "GET /api/v2/.*" && span.http.status_code = 500 }', "limit": 1000}),
            ("regex matching nothing: full scan", "/api/search", {"q": '{ span.attribute.key.2 =~ "nothing.*" }'}),
            ("two spansets: full scan", "/api/search", {"q": '{ name = "operation-3" } && { span.attribute.key.0 = "nothing" }'}),
            ("tags (old search), substring on every span", "/api/search", {"tags": "service.name=service-9"}),
            ("tag names", "/api/v2/search/tags", {}),
            ("tag values of service.name", "/api/v2/search/tag/resource.service.name/values", {}),
        ]
        rows = []
        for title, path, params in cases:
            times, answer = [], None
            for _ in range(5):
                seconds, answer = get(query, path, **params)
                times.append(seconds)
            times.sort()
            inspected = answer.get("metrics", {}).get("inspectedSpans", "")
            found = len(answer["traces"]) if "traces" in answer else ""
            rows.append(f"| {title} | `{params.get('q', params.get('tags', ''))}` | {times[2] * 1000:.1f} | {found} | {inspected} |")
        print(f"{requests * TRACES_PER_REQUEST:,} traces, {requests * TRACES_PER_REQUEST * SPANS_PER_TRACE:,} spans loaded "
              f"through OTLP/HTTP in {load_seconds:.1f} s; RSS {rss:.0f} MiB after loading.\n")
        print("| search | query | median ms (5 runs) | traces found | spans inspected |")
        print("|---|---|---:|---:|---:|")
        print("\n".join(rows))
    finally:
        proc.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
