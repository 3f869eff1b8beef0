#!/usr/bin/env python3
"""Issue 23's scale figure: spans/s through one `loadbalancing` Swiftlet and three gateway
Swiftlets on this machine, flat out, with zero loss (every span the balancer accepted reached a
gateway, counted by each gateway's otelcol_receiver_accepted_spans). The balancer takes OTLP/HTTP
(the bench's request: 100 spans of 100 trace IDs), batches and routes by trace ID; each gateway
takes OTLP/gRPC, runs GATEWAY_PROCESSORS and drops the spans (`nop`), so the figure is the two
tiers' own. Nothing is pinned: five processes and h2load share both cores, as they would share a
node.

    python3 scripts/two_tier.py .build/release/swiftlet [--seconds 10] [--tail-sampling]
"""
import argparse, os, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import payloads, subjects  # noqa: E402
from benchlib.load import Target, h2load  # noqa: E402
from benchlib.procs import Pinned, counter, free_port, wait_for_port, wait_settled  # noqa: E402

def gateway_config(path, port, metrics, tail_sampling):
    receiver = f"otlp:\n    protocols:\n      grpc:\n        endpoint: 127.0.0.1:{port}\n        max_recv_msg_size_mib: 64"
    processors = {"tail_sampling": subjects.tail_sampling()} if tail_sampling else None
    return subjects.swiftlet_config(path, receiver, "nop:", metrics, batch=False, processors=processors)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("swiftlet")
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--tail-sampling", action="store_true", help="gateways run tail_sampling (decision_wait 5s, four policies)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        files = subjects.bodies(tmp)
        gateways = []
        for n in range(3):
            port, metrics = free_port(), free_port()
            config = gateway_config(os.path.join(tmp, f"gateway{n}.yaml"), port, metrics, args.tail_sampling)
            proc = Pinned([args.swiftlet, "--config", config], 0, os.path.join(tmp, f"gateway{n}.log"), pinned=False)
            wait_for_port(port, proc.proc)
            gateways.append((proc, port, metrics))
        port, metrics = free_port(), free_port()
        config = subjects.swiftlet_config(
            os.path.join(tmp, "balancer.yaml"), f"otlp:\n    protocols:\n      http:\n        endpoint: 127.0.0.1:{port}",
            subjects.loadbalancing_exporter([g[1] for g in gateways], "none"), metrics, batch=True)
        balancer = Pinned([args.swiftlet, "--config", config], 0, os.path.join(tmp, "balancer.log"), pinned=False)
        wait_for_port(port, balancer.proc)
        wait_for_port(metrics, balancer.proc)
        procs = [balancer] + [g[0] for g in gateways]
        try:
            target = Target(f"http://127.0.0.1:{port}/v1/traces", files["proto"], ("content-type: application/x-protobuf",))
            cpu0 = [p.cpu_seconds() for p in procs]
            sent = h2load(target, duration=args.seconds, connections=args.connections, pinned=False)
            accepted = counter(metrics, "otelcol_receiver_accepted_spans")
            arrived = wait_settled(lambda: sum(counter(g[2], "otelcol_receiver_accepted_spans") for g in gateways), accepted)
            cpu = [p.cpu_seconds() - c for p, c in zip(procs, cpu0)]
            rss = [p.rss_mib("VmHWM") for p in procs]
        finally:
            for p in procs:
                p.stop()
        rate = accepted / sent.seconds
        print(f"two tiers, one balancer + three gateways{' (tail_sampling)' if args.tail_sampling else ''}, "
              f"{args.seconds:.0f} s flat out, {args.connections} connections:")
        print(f"- accepted by the balancer: {accepted} spans, {rate / 1000:.0f}k spans/s "
              f"({sent.failed} requests refused for back-pressure, retryable)")
        print(f"- arrived at the gateways: {arrived} spans: " + ("zero loss" if arrived == accepted else f"LOST {accepted - arrived}"))
        print(f"- CPU-s per million spans: balancer {cpu[0] / accepted * 1e6:.2f}, the three gateways together "
              f"{sum(cpu[1:]) / max(arrived, 1) * 1e6:.2f} (each " + ", ".join(f"{c:.1f}" for c in cpu[1:]) + " CPU-s)")
        print(f"- highest RSS: balancer {rss[0]:.1f} MiB, gateways " + ", ".join(f"{r:.1f}" for r in rss[1:]) + " MiB")
        return 0 if arrived == accepted else 1


if __name__ == "__main__":
    sys.exit(main())
