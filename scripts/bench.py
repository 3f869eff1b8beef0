#!/usr/bin/env python3
"""Swiftlet's benchmark harness: every trace path end to end beside rotel and this machine's floors,
printed as one Markdown table with the ratios and issue 10's targets under it.

Each path runs RECEIVER -> batch -> otlp exporter (gRPC) -> sink, Swiftlet pinned to core 0, the
load (h2load) and the sink (a second Swiftlet, OTLP/gRPC -> nop, counting spans) on core 1. The
request is the Collector testbed's shape: 100 spans of 10 attributes. For each path:
  1. idle RSS, one second after the port opens;
  2. 10k spans/s (100 requests/s, h2load --rps on 4 connections): CPU-seconds per million spans
     from /proc/<pid>/stat, highest RSS. The targets are ratios of these figures between rows, and
     this machine drifts by 20 % over minutes, so every row's 10k/s phase runs in slices that take
     turns (all collectors started, idle but for the one under load), in rounds; a row's figure is
     its CPU over all its slices per million spans;
  3. flat out (h2load, 8 connections, a fixed request count sized by a 2 s probe): spans/s, CPU per
     span, highest RSS, how busy each core was;
  4. half that rate, paced: p50 and p99 request latency (h2load --log-file).
After every phase the sink's count must equal the spans the sender had answered 2xx (minus those
a gRPC receiver refused in its trailers): any difference is printed as a loss and fails the run.
rotel runs the OTLP/HTTP and OTLP/gRPC paths with the same load and sink; nginx `return 200` takes
the same POSTs (the HTTP/1.1 floor); upb decodes the same request in a loop (the decode floor).
A row is compared with rotel only where both do the same work: the same receiver and the same
compression on the wire out. rotel 0.0.1a15 gzips whatever its flags say (subjects.WIRE_COMPRESSION,
checked on the wire by Tests/EndToEnd/test_bench_wire.py), so only Swiftlet's gzip rows have a
ratio to rotel; its rows without compression or with zstd say why they have none.

Usage: scripts/bench.py SWIFTLET [--rotel ROTEL_AGENT] [--python PY_WITH_PROTOBUF] [--quick|--smoke]
  --quick: short phases, for developing the harness;  --smoke: a few requests per phase, counts only.
Exit status 1 when a span was lost or a process failed."""
import argparse, math, os, re, shutil, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import kubeapi, subjects                         # noqa: E402
from benchlib.load import h2load                               # noqa: E402
from benchlib.procs import RSSSampler, SyscallCounter, set_affinity, wait_settled  # noqa: E402

PACED_RATE = 10_000  # spans/s: the testbed's load
TLS_SUFFIX = subjects.TLS_SUFFIX

MODES = {  # seconds of each phase, or request counts for the smoke run
    "full": dict(paced_s=30, paced_rounds=3, probe_s=2, flat_s=8, half_s=8, floor_s=3),
    "quick": dict(paced_s=4, paced_rounds=2, probe_s=1, flat_s=2, half_s=2, floor_s=1),
    "smoke": dict(paced_s=0.5, paced_rounds=1, probe_s=0, flat_s=0, half_s=0.5, floor_s=0.2),
}


class Row:
    def __init__(self, collector, path, receiver=None, wire=None):
        self.collector, self.path = collector, path
        self.receiver = receiver or path  # the path in, without the compression out
        self.wire = wire  # the compression the exporter puts on the wire ("none", "gzip", ...), None: no exporter
        self.idle = self.rss10k = self.cpu10k = self.max = self.cpu_max = self.rss_max = math.nan
        self.p50 = self.p99 = self.core0 = self.core1 = self.half_rate = math.nan
        self.sink_cpu = self.sink_core = math.nan  # the sink's CPU-s per million spans and core share at max
        self.max2 = self.core2 = self.others2 = math.nan  # flat out on both cores: spans/s, the collector's and the rest's CPU %
        self.syscalls, self.syscall_top, self.syscall_error = math.nan, [], None  # per request at 10k/s
        self.checks = []  # (phase, sent spans, arrived spans)
        self.refused = []  # (phase, spans answered other than 2xx or refused in gRPC trailers)
        self.error = None

    def lost(self):
        """Phases where fewer spans arrived than were answered 2xx."""
        return [(p, s, a) for p, s, a in self.checks if a < s]

    def duplicated(self):
        """Phases where more arrived: a retry of a request the sink had taken (at least once)."""
        return [(p, s, a) for p, s, a in self.checks if a > s]


