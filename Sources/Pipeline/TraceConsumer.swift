import TraceModel

/// Anything that takes trace batches: processors, exporters, the fan-out.
/// `consume` returns once the batch is *accepted* (queued or handed on), not once exported.
public protocol TraceConsumer: Sendable {
    func consume(_ batch: TraceBatch) throws(ConsumerError)
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
