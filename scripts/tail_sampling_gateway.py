#!/usr/bin/env python3
"""Issue 23's gateway figures: a Swiftlet gateway with `tail_sampling` (decision_wait 5s, four
policies) at 10k spans/s of new traces, beside the same gateway without it: CPU-s per million
spans and RSS; and the memory a held trace costs against the bytes of its spans.

h2load repeats one body, so its traces would be decided once and then only follow the decision;
here a Python sender (core 1) writes each request afresh: 100 spans of the bench's shape (10
string attributes), 10 new traces of 10 spans each, at a fixed rate over one keep-alive
connection. The gateway (core 0) takes OTLP/HTTP and drops what it keeps (`nop`).

    python3 scripts/tail_sampling_gateway.py .build/release/swiftlet [--seconds 30]
"""
import argparse, http.client, os, random, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import payloads, subjects  # noqa: E402
from benchlib.procs import Pinned, counter, free_port, wait_for_port  # noqa: E402

def config(path, port, metrics, wait):
    receiver = f"otlp:\n    protocols:\n      http:\n        endpoint: 127.0.0.1:{port}"
    processors = {"tail_sampling": subjects.tail_sampling(decision_wait=wait, num_traces=200000)} if wait else None
    return subjects.swiftlet_config(path, receiver, "nop:", metrics, batch=False, processors=processors)


def request(rng, traces=10, per_trace=10):
    """One request of traces x per_trace spans, new trace ids; and the bytes of its span records."""
    template = payloads.spans()
    out = []
    for t in range(traces):
        trace = rng.randbytes(16)
        for s in range(per_trace):
            span = dict(template[t * per_trace + s])
            span["trace"], span["span"] = trace, rng.randbytes(8)
            out.append(span)
    body = payloads.otlp_proto(out)
    return body


class Gateway:
    def __init__(self, binary, tmp, wait, name):
        self.port, self.metrics = free_port(), free_port()
        path = config(os.path.join(tmp, f"{name}.yaml"), self.port, self.metrics, wait)
        self.proc = Pinned([binary, "--config", path], 0, os.path.join(tmp, f"{name}.log"))
        wait_for_port(self.port, self.proc.proc)
        wait_for_port(self.metrics, self.proc.proc)
        time.sleep(0.5)
        self.idle = self.proc.rss_mib()

    def send(self, bodies, rate_per_s):
        """Sends `bodies` at `rate_per_s` requests a second; returns the seconds it took."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        start = time.monotonic()
        for n, body in enumerate(bodies):
            due = start + n / rate_per_s
            if (pause := due - time.monotonic()) > 0:
                time.sleep(pause)
            conn.request("POST", "/v1/traces", body=body, headers={"Content-Type": "application/x-protobuf"})
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError(f"gateway answered {response.status}")
        conn.close()
        return time.monotonic() - start


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("swiftlet")
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--held-traces", type=int, default=20000)
    args = ap.parse_args()
    os.sched_setaffinity(0, {1})
    rng = random.Random(23)
    requests = int(args.seconds * 100)  # 100 requests of 100 spans a second: 10k spans/s
    print(f"writing {requests} requests of 100 spans (10 traces of 10 spans, new trace ids)...", flush=True)
    bodies = [request(rng) for _ in range(requests)]
    with tempfile.TemporaryDirectory() as tmp:
        rows = {}
        for name, wait in (("plain", None), ("tail_sampling", "5s")):
            g = Gateway(args.swiftlet, tmp, wait, name)
            try:
                cpu0 = g.proc.cpu_seconds()
                rss = []
                seconds = 0.0
                for chunk in range(0, requests, 100):
                    seconds += g.send(bodies[chunk:chunk + 100], 100)
                    rss.append(g.proc.rss_mib())
                spans = counter(g.metrics, "otelcol_receiver_accepted_spans")
                rows[name] = ((g.proc.cpu_seconds() - cpu0) / spans * 1e6, g.idle, max(rss[len(rss) // 3:]), spans / seconds)
                if wait:
                    sampled = counter(g.metrics, "otelcol_processor_tail_sampling_global_count_traces_sampled")
            finally:
                g.proc.stop()
        plain, tail = rows["plain"], rows["tail_sampling"]
        print(f"gateway at {plain[3] / 1000:.1f}k spans/s of new traces, {args.seconds:.0f} s (OTLP/HTTP in, nop out):")
        print(f"- without tail_sampling: {plain[0]:.2f} CPU-s per million spans, RSS idle {plain[1]:.1f} MiB, steady {plain[2]:.1f} MiB")
        print(f"- tail_sampling (decision_wait 5s, four policies): {tail[0]:.2f} CPU-s per million spans ({tail[0] / plain[0]:.2f}x), "
              f"RSS idle {tail[1]:.1f} MiB, steady {tail[2]:.1f} MiB (about 5 s of traces held); traces decided: {sampled} "
              f"sampled and not, counted by global_count_traces_sampled")

        # Memory per held trace: traces that wait (decision_wait 10m) against their span bytes.
        g = Gateway(args.swiftlet, tmp, "10m", "held")
        try:
            n = args.held_traces // 10
            held = [request(rng) for _ in range(n)]
            span_bytes = sum(len(b) for b in held) - n * (len(request(random.Random(0), 0, 0)))
            before = g.proc.rss_mib()
            g.send(held, 1000)
            time.sleep(1)
            after = g.proc.rss_mib()
            traces = n * 10
            per_trace = (after - before) * 1048576 / traces
            print(f"- held: {traces} traces of 10 spans, {span_bytes / traces:.0f} bytes of span records each; RSS {before:.1f} -> "
                  f"{after:.1f} MiB: {per_trace:.0f} bytes per trace held, {per_trace / (span_bytes / traces):.2f}x its spans' bytes")
        finally:
            g.proc.stop()


if __name__ == "__main__":
    sys.exit(main())
