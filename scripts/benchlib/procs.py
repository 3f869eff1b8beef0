"""Processes the harness starts: pinned to a core, stopped by PID (SIGTERM, then SIGKILL), and
what /proc says about them (CPU ticks, RSS). Every wait here is bounded."""
import os, re, shutil, signal, socket, subprocess, threading, time, urllib.request

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


def set_affinity(pid, cores):
    """Moves every thread of PID to CORES ("0", "0,1"); threads it starts later inherit it."""
    subprocess.run(["taskset", "-a", "-p", "-c", cores, str(pid)], check=True, capture_output=True, timeout=30)


class SyscallCounter:
    """`strace -f -c` attached to a running process (every thread) for the length of a `with`:
    `calls` is the total of system calls, `top` the most frequent (name, count). `error` says why
    nothing was counted (no strace, ptrace refused)."""

    def __init__(self, pid, path):
        self.pid, self.path = pid, path
        self.calls, self.top, self.error = 0, [], None

    def __enter__(self):
        if not shutil.which("strace"):
            self.error = "strace is not installed (Debian strace)"
            return self
        self.proc = subprocess.Popen(["strace", "-f", "-c", "-q", "-o", self.path, "-p", str(self.pid)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(0.5)  # attached to every thread before the load starts
        if self.proc.poll() is not None:
            self.error = "strace could not attach: " + self.proc.stderr.read().decode(errors="replace").strip()[-200:]
        return self

    def __exit__(self, *exc):
        if self.error:
            return False
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.calls, self.top = parse_strace_summary(open(self.path).read())
        if not self.calls:
            self.error = "strace counted nothing"
        return False


def parse_strace_summary(text):
    """(total calls, [(syscall, calls)] most frequent first) from `strace -c` output, whose rows
    are `% time, seconds, usecs/call, calls, [errors,] syscall`."""
    rows = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) < 5 or not re.fullmatch(r"[\d.]+", parts[0]) or not parts[3].isdigit():
            continue
        rows.append((parts[-1], int(parts[3])))
    total = next((n for name, n in rows if name == "total"), sum(n for _, n in rows))
    return total, sorted(((n, c) for n, c in rows if n != "total"), key=lambda r: -r[1])
