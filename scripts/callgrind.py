#!/usr/bin/env python3
"""Instruction counts of one bench path, from callgrind (stable on a noisy machine, where CPU time
is not). Starts the sink and the collector as scripts/bench.py does (receiver -> batch -> otlp),
the collector under `valgrind --tool=callgrind --instr-atstart=no`, sends 20 requests of warm-up,
switches instrumentation on, sends N requests of 100 spans on one connection (h2load), dumps the
profile and prints the instructions per span. Read the profile with `callgrind_annotate FILE`.

Valgrind 3.19 writes into the mask passed to sigsuspend, which libdispatch's signal thread keeps
read-only, and crashes; an LD_PRELOAD shim (built here with cc) passes it a copy.

Usage: scripts/callgrind.py SWIFTLET_BINARY "Zipkin v2 JSON" [N] [--out DIR]"""
import argparse, os, re, signal, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import kubeapi, subjects  # noqa: E402
from benchlib.procs import free_port, wait_for_port  # noqa: E402

SHIM = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>
int sigsuspend(const sigset_t *mask) {
    static int (*real)(const sigset_t *);
    if (!real) real = (int (*)(const sigset_t *))dlsym(RTLD_NEXT, "sigsuspend");
    sigset_t copy = *mask;
    return real(&copy);
}
"""


def h2load(target, n):
    cmd = ["h2load"] + (["--h1"] if target.h1 else []) + ["-d", target.body_file]
    for header in target.headers:
        cmd += ["-H", header]
    out = subprocess.run(cmd + ["-c", "1", "-n", str(n), target.url], capture_output=True, text=True, timeout=900).stdout
    return int(re.search(r"status codes: (\d+) 2xx", out).group(1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("swiftlet")
    ap.add_argument("path", help="a row of scripts/bench.py, e.g. 'OTLP/HTTP protobuf'")
    ap.add_argument("requests", nargs="?", type=int, default=200)
    ap.add_argument("--out", default=".")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="swiftlet-callgrind-")
    shim = os.path.join(tmp, "sigsuspend-shim.so")
    with open(shim + ".c", "w") as f:
        f.write(SHIM)
    subprocess.run(["cc", "-shared", "-fPIC", "-O2", "-o", shim, shim + ".c", "-ldl"], check=True)
    files = subjects.bodies(tmp)
    certs = subjects.make_certs(tmp)
    name, receiver, target_for, compression, *rest = next(p for p in subjects.swiftlet_paths(files, certs) if p[0] == args.path)
    processors = rest[1] if len(rest) > 1 else None
    if processors and "k8sattributes" in processors:
        os.environ["KUBECONFIG"] = kubeapi.KubeAPI(tmp, free_port()).kubeconfig
    sink_port, port = free_port(), free_port()
    sink_config = subjects.swiftlet_config(os.path.join(tmp, "sink.yaml"),
                                           f"otlp:\n    protocols:\n      grpc:\n        endpoint: 127.0.0.1:{sink_port}",
                                           "nop:", free_port(), batch=False)
    config = subjects.swiftlet_config(os.path.join(tmp, "collector.yaml"), receiver.format(port=port),
                                      f"otlp:\n    endpoint: 127.0.0.1:{sink_port}\n    tls:\n      insecure: true\n"
                                      f"    compression: {compression}", free_port(), batch=True, processors=processors)
    out = os.path.abspath(os.path.join(args.out, "callgrind." + re.sub(r"[^A-Za-z0-9]+", "_", name)))
    sink = subprocess.Popen([args.swiftlet, "--config", sink_config], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    collector = None
    try:
        wait_for_port(sink_port, sink)
        env = dict(os.environ, LD_PRELOAD=shim)
        collector = subprocess.Popen(["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}",
                                      args.swiftlet, "--config", config], env=env,
                                     stdout=subprocess.DEVNULL, stderr=open(os.path.join(tmp, "valgrind.log"), "w"))
        wait_for_port(port, collector, timeout=120)
        target = target_for(port)
        h2load(target, 20)
        subprocess.run(["callgrind_control", "-i", "on", str(collector.pid)], check=True, stdout=subprocess.DEVNULL)
        ok = h2load(target, args.requests)
        time.sleep(1.5)  # the batch timer fires and the exporter sends
        subprocess.run(["callgrind_control", "-d", str(collector.pid)], check=True, stdout=subprocess.DEVNULL)
    finally:
        for proc in (collector, sink):
            if proc is not None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=60)
    dump = out + ".1"
    total = int(re.search(r"^summary: (\d+)", open(dump).read(), re.M).group(1))
    spans = args.requests * subjects.payloads.SPANS_PER_REQUEST
    print(f"{name}: {ok} of {args.requests} requests answered 2xx; {total:,} instructions, {total / spans:,.0f} per span; {dump}")


if __name__ == "__main__":
    main()
