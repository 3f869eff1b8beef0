"""Load from h2load (Debian nghttp2-client): flat out, or paced with --rps (a fixed rate per
connection, which h2load holds: 4 connections x 25 requests/s give 100.3 requests/s here), pinned
to the load core. -n fixes the request count, so every request sent is answered before h2load
exits and the sender's count is exact; --log-file gives each request's latency."""
import os, re, subprocess, time
from dataclasses import dataclass, field


@dataclass
class Sent:
    requests: int = 0      # answered 2xx
    failed: int = 0        # not answered, or answered otherwise
    seconds: float = 0.0   # h2load's own "finished in"
    cpu: float = 0.0       # h2load's CPU seconds
    latencies_us: list = field(default_factory=list)

    def percentile(self, p):
        if not self.latencies_us:
            return float("nan")
        ordered = sorted(self.latencies_us)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


@dataclass
class Target:
    """Where and how to POST: HTTP/1.1 or HTTP/2 (gRPC), the body file and its headers."""
    url: str
    body_file: str
    headers: tuple
    h1: bool = True
    spans_per_request: int = 100


def h2load(target, *, requests=None, duration=None, rps_total=None, connections=8, log_file=None,
           core=1, pinned=True, timeout=300):
    """Runs h2load once; `requests` (exact count) or `duration` (seconds, count then inexact)."""
    streams = 1
    argv = ["h2load", "-d", target.body_file, "-N", "10s", "-c", str(connections), "-m", str(streams)]
    argv += ["--h1"] if target.h1 else []
    for h in target.headers:
        argv += ["-H", h]
    if requests is not None:
        argv += ["-n", str(max(requests, connections))]
    else:
        argv += ["-D", str(duration)]
    if rps_total:
        argv += [f"--rps={max(rps_total / connections, 0.1):.3f}"]
    if log_file:
        argv += [f"--log-file={log_file}"]
    argv = (["taskset", "-c", str(core)] if pinned else []) + argv + [target.url]
    cpu0, start = cpu_of_children(), time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate(timeout=10)
    text = out.decode(errors="replace")
    sent = Sent(cpu=cpu_of_children() - cpu0)
    m = re.search(r"status codes: (\d+) 2xx", text)
    sent.requests = int(m.group(1)) if m else 0
    m = re.search(r"requests: (\d+) total", text)
    total = int(m.group(1)) if m else 0
    sent.failed = total - sent.requests
    m = re.search(r"finished in ([\d.]+)(m?s)", text)
    sent.seconds = (float(m.group(1)) / (1000 if m.group(2) == "ms" else 1)) if m else time.monotonic() - start
    if not m:
        raise RuntimeError(f"h2load did not finish: {' '.join(argv)}\n{text[-2000:]}")
    if log_file and os.path.exists(log_file):
        with open(log_file) as f:
            sent.latencies_us = [int(line.split("\t")[2]) for line in f if line.count("\t") >= 2]
        os.unlink(log_file)
    return sent


def cpu_of_children():
    """CPU seconds of every waited-for child so far (h2load's cost is read as a difference)."""
    usage = os.times()
    return usage.children_user + usage.children_system
