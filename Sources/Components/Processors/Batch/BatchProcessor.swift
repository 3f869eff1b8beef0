import Diagnostics
import Dispatch
import Pipeline
import Synchronization
import TraceModel

/// `batch` processor: gathers spans until `send_batch_size` is reached or `timeout` passes, then
/// hands them on from its own queue. `consume` never waits: batches the next consumer refused
/// (its queue full, say) are kept and offered again; once that backlog reaches its bound, new
/// spans are refused with a retryable error, which receivers answer 503 / UNAVAILABLE. So a
/// stalled backend pushes back on senders without holding a thread of the shared pool, and
/// nothing accepted is dropped while the process runs.
public final class BatchProcessor: Component, TraceConsumer {
    public static let factory = ComponentFactory.processor("batch", .beta, parse: Config.parse) { ctx, config, next in
        BatchProcessor(ctx, config, next: next)
    }

    private struct State {
        var pending = TraceBatch()
        var pendingSpans = 0
        /// Bumped whenever `pending` is emptied, so that a timer armed for older spans does nothing.
        var generation: UInt64 = 0
        var timerArmed = false
        var stopped = false
        /// Batches taken from `pending`, in order, not yet accepted by `next`.
        var backlog: [TraceBatch] = []
        var backlogHead = 0
        var backlogSpans = 0
        /// A drain is queued, or a retry of a refused batch is armed.
        var drainScheduled = false
    }

    private let config: Config
    private let next: any TraceConsumer
    private let logger: Logger
    /// Hand-overs to `next` happen here, one at a time, in order.
    private let sendQueue = DispatchQueue(label: "swiftlet.batch")
    private let state = Mutex(State())
    /// Spans taken but not yet accepted downstream, beyond which `consume` refuses.
    let backlogLimit: Int
    static let retryInterval: DispatchTimeInterval = .milliseconds(100)
    static let shutdownDeadlineSeconds = 5.0

    private let sendSize: SelfMetrics.Histogram
    private let sizeTriggers: SelfMetrics.Counter
    private let timeoutTriggers: SelfMetrics.Counter
    /// upstream's buckets for `otelcol_processor_batch_batch_send_size`.
    static let sendSizeBounds: [Double] = [10, 25, 50, 75, 100, 250, 500, 750, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000,
                                           9000, 10000, 20000, 30000, 50000, 100000]

    /// `backlogLimit` defaults to four batches, and at least 16,384 spans.
    init(_ context: ComponentContext, _ config: Config, next: any TraceConsumer, backlogLimit: Int? = nil) {
        self.config = config
        self.next = next
        logger = context.logger
        let labels: KeyValuePairs<String, String> = ["processor": context.id.description]
        sendSize = context.metrics.histogram("otelcol_processor_batch_batch_send_size", help: "Number of units in the batch",
                                             labels: labels, bounds: Self.sendSizeBounds)
        sizeTriggers = context.metrics.counter("otelcol_processor_batch_batch_size_trigger_send",
                                               help: "Number of times the batch was sent due to a size trigger", labels: labels)
        timeoutTriggers = context.metrics.counter("otelcol_processor_batch_timeout_trigger_send",
                                                  help: "Number of times the batch was sent due to a timeout trigger", labels: labels)
        self.backlogLimit = backlogLimit ?? max(16_384, 4 * max(config.sendBatchSize, config.sendBatchMaxSize))
    }

    public func start() {}

    /// Batching merges `ResourceSpans` and cuts them only above `send_batch_max_size`, which
    /// drops the encoding of the one it cuts.
    public var forwardsOTLPEncoding: Bool { next.forwardsOTLPEncoding }

    public func consume(_ batch: TraceBatch) throws(ConsumerError) {
        let spans = batch.spanCount
        guard spans > 0 else { return }
        let drain: Bool = try state.withLock { s throws(ConsumerError) in
            guard !s.stopped else { throw ConsumerError.retryable("the batch processor is shutting down") }
            guard s.backlogSpans < backlogLimit else {
                throw ConsumerError.retryable("the batch processor holds \(s.backlogSpans) spans the exporters have not taken yet; retry later")
            }
            s.pending.append(contentsOf: batch)
            s.pendingSpans += spans
            if config.timeout == .zero || s.pendingSpans >= config.sendBatchSize {
                takeBatches(&s, all: config.timeout == .zero)
            }
            if s.pendingSpans > 0 && !s.timerArmed {
                s.timerArmed = true
                let generation = s.generation
                sendQueue.asyncAfter(deadline: .now() + config.timeout.dispatchInterval) { self.timerFired(generation) }
            }
            return scheduleDrain(&s)
        }
        if drain { sendQueue.async { self.drain() } }
    }

