#!/usr/bin/env python3
"""Runs `make bench`'s programs, scripts/footprint.py, scripts/bench.py (the harness: every
path beside rotel and the floors, one table), scripts/trace-query-bench.py (search over 1M
spans), scripts/two_tier.py (a balancer and three gateways flat out) and
scripts/tail_sampling_gateway.py (a tail_sampling gateway at 10k spans/s), and writes their output to BENCHMARKS.md, newest run
first, under the date, the machine (cores, CPU model, kernel), the commit, the load average before
and after (other work on the machine moves the figures) and the exact command behind each block.
Earlier runs stay below: the file keeps the history.

Usage: scripts/bench-report.py SWIFTLET_BINARY [ROTEL_BINARY] [PYTHON_WITH_PROTOBUF] [-- BENCH_ARGS...]
Exit status 1 when the harness failed or lost a span (the section is written all the same)."""
import datetime, os, platform, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
REPORT = os.path.join(ROOT, "BENCHMARKS.md")
TITLE = ("# Benchmarks\n\nWritten by `make bench` (scripts/bench-report.py); newest run first. Figures drift on a\n"
         "shared virtual machine: compare ratios taken in one run, not absolute figures across runs.\n"
         "\nBeside rotel, a row is compared only with the rotel row that puts the same compression on the\n"
         "wire. rotel 0.0.1a15 gzips whatever `--otlp-exporter-compression` says (seen on the wire:\n"
         "Tests/EndToEnd/test_bench_wire.py); the runs of commit 657addf and before set rotel's flag to\n"
         "`none` and compared Swiftlet without compression with rotel gzipping. Their Swiftlet / rotel\n"
         "ratios are struck through below, each with the same run's gzip-against-gzip figure where the\n"
         "run had a Swiftlet `gzip out` row.\n")


def cpu_model():
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def loadavg():
    return " ".join(open("/proc/loadavg").read().split()[:3])


def rel(arg):
    return os.path.relpath(arg, ROOT) if os.path.isabs(arg) else arg


def run(argv):
    print("$", " ".join(argv), flush=True)
    out = subprocess.run(argv, stdout=subprocess.PIPE, text=True, cwd=ROOT)  # stderr: progress, to the terminal
    print(out.stdout, flush=True)
    return out.stdout.strip(), out.returncode


def main():
    args = sys.argv[1:]
    extra = args[args.index("--") + 1:] if "--" in args else []
    args = args[:args.index("--")] if "--" in args else args
    swiftlet = args[0]
    rotel = args[1] if len(args) > 1 and args[1] else None
    python = args[2] if len(args) > 2 and args[2] else None
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout.strip()
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    load_before = loadavg()
    bench = ["python3", "scripts/bench.py", rel(swiftlet)] + (["--rotel", rel(rotel)] if rotel else []) \
        + (["--python", rel(python)] if python else []) + extra
    blocks, failed = [], False
    for title, argv in [("Footprint", ["python3", "scripts/footprint.py", rel(swiftlet), "10"]),
                        ("Every path, beside rotel and the floors", bench),
                        ("Search over 1M spans (tracestore + trace_query)", ["python3", "scripts/trace-query-bench.py", rel(swiftlet)]),
                        ("Two tiers: one loadbalancing Swiftlet, three gateways", ["python3", "scripts/two_tier.py", rel(swiftlet)]),
                        ("A gateway with tail_sampling, at 10k spans/s of new traces",
                         ["python3", "scripts/tail_sampling_gateway.py", rel(swiftlet)])]:
        text, rc = run(argv)
        failed |= rc != 0
        blocks.append((title, argv, text, rc))
    section = [f"## {now} — commit {commit}",
               f"\n{os.cpu_count()} cores (nproc), {cpu_model()}, Linux {platform.release()}; "
               f"load average {load_before} before, {loadavg()} after (1, 5, 15 min)\n"]
    for title, argv, text, rc in blocks:
        status = f"\n\nexit status {rc}" if rc else ""
        body = f"```\n{text}\n```" if title == "Footprint" else text
        section.append(f"### {title}\n\n`{' '.join(argv)}`\n\n{body}{status}\n")
    old = open(REPORT).read() if os.path.exists(REPORT) else TITLE
    _, _, rest = old.partition("\n## ")
    history = ("## " + rest) if rest else ""
    with open(REPORT, "w") as f:
        f.write(TITLE + "\n" + "\n".join(section) + ("\n" + history if history else ""))
    print(f"wrote {REPORT}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
