import Diagnostics
import Synchronization

/// Finds the loadbalancing exporter's backends. `start` begins; `onChange` gets the whole list,
/// sorted, each time it differs from the last (the first time too), on any queue, one call at a time.
protocol BackendResolver: Sendable {
    func start(onChange: @escaping @Sendable ([String]) -> Void) throws
    func shutdown()
}

/// The resolver metrics upstream keeps, labelled with the resolver's kind.
struct ResolverMetrics: Sendable {
    let succeeded: SelfMetrics.Counter
    let failed: SelfMetrics.Counter
    let backends: SelfMetrics.Gauge
    let updates: SelfMetrics.Counter

    init(_ metrics: SelfMetrics, resolver: String) {
        succeeded = metrics.counter("otelcol_loadbalancer_num_resolutions", help: "Number of times the resolver has triggered new resolutions.",
                                    labels: ["resolver": resolver, "success": "true"])
        failed = metrics.counter("otelcol_loadbalancer_num_resolutions", help: "Number of times the resolver has triggered new resolutions.",
                                 labels: ["resolver": resolver, "success": "false"])
        backends = metrics.gauge("otelcol_loadbalancer_num_backends", help: "Current number of backends in use.", labels: ["resolver": resolver])
        updates = metrics.counter("otelcol_loadbalancer_num_backend_updates", help: "Number of times the list of backends was updated.",
                                  labels: ["resolver": resolver])
    }
}

/// Hands a resolved list on when it differs from the last one, counting it.
final class BackendListPublisher: Sendable {
    private let last = Mutex<[String]?>(nil)
    private let metrics: ResolverMetrics
    private let onChange = Mutex<(@Sendable ([String]) -> Void)?>(nil)

    init(metrics: ResolverMetrics) {
        self.metrics = metrics
    }

    func connect(_ body: @escaping @Sendable ([String]) -> Void) { onChange.withLock { $0 = body } }
    func disconnect() { onChange.withLock { $0 = nil } }

    func resolved(_ endpoints: [String]) {
        metrics.succeeded.add(1)
        let sorted = Array(Set(endpoints)).sorted()
        let changed = last.withLock { l in
            defer { l = sorted }
            return l != sorted
        }
        guard changed else { return }
        metrics.backends.set(sorted.count)
        metrics.updates.add(1)
        onChange.withLock { $0 }?(sorted)
    }

    func failed() { metrics.failed.add(1) }
}

/// `static::hostnames`: one resolution, at start.
struct StaticBackendResolver: BackendResolver {
    let hostnames: [String]
    let publisher: BackendListPublisher

    func start(onChange: @escaping @Sendable ([String]) -> Void) throws {
        publisher.connect(onChange)
        publisher.resolved(hostnames)
    }

    func shutdown() { publisher.disconnect() }
}
