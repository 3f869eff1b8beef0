#!/usr/bin/env python3
"""CPU per span at 10k spans/s of several Swiftlet paths or builds, taken side by side: every
collector is started at once (beside the bench's sink), then each takes a paced slice in turn
(100 requests of 100 spans a second on 4 connections, as the bench's 10k/s phase), round after
round, so the machine's drift falls on all of them alike. A collector's CPU comes from a cgroup
of its own (cgroup v1 cpuacct.usage, in nanoseconds) where one can be made, else from
/proc/<pid>/stat. Prints each one's mean and median over the slices, and the ratio of each mean to
the first's. For ratios `make bench` reports close to a target (TLS against plain text, issue 20),
and for two builds of one path. A row ending in ", TLS" is also given as a ratio to the same row
without it, when that is measured too.

Usage: scripts/cpu-slices.py [--slice SECONDS] [--rounds N] [--binary SWIFTLET] ROW[@BINARY] ...
  ROW is a Swiftlet row of the bench ("OTLP/HTTP protobuf", "OTLP/gRPC, TLS"); BINARY defaults
  to --binary. Example: scripts/cpu-slices.py "OTLP/HTTP protobuf" "OTLP/HTTP protobuf, TLS" """
import argparse, os, statistics, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import subjects                                  # noqa: E402
from benchlib.load import h2load                               # noqa: E402

RATE = 10_000  # spans/s
CGROUPS = "/sys/fs/cgroup/cpuacct"


class CPU:
    """One process's CPU-seconds: its own cpuacct cgroup when it can have one, else /proc."""

    def __init__(self, proc):
        self.proc, self.group = proc, os.path.join(CGROUPS, f"cpu-slices-{proc.pid}")
        try:
            os.makedirs(self.group)
        except OSError:
            self.group = None
            return
        try:
            with open(os.path.join(self.group, "cgroup.procs"), "w") as f:
                f.write(str(proc.pid))
        except OSError:
            self.close()
            self.group = None

    def seconds(self):
        if self.group:
            with open(os.path.join(self.group, "cpuacct.usage")) as f:
                return int(f.read()) / 1e9
        return self.proc.cpu_seconds()

    def close(self):
        if self.group:
            try:
                os.rmdir(self.group)  # empty once the process has exited
            except OSError:
                pass


def paced(subject, requests):
    """One h2load run of `requests` at 10k spans/s on 4 connections, as the bench's 10k/s phase."""
    return h2load(subject.target, requests=requests, rps_total=RATE / subject.target.spans_per_request, connections=4)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("rows", nargs="+")
    p.add_argument("--slice", type=float, default=5.0)
    p.add_argument("--rounds", type=int, default=10)
    p.add_argument("--binary", default=".build/release/swiftlet")
    args = p.parse_args()
    tmp = tempfile.mkdtemp(prefix="swiftlet-cpu-slices-")
    certs, files = subjects.make_certs(tmp), subjects.bodies(tmp)
    sink = subjects.Sink(os.path.abspath(args.binary), tmp, certs)
    paths = {subjects.path_name(p[0], subjects.WIRE_COMPRESSION["swiftlet"][p[3]]): p
             for p in subjects.swiftlet_paths(files, certs)}
    runs = []
    try:
        for spec in args.rows:
            row, _, binary = spec.partition("@")
            if row not in paths:
                sys.exit(f"no Swiftlet row {row!r}; rows: {', '.join(paths)}")
            subject = subjects.Swiftlet(os.path.abspath(binary or args.binary), tmp, paths[row], sink, certs)
            subject.start()
            runs.append((spec, subject, CPU(subject.proc), []))
        for _, subject, _, _ in runs:  # warm-up: connections, the pool's threads
            paced(subject, 100)
        for _ in range(args.rounds):
            for _, subject, cpu, slices in runs:
                n = int(RATE / subject.target.spans_per_request * args.slice)
                before = cpu.seconds()
                sent = paced(subject, n)
                time.sleep(0.5)  # the batch's timeout is 200 ms: its export falls in this slice
                slices.append((cpu.seconds() - before) / (sent.requests * subject.target.spans_per_request / 1e6))
        means = {spec: statistics.mean(slices) for spec, _, _, slices in runs}
        first = means[runs[0][0]]
        print(f"CPU-s per million spans at 10k spans/s, {args.rounds} rounds of {args.slice:g} s slices "
              f"({'cgroup cpuacct' if runs[0][2].group else '/proc/<pid>/stat'}):")
        for spec, _, _, slices in runs:
            mean = means[spec]
            print(f"- {spec}: mean {mean:.3f}, median {statistics.median(slices):.3f}, {mean / first:.2f}x the first "
                  f"(slices {' '.join(f'{s:.2f}' for s in slices)})")
        for spec, mean in means.items():
            row, at, binary = spec.partition("@")
            plain = row[:-len(subjects.TLS_SUFFIX)] + at + binary if row.endswith(subjects.TLS_SUFFIX) else None
            if plain in means:
                print(f"- TLS against plain text, {plain}: {mean / means[plain]:.2f}x")
    finally:
        for _, subject, cpu, _ in runs:
            subject.proc.stop()
            cpu.close()
        sink.proc.stop()


if __name__ == "__main__":
    main()