def phase(subject, sink, row, label, pinned=None, **load):
    """One load phase: returns (spans answered, h2load result, collector CPU-s, highest RSS, sink
    CPU-s, seconds from the first request until the sink had every span)."""
    proc = subject.proc
    before_sink = sink.spans() if sink else 0
    before_refused = subject.refused()
    before_accepted = subject.accepted() if hasattr(subject, "accepted") else None
    cpu0 = proc.cpu_seconds()
    sink_cpu0 = sink.proc.cpu_seconds() if sink else 0.0
    start = time.monotonic()
    with RSSSampler(proc) as rss:
        sent = h2load(subject.target, pinned=subject.pinned if pinned is None else pinned, **load)
        spans = sent.requests * subject.target.spans_per_request
        refused = subject.refused() - before_refused if not subject.target.h1 else 0
        expected = spans - refused
        if before_accepted is not None:
            # The collector's own count: exact, where h2load's may miss an answer.
            expected = subject.accepted() - before_accepted
        if sink:
            arrived = wait_settled(lambda: sink.spans() - before_sink, expected)
            row.checks.append((label, expected, arrived))
        wall = time.monotonic() - start
    if refused or sent.failed:
        row.refused.append((label, refused + sent.failed * subject.target.spans_per_request))
    cpu = proc.cpu_seconds() - cpu0
    sink_cpu = (sink.proc.cpu_seconds() - sink_cpu0) if sink else 0.0
    return expected, sent, cpu, rss.peak, sink_cpu, wall if sink else sent.seconds


def paced(pairs, sink, mode, smoke):
    """Idle RSS and the 10k spans/s phase of every (subject, row): all started, then slices of
    paced_s / paced_rounds seconds each, row after row, round after round."""
    running = []
    try:
        for subject, row in pairs:
            try:
                subject.start()
                running.append((subject, row))
            except Exception as e:  # noqa: BLE001 — the row says what failed; the other rows still run
                row.error = f"{type(e).__name__}: {e}"
        time.sleep(0.2 if smoke else 1.0)
        totals = {}
        for subject, row in running:
            row.idle = subject.proc.rss_mib()
            totals[id(row)] = [0, 0.0, 0.0]  # spans, CPU-s, highest RSS
        for r in range(mode["paced_rounds"]):
            for subject, row in running:
                if row.error:
                    continue
                try:
                    rps = PACED_RATE / subject.target.spans_per_request
                    n = max(4, int(rps * mode["paced_s"] / mode["paced_rounds"]))
                    spans, _, cpu, rss, _, _ = phase(subject, sink, row, f"10k/s ({r + 1})", requests=n, rps_total=rps, connections=4)
                    t = totals[id(row)]
                    t[0], t[1], t[2] = t[0] + spans, t[1] + cpu, max(t[2], rss)
                except Exception as e:  # noqa: BLE001
                    row.error = f"{type(e).__name__}: {e}"
        for subject, row in running:
            spans, cpu, rss = totals[id(row)]
            row.cpu10k, row.rss10k = (cpu / (spans / 1e6) if spans else math.nan), rss
    finally:
        for subject, _ in running:
            subject.proc.stop()


TWO_CORE_PATHS = ("OTLP/HTTP protobuf", "OTLP/HTTP protobuf, gzip out")


def count_syscalls(subject, sink, row, tmp, smoke):
    """System calls per request at 10k spans/s in steady state, from strace attached for a short
    paced run after a second of the same load: a collector just started creates its pool's threads
    and its exporter's connection in its first requests, a one-time cost the count would spread
    over a few hundred requests."""
    rps = PACED_RATE / subject.target.spans_per_request
    phase(subject, sink, row, "syscalls, warm-up", requests=8 if smoke else int(rps), rps_total=rps, connections=4)
    n = 20 if smoke else int(rps * 3)
    with SyscallCounter(subject.proc.pid, os.path.join(tmp, f"strace-{subject.port}.txt")) as counter:
        if not counter.error:
            phase(subject, sink, row, "syscalls", requests=n, rps_total=rps, connections=4)
    if counter.error:
        row.syscall_error = counter.error
        return
    row.syscalls = counter.calls / n
    row.syscall_top = [(name, calls / n) for name, calls in counter.top[:8]]


