import Diagnostics
import Dispatch
import Pipeline
import Synchronization

/// exporterhelper's queue and retry in front of an `ExportSender`: requests wait in a bounded
/// `RequestQueue` (in memory, or on disk through `file_storage`), `num_consumers` of them are in
/// flight at once, a retryable failure is sent again after a backoff (or the server's delay)
/// until `max_elapsed_time`. A full queue refuses at once with a retryable error: nothing here
/// waits on a thread of the shared pool, except a persistent queue's fsync when asked for.
/// `prepare` (encoding, compression) runs once per request, before its first try, on the shared
/// pool: never on the thread that submitted it nor on a connection's queue that completed one.
final class QueuedRetrySender: Sendable {
    private struct State {
        var queue: any RequestQueue
        var inFlight = 0
        var stopping = false
        /// Requests in flight that wait for a retry timer.
        var retryTimers = 0
        /// Past the shutdown deadline: late completions and retry timers do nothing.
        var closed = false
        /// Set by `retire`: where requests go instead of being retried.
        var handBack: (@Sendable (ExportRequest) -> Void)?
    }

    private struct Attempt: Sendable {
        var entry: QueuedRequest
        var request: ExportRequest
        var number = 1
        var firstTry: UInt64
    }

    private let sender: any ExportSender
    /// Makes a request ready for the wire; nil: requests are sent as they are submitted.
    private let prepare: (@Sendable (ExportRequest) -> ExportRequest)?
    /// Takes the body of a request that is settled (sent, or dropped for good), to use it again.
    private let recycle: (@Sendable ([UInt8]) -> Void)?
    private let queueSettings: QueueSettings
    private let retry: RetrySettings
    private let logger: Logger
    private let metrics: ExporterMetrics
    private let state: Mutex<State>
    private let drained = DispatchSemaphore(value: 0)

    init(sender: any ExportSender, queue: QueueSettings, retry: RetrySettings, logger: Logger, metrics: ExporterMetrics,
         prepare: (@Sendable (ExportRequest) -> ExportRequest)? = nil, recycle: (@Sendable ([UInt8]) -> Void)? = nil) {
        self.sender = sender
        self.prepare = prepare
        self.recycle = recycle
        queueSettings = queue
        self.retry = retry
        self.logger = logger
        self.metrics = metrics
        state = Mutex(State(queue: MemoryRequestQueue(capacity: queue.enabled ? queue.queueSize : 0)))
        metrics.queueCapacity.set(queue.enabled ? queue.queueSize : 0)
    }

    /// Replaces the (empty) in-memory queue with `queue` before the first `submit`, and starts
    /// sending what it already holds (a persistent queue's recovered requests).
    func use(_ queue: any RequestQueue) {
        state.withLock { $0.queue = queue }
        metrics.queueSize.set(queue.waiting)
        startWaiting()
    }

    /// Queues `request` or refuses it; returns at once either way (a persistent queue with fsync
    /// returns once the request is durable).
    func submit(_ request: ExportRequest) throws(ConsumerError) {
        let (queue, ticket, next): (any RequestQueue, UInt64, QueuedRequest?) = try state.withLock { s throws(ConsumerError) in
            guard !s.stopping else { throw ConsumerError.retryable("the exporter is shutting down") }
            if !s.queue.keepsRequestsAcrossRestarts, s.inFlight < queueSettings.numConsumers, s.queue.waiting == 0 {
                s.inFlight += 1
                return (s.queue, 0, QueuedRequest(spans: request.spans, request: request))
            }
            let ticket = try s.queue.append(request)
            let next = take(&s)
            metrics.queueSize.set(s.queue.waiting)
            return (s.queue, ticket, next)
        }
        if let next { start(next) }
        try queue.waitUntilDurable(ticket)
    }

    /// The next waiting request when a consumer is free.
    private func take(_ s: inout State) -> QueuedRequest? {
        guard !s.closed, s.inFlight < queueSettings.numConsumers, let next = s.queue.takeNext() else { return nil }
        s.inFlight += 1
        return next
    }

    /// Sends `entry`, or settles it at once when the queue cannot read it back, then the next.
    private func start(_ first: QueuedRequest) {
        var entry: QueuedRequest? = first
        while let e = entry {
            let queue = state.withLock { $0.queue }
            if let request = queue.load(e) {
                guard let prepare, !request.isWireReady else {
                    return attempt(Attempt(entry: e, request: request, firstTry: WallClock.monotonicNano()))
                }
                return DispatchQueue.global().async { [self] in
                    attempt(Attempt(entry: e, request: prepare(request), firstTry: WallClock.monotonicNano()))
                }
            }
            metrics.sendFailed.add(e.spans)
            queue.acknowledge(e)
            entry = state.withLock { releaseSlotAndTake(&$0) }
        }
    }

    private func attempt(_ a: Attempt) {
        guard !state.withLock({ $0.closed }) else { return }
        metrics.inFlight.add(1)
        sender.send(a.request) { [self] outcome in
            metrics.inFlight.add(-1)
            finished(a, outcome)
        }
    }

