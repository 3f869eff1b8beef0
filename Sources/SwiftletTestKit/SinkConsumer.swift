import Pipeline
import Synchronization
import TraceModel

/// A consumer that keeps every batch it is given, or fails on demand. For tests.
public final class SinkConsumer: TraceConsumer, Sendable {
    private let state = Mutex<(batches: [TraceBatch], failure: ConsumerError?)>(([], nil))

    /// What `forwardsOTLPEncoding` answers: as if an OTLP protobuf exporter came next.
    public let forwardsOTLPEncoding: Bool

    public init(forwardsOTLPEncoding: Bool = false) {
        self.forwardsOTLPEncoding = forwardsOTLPEncoding
    }

    public func consume(_ batch: TraceBatch) throws(ConsumerError) {
        let failure: ConsumerError? = state.withLock { s in
            if let f = s.failure { return f }
            s.batches.append(batch)
            return nil
        }
        if let failure { throw failure }
    }

    /// Makes every later `consume` throw this error (nil: accept again).
    public func fail(with error: ConsumerError?) { state.withLock { $0.failure = error } }

    public var batches: [TraceBatch] { state.withLock { $0.batches } }
    public var spanCount: Int { batches.reduce(0) { $0 + $1.spanCount } }
    public var allSpans: [Span] { batches.flatMap { $0.resourceSpans.flatMap { $0.scopeSpans.flatMap(\.spans) } } }
    public func reset() { state.withLock { $0.batches.removeAll() } }
}