def two_cores(subject, sink, row, mode, smoke):
    """Flat out with the collector, the sink and h2load all free to use both cores."""
    n = 40 if smoke else max(80, int(2 * row.max / subject.target.spans_per_request * mode["flat_s"]))
    set_affinity(subject.proc.pid, "0,1")
    set_affinity(sink.proc.pid, "0,1")
    try:
        spans, sent, cpu, _, sink_cpu, wall = phase(subject, sink, row, "max, 2 cores", pinned=False, requests=n, connections=8)
    finally:
        set_affinity(subject.proc.pid, "0")
        set_affinity(sink.proc.pid, "1")
    row.max2 = spans / wall if wall else math.nan
    row.core2, row.others2 = cpu / wall * 100, (sent.cpu + sink_cpu) / wall * 100


def measure(subject, sink, mode, smoke, row, tmp):
    """The syscall count, flat-out and half-rate phases of one subject (its 10k/s figures come
    from `paced`)."""
    if row.error:
        return row
    try:
        subject.start()
        if subject.name == "swiftlet":
            count_syscalls(subject, sink, row, tmp, smoke)
        # Flat out: a short probe sizes a run with an exact request count.
        if smoke:
            n = 40
        else:
            _, probe, _, _, _, _ = phase(subject, sink, row, "probe", duration=mode["probe_s"], connections=8)
            if sink:
                row.checks.pop()  # h2load stops at -D with requests in flight: not an exact count
            n = max(80, int(probe.requests / probe.seconds * mode["flat_s"]))
        spans, sent, cpu, rss, sink_cpu, wall = phase(subject, sink, row, "max", requests=n, connections=8)
        # Sustained: until the sink had every span, not only until the receiver had answered.
        row.max = spans / wall if wall else math.nan
        row.cpu_max, row.rss_max = cpu / (spans / 1e6) if spans else math.nan, rss
        row.core0 = cpu / wall * 100
        row.core1 = (sent.cpu + sink_cpu) / wall * 100
        if sink:
            row.sink_cpu, row.sink_core = sink_cpu / (spans / 1e6) if spans else math.nan, sink_cpu / wall * 100
        if subject.name == "swiftlet" and row.path in TWO_CORE_PATHS and subject.pinned:
            two_cores(subject, sink, row, mode, smoke)
        # Half the maximum, paced: latency.
        row.half_rate = row.max / 2
        rps = row.half_rate / subject.target.spans_per_request
        n = 16 if smoke else max(8, int(rps * mode["half_s"]))
        _, sent, _, _, _, _ = phase(subject, sink, row, "half", requests=n, rps_total=rps, connections=8,
                                 log_file=os.path.join(os.path.dirname(subject.log), "latency.tsv"))
        row.p50, row.p99 = sent.percentile(50) / 1000, sent.percentile(99) / 1000
    except Exception as e:  # noqa: BLE001 — the row says what failed; the other rows still run
        row.error = f"{type(e).__name__}: {e}"
        print(f"{subject.name} {subject.path_name}: {row.error}", file=sys.stderr)
    finally:
        if getattr(subject, "proc", None):
            subject.proc.stop()
    return row


def fmt(value, spec, unit=""):
    return "—" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:{spec}}{unit}"


def kspans(value):
    return "—" if math.isnan(value) else (f"{value / 1e6:.2f}M" if value >= 1e6 else f"{value / 1e3:.0f}k")


PEER = "rotel"


def peer_row(row, rows):
    """The rotel row that did the same work as ROW (same receiver, same compression on the wire
    out), or why there is none, as the text to print in place of a ratio."""
    if row.collector != "swiftlet":
        return None, "—"
    same_path = [r for r in rows if r.collector == PEER and r.receiver == row.receiver and not r.error]
    if not same_path:
        return None, f"— ({PEER} not run on this path)"
    same = [r for r in same_path if r.wire == row.wire]
    if same:
        return same[0], None
    wires = sorted(set(subjects.WIRE_COMPRESSION[PEER].values()))
    if len(wires) == 1:
        return None, f"n/a: {PEER} always sends {wires[0]}"
    return None, f"n/a: {PEER} not run with {row.wire} out"


def versus_peer(row, rows):
    """The table's cell: CPU per span at 10k/s and max spans/s as ratios to the rotel row doing the
    same work, or why there is no such row."""
    peer, why = peer_row(row, rows)
    if peer is None:
        return why
    return f"CPU {fmt(ratio(row.cpu10k, peer.cpu10k), '.2f', 'x')}, max {fmt(ratio(row.max, peer.max), '.2f', 'x')}"


