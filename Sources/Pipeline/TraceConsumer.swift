import TraceModel

/// Anything that takes trace batches: processors, exporters, the fan-out.
/// `consume` returns once the batch is *accepted* (queued or handed on), not once exported.
public protocol TraceConsumer: Sendable {
    func consume(_ batch: TraceBatch) throws(ConsumerError)
    /// Whether what this consumer is handed goes, unchanged, to an exporter that writes the OTLP
    /// protobuf encoding of each `ResourceSpans` (and reuses `ResourceSpans.encoded` when set).
    /// A receiver that builds spans itself (Zipkin, Jaeger) then encodes them on its
    /// connection's thread, beside the decoding and under the same back-pressure, instead of
    /// leaving all the encoding to the one thread that drains the batch processor: on one core,
    /// that thread fell behind and the receivers refused half the load after decoding it. The
    /// Collector's consumer capabilities (`MutatesData`) say the same the other way round.
    /// Defaults to false; a consumer that hands on what it gets answers for its next consumer.
    var forwardsOTLPEncoding: Bool { get }
}

extension TraceConsumer {
    public var forwardsOTLPEncoding: Bool { false }
}

/// The lifecycle every component shares.
///
/// 1. `start` is called once, downstream components first; a throw aborts the start-up.
/// 2. `shutdown` is called once, upstream components first, and may be called without `start`
///    (when a later component failed to start). It returns when the component has flushed what it
///    holds into its next consumer, or gave up at its deadline.
public protocol Component: AnyObject, Sendable {
    func start() throws
    func shutdown()
    /// `start` with the host, where a component finds the extensions it needs (a persistent
    /// queue's storage, say). Defaults to `start()`.
    func start(host: any ComponentHost) throws
    /// `shutdown` with the time (monotonic ns) by which the whole service must have stopped: a
    /// component that drains (an exporter's queue) gives up there. Defaults to `shutdown()`.
    func shutdown(deadline: UInt64)
}

extension Component {
    public func start(host: any ComponentHost) throws { try start() }
    public func shutdown(deadline: UInt64) { shutdown() }
}

/// A receiver that a reload may replace by one of other settings without closing its clients'
/// connections under them.
public protocol HandsOverConnections: Component {
    /// Instead of `shutdown`: stops accepting and returns at once; open connections go on
    /// delivering into the consumer the receiver was made with (which the reload points at the
    /// new pipelines) until each ends after its next answer, or idle. `shutdown` closes what is
    /// left.
    func handOver()
    /// Whether a connection it handed over is still open.
    var hasOpenConnections: Bool { get }
}

/// What the running service offers its components.
public protocol ComponentHost: Sendable {
    /// The started extension with this id, if the service runs one.
    func `extension`(_ id: ComponentID) -> (any Component)?
}

/// Passes each batch to several consumers. Copy-on-write makes this free for consumers that do not
/// mutate the batch.
public struct FanoutConsumer: TraceConsumer {
    public let consumers: [any TraceConsumer]

    public init(_ consumers: [any TraceConsumer]) {
        self.consumers = consumers
    }

    /// One encoding serves every branch that can use it; the others ignore it.
    public var forwardsOTLPEncoding: Bool { consumers.contains { $0.forwardsOTLPEncoding } }

    /// Every consumer gets the batch even when an earlier one failed. The error reported is the
    /// first retryable one if any (the sender should retry), else the first permanent one.
    public func consume(_ batch: TraceBatch) throws(ConsumerError) {
        if consumers.count == 1 { return try consumers[0].consume(batch) }
        var firstError: ConsumerError?
        for consumer in consumers {
            do throws(ConsumerError) {
                try consumer.consume(batch)
            } catch {
                if firstError == nil || (firstError!.isPermanent && !error.isPermanent) { firstError = error }
            }
        }
        if let firstError { throw firstError }
    }
}
