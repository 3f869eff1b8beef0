"""Processes the harness starts: pinned to a core, stopped by PID (SIGTERM, then SIGKILL), and
what /proc says about them (CPU ticks, RSS). Every wait here is bounded."""
import os, re, signal, socket, subprocess, threading, time, urllib.request

TICKS = os.sysconf("SC_CLK_TCK")


_handed_out = set()


def free_port():
    """A loopback port that was free a moment ago and that this process never handed out: binding
    port 0 twice can give the same number back once the first socket is closed, and the harness
    chooses every subject's ports before it starts any."""
    for _ in range(100):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _handed_out:
            _handed_out.add(port)
            return port
    raise RuntimeError("no fresh loopback port after 100 tries")


def wait_for_port(port, proc=None, timeout=15):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process {proc.args} exited with {proc.returncode} before listening on {port}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.02)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


class Pinned:
    """A process started under `taskset -c CORE` (taskset execs it: same PID), output to a log."""

    def __init__(self, argv, core, log_path, pinned=True, env=None):
        self.log = open(log_path, "wb")
        prefix = ["taskset", "-c", str(core)] if pinned else []
        self.proc = subprocess.Popen(prefix + list(argv), stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=env)
        self.pid = self.proc.pid
        self.single_threaded = False  # then /proc/<pid>/schedstat: nanoseconds instead of ticks

    def stop(self, timeout=15):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=timeout)
        self.log.close()

    def cpu_seconds(self):
        if self.single_threaded:  # nginx without a master: one thread for life, its runtime in ns
            return int(open(f"/proc/{self.pid}/schedstat").read().split()[0]) / 1e9
        fields = open(f"/proc/{self.pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime (fields 14 and 15)

    def rss_mib(self, key="VmRSS"):
        for line in open(f"/proc/{self.pid}/status"):
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
        return 0.0


class RSSSampler:
    """The highest VmRSS of a process seen every `interval` seconds while the `with` block runs."""

    def __init__(self, proc, interval=0.1):
        self.proc, self.interval, self.peak = proc, interval, 0.0
        self._done = threading.Event()

    def _run(self):
        while not self._done.is_set():
            try:
                self.peak = max(self.peak, self.proc.rss_mib())
            except OSError:
                return
            self._done.wait(self.interval)

    def __enter__(self):
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._done.set()
        self._thread.join(timeout=5)
        self.peak = max(self.peak, self.proc.rss_mib())


def counter(metrics_port, name):
    """The sum of every series of a counter on a swiftlet's Prometheus endpoint."""
    text = urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5).read().decode()
    return sum(int(float(v)) for v in re.findall(rf"^{name}(?:{{[^}}]*}})? (\S+)$", text, re.M))


def wait_settled(read, target, timeout=30, quiet=2.0):
    """Polls read() until it reaches target, or stops changing for `quiet` seconds, or `timeout`."""
    end = time.monotonic() + timeout
    value, changed = read(), time.monotonic()
    while value < target and time.monotonic() < end and time.monotonic() - changed < quiet:
        time.sleep(0.05)
        new = read()
        if new != value:
            value, changed = new, time.monotonic()
    return value