def table(rows, floor):
    out = ["| path | collector | CPU-s/M spans @10k/s | RSS @10k/s | max spans/s, 1 core | CPU-s/M @max | "
           "core 0 / core 1 busy @max | RSS @max | p50 / p99 ms @½ max | RSS idle | vs rotel, same work: CPU/span @10k/s, max spans/s | sink = sender |",
           "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|---|---|"]
    for r in rows:
        lost = r.lost()
        if r.error:
            check = f"FAILED: {r.error}"
        elif not r.checks:
            check = "no sink"
        else:
            check = ("yes" if not lost else "NO: " + ", ".join(f"{p}: {a} of {s} arrived, {s - a} lost" for p, s, a in lost))
            check += "".join(f"; {p}: {a - s} twice (at-least-once retry)" for p, s, a in r.duplicated())
            check += f" ({sum(s for _, s, _ in r.checks)} spans)"
            if r.refused:
                check += "; refused " + ", ".join(f"{p}: {n}" for p, n in r.refused)
        out.append(f"| {r.path} | {r.collector} | {fmt(r.cpu10k, '.2f')} | {fmt(r.rss10k, '.1f', ' MiB')} | "
                   f"{kspans(r.max)} | {fmt(r.cpu_max, '.2f')} | {fmt(r.core0, '.0f', ' %')} / {fmt(r.core1, '.0f', ' %')} | "
                   f"{fmt(r.rss_max, '.1f', ' MiB')} | {fmt(r.p50, '.2f')} / {fmt(r.p99, '.2f')} | "
                   f"{fmt(r.idle, '.1f', ' MiB')} | {versus_peer(r, rows)} | {check} |")
    if floor:
        kind, rate, cpu = floor
        out.append(f"| OTLP protobuf decode | protobuf ({kind}) | {cpu:.2f} | — | {kspans(rate)} | {cpu:.2f} | 100 % / — | — | — | — | — | no sink |")
    return out


def ratio(a, b):
    return a / b if b and not (math.isnan(a) or math.isnan(b)) else math.nan