    private func finished(_ a: Attempt, _ outcome: SendOutcome) {
        let (queue, stopping, closed) = state.withLock { ($0.queue, $0.stopping, $0.closed) }
        guard !closed else { return }
        switch outcome {
        case .success:
            metrics.sent.add(a.request.spans)
            recycle?(a.request.body)
        case let .permanent(message):
            metrics.sendFailed.add(a.request.spans)
            logger.error("Exporting failed. Dropping data.", ["error": message, "dropped_items": a.request.spans])
            recycle?(a.request.body)
        case let .retryable(message, retryAfter):
            if let handBack = state.withLock({ $0.handBack }) {
                logger.info("Exporting failed; the request goes back to be routed again.", ["error": message, "items": a.request.spans])
                handBack(a.entry.request ?? a.request)
                break
            }
            if stopping, queue.keepsRequestsAcrossRestarts {
                logger.info("Exporting failed during shutdown; the request stays queued for the next start.", ["error": message, "items": a.request.spans])
                return startNext()
            }
            if let delay = retryDelay(a, retryAfter) {
                logger.info("Exporting failed. Will retry the request after interval.",
                            ["error": message, "interval": "\(delay)", "attempt": a.number])
                var again = a
                again.number += 1
                let retry = again
                state.withLock { $0.retryTimers += 1 }
                DispatchQueue.global().asyncAfter(deadline: .now() + delay.dispatchInterval) { [self] in retryTimerFired(retry) }
                return
            }
            metrics.sendFailed.add(a.request.spans)
            logger.error("Exporting failed. Dropping data.", ["error": message, "dropped_items": a.request.spans,
                                                              "reason": retry.enabled ? "retries exhausted" : "retry disabled"])
        }
        queue.acknowledge(a.entry)
        startNext()
    }

    /// The wait before the next try, or nil to give up.
    private func retryDelay(_ a: Attempt, _ serverDelay: Duration?) -> Duration? {
        guard retry.enabled, !state.withLock({ $0.stopping }) else { return nil }
        let delay = max(serverDelay ?? .zero, retry.backoff(attempt: a.number))
        if retry.maxElapsedTime > .zero {
            let elapsed = Duration.nanoseconds(Int64(WallClock.monotonicNano() - a.firstTry))
            guard elapsed + delay <= retry.maxElapsedTime else { return nil }
        }
        return delay
    }

    /// A persistent queue keeps a request whose retry is due after shutdown began for the next
    /// start; otherwise it is tried again.
    private func retryTimerFired(_ a: Attempt) {
        let (keep, handBack) = state.withLock { s in
            s.retryTimers -= 1
            return (s.stopping && s.queue.keepsRequestsAcrossRestarts, s.handBack)
        }
        if let handBack {
            handBack(a.entry.request ?? a.request)
            state.withLock { $0.queue }.acknowledge(a.entry)
            return startNext()
        }
        if keep { startNext() } else { attempt(a) }
    }

    /// Stops taking requests and gives every one not yet sent back through `handBack` (the
    /// waiting ones now, one in flight when its try fails or its retry is due) instead of
    /// retrying it: the loadbalancing exporter routes them again when their backend goes away.
    /// Requests are handed back as submitted, not encoded. `shutdown` follows.
    func retire(handBack: @escaping @Sendable (ExportRequest) -> Void) {
        let waiting: [ExportRequest] = state.withLock { s in
            s.stopping = true
            s.handBack = handBack
            var out: [ExportRequest] = []
            while let entry = s.queue.takeNext() {
                if let request = s.queue.load(entry) { out.append(request) }
                s.queue.acknowledge(entry)
            }
            metrics.queueSize.set(0)
            return out
        }
        for request in waiting { handBack(request) }
    }

    /// Takes the next queued request into the slot just freed, or frees it.
    private func startNext() {
        if let next = state.withLock({ releaseSlotAndTake(&$0) }) { start(next) }
    }

    private func releaseSlotAndTake(_ s: inout State) -> QueuedRequest? {
        s.inFlight -= 1
        let next = take(&s)
        metrics.queueSize.set(s.queue.waiting)
        if next == nil, s.stopping, isSettled(s) { drained.signal() }
        return next
    }

    /// Nothing is being sent that shutdown should wait for: a persistent queue does not wait for
    /// retry timers, its requests are on disk.
    private func isSettled(_ s: State) -> Bool {
        s.inFlight - (s.queue.keepsRequestsAcrossRestarts ? s.retryTimers : 0) == 0
    }

    /// Fills the free consumer slots from the queue.
    private func startWaiting() {
        while let next = state.withLock({ take(&$0) }) {
            start(next)
        }
        metrics.queueSize.set(state.withLock { $0.queue.waiting })
    }

    /// Refuses new requests, lets queued and in-flight ones finish (retries stop), waits until
    /// `deadline` seconds at most, then drops what is left (a persistent queue keeps it on disk).
    /// Nothing in flight: `shutdown` would return at once.
    var isSettled: Bool { state.withLock { isSettled($0) } }

    func shutdown(deadline seconds: Double) {
        let busy = state.withLock { s in
            s.stopping = true
            return !isSettled(s)
        }
        if busy, drained.wait(timeout: .now() + .nanoseconds(Int(seconds * 1e9))) == .timedOut {
            logger.warn("Shutdown deadline passed with requests unsent")
        }
        let queue = state.withLock { s in
            s.closed = true
            return s.queue
        }
        let dropped = queue.close()
        if dropped > 0 {
            logger.warn("Dropping queued data at shutdown", ["dropped_items": dropped])
            metrics.sendFailed.add(dropped)
        }
        sender.close()
    }
}
