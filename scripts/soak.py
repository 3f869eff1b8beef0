#!/usr/bin/env python3
"""Soak: OTLP/HTTP -> batch -> otlp (gRPC) for a long run at a steady rate while the backend
restarts every few minutes. Passes when no span answered 200 is lost, RSS stays flat after the
warm-up and no descriptor leaks. Warm-up lasts until 30 s after the first outage (the queue's
first fill sets how much memory the allocator keeps). RSS is sampled every 5 s.

Flat compares like with like. RSS swings with the cycle: an outage fills the sending queue
(hundreds of MiB at 145k spans/s) and it drains for a minute after. So each cycle's settled RSS
is the median of the samples in the last minute before the next outage (the queue long drained),
and at the end of the run; flat means the mean settled RSS of the last third of the cycles is
under 1.1x that of the first third. A leak or growing fragmentation raises exactly that floor.
(A median over all the samples of a third, used before, mixes the two phases about half and
half and moved by 20 % between runs with no trend.) The peaks of the thirds are printed too.

The backend is a second swiftlet (otlp grpc -> debug at basic verbosity): every batch it accepts
is logged before the answer, so the sum over its logs counts what arrived across restarts. The
load is h2load (Debian nghttp2-client) at a paced rate: 2xx answers x spans per request is what
the collector accepted; 503s while the backend is down are retried by nobody and not counted.
Every sample is written to rss.csv in the run's temporary directory.

Usage: scripts/soak.py SWIFTLET_BINARY [--minutes 30] [--rate 100000] [--restart-every 180] [--down 10]"""
import argparse, os, re, signal, socket, subprocess, sys, tempfile, time, urllib.request

SPANS_PER_REQUEST = 100


def median(values):
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, seconds=10):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port} after {seconds}s")


def field(number, payload):
    def varint(n):
        out = b""
        while n >= 0x80:
            out += bytes([n & 0x7F | 0x80])
            n >>= 7
        return out + bytes([n])
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def request_body():
    """ExportTraceServiceRequest of SPANS_PER_REQUEST spans with 10 attributes each, by hand."""
    kv = lambda k, v: field(1, k.encode()) + field(2, field(1, v.encode()))
    spans = b""
    for i in range(SPANS_PER_REQUEST):
        ids = field(1, bytes(range(1, 17))) + field(2, (i + 1).to_bytes(8, "big"))
        times = bytes([0x39]) + (1_700_000_000_000_000_000 + i).to_bytes(8, "little") \
            + bytes([0x41]) + (1_700_000_000_000_100_000 + i).to_bytes(8, "little")
        attrs = b"".join(field(9, kv(f"attribute.{a}", f"value-{i}-{a}")) for a in range(10))
        spans += field(2, ids + field(5, f"soak-span-{i}".encode()) + times + attrs)
    resource = field(1, field(1, kv("service.name", "soak")))
    return field(1, resource + field(2, field(1, field(1, b"soak")) + spans))