def verdicts(rows, floor):
    """Ratios taken in this run, and issue 10's targets as PASS / FAIL lines."""
    find = lambda c, p: next((r for r in rows if r.collector == c and r.path == p and not r.error), None)
    sw, sw_grpc = find("swiftlet", "OTLP/HTTP protobuf"), find("swiftlet", "OTLP/gRPC")
    ng = find("nginx", "OTLP/HTTP protobuf")
    # Beside rotel, Swiftlet's row doing the same work: rotel's compression on the wire, both ways.
    ro = next((r for r in rows if r.collector == PEER and r.receiver == "OTLP/HTTP protobuf" and not r.error), None)
    sw_ro = next((s for s in rows if peer_row(s, rows)[0] is ro), None) if ro else None
    lines, targets = [], []

    def target(ok, text):
        targets.append(("- **PASS** " if ok else "- **FAIL** ") + text if ok is not None else "- **n/a** " + text)

    for s in rows:
        r, _ = peer_row(s, rows)
        if r:
            lines.append(f"- Swiftlet / rotel, {s.receiver} -> OTLP/gRPC, {s.wire} out on both: CPU per span at 10k/s "
                         f"{ratio(s.cpu10k, r.cpu10k):.2f}, at max {ratio(s.cpu_max, r.cpu_max):.2f}; max spans/s "
                         f"{ratio(s.max, r.max):.2f}x; RSS at 10k/s {ratio(s.rss10k, r.rss10k):.2f}")
    unlike = {s.path: why[len("n/a: "):] for s in rows for _, why in [peer_row(s, rows)] if (why or "").startswith("n/a")}
    for why in sorted(set(unlike.values())):
        lines.append(f"- Not compared with rotel ({'; '.join(p for p, w in unlike.items() if w == why)}): {why} "
                     "(subjects.WIRE_COMPRESSION, as seen on the wire by Tests/EndToEnd/test_bench_wire.py), "
                     "so no rotel row does their work")
    if sw and ng:
        lines.append(f"- Swiftlet / nginx floor, OTLP/HTTP: CPU per span at 10k/s {fmt(ratio(sw.cpu10k, ng.cpu10k), '.1f')}, "
                     f"flat out {fmt(ratio(sw.cpu_max, ng.cpu_max), '.1f')}")
    if sw and floor:
        lines.append(f"- Swiftlet / upb decode floor, OTLP/HTTP: CPU per span at 10k/s {ratio(sw.cpu10k, floor[2]):.1f}, "
                     f"flat out {ratio(sw.cpu_max, floor[2]):.1f}")
    if sw_ro and ro:
        both = f"{ro.wire} out on both"
        q = ratio(sw_ro.cpu10k, ro.cpu10k)
        target(None if math.isnan(q) else q <= 0.2, f"OTLP/HTTP -> OTLP/gRPC CPU per span at 10k/s ≤ 0.2x rotel, {both}: {q:.2f}x")
        q = ratio(sw_ro.max, ro.max)
        ok = None if math.isnan(q) else (q >= 4 and not sw_ro.lost())
        target(ok, f"OTLP/HTTP -> OTLP/gRPC flat-out spans/s on one core ≥ 4x rotel, {both}, zero loss: {q:.2f}x")
    else:
        target(None, "Swiftlet / rotel targets: rotel not run" if not ro else
               f"Swiftlet / rotel targets: no Swiftlet OTLP/HTTP row with {ro.wire} out, as rotel sends")
    if sw and ng:
        q = ratio(sw.cpu_max, ng.cpu_max)
        target(None if math.isnan(q) else q <= 2, f"OTLP/HTTP flat-out CPU per span ≤ 2x the nginx floor: {q:.1f}x")
    else:
        target(None, "nginx floor target: nginx not run")
    for path, bound in [("Zipkin v2 JSON", 2.0), ("Jaeger Thrift/HTTP", 1.5)]:
        other = find("swiftlet", path)
        if sw and other:
            q = ratio(other.cpu10k, sw.cpu10k)
            target(None if math.isnan(q) else q <= bound, f"{path} CPU per span at 10k/s ≤ {bound}x Swiftlet's OTLP/HTTP -> OTLP: {q:.2f}x")
    if sw:
        target(None if math.isnan(sw.rss10k) else sw.rss10k <= 16, f"RSS at 10k spans/s ≤ 16 MiB (OTLP/HTTP): {sw.rss10k:.1f} MiB")
        # Issue 10's paths: the receivers and exporters, without issue 22's processors (whose
        # memory, a Kubernetes cache included, issue22() reports beside them).
        paths = [r for r in rows if r.collector == "swiftlet" and not r.error and subjects.PROCESSORS_SUFFIX not in r.path
                 and subjects.LOADBALANCING_SUFFIX not in r.path]
        worst = max((r.rss10k for r in paths), default=math.nan)
        target(None if math.isnan(worst) else worst <= 16, f"RSS at 10k spans/s ≤ 16 MiB, every Swiftlet path: highest {worst:.1f} MiB")
        plain = [r for r in paths if not r.path.endswith(TLS_SUFFIX)]
        idle = max((r.idle for r in plain), default=math.nan)
        target(None if math.isnan(idle) else idle <= 8, f"RSS idle ≤ 8 MiB, every Swiftlet path without TLS: highest {idle:.1f} MiB")
    tls_rows = [r for r in rows if r.collector == "swiftlet" and not r.error and r.path.endswith(TLS_SUFFIX)]
    for r in tls_rows:
        base = find("swiftlet", r.path[: -len(TLS_SUFFIX)])
        q = ratio(r.cpu10k, base.cpu10k) if base else math.nan
        target(None if math.isnan(q) else q <= 1.3, f"{r.path} (both sides) CPU per span at 10k/s ≤ 1.3x the same path "
               f"in plain text: {q:.2f}x")
    if tls_rows:
        idle = max(r.idle for r in tls_rows)
        target(None if math.isnan(idle) else idle <= 9, f"RSS idle ≤ 9 MiB with TLS configured: highest {idle:.1f} MiB")
    short = sum(len(r.lost()) for r in rows)
    twice = sum(len(r.duplicated()) for r in rows)
    targets.append(("- **PASS** " if not short else "- **FAIL** ") + "zero loss, sink ≥ sender after every phase: "
                   + ("every phase" if not short else f"{short} phases lost spans")
                   + (f"; more arrived than sent (a retry delivered twice) in {twice} phases" if twice else ""))
    return lines, targets


