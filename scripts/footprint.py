#!/usr/bin/env python3
"""Footprint of a swiftlet binary: stripped size, idle RSS after start, and time from exec to
the health check's first 200, each run starting with the binary out of the page cache.
Usage: scripts/footprint.py BINARY [RUNS]"""
import os, shutil, signal, socket, subprocess, sys, tempfile, time, urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def evict_from_page_cache(path):
    """Drops the freshly written binary from the page cache, so the first run is a cold start
    and later runs reuse what exec itself read in, as restarts do. (Pages cached by the write
    are mapped in larger pieces and would inflate RSS by about 2 MiB.)"""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def start(binary):
    health, otlp, metrics = free_port(), free_port(), free_port()
    args = [binary,
            "--set", f"extensions::health_check::endpoint=127.0.0.1:{health}",
            "--set", f"receivers::otlp::protocols::http::endpoint=127.0.0.1:{otlp}",
            "--set", f"service::telemetry::metrics::address=127.0.0.1:{metrics}"]
    t0 = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = t0 + 10
    while time.perf_counter() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{health}/", timeout=1) as r:
                if r.status == 200:
                    return proc, time.perf_counter() - t0
        except OSError:
            time.sleep(0.0005)
    proc.kill()
    raise SystemExit("health check never answered 200")


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else ".build/release/swiftlet"
    runs = max(2, int(sys.argv[2]) if len(sys.argv) > 2 else 10)
    with tempfile.TemporaryDirectory() as tmp:
        stripped = os.path.join(tmp, "swiftlet")
        subprocess.run(["strip", "-o", stripped, binary], check=True)
        size = os.path.getsize(stripped)
        evict_from_page_cache(stripped)
        ready, rss = [], []
        for _ in range(runs):
            proc, t = start(stripped)
            ready.append(t)
            time.sleep(1.0)  # idle
            rss.append(rss_kib(proc.pid))
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=5)
    cold, warm = ready[0], sorted(ready[1:])
    print(f"stripped binary size: {size / 1e6:.2f} MB ({size} bytes)")
    print(f"idle RSS after start: median {sorted(rss)[len(rss) // 2] / 1024:.2f} MiB (min {min(rss) / 1024:.2f}, max {max(rss) / 1024:.2f}) over {runs} runs")
    print(f"exec to health 200:   median {warm[len(warm) // 2] * 1000:.1f} ms (min {warm[0] * 1000:.1f}, max {warm[-1] * 1000:.1f}) over {runs - 1} restarts;"
          f" {cold * 1000:.1f} ms for the first, cold start")


if __name__ == "__main__":
    main()
