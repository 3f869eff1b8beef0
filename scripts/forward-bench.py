#!/usr/bin/env python3
"""OTLP/HTTP in, OTLP/gRPC out: the seed's path to Tempo, side by side with rotel on this machine.

The collector under test runs pinned to core 0: otlp (http) -> batch -> otlp exporter (gRPC,
compression none) for swiftlet; rotel's OTLP exporter (gRPC, compression none) for rotel. The sink
is a second swiftlet (otlp grpc -> nop) on core 1 with h2load; it counts what arrives, so every run
checks zero loss (spans answered 2xx by the collector == spans accepted by the sink). Requests are
the testbed's shape (100 spans of 10 attributes): paced at 10k spans/s, then flat out.

Usage: scripts/forward-bench.py SWIFTLET_BINARY [ROTEL_BINARY]   (needs h2load: nghttp2-client)"""
import os, re, signal, subprocess, sys, tempfile, time, urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
ingest = __import__("ingest-bench")

SPANS = ingest.SPANS_PER_REQUEST


def accepted_spans(metrics_port):
    text = urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5).read().decode()
    m = re.search(r'otelcol_receiver_accepted_spans\{receiver="otlp",transport="grpc"\} (\d+)', text)
    return int(m.group(1)) if m else 0


def start(argv, core):
    return subprocess.Popen(["taskset", "-c", str(core), *argv], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


def sink(swiftlet, tmp):
    port, metrics = ingest.free_port(), ingest.free_port()
    config = os.path.join(tmp, "sink.yaml")
    open(config, "w").write(f"""receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:{port}
        max_recv_msg_size_mib: 64
exporters:
  nop:
service:
  telemetry:
    metrics:
      address: 127.0.0.1:{metrics}
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [nop]
""")
    proc = start([swiftlet, "--config", config], 1)
    ingest.wait_for_port(port)
    return proc, port, metrics


def measure(name, argv, port, body_file, sink_metrics):
    proc = start(argv, 0)
    rows = []
    try:
        ingest.wait_for_port(port)
        time.sleep(1)
        idle = ingest.rss_mib(proc.pid)
        for label, seconds, rps in [("10k spans/s", 20, 100), ("flat out", 10, None)]:
            before = accepted_spans(sink_metrics)
            t0 = ingest.cpu_ticks(proc.pid)
            ok = ingest.h2load(port, body_file, seconds, rps)
            sent = ok * SPANS
            deadline = time.monotonic() + 30
            while accepted_spans(sink_metrics) - before < sent and time.monotonic() < deadline:
                time.sleep(0.2)
            cpu = (ingest.cpu_ticks(proc.pid) - t0) / ingest.TICKS
            arrived = accepted_spans(sink_metrics) - before
            # More may arrive than h2load counted: requests it sent but stopped waiting for at -D.
            loss = "zero loss" if arrived >= sent else f"LOST {sent - arrived} of {sent}"
            rows.append((name, label, sent / seconds, cpu / (sent / 1e6) if sent else float("nan"), ingest.rss_mib(proc.pid), loss))
        return rows, idle, ingest.rss_mib(proc.pid, "VmHWM")
    finally:
        stop(proc)


def main():
    swiftlet = sys.argv[1] if len(sys.argv) > 1 else ".build/release/swiftlet"
    rotel = sys.argv[2] if len(sys.argv) > 2 else None
    with tempfile.TemporaryDirectory() as tmp:
        body_file = os.path.join(tmp, "body.bin")
        open(body_file, "wb").write(ingest.request_body())
        sink_proc, sink_port, sink_metrics = sink(swiftlet, tmp)
        try:
            port, metrics = ingest.free_port(), ingest.free_port()
            config = os.path.join(tmp, "forward.yaml")
            open(config, "w").write(f"""receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:{port}
processors:
  batch:
exporters:
  otlp:
    endpoint: 127.0.0.1:{sink_port}
    tls:
      insecure: true
    compression: none
service:
  telemetry:
    metrics:
      address: 127.0.0.1:{metrics}
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [otlp]
""")
            results = {"swiftlet": measure("swiftlet", [swiftlet, "--config", config], port, body_file, sink_metrics)}
            if rotel:
                port = ingest.free_port()
                argv = [rotel, "start", "--otlp-http-endpoint", f"127.0.0.1:{port}", "--otlp-grpc-endpoint",
                        f"127.0.0.1:{ingest.free_port()}", "--exporter", "otlp", "--otlp-exporter-endpoint",
                        f"http://127.0.0.1:{sink_port}", "--otlp-exporter-protocol", "grpc",
                        "--otlp-exporter-compression", "none"]
                results["rotel"] = measure("rotel", argv, port, body_file, sink_metrics)
        finally:
            stop(sink_proc)
    print(f"OTLP/HTTP -> batch -> OTLP/gRPC (compression none), requests of {SPANS} spans")
    for name, (rows, idle, peak) in results.items():
        for _, label, rate, cpu, rss, loss in rows:
            print(f"{name:9} {label:12} {rate / 1000:7.0f}k spans/s  {cpu:5.2f} CPU-s per million spans  RSS {rss:5.1f} MiB  {loss}")
        print(f"{name:9} idle RSS {idle:.1f} MiB, peak {peak:.1f} MiB")
    if "rotel" in results:
        s, r = results["swiftlet"][0], results["rotel"][0]
        print(f"swiftlet/rotel CPU per span at 10k spans/s: {s[0][3] / r[0][3]:.2f}; flat-out spans/s: {s[1][2] / r[1][2]:.2f}x")


if __name__ == "__main__":
    main()