def issue22(rows):
    """Issue 22's target: k8sattributes + resource + filter cost at most 1.5x the CPU per span of
    the same path without them."""
    find = lambda c, p: next((r for r in rows if r.collector == c and r.path == p and not r.error), None)
    plain = find("swiftlet", "OTLP/HTTP protobuf")
    lines, targets = [], []
    for r in rows:
        if r.collector == "swiftlet" and subjects.PROCESSORS_SUFFIX in r.path and not r.error and plain:
            lines.append(f"- {r.path.split(subjects.PROCESSORS_SUFFIX)[1]}: CPU per span at 10k/s {ratio(r.cpu10k, plain.cpu10k):.2f}x, "
                         f"at max {ratio(r.cpu_max, plain.cpu_max):.2f}x; max spans/s {ratio(r.max, plain.max):.2f}x the path without processors; "
                         f"RSS idle {r.idle:.1f} MiB, at 10k/s {r.rss10k:.1f} MiB ({plain.idle:.1f}, {plain.rss10k:.1f} without)")
    both = find("swiftlet", "OTLP/HTTP protobuf" + subjects.PROCESSORS_SUFFIX + "k8sattributes + resource + filter")
    if both and plain:
        q = ratio(both.cpu10k, plain.cpu10k)
        targets.append(("- **PASS** " if q <= 1.5 else "- **FAIL** ")
                       + f"k8sattributes + resource + filter, CPU per span at 10k/s ≤ 1.5x the same path without them: {q:.2f}x")
    else:
        targets.append("- **n/a** processors beside the plain path: a row was not run")
    return lines, targets


def issue23(rows):
    """Issue 23's agent-tier target: the loadbalancing exporter (three backends) costs at most 1.3x
    the CPU per span of the same path with one otlp exporter."""
    find = lambda c, p: next((r for r in rows if r.collector == "swiftlet" and r.path == p and not r.error), None)
    plain, balanced = find("swiftlet", "OTLP/HTTP protobuf"), find("swiftlet", "OTLP/HTTP protobuf" + subjects.LOADBALANCING_SUFFIX)
    if not (plain and balanced):
        return [], ["- **n/a** loadbalancing beside the plain path: a row was not run"]
    q = ratio(balanced.cpu10k, plain.cpu10k)
    lines = [f"- loadbalancing to 3 backends: CPU per span at 10k/s {q:.2f}x, at max {ratio(balanced.cpu_max, plain.cpu_max):.2f}x; "
             f"max spans/s {ratio(balanced.max, plain.max):.2f}x the plain otlp path; RSS idle {balanced.idle:.1f} MiB, "
             f"at 10k/s {balanced.rss10k:.1f} MiB ({plain.idle:.1f}, {plain.rss10k:.1f} plain)"]
    return lines, [("- **PASS** " if q <= 1.3 else "- **FAIL** ") + f"loadbalancing tier, CPU per span at 10k/s ≤ 1.3x the plain otlp exporter row: {q:.2f}x"]


