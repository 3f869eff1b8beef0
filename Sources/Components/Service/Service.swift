import Config
import Diagnostics
import Pipeline
import Synchronization
import Transport

/// The running collector: components built from a `CollectorConfig` and wired into pipelines.
///
/// Built exporters first, then each pipeline's processors last to first, then receivers (each
/// constructor gets its already built `next`). Started extensions first, then downstream first;
/// shut down receivers first, then processors in pipeline order (each flushes into a consumer that
/// still runs), then exporters, then extensions.
///
/// A reload builds a second `Service` from the new config over the running one
/// (`init(config:logger:shared:replacing:)`): receivers, exporters, extensions and the metrics
/// endpoint whose configuration did not change are carried over running, processors are always
/// new. See `ServiceReloader` for the order of the switch.
public final class Service: Sendable {
    /// What every configuration of one process shares: the health state, the self-metrics (so
    /// counters carry on across a reload) and the admission budget.
    public final class Shared: Sendable {
        public let status = ServiceStatus()
        public let metrics = SelfMetrics()
        private let budget = Mutex<(limitMiB: Int, budget: AdmissionBudget?)>((0, nil))

        /// Receivers replaced by a reload whose connections may still be open.
        private let handedOver = Mutex<[any HandsOverConnections]>([])

        public init() {}

        func keepHandedOver(_ receiver: any HandsOverConnections) {
            handedOver.withLock { receivers in
                receivers.removeAll { !$0.hasOpenConnections }
                receivers.append(receiver)
            }
        }

        func takeHandedOver() -> [any HandsOverConnections] {
            handedOver.withLock { receivers in
                defer { receivers.removeAll() }
                return receivers
            }
        }

        /// The budget for this limit: the one in use while the limit stays the same.
        func admission(limitMiB: Int) -> AdmissionBudget? {
            budget.withLock { b in
                if b.limitMiB != limitMiB {
                    b = (limitMiB, limitMiB > 0 ? AdmissionBudget(capacity: limitMiB << 20) : nil)
                }
                return b.budget
            }
        }
    }

    /// One component as this configuration runs it.
    struct Member: Sendable {
        let id: ComponentID
        let component: any Component
        let node: ConfigNode
        /// Running already: carried over from the configuration this one replaces.
        let carriedOver: Bool
        /// Exporters: the component as a consumer. Receivers: what they deliver into.
        var consumer: (any TraceConsumer)? = nil
        var inlet: SwitchableConsumer? = nil
    }

    public let shared: Shared
    public var status: ServiceStatus { shared.status }
    public var metrics: SelfMetrics { shared.metrics }
    private let logger: Logger
    let extensions: [Member]
    let exporters: [Member]
    /// Per pipeline, its processors in pipeline order.
    let processors: [[Member]]
    let receivers: [Member]
    let metricsServer: Member?
    /// Counts the calls inside this configuration's pipelines.
    let gate = InFlightGate()
    /// The fan-out into this configuration's pipelines, per receiver id.
    private let receiverTargets: [ComponentID: any TraceConsumer]

    public convenience init(config: CollectorConfig, logger: Logger) throws {
        try self.init(config: config, logger: logger, shared: Shared(), replacing: nil)
    }

