import Pipeline
import Transport

/// A receiver's counters per transport, with upstream's names and labels (`receiver`,
/// `transport`: `http`, `grpc`, `collector_http`, `udp_thrift_compact`, `http_v2_json`, ...):
/// `otelcol_receiver_accepted_spans`, `otelcol_receiver_refused_spans` (the pipeline refused
/// them; the sender may retry), `otelcol_receiver_failed_spans` (refused for good: invalid
/// spans, a permanent pipeline error). Beside them, Swiftlet's own:
/// `swiftlet_receiver_invalid_requests` (undecodable bodies and datagrams),
/// `swiftlet_receiver_unauthenticated_requests` (refused by the server's authenticator),
/// `swiftlet_receiver_received_datagrams` and `swiftlet_receiver_dropped_datagrams` by reason.
struct ReceiverTransportMetrics {
    let metrics: SelfMetrics
    let receiver: String

    init(_ context: ComponentContext) {
        metrics = context.metrics
        receiver = context.id.description
    }

    func counting(_ next: any TraceConsumer, transport: String) -> any TraceConsumer {
        CountingConsumer(
            next: next,
            accepted: metrics.counter("otelcol_receiver_accepted_spans", help: "Number of spans successfully pushed into the pipeline.",
                                      labels: ["receiver": receiver, "transport": transport]),
            refused: metrics.counter("otelcol_receiver_refused_spans", help: "Number of spans that could not be pushed into the pipeline.",
                                     labels: ["receiver": receiver, "transport": transport]),
            failed: failed(transport: transport))
    }

    /// Spans refused for good: invalid spans dropped from a request, permanent pipeline errors.
    func failed(transport: String) -> SelfMetrics.Counter {
        metrics.counter("otelcol_receiver_failed_spans", help: "The number of spans that failed to be processed by the receiver due to internal errors.",
                        labels: ["receiver": receiver, "transport": transport])
    }

    func invalid(transport: String) -> SelfMetrics.Counter {
        metrics.counter("swiftlet_receiver_invalid_requests", help: "Requests or datagrams that could not be decoded.",
                        labels: ["receiver": receiver, "transport": transport])
    }

    /// Requests refused by the server's authenticator (Swiftlet's own).
    func unauthenticated(transport: String) -> SelfMetrics.Counter {
        metrics.counter("swiftlet_receiver_unauthenticated_requests", help: "Requests refused because their credentials were missing or wrong.",
                        labels: ["receiver": receiver, "transport": transport])
    }

    func datagramObserver(transport: String) -> UDPListener.Observer {
        let received = metrics.counter("swiftlet_receiver_received_datagrams", help: "UDP datagrams read from the socket.",
                                       labels: ["receiver": receiver, "transport": transport])
        var dropped: [UDPListener.DropReason: SelfMetrics.Counter] = [:]
        for reason in UDPListener.DropReason.allCases {
            dropped[reason] = metrics.counter(
                "swiftlet_receiver_dropped_datagrams", help: "UDP datagrams dropped before decoding, by reason.",
                labels: ["receiver": receiver, "transport": transport, "reason": reason.rawValue])
        }
        let droppedByReason = dropped
        return UDPListener.Observer(
            received: { received.add($0) },
            dropped: { reason, count in droppedByReason[reason]?.add(count) })
    }
}