def issue21(rows):
    """Lines on two cores and system calls, and issue 21's targets (the gzip path, the seed's
    config, every core, system calls) as PASS / FAIL lines."""
    find = lambda c, p: next((r for r in rows if r.collector == c and r.path == p and not r.error), None)
    lines, targets = [], []

    def target(ok, text):
        targets.append(("- **PASS** " if ok else "- **FAIL** ") + text if ok is not None else "- **n/a** " + text)

    for r in rows:
        if not math.isnan(r.max2):
            lines.append(f"- {r.path}, flat out with the collector, the sink and h2load on both cores: {kspans(r.max2)} spans/s "
                         f"({ratio(r.max2, r.max):.2f}x one core); the collector busy {r.core2:.0f} % of 200 %, "
                         f"sink + h2load {r.others2:.0f} %")
        if not math.isnan(r.syscalls):
            top = ", ".join(f"{name} {n:.1f}" for name, n in r.syscall_top)
            lines.append(f"- {r.path}: {r.syscalls:.1f} system calls per request at 10k spans/s (strace -f -c; {top})")
        elif r.syscall_error:
            lines.append(f"- {r.path}: system calls not counted: {r.syscall_error}")
    gz, ro = find("swiftlet", "OTLP/HTTP protobuf, gzip out"), find(PEER, "OTLP/HTTP protobuf, gzip out")
    seed = next((r for r in rows if r.collector == "swiftlet" and "seed's config" in r.path and not r.error), None)
    if gz and ro:
        q = ratio(gz.cpu10k, ro.cpu10k)
        target(None if math.isnan(q) else q <= 0.33, f"OTLP/HTTP -> batch -> OTLP/gRPC gzip, CPU per span at 10k/s ≤ 0.33x rotel (gzip): {q:.2f}x")
        q = ratio(gz.max, ro.max)
        target(None if math.isnan(q) else q >= 3 and not gz.lost(), f"the same path flat out ≥ 3x rotel's spans/s, zero loss: {q:.2f}x")
    else:
        target(None, "gzip path beside rotel: " + ("rotel not run" if not ro else "no Swiftlet gzip row"))
    if seed and ro:
        q = ratio(seed.cpu10k, ro.cpu10k)
        target(None if math.isnan(q) else q <= 0.5, f"the seed's exact config, CPU per span at 10k/s ≤ 0.5x rotel (gzip): {q:.2f}x")
    else:
        target(None, "the seed's config beside rotel: " + ("rotel not run" if not ro else "its row was not run (../shared absent?)"))
    plain = find("swiftlet", "OTLP/HTTP protobuf")
    if plain and not math.isnan(plain.max2):
        q = ratio(plain.max2, plain.max)
        target(q >= 1.8, f"OTLP/HTTP -> OTLP/gRPC flat-out spans/s on two cores ≥ 1.8x one core: {q:.2f}x "
               "(on this 2-core machine the sink and h2load share the second core)")
    else:
        target(None, "two cores vs one: the OTLP/HTTP row was not run")
    ng = find("nginx", "OTLP/HTTP protobuf")
    if plain and ng:
        q = ratio(plain.cpu_max, ng.cpu_max)
        target(None if math.isnan(q) else q <= 5, f"OTLP/HTTP -> OTLP/gRPC uncompressed flat out, CPU per span ≤ 5x the nginx floor: {q:.1f}x")
    else:
        target(None, "nginx floor: nginx or the OTLP/HTTP row not run")
    if plain and not math.isnan(plain.syscalls):
        target(plain.syscalls <= 8, f"system calls per request at 10k spans/s ≤ 8 (OTLP/HTTP -> batch -> OTLP/gRPC): {plain.syscalls:.1f}")
    else:
        target(None, "system calls per request: not counted" + (f" ({plain.syscall_error})" if plain and plain.syscall_error else ""))
    return lines, targets


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("swiftlet")
    ap.add_argument("--rotel", help="rotel-agent binary (PyPI rotel); left out when absent")
    ap.add_argument("--python", help="a Python with protobuf and opentelemetry-proto, for the upb floor")
    ap.add_argument("--sink", help="Swiftlet binary for the sink (default: SWIFTLET)")
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--quick", action="store_true", help="short phases")
    g.add_argument("--smoke", action="store_true", help="a few requests per phase: counts, no figures to trust")
    ap.add_argument("--only", help="comma-separated substrings (or whole names ending in $): run only the rows whose collector and path match")
    args = ap.parse_args()
    mode = MODES["smoke" if args.smoke else "quick" if args.quick else "full"]
    for tool in ("h2load", "taskset"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is missing (Debian nghttp2-client, util-linux)")
    rotel = args.rotel if args.rotel and os.path.exists(args.rotel) else None
    nginx = shutil.which("nginx") or (os.path.exists("/usr/sbin/nginx") and "/usr/sbin/nginx")
    if nginx and not shutil.which("nginx"):
        os.environ["PATH"] += ":/usr/sbin"
    # A word ending in "$" names a row exactly ("swiftlet OTLP/HTTP protobuf$"); any other, a substring.
    # Words are separated by commas not followed by a space: rows' names hold ", ".
    words = [w.strip() for w in re.split(r",(?! )", args.only or "") if w.strip()]
    wanted = lambda collector, path: not words or any(
        f"{collector} {path}" == w[:-1] if w.endswith("$") else w in f"{collector} {path}" for w in words)
    rows = []
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="swiftlet-bench-") as tmp:
        files = subjects.bodies(tmp)
        certs = subjects.make_certs(tmp)
        sizes = {k: os.path.getsize(v) for k, v in files.items()}
        sink = subjects.Sink(args.sink or args.swiftlet, tmp, certs)
        kube = kubeapi.KubeAPI(tmp, subjects.free_port())
        os.environ["KUBECONFIG"] = kube.kubeconfig  # for the k8sattributes rows
        try:
            runs = [subjects.Swiftlet(args.swiftlet, tmp, p, sink, certs) for p in subjects.swiftlet_paths(files, certs)]
            if os.path.exists(subjects.SEED_CONFIG):
                runs.append(subjects.SeedSwiftlet(args.swiftlet, tmp, files, sink))
            else:
                print(f"# the seed's config is absent ({subjects.SEED_CONFIG}): its row is left out", file=sys.stderr)
            runs += [subjects.Rotel(rotel, tmp, files, grpc, sink.port) for grpc in (False, True)] if rotel else []
            pairs = [(s, Row(s.name, s.path_name, s.receiver, s.wire)) for s in runs if wanted(s.name, s.path_name)]
            print(f"# 10k spans/s, every row in turn ({time.monotonic() - t0:.0f} s)", file=sys.stderr, flush=True)
            paced(pairs, sink, mode, args.smoke)
            for s, row in pairs:
                print(f"# {s.name} {s.path_name} ({time.monotonic() - t0:.0f} s)", file=sys.stderr, flush=True)
                rows.append(measure(s, sink, mode, args.smoke, row, tmp))
        finally:
            sink.proc.stop()
            kube.stop()
        if nginx and wanted("nginx", "OTLP/HTTP protobuf"):
            print(f"# nginx ({time.monotonic() - t0:.0f} s)", file=sys.stderr, flush=True)
            floor_http = subjects.Nginx(tmp, files)
            row = Row(floor_http.name, floor_http.path_name, floor_http.receiver, floor_http.wire)
            paced([(floor_http, row)], None, mode, args.smoke)
            rows.append(measure(floor_http, None, mode, args.smoke, row, tmp))
        floor = None
        if wanted("protobuf", "decode"):
            py = args.python or sys.executable
            floor = subjects.upb_floor(py, files["proto"], mode["floor_s"])
    skipped = [w for w, present in [("rotel", rotel), ("nginx", nginx)] if not present]
    print(f"Requests of 100 spans x 10 attributes (OTLP protobuf {sizes['proto']} B, JSON {sizes['json']} B, Zipkin {sizes['zipkin']} B, Jaeger Thrift {sizes['jaeger']} B); "
          f"collector pinned to core 0, h2load and the sink (Swiftlet OTLP/gRPC -> nop) on core 1; "
          f"exporter compression none unless named (the compression each puts on the wire: rotel sends gzip whatever "
          f"its flags say, so it is compared only with Swiftlet's gzip rows); {time.monotonic() - t0:.0f} s."
          + (f" Not run (absent): {', '.join(skipped)}." if skipped else "") + "\n")
    print("\n".join(table(rows, floor)))
    sunk = [r for r in rows if not math.isnan(r.sink_core)]
    if sunk:
        busiest = max(sunk, key=lambda r: r.core1)
        print(f"\nThe sink (Swiftlet OTLP/gRPC -> nop, core 1) at each maximum: {min(r.sink_cpu for r in sunk):.2f}–"
              f"{max(r.sink_cpu for r in sunk):.2f} CPU-s per million spans, at most {max(r.sink_core for r in sunk):.0f} % of "
              f"core 1; core 1 (sink + h2load) busiest {busiest.core1:.0f} % ({busiest.collector}, {busiest.path}): "
              + ("the load side had room left, the collector was the limit." if busiest.core1 < 85 else
                 "the load side was near its limit on that row."))
    lines, targets = verdicts(rows, floor)
    print("\nRatios, this run:\n" + "\n".join(lines) if lines else "")
    print("\nTargets (issue 10; beside rotel, measured gzip against gzip):\n" + "\n".join(targets))
    lines, targets = issue21(rows)
    print("\nTwo cores, system calls:\n" + "\n".join(lines) if lines else "")
    print("\nTargets (issue 21; the gzip path, the seed's config, every core):\n" + "\n".join(targets))
    lines, targets = issue22(rows)
    print("\nProcessors beside the same path without them:\n" + "\n".join(lines) if lines else "")
    print("\nTargets (issue 22; processors):\n" + "\n".join(targets))
    lines, targets = issue23(rows)
    print("\nThe loadbalancing tier beside the plain path:\n" + "\n".join(lines) if lines else "")
    print("\nTargets (issue 23; loadbalancing):\n" + "\n".join(targets))
    return 1 if any(r.error or r.lost() for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