    public init(config: CollectorConfig, logger: Logger, shared: Shared, replacing previous: Service?) throws {
        self.logger = logger
        self.shared = shared
        let status = shared.status
        let metrics = shared.metrics
        let admission = shared.admission(limitMiB: config.admissionLimitMiB)
        func context(_ id: ComponentID, _ kind: ComponentKind) -> ComponentContext {
            ComponentContext(id: id, kind: kind, logger: logger.named(id.description), status: status, metrics: metrics,
                             admission: admission)
        }
        func carried(_ members: [Member]?, _ entry: CollectorConfig.Entry) -> Member? {
            guard let old = members?.first(where: { $0.id == entry.id }), old.node == entry.node else { return nil }
            return Member(id: old.id, component: old.component, node: old.node, carriedOver: true,
                          consumer: old.consumer, inlet: old.inlet)
        }

        var extensionOrder: [Member] = []
        for id in config.serviceExtensions {
            let entry = config.extensions[id]!
            if let kept = carried(previous?.extensions, entry) {
                extensionOrder.append(kept)
                continue
            }
            extensionOrder.append(Member(id: id, component: try entry.factory.make(context(id, .extension), entry.config, nil),
                                         node: entry.node, carriedOver: false))
        }
        // An exporter finds extensions (its queue's storage) when it starts: it is kept only
        // when they are all kept too.
        let extensionsKept = previous.map { $0.extensions.count == extensionOrder.count } ?? false
            && extensionOrder.allSatisfy(\.carriedOver)
        // A receiver finds its authenticators when it starts: it is kept only while they are.
        func keepsItsExtensions(_ config: any Sendable) -> Bool {
            guard let references = config as? any ReferencesExtensions else { return true }
            return references.extensionIDs.allSatisfy { id in extensionOrder.contains { $0.id == id && $0.carriedOver } }
        }

        var exporterOrder: [Member] = []
        var exporterConsumers: [ComponentID: any TraceConsumer] = [:]
        for id in config.pipelines.flatMap(\.exporters) where !exporterOrder.contains(where: { $0.id == id }) {
            let entry = config.exporters[id]!
            let member: Member
            if extensionsKept, let kept = carried(previous?.exporters, entry) {
                member = kept
            } else {
                let made = try entry.factory.make(context(id, .exporter), entry.config, nil)
                guard let exporter = made as? any Component & TraceConsumer else { fatalError("exporter \(id) does not consume traces") }
                member = Member(id: id, component: exporter, node: entry.node, carriedOver: false, consumer: exporter)
            }
            exporterOrder.append(member)
            let exporter = member.consumer!
            if member.component is any SelfCountingExporter {
                exporterConsumers[id] = exporter
                continue
            }
            exporterConsumers[id] = CountingConsumer(
                next: exporter,
                accepted: metrics.counter("otelcol_exporter_sent_spans", help: "Number of spans successfully sent to destination.", labels: ["exporter": id.description]),
                refused: metrics.counter("otelcol_exporter_send_failed_spans", help: "Number of spans in failed attempts to send to destination.", labels: ["exporter": id.description]))
        }

        var heads: [PipelineID: any TraceConsumer] = [:]
        var processorChains: [[Member]] = []
        for pipeline in config.pipelines {
            var next: any TraceConsumer = FanoutConsumer(pipeline.exporters.map { exporterConsumers[$0]! })
            var chain: [Member] = []
            for id in pipeline.processors.reversed() {
                let entry = config.processors[id]!
                let labels: KeyValuePairs<String, String> = ["processor": id.description, "otel_signal": "traces"]
                let outgoing = ItemCounter(next: next, items: metrics.counter(
                    "otelcol_processor_outgoing_items", help: "Number of items emitted from the processor.", labels: labels))
                let made = try entry.factory.make(context(id, .processor), entry.config, outgoing)
                guard let processor = made as? any Component & TraceConsumer else { fatalError("processor \(id) does not consume traces") }
                chain.insert(Member(id: id, component: processor, node: entry.node, carriedOver: false), at: 0)
                next = ItemCounter(next: processor, items: metrics.counter(
                    "otelcol_processor_incoming_items", help: "Number of items passed to the processor.", labels: labels))
            }
            heads[pipeline.id] = next
            processorChains.append(chain)
        }

        var receiverOrder: [Member] = []
        var targets: [ComponentID: any TraceConsumer] = [:]
        let keepsAdmission = previous.map { shared.admission(limitMiB: config.admissionLimitMiB) === $0.admission } ?? false
        for id in config.pipelines.flatMap(\.receivers) where !receiverOrder.contains(where: { $0.id == id }) {
            let entry = config.receivers[id]!
            let target = FanoutConsumer(config.pipelines.filter { $0.receivers.contains(id) }.map { heads[$0.id]! })
            targets[id] = target
            if keepsAdmission, keepsItsExtensions(entry.config), let kept = carried(previous?.receivers, entry) {
                receiverOrder.append(kept)
                continue
            }
            // Receivers count what they accept per transport (ReceiverTransportMetrics). A
            // receiver of the same id keeps its inlet: the connections its predecessor hands over
            // deliver into it too, and follow each later reload with it.
            let inlet = previous?.receivers.first { $0.id == id }?.inlet ?? SwitchableConsumer(target, gate: gate)
            receiverOrder.append(Member(id: id, component: try entry.factory.make(context(id, .receiver), entry.config, inlet),
                                        node: entry.node, carriedOver: false, inlet: inlet))
        }

        extensions = extensionOrder
        exporters = exporterOrder
        processors = processorChains
        receivers = receiverOrder
        receiverTargets = targets
        self.admission = admission
        metricsServer = try config.metricsEndpoint.map { endpoint in
            let node = ConfigNode.scalar(endpoint)
            if let old = previous?.metricsServer, old.node == node {
                return Member(id: old.id, component: old.component, node: node, carriedOver: true)
            }
            return Member(id: ComponentID(type: "telemetry"),
                          component: try MetricsServer(endpoint: endpoint, metrics: metrics, logger: logger.named("telemetry")),
                          node: node, carriedOver: false)
        }
    }

