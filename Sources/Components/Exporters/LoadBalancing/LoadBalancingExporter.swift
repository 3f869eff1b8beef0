import Config
import Diagnostics
import Dispatch
import Pipeline
import Synchronization
import TraceModel
import Transport
import WireFormats

/// `loadbalancing`: sends every span of a trace (or of a service, or a resource) to the same
/// backend, chosen on the Collector's hash ring among the backends a resolver finds. Each
/// backend has its own `otlp` exporter made from `protocol::otlp`, with its own queue and retry.
/// When a backend leaves the resolver's list, what its queue still holds is routed again to the
/// new owners instead of being dropped.
final class LoadBalancingExporter: Component, TraceConsumer {
    static let factory = ComponentFactory.exporter("loadbalancing", .beta, parse: Config.parse, make: make)
    static let aliasFactory = ComponentFactory.exporter("load_balancing", .beta, parse: Config.parse, make: make)

    /// One backend: its exporter and its outcome counters.
    final class Backend: Sendable {
        let endpoint: String
        let exporter: OTLPExporter
        let succeeded: SelfMetrics.Counter
        let failed: SelfMetrics.Counter
        let latency: SelfMetrics.Histogram

        init(endpoint: String, exporter: OTLPExporter, metrics: SelfMetrics) {
            self.endpoint = endpoint
            self.exporter = exporter
            let help = "Number of successes and failures for each endpoint."
            succeeded = metrics.counter("otelcol_loadbalancer_backend_outcome", help: help, labels: ["endpoint": endpoint, "success": "true"])
            failed = metrics.counter("otelcol_loadbalancer_backend_outcome", help: help, labels: ["endpoint": endpoint, "success": "false"])
            latency = metrics.histogram("otelcol_loadbalancer_backend_latency", help: "Response latency in ms for the backends.",
                                        labels: ["endpoint": endpoint], bounds: [5, 10, 20, 50, 100, 250, 500, 1000])
        }
    }

    /// The ring and the backends of its endpoints; replaced whole when the resolver's list changes.
    struct Routing: Sendable {
        var ring = HashRing(endpoints: [])
        var backends: [Backend] = []
        /// For each ring item, its backend's index in `backends`.
        var owner: [Int] = []

        func route(_ key: UnsafeRawBufferPointer) -> Int {
            owner[ring.index(at: CRC32.update(0, key) % HashRing.positions)]
        }
    }

    private let context: ComponentContext
    private let config: Config
    private let resolver: any BackendResolver
    private let routing = Mutex(Routing())
    private let host = Mutex<(any ComponentHost)?>(nil)
    private let stopped = Atomic<Bool>(false)
    private let rerouteFailed: SelfMetrics.Counter

    init(_ context: ComponentContext, _ config: Config, resolver: any BackendResolver) {
        self.context = context
        self.config = config
        self.resolver = resolver
        rerouteFailed = context.metrics.counter("otelcol_exporter_send_failed_spans", help: "Number of spans in failed attempts to send to destination.",
                                               labels: ["exporter": context.id.description])
    }

    static func make(_ context: ComponentContext, _ config: Config) throws -> any Component & TraceConsumer {
        if let endpoint = config.ignoredEndpoint {
            context.logger.warn("protocol::otlp::endpoint is ignored: each backend's endpoint comes from the resolver", ["endpoint": endpoint])
        }
        return LoadBalancingExporter(context, config, resolver: makeResolver(context, config.resolver))
    }

    static func makeResolver(_ context: ComponentContext, _ resolver: Resolver) -> any BackendResolver {
        switch resolver {
        case let .fixed(hostnames):
            return StaticBackendResolver(hostnames: hostnames, publisher: BackendListPublisher(metrics: ResolverMetrics(context.metrics, resolver: "static")))
        case let .dns(hostname, port, interval, timeout):
            return DNSBackendResolver(hostname: hostname, port: port, interval: interval, timeout: timeout,
                                      publisher: BackendListPublisher(metrics: ResolverMetrics(context.metrics, resolver: "dns")), logger: context.logger)
        case let .kubernetes(name, namespace, ports, timeout, returnHostnames):
            return KubernetesBackendResolver(name: name, namespace: namespace, ports: ports, timeout: timeout, returnHostnames: returnHostnames,
                                             publisher: BackendListPublisher(metrics: ResolverMetrics(context.metrics, resolver: "k8s")),
                                             logger: context.logger)
        }
    }

    var forwardsOTLPEncoding: Bool { true }

    func start() throws {
        try resolver.start { [weak self] endpoints in self?.backendsChanged(endpoints) }
    }

    func start(host: any ComponentHost) throws {
        self.host.withLock { $0 = host }
        try start()
    }

    // MARK: Backends

    /// Upstream's `endpointWithPort`: the exporter of a ring endpoint without a port sends to 4317.
    static func exporterEndpoint(_ endpoint: String) -> String {
        endpoint.contains(":") ? endpoint : endpoint + ":4317"
    }

    func backendsChanged(_ endpoints: [String]) {
        guard !stopped.load(ordering: .acquiring) else { return }
        let ring = HashRing(endpoints: endpoints)
        let current = routing.withLock { $0 }
        var kept: [String: Backend] = [:]
        for backend in current.backends { kept[backend.endpoint] = backend }
        var backends: [Backend] = []
        var index: [String: Int] = [:]
        for endpoint in Set(endpoints.map(Self.exporterEndpoint)).sorted() {
            guard let backend = kept.removeValue(forKey: endpoint) ?? makeBackend(endpoint) else { continue }
            index[endpoint] = backends.count
            backends.append(backend)
        }
        // An endpoint whose exporter could not be made owns nothing: its keys go to the next endpoint.
        let usable = HashRing(items: ring.items.filter { index[Self.exporterEndpoint($0.endpoint)] != nil })
        let owner = usable.items.map { index[Self.exporterEndpoint($0.endpoint)]! }
        routing.withLock { $0 = Routing(ring: usable, backends: backends, owner: owner) }
        context.logger.info("Backends changed", ["backends": backends.map(\.endpoint).joined(separator: ",")])
        for gone in kept.values { retire(gone) }
    }

