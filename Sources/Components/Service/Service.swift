import Diagnostics
import Pipeline
import Transport

/// The running collector: components built from a `CollectorConfig` and wired into pipelines.
///
/// Built exporters first, then each pipeline's processors last to first, then receivers (each
/// constructor gets its already built `next`). Started extensions first, then downstream first;
/// shut down receivers first, then processors in pipeline order (each flushes into a consumer that
/// still runs), then exporters, then extensions.
public final class Service: Sendable {
    public let status = ServiceStatus()
    public let metrics = SelfMetrics()
    private let logger: Logger
    private let extensions: [(ComponentID, any Component)]
    private let exporters: [(ComponentID, any Component)]
    /// Per pipeline, its processors in pipeline order.
    private let processors: [[(ComponentID, any Component)]]
    private let receivers: [(ComponentID, any Component)]
    private let metricsServer: MetricsServer?

    public init(config: CollectorConfig, logger: Logger) throws {
        self.logger = logger
        let status = self.status
        let metrics = self.metrics
        let admission = config.admissionLimitMiB > 0 ? AdmissionBudget(capacity: config.admissionLimitMiB << 20) : nil
        func context(_ id: ComponentID, _ kind: ComponentKind) -> ComponentContext {
            ComponentContext(id: id, kind: kind, logger: logger.named(id.description), status: status, metrics: metrics,
                             admission: admission)
        }

        var exporterInstances: [ComponentID: any Component & TraceConsumer] = [:]
        var exporterOrder: [(ComponentID, any Component)] = []
        var exporterConsumers: [ComponentID: any TraceConsumer] = [:]
        for id in config.pipelines.flatMap(\.exporters) where exporterInstances[id] == nil {
            let entry = config.exporters[id]!
            let made = try entry.factory.make(context(id, .exporter), entry.config, nil)
            guard let exporter = made as? any Component & TraceConsumer else { fatalError("exporter \(id) does not consume traces") }
            exporterInstances[id] = exporter
            exporterOrder.append((id, exporter))
            if exporter is any SelfCountingExporter {
                exporterConsumers[id] = exporter
                continue
            }
            exporterConsumers[id] = CountingConsumer(
                next: exporter,
                accepted: metrics.counter("otelcol_exporter_sent_spans", help: "Number of spans successfully sent to destination.", labels: ["exporter": id.description]),
                refused: metrics.counter("otelcol_exporter_send_failed_spans", help: "Number of spans in failed attempts to send to destination.", labels: ["exporter": id.description]))
        }

        var heads: [PipelineID: any TraceConsumer] = [:]
        var processorChains: [[(ComponentID, any Component)]] = []
        for pipeline in config.pipelines {
            var next: any TraceConsumer = FanoutConsumer(pipeline.exporters.map { exporterConsumers[$0]! })
            var chain: [(ComponentID, any Component)] = []
            for id in pipeline.processors.reversed() {
                let entry = config.processors[id]!
                let labels: KeyValuePairs<String, String> = ["processor": id.description, "otel_signal": "traces"]
                let outgoing = ItemCounter(next: next, items: metrics.counter(
                    "otelcol_processor_outgoing_items", help: "Number of items emitted from the processor.", labels: labels))
                let made = try entry.factory.make(context(id, .processor), entry.config, outgoing)
                guard let processor = made as? any Component & TraceConsumer else { fatalError("processor \(id) does not consume traces") }
                chain.insert((id, processor), at: 0)
                next = ItemCounter(next: processor, items: metrics.counter(
                    "otelcol_processor_incoming_items", help: "Number of items passed to the processor.", labels: labels))
            }
            heads[pipeline.id] = next
            processorChains.append(chain)
        }

        var receiverOrder: [(ComponentID, any Component)] = []
        for id in config.pipelines.flatMap(\.receivers) where !receiverOrder.contains(where: { $0.0 == id }) {
            let entry = config.receivers[id]!
            let targets = config.pipelines.filter { $0.receivers.contains(id) }.map { heads[$0.id]! }
            // Receivers count what they accept per transport (ReceiverTransportMetrics).
            receiverOrder.append((id, try entry.factory.make(context(id, .receiver), entry.config, FanoutConsumer(targets))))
        }

        var extensionOrder: [(ComponentID, any Component)] = []
        for id in config.serviceExtensions {
            let entry = config.extensions[id]!
            extensionOrder.append((id, try entry.factory.make(context(id, .extension), entry.config, nil)))
        }

        extensions = extensionOrder
        exporters = exporterOrder
        processors = processorChains
        receivers = receiverOrder
        metricsServer = try config.metricsEndpoint.map { try MetricsServer(endpoint: $0, metrics: metrics, logger: logger.named("telemetry")) }
    }

    /// The extensions by id, for components that look them up at start.
    private struct Host: ComponentHost {
        let extensions: [ComponentID: any Component]
        func `extension`(_ id: ComponentID) -> (any Component)? { extensions[id] }
    }

    /// How long a shutdown may take in all before what is still queued is dropped.
    public static let shutdownBudgetSeconds = 20.0

    /// Starts every component; on a failure, shuts down what was started and rethrows.
    public func start() throws {
        let host = Host(extensions: Dictionary(extensions, uniquingKeysWith: { first, _ in first }))
        let telemetry: [(ComponentID, any Component)] = metricsServer.map { [(ComponentID(type: "telemetry"), $0)] } ?? []
        let order = telemetry + extensions + exporters + processors.flatMap { $0.reversed() } + receivers
        for (id, component) in order {
            do {
                logger.debug("Starting component", ["id": id])
                try component.start(host: host)
            } catch {
                logger.error("Failed to start component", ["id": id, "error": "\(error)"])
                shutdown()
                throw ServiceStartError(id: id, underlying: error)
            }
        }
        status.markReady()
        logger.info("Everything is ready. Begin running and processing data.")
    }

    /// Stops receiving, flushes processors, drains exporters, stops extensions.
    public func shutdown() {
        status.markStopping()
        logger.info("Shutdown requested, stopping components")
        let order = receivers + processors.flatMap { $0 } + exporters + extensions
            + (metricsServer.map { [(ComponentID(type: "telemetry"), $0)] } ?? [])
        let deadline = WallClock.monotonicNano() + UInt64(Self.shutdownBudgetSeconds * 1e9)
        for (id, component) in order {
            logger.debug("Stopping component", ["id": id])
            component.shutdown(deadline: deadline)
        }
        logger.info("Shutdown complete.")
    }
}

public struct ServiceStartError: Error, CustomStringConvertible {
    public let id: ComponentID
    public let underlying: any Error
    public var description: String { "failed to start \(id): \(underlying)" }
}
