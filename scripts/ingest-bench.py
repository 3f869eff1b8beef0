#!/usr/bin/env python3
"""OTLP/HTTP ingest, side by side with rotel (a Rust collector from PyPI) on this machine.

Each collector runs pinned to core 0 with h2load on core 1, receiving OTLP/HTTP protobuf requests
of 100 spans with 10 attributes each (the Collector testbed's shape): first paced at 10k spans/s
(100 requests/s, as the testbed), then flat out. Pipelines: swiftlet otlp -> batch -> debug
(basic, one line per batch); rotel otlp -> batch -> blackhole. Spans are counted from the
requests h2load saw answered 2xx. CPU is utime+stime from /proc/<pid>/stat.

Usage: scripts/ingest-bench.py SWIFTLET_BINARY [ROTEL_BINARY]   (needs h2load: nghttp2-client)"""
import os, random, re, signal, socket, subprocess, sys, tempfile, time, urllib.request

SPANS_PER_REQUEST = 100
TICKS = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def varint(n):
    out = bytearray()
    while True:
        b, n = n & 0x7F, n >> 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def field(number, payload):
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def request_body():
    """ExportTraceServiceRequest, written by hand so the script needs no protobuf package."""
    rng = random.Random(1)
    kv = lambda k, v: field(1, k.encode()) + field(2, field(1, v.encode()))
    spans = b""
    for i in range(SPANS_PER_REQUEST):
        start = 1_700_000_000_000_000_000 + i
        span = field(1, rng.randbytes(16)) + field(2, rng.randbytes(8)) + field(4, rng.randbytes(8))
        span += field(5, f"operation-{i % 7}".encode()) + bytes([0x30, 2])
        span += b"\x39" + start.to_bytes(8, "little") + b"\x41" + (start + 1000).to_bytes(8, "little")
        for k in range(10):
            span += field(9, kv(f"attribute.key.{k}", f"value-{rng.randint(0, 10**9)}"))
        spans += field(2, span)
    scope = field(1, field(1, b"bench")) + spans
    resource = field(1, field(1, kv("service.name", "load-generator")))
    return field(1, resource + field(2, scope))


def cpu_ticks(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def rss_mib(pid, key="VmRSS"):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def wait_for_port(port, deadline=10):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise SystemExit(f"nothing listens on {port}")


def h2load(port, body_file, seconds, rps=None):
    args = ["taskset", "-c", "1", "h2load", "--h1", "-d", body_file, "-H", "Content-Type: application/x-protobuf",
            "-D", str(seconds)]
    args += ["-c", "4", f"--rps={rps // 4}"] if rps else ["-c", "8"]
    out = subprocess.run(args + [f"http://127.0.0.1:{port}/v1/traces"], capture_output=True, text=True).stdout
    m = re.search(r"status codes: (\d+) 2xx", out)
    return int(m.group(1)) if m else 0


def measure(name, argv, port, body_file):
    proc = subprocess.Popen(["taskset", "-c", "0", *argv], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port)
        time.sleep(1)
        idle = rss_mib(proc.pid)
        rows = []
        for label, seconds, rps in [("10k spans/s", 20, 100), ("flat out", 10, None)]:
            t0 = cpu_ticks(proc.pid)
            ok = h2load(port, body_file, seconds, rps)
            cpu = (cpu_ticks(proc.pid) - t0) / TICKS
            spans = ok * SPANS_PER_REQUEST
            rows.append(f"{name:9} {label:12} {spans / seconds / 1000:7.0f}k spans/s  "
                        f"{cpu / (spans / 1e6) if spans else float('nan'):5.2f} CPU-s per million spans  "
                        f"RSS {rss_mib(proc.pid):5.1f} MiB")
        return rows + [f"{name:9} idle RSS {idle:.1f} MiB, peak {rss_mib(proc.pid, 'VmHWM'):.1f} MiB"]
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def main():
    swiftlet = sys.argv[1] if len(sys.argv) > 1 else ".build/release/swiftlet"
    rotel = sys.argv[2] if len(sys.argv) > 2 else None
    with tempfile.TemporaryDirectory() as tmp:
        body_file = os.path.join(tmp, "body.bin")
        open(body_file, "wb").write(request_body())
        port, metrics = free_port(), free_port()
        config = os.path.join(tmp, "config.yaml")
        open(config, "w").write(f"""receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:{port}
processors:
  batch:
exporters:
  debug:
service:
  telemetry:
    metrics:
      address: 127.0.0.1:{metrics}
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [debug]
""")
        print(f"request: {os.path.getsize(body_file)} bytes, {SPANS_PER_REQUEST} spans")
        rows = measure("swiftlet", [swiftlet, "--config", config], port, body_file)
        if rotel:
            port = free_port()
            rows += measure("rotel", [rotel, "start", "--otlp-http-endpoint", f"127.0.0.1:{port}",
                                      "--otlp-grpc-endpoint", f"127.0.0.1:{free_port()}", "--exporter", "blackhole"],
                            port, body_file)
    print("\n".join(rows))


if __name__ == "__main__":
    main()