    private let admission: AdmissionBudget?

    /// The extensions by id, for components that look them up at start.
    private struct Host: ComponentHost {
        let extensions: [ComponentID: any Component]
        func `extension`(_ id: ComponentID) -> (any Component)? { extensions[id] }
    }

    /// How long a shutdown may take in all before what is still queued is dropped.
    public static let shutdownBudgetSeconds = 20.0

    /// Every member in start order: telemetry, extensions, exporters, processors last to first, receivers.
    private var startOrder: [Member] {
        Array(metricsServer.map { [$0] } ?? []) + extensions + exporters + processors.flatMap { $0.reversed() } + receivers
    }

    /// Starts every component not already running; on a failure, shuts down what it started and rethrows.
    public func start() throws {
        let host = Host(extensions: Dictionary(extensions.map { ($0.id, $0.component) }, uniquingKeysWith: { first, _ in first }))
        var started: [Member] = []
        for member in startOrder where !member.carriedOver {
            do {
                logger.debug("Starting component", ["id": member.id])
                try member.component.start(host: host)
                started.append(member)
            } catch {
                logger.error("Failed to start component", ["id": member.id, "error": "\(error)"])
                let deadline = Self.deadline()
                for member in started.reversed() { member.component.shutdown(deadline: deadline) }
                // A component that threw may hold half its resources: it may be shut down without start.
                member.component.shutdown(deadline: deadline)
                throw ServiceStartError(id: member.id, underlying: error)
            }
        }
        if status.phase != .ready { status.markReady() }
        logger.info("Everything is ready. Begin running and processing data.")
    }

    /// Points every receiver's inlet at this configuration's pipelines: those carried over, and
    /// those whose predecessors' connections deliver into the same inlet.
    func takeOverReceivers() {
        for member in receivers {
            member.inlet?.switchTo(receiverTargets[member.id]!, gate: gate)
        }
    }

    /// Stops receiving, flushes processors, drains exporters, stops extensions.
    public func shutdown() {
        status.markStopping()
        logger.info("Shutdown requested, stopping components")
        let deadline = Self.deadline()
        for member in receivers {
            logger.debug("Stopping component", ["id": member.id])
            member.component.shutdown(deadline: deadline)
        }
        // Connections of receivers that earlier reloads replaced deliver into these pipelines too.
        for receiver in shared.takeHandedOver() {
            receiver.shutdown(deadline: deadline)
        }
        for member in processors.flatMap({ $0 }) + exporters + extensions + Array(metricsServer.map { [$0] } ?? []) {
            logger.debug("Stopping component", ["id": member.id])
            member.component.shutdown(deadline: deadline)
        }
        logger.info("Shutdown complete.")
    }

    /// After `successor` took over: stops what it did not carry over, in shutdown order, once the
    /// last call into this configuration's pipelines has returned.
    func retire(replacedBy successor: Service) {
        let deadline = Self.deadline()
        func keptBy(_ members: [Member]) -> (Member) -> Bool {
            { member in members.contains { $0.carriedOver && $0.component === member.component } }
        }
        for member in receivers where !keptBy(successor.receivers)(member) {
            if let replaceable = member.component as? any HandsOverConnections,
               successor.receivers.contains(where: { $0.id == member.id }) {
                logger.debug("Handing over connections", ["id": member.id])
                replaceable.handOver()
                shared.keepHandedOver(replaceable)
                continue
            }
            logger.debug("Stopping component", ["id": member.id])
            member.component.shutdown(deadline: deadline)
        }
        if !gate.waitUntilIdle(deadline: deadline) {
            logger.warn("Requests still inside the old pipelines at the shutdown deadline")
        }
        let rest = processors.flatMap { $0 }
            + exporters.filter { !keptBy(successor.exporters)($0) }
            + extensions.filter { !keptBy(successor.extensions)($0) }
            + Array(metricsServer.map { [$0] } ?? []).filter { !keptBy(Array(successor.metricsServer.map { [$0] } ?? []))($0) }
        for member in rest {
            logger.debug("Stopping component", ["id": member.id])
            member.component.shutdown(deadline: deadline)
        }
    }

    private static func deadline() -> UInt64 {
        WallClock.monotonicNano() + UInt64(shutdownBudgetSeconds * 1e9)
    }
}

public struct ServiceStartError: Error, CustomStringConvertible {
    public let id: ComponentID
    public let underlying: any Error
    public var description: String { "failed to start \(id): \(underlying)" }
}