    private func makeBackend(_ endpoint: String) -> Backend? {
        var otlp = config.otlp
        otlp.endpoint = endpoint
        do {
            otlp.url = try ClientURL(parsing: endpoint, defaultPort: nil)
            let id = ComponentID(type: "otlp", name: "loadbalancing_\(endpoint)")
            let child = ComponentContext(id: id, kind: .exporter, logger: context.logger.named(id.description), status: context.status,
                                         metrics: context.metrics, admission: context.admission)
            let exporter = try OTLPGRPCExporter.makeExporter(child, otlp)
            if let host = host.withLock({ $0 }) { try exporter.start(host: host) } else { try exporter.start() }
            return Backend(endpoint: endpoint, exporter: exporter, metrics: context.metrics)
        } catch {
            context.logger.error("failed to create new exporter for endpoint", ["endpoint": endpoint, "error": "\(error)"])
            return nil
        }
    }

    /// The backend left the resolver's list: what it has not sent goes to the new owners.
    private func retire(_ backend: Backend) {
        backend.exporter.retire { [weak self] batch in self?.reroute(batch, attempt: 1) }
        backend.exporter.shutdownWhenSettled(deadline: WallClock.monotonicNano() + UInt64(max(5, config.otlp.settings.timeout.seconds) * 1e9))
    }

    /// Routes spans again; a refusal (the new owner's queue full) is retried each second for 30 s.
    private func reroute(_ batch: TraceBatch, attempt: Int) {
        do throws(ConsumerError) {
            try consume(batch)
        } catch {
            guard attempt < 30, !stopped.load(ordering: .acquiring) else {
                rerouteFailed.add(batch.spanCount)
                context.logger.error("Exporting failed. Dropping data.", ["error": "\(error)", "dropped_items": batch.spanCount,
                                                                          "reason": "no backend took the spans of a removed one"])
                return
            }
            DispatchQueue.global().asyncAfter(deadline: .now() + 1) { [weak self] in self?.reroute(batch, attempt: attempt + 1) }
        }
    }

    // MARK: Consuming

    func consume(_ batch: TraceBatch) throws(ConsumerError) {
        let r = routing.withLock { $0 }
        guard !r.backends.isEmpty else { throw ConsumerError.retryable("no backend to export to: the resolver has found none yet") }
        var parts: [Int: TraceBatch] = [:]
        for rs in batch.resourceSpans {
            switch config.routingKey {
            case .traceID:
                for (backend, part) in rs.partitioned(byTraceID: { id in Self.withKey(of: id) { r.route($0) } }) {
                    parts[backend, default: TraceBatch(context: batch.context)].resourceSpans.append(part)
                }
            case .service, .resource:
                let key = Array(RoutingKeys.key(of: rs.resource, routingKey: config.routingKey).utf8)
                parts[key.withUnsafeBytes { r.route($0) }, default: TraceBatch(context: batch.context)].resourceSpans.append(rs)
            }
        }
        var firstError: ConsumerError?
        for (index, part) in parts.sorted(by: { $0.key < $1.key }) {
            let backend = r.backends[index]
            let start = WallClock.monotonicNano()
            do throws(ConsumerError) {
                try backend.exporter.consume(part)
                backend.succeeded.add(1)
            } catch {
                backend.failed.add(1)
                firstError = firstError ?? error
            }
            backend.latency.observe(Int((WallClock.monotonicNano() - start) / 1_000_000))
        }
        if let firstError { throw firstError }
    }

    /// The trace ID's 16 bytes in network order, the key upstream hashes.
    @inline(__always)
    static func withKey<R>(of id: TraceID, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        withUnsafeBytes(of: (id.high.bigEndian, id.low.bigEndian)) { body($0) }
    }

    // MARK: Stopping

    func shutdown() {
        shutdown(deadline: WallClock.monotonicNano() + 5_000_000_000)
    }

    func shutdown(deadline: UInt64) {
        stopped.store(true, ordering: .releasing)
        resolver.shutdown()
        let backends = routing.withLock { r in defer { r = Routing() }; return r.backends }
        let group = DispatchGroup()
        for backend in backends {
            DispatchQueue.global().async(group: group) { backend.exporter.shutdown(deadline: deadline) }
        }
        group.wait()
    }
}

/// The keys of `service` and `resource` routing.
enum RoutingKeys {
    /// `service`: upstream's attribute key, `service.name=<value>|` (`service.name=|` without one).
    /// `resource`: every resource attribute the same way, sorted by key.
    static func key(of resource: Resource, routingKey: LoadBalancingExporter.RoutingKey) -> String {
        switch routingKey {
        case .service:
            let value = resource.attributes.first { $0.hasKey("service.name") }?.value
            return "service.name=\(value.map(text) ?? "")|"
        default:
            return resource.attributes.sorted { $0.key < $1.key }.map { "\($0.key)=\(text($0.value))|" }.joined()
        }
    }

    private static func text(_ value: AnyValue) -> String {
        var out = ""
        DebugTraceFormatter.appendAsString(value, to: &out)
        return out
    }
}
