import Diagnostics
import Dispatch
import Pipeline
import Synchronization
import TraceModel

/// `batch` processor: gathers spans until `send_batch_size` is reached or `timeout` passes, then
/// sends them on its own queue. `consume` returns as soon as the spans are held, unless
/// `maxWaitingBatches` batches are already queued or being sent: then it blocks until one is sent,
/// which pushes back on the sender as the upstream processor's full channel does.
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
    }

    private let config: Config
    private let next: any TraceConsumer
    private let logger: Logger
    /// Sends happen here, one at a time.
    private let sendQueue = DispatchQueue(label: "swiftlet.batch")
    private let state = Mutex(State())
    static let maxWaitingBatches = 2
    /// One permit per batch queued on, or being sent from, `sendQueue`.
    private let sendSlots = DispatchSemaphore(value: BatchProcessor.maxWaitingBatches)
    /// `consume` calls that took batches and are handing them to `sendQueue`; `shutdown` waits for them.
    private let handovers = DispatchGroup()

    init(_ context: ComponentContext, _ config: Config, next: any TraceConsumer) {
        self.config = config
        self.next = next
        logger = context.logger
    }

    public func start() {}

    public func consume(_ batch: TraceBatch) throws(ConsumerError) {
        let spans = batch.spanCount
        guard spans > 0 else { return }
        let due: [TraceBatch] = try state.withLock { s throws(ConsumerError) in
            guard !s.stopped else { throw ConsumerError.retryable("the batch processor is shutting down") }
            s.pending.append(contentsOf: batch)
            s.pendingSpans += spans
            var due: [TraceBatch] = []
            if config.timeout == .zero || s.pendingSpans >= config.sendBatchSize {
                due = takeBatches(&s, all: config.timeout == .zero)
            }
            if s.pendingSpans > 0 && !s.timerArmed {
                s.timerArmed = true
                let generation = s.generation
                sendQueue.asyncAfter(deadline: .now() + config.timeout.dispatchInterval) { self.timerFired(generation) }
            }
            // Entered under the lock, so a `shutdown` that stops us afterwards waits for these sends.
            if !due.isEmpty { handovers.enter() }
            return due
        }
        guard !due.isEmpty else { return }
        defer { handovers.leave() }
        for b in due {
            sendSlots.wait()
            sendQueue.async {
                self.send(b)
                self.sendSlots.signal()
            }
        }
    }

    /// Takes what is due: every full `send_batch_size` worth (or everything when `all`), split so
    /// no batch exceeds `send_batch_max_size`.
    private func takeBatches(_ s: inout State, all: Bool) -> [TraceBatch] {
        var out: [TraceBatch] = []
        while s.pendingSpans > 0 && (all || s.pendingSpans >= config.sendBatchSize) {
            let cap = config.sendBatchMaxSize > 0 ? config.sendBatchMaxSize : s.pendingSpans
            let taken = s.pending.removeFirst(spans: min(cap, s.pendingSpans))
            s.pendingSpans -= taken.spanCount
            out.append(taken)
        }
        if s.pendingSpans == 0 {
            s.generation &+= 1
            s.timerArmed = false
        }
        return out
    }

    private func timerFired(_ generation: UInt64) {
        let due: [TraceBatch] = state.withLock { s in
            guard s.generation == generation, !s.stopped else { return [] }
            return takeBatches(&s, all: true)
        }
        for b in due { send(b) }
    }

    private func send(_ batch: TraceBatch) {
        do throws(ConsumerError) {
            try next.consume(batch)
        } catch {
            logger.warn("Sender failed", ["error": error.message, "spans": batch.spanCount])
        }
    }

    /// Sends everything held, after the sends already queued.
    public func shutdown() {
        let rest: [TraceBatch] = state.withLock { s in
            s.stopped = true
            return takeBatches(&s, all: true)
        }
        handovers.wait()
        sendQueue.sync {
            for b in rest { send(b) }
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