    /// Moves what is due into the backlog: every full `send_batch_size` worth (or everything when
    /// `all`), cut so no batch exceeds `send_batch_max_size`.
    private func takeBatches(_ s: inout State, all: Bool) {
        guard s.pendingSpans > 0, all || s.pendingSpans >= config.sendBatchSize else { return }
        let cap = config.sendBatchMaxSize > 0 ? config.sendBatchMaxSize : s.pendingSpans
        let parts = s.pending.split(maxSpans: cap)
        var remaining = s.pendingSpans
        s.pending = TraceBatch()
        s.pendingSpans = 0
        for (i, part) in parts.enumerated() {
            if !all, remaining < config.sendBatchSize {
                // The tail below send_batch_size waits for more spans or the timer, as upstream.
                for rest in parts[i...] {
                    s.pending.append(contentsOf: rest)
                    s.pendingSpans += rest.spanCount
                }
                break
            }
            s.backlog.append(part)
            s.backlogSpans += part.spanCount
            remaining -= part.spanCount
            sendSize.observe(part.spanCount)
            (all ? timeoutTriggers : sizeTriggers).add(1)
        }
        if s.pendingSpans == 0 {
            s.generation &+= 1
            s.timerArmed = false
        }
    }

    /// Whether the caller must queue a drain (none is queued or armed yet).
    private func scheduleDrain(_ s: inout State) -> Bool {
        guard s.backlogHead < s.backlog.count, !s.drainScheduled else { return false }
        s.drainScheduled = true
        return true
    }

    private func timerFired(_ generation: UInt64) {
        let drain: Bool = state.withLock { s in
            guard s.generation == generation, !s.stopped else { return false }
            takeBatches(&s, all: true)
            return scheduleDrain(&s)
        }
        if drain { self.drain() }
    }

    /// On `sendQueue`: offers the backlog to `next` in order until it is empty or refused.
    private func drain() {
        state.withLock { $0.drainScheduled = false }
        switch offerBacklog() {
        case .empty:
            return
        case .refused:
            let arm = state.withLock { s in
                guard !s.drainScheduled, !s.stopped else { return false }
                s.drainScheduled = true
                return true
            }
            if arm { sendQueue.asyncAfter(deadline: .now() + Self.retryInterval) { self.drain() } }
        }
    }

    private enum BacklogState { case empty, refused }

    private func offerBacklog() -> BacklogState {
        while let batch = state.withLock({ s in s.backlogHead < s.backlog.count ? s.backlog[s.backlogHead] : nil }) {
            do throws(ConsumerError) {
                try next.consume(batch)
            } catch {
                if !error.isPermanent { return .refused }
                logger.error("Exporter refused data permanently, dropping it", ["error": error.message, "dropped_items": batch.spanCount])
            }
            state.withLock { s in
                s.backlogHead += 1
                s.backlogSpans -= batch.spanCount
                if s.backlogHead == s.backlog.count || s.backlogHead > 64 {
                    s.backlog.removeFirst(s.backlogHead)
                    s.backlogHead = 0
                }
            }
        }
        return .empty
    }

    /// Hands on everything held, after what is already queued, retrying refusals until the
    /// shutdown deadline; what is still refused then is dropped and logged.
    public func shutdown() {
        state.withLock { s in
            s.stopped = true
            takeBatches(&s, all: true)
        }
        let deadline = WallClock.monotonicNano() + UInt64(Self.shutdownDeadlineSeconds * 1e9)
        while sendQueue.sync(execute: { offerBacklog() }) == .refused {
            guard WallClock.monotonicNano() < deadline else {
                let lost = state.withLock { $0.backlogSpans }
                logger.error("Shutdown deadline passed with spans the exporters refused; dropping them", ["dropped_items": lost])
                return
            }
            usleep(50_000)
        }
    }
}

extension Duration {
    /// Nanosecond precision where it fits; whole seconds (which Dispatch saturates) beyond that, so
    /// no configured duration can overflow.
    var dispatchInterval: DispatchTimeInterval {
        let (s, attos) = components
        let (ns, overflow) = Int(clamping: s).multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .seconds(Int(clamping: s)) : .nanoseconds(ns + Int(attos / 1_000_000_000))
    }
}

#if canImport(Glibc)
import Glibc
#endif
