#!/usr/bin/env python3
"""Runs every benchmark of `make bench` and writes their figures to BENCHMARKS.md, newest run
first, under the date, the machine (cores, CPU model, kernel) and the commit, with the exact
command behind each block. Earlier runs stay below: the file keeps the history.

Usage: scripts/bench-report.py SWIFTLET_BINARY ROTEL_BINARY"""
import datetime, os, platform, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
REPORT = os.path.join(ROOT, "BENCHMARKS.md")
TITLE = "# Benchmarks\n\nWritten by `make bench` (scripts/bench-report.py); newest run first. Figures drift on a\nshared virtual machine: compare ratios taken in one run, not absolute figures across runs.\n"


def cpu_model():
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def run(argv):
    print("$", " ".join(argv), flush=True)
    out = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT)
    text = (out.stdout + (out.stderr if out.returncode else "")).strip()
    print(text, flush=True)
    return text


def main():
    swiftlet, rotel = sys.argv[1], sys.argv[2]
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout.strip()
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    section = [f"## {now} — commit {commit}",
               f"\n{os.cpu_count()} cores, {cpu_model()}, Linux {platform.release()}\n"]
    for title, argv in [
        ("Footprint", ["python3", "scripts/footprint.py", swiftlet, "10"]),
        ("OTLP/HTTP ingest into debug, beside rotel", ["python3", "scripts/ingest-bench.py", swiftlet, rotel]),
        ("OTLP/HTTP -> OTLP/gRPC forwarding, beside rotel, loss checked at a sink", ["python3", "scripts/forward-bench.py", swiftlet, rotel]),
        ("Zipkin v2 JSON against OTLP protobuf", ["python3", "scripts/zipkin-bench.py", swiftlet]),
    ]:
        section.append(f"### {title}\n\n`{' '.join(os.path.relpath(a, ROOT) if os.path.isabs(a) else a for a in argv)}`\n\n```\n{run(argv)}\n```\n")
    old = open(REPORT).read() if os.path.exists(REPORT) else TITLE
    head, _, rest = old.partition("\n## ")
    history = ("## " + rest) if rest else ""
    open(REPORT, "w").write(TITLE + "\n" + "\n".join(section) + ("\n" + history if history else ""))
    print(f"wrote {REPORT}")


if __name__ == "__main__":
    main()