def rss_kib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def counter(port, name):
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    return sum(float(m.group(1)) for m in re.finditer(rf"^{name}(?:{{[^}}]*}})? (\S+)$", text, re.M))


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("swiftlet")
    ap.add_argument("--minutes", type=float, default=30)
    ap.add_argument("--rate", type=int, default=100_000, help="spans/s offered (half the measured maximum)")
    ap.add_argument("--restart-every", type=float, default=180, help="seconds between backend restarts")
    ap.add_argument("--down", type=float, default=10, help="seconds the backend stays down")
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="swiftlet-soak-")
    body = os.path.join(tmp, "body.bin")
    open(body, "wb").write(request_body())
    sink_port, sink_metrics, port, metrics = free_port(), free_port(), free_port(), free_port()
    open(os.path.join(tmp, "sink.yaml"), "w").write(f"""receivers:
  otlp: {{protocols: {{grpc: {{endpoint: "127.0.0.1:{sink_port}", max_recv_msg_size_mib: 64}}}}}}
exporters:
  debug: {{verbosity: basic}}
service:
  telemetry: {{metrics: {{address: "127.0.0.1:{sink_metrics}"}}}}
  pipelines: {{traces: {{receivers: [otlp], exporters: [debug]}}}}
""")
    open(os.path.join(tmp, "soak.yaml"), "w").write(f"""receivers:
  otlp: {{protocols: {{http: {{endpoint: "127.0.0.1:{port}"}}}}}}
processors:
  batch: {{}}
exporters:
  otlp:
    endpoint: "127.0.0.1:{sink_port}"
    tls: {{insecure: true}}
    retry_on_failure: {{initial_interval: 200ms, max_interval: 2s, max_elapsed_time: 0s}}
service:
  telemetry: {{metrics: {{address: "127.0.0.1:{metrics}"}}}}
  pipelines: {{traces: {{receivers: [otlp], processors: [batch], exporters: [otlp]}}}}
""")
    sink_logs = []

    def start_sink():
        log = os.path.join(tmp, f"sink{len(sink_logs)}.log")
        sink_logs.append(log)
        proc = subprocess.Popen([args.swiftlet, "--config", os.path.join(tmp, "sink.yaml")],
                                stdout=subprocess.DEVNULL, stderr=open(log, "wb"))
        wait_for_port(sink_port)
        return proc

    seconds = int(args.minutes * 60)
    sink = start_sink()
    collector = subprocess.Popen([args.swiftlet, "--config", os.path.join(tmp, "soak.yaml")],
                                 stdout=subprocess.DEVNULL, stderr=open(os.path.join(tmp, "collector.log"), "wb"))
    load = None
    samples = []  # (seconds since start, RSS KiB, descriptors)
    steady = []  # (seconds since start, RSS KiB) just before each outage
    try:
        wait_for_port(port)
        clients = 4
        load = subprocess.Popen(["h2load", "--h1", "-d", body, "-H", "Content-Type: application/x-protobuf",
                                 "-c", str(clients), f"--rps={max(1, args.rate // SPANS_PER_REQUEST // clients)}",
                                 "-D", str(seconds), f"http://127.0.0.1:{port}/v1/traces"],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        t0 = time.monotonic()
        next_restart = args.restart_every
        for _ in range(seconds * 2 + 100):
            elapsed = time.monotonic() - t0
            if load.poll() is not None:
                break
            samples.append((elapsed, rss_kib(collector.pid), fd_count(collector.pid)))
            if elapsed >= next_restart and elapsed + args.down + 30 < seconds:
                steady.append((elapsed, rss_kib(collector.pid)))
                stop(sink)
                print(f"{elapsed:7.0f}s backend down for {args.down:.0f}s", flush=True)
                time.sleep(args.down)
                sink = start_sink()
                next_restart += args.restart_every
            time.sleep(5)
        out = load.communicate(timeout=120)[0]
        load = None
        accepted = int(re.search(r"status codes: (\d+) 2xx", out).group(1)) * SPANS_PER_REQUEST
        refused = int(re.search(r"status codes: \d+ 2xx, \d+ 3xx, \d+ 4xx, (\d+) 5xx", out).group(1))
        for _ in range(600):  # the queue drains into the backend
            arrived = sum(int(n) for log in sink_logs for n in re.findall(r"spans=(\d+)", open(log).read()))
            if arrived >= accepted:
                break
            time.sleep(0.5)
        time.sleep(2)
        settled_fds = fd_count(collector.pid)
        failed = counter(metrics, "otelcol_exporter_send_failed_spans") + counter(metrics, "otelcol_exporter_enqueue_failed_spans")
    finally:
        if load is not None:
            load.kill()
            load.wait()
        stop(collector)
        stop(sink)

    warm_until = (steady[0][0] + args.down + 30) if steady else 60
    warm = [s for s in samples if s[0] >= warm_until] or samples
    third = max(1, len(warm) // 3)
    peak_early, peak_late = max(s[1] for s in warm[:third]), max(s[1] for s in warm[-third:])
    fds_after_warmup = warm[0][2]
    window = min(60.0, args.restart_every / 3)
    ends = [t for t, _ in steady] + [samples[-1][0] + 0.1]
    settled = []  # (end of the window, median RSS KiB in the last `window` seconds before it)
    for end in ends:
        inside = [s[1] for s in samples if end - window <= s[0] < end]
        if end - window >= warm_until and inside:
            settled.append((end, median(inside)))
    part = max(1, len(settled) // 3)
    early = sum(r for _, r in settled[:part]) / part if settled else 0
    late = sum(r for _, r in settled[-part:]) / part if settled else 0
    with open(os.path.join(tmp, "rss.csv"), "w") as f:
        f.write("seconds,rss_kib,descriptors\n" + "".join(f"{t:.1f},{r},{d}\n" for t, r, d in samples))
    lost = max(0, accepted - arrived)
    print(f"{args.minutes:g} min at {args.rate} spans/s offered, backend restarted every {args.restart_every:g}s "
          f"for {args.down:g}s ({len(sink_logs) - 1} restarts)")
    print(f"accepted {accepted} spans (answered 200), {refused} requests answered 5xx, "
          f"{arrived} spans arrived at the backend, lost {lost}, exporter failures {failed:.0f}")
    print("RSS before each outage (MiB): " + ", ".join(f"{t:.0f}s {r / 1024:.1f}" for t, r in steady))
    print(f"settled RSS (median of the last {window:.0f} s before each outage and the end), after warm-up ({warm_until:.0f}s): "
          + ", ".join(f"{t:.0f}s {r / 1024:.1f}" for t, r in settled))
    print(f"mean settled RSS: first third {early / 1024:.1f} MiB, last third {late / 1024:.1f} MiB "
          f"({late / max(early, 1):.2f}x, {part} cycles each); peaks: first third of the samples {peak_early / 1024:.1f} MiB, "
          f"last third {peak_late / 1024:.1f} MiB; descriptors after warm-up {fds_after_warmup}, at the end {settled_fds}; "
          f"samples in {tmp}/rss.csv")
    ok = lost == 0 and failed == 0 and settled and late <= early * 1.10 and settled_fds <= fds_after_warmup
    print("PASS" if ok else "FAIL")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
