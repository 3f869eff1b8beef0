import Diagnostics
import Dispatch
import Pipeline
import Synchronization

/// exporterhelper's queue and retry in front of an `ExportSender`: requests wait in a bounded
/// in-memory queue, `num_consumers` of them are in flight at once, a retryable failure is sent
/// again after a backoff (or the server's delay) until `max_elapsed_time`. A full queue refuses
/// at once with a retryable error: nothing here ever waits on a thread of the shared pool.
final class QueuedRetrySender: Sendable {
    private struct State {
        var queue = RequestRing()
        var inFlight = 0
        var stopping = false
    }

    private struct Attempt: Sendable {
        var request: ExportRequest
        var number = 1
        var firstTry: UInt64
    }

    private let sender: any ExportSender
    private let queueSettings: QueueSettings
    private let retry: RetrySettings
    private let logger: Logger
    private let metrics: ExporterMetrics
    private let state = Mutex(State())
    private let drained = DispatchSemaphore(value: 0)

    init(sender: any ExportSender, queue: QueueSettings, retry: RetrySettings, logger: Logger, metrics: ExporterMetrics) {
        self.sender = sender
        queueSettings = queue
        self.retry = retry
        self.logger = logger
        self.metrics = metrics
        metrics.queueCapacity.set(queue.enabled ? queue.queueSize : 0)
    }

    /// Queues `request` or refuses it; returns at once either way.
    func submit(_ request: ExportRequest) throws(ConsumerError) {
        let startNow: Bool = try state.withLock { s throws(ConsumerError) in
            guard !s.stopping else { throw ConsumerError.retryable("the exporter is shutting down") }
            if s.inFlight < queueSettings.numConsumers, s.queue.isEmpty {
                s.inFlight += 1
                return true
            }
            let capacity = queueSettings.enabled ? queueSettings.queueSize : 0
            guard s.queue.count < capacity else {
                throw ConsumerError.retryable("sending queue is full")
            }
            s.queue.append(request)
            metrics.queueSize.set(s.queue.count)
            return false
        }
        if startNow { attempt(Attempt(request: request, firstTry: WallClock.monotonicNano())) }
    }

    private func attempt(_ a: Attempt) {
        metrics.inFlight.add(1)
        sender.send(a.request) { [self] outcome in
            metrics.inFlight.add(-1)
            finished(a, outcome)
        }
    }

    private func finished(_ a: Attempt, _ outcome: SendOutcome) {
        switch outcome {
        case .success:
            metrics.sent.add(a.request.spans)
        case let .permanent(message):
            metrics.sendFailed.add(a.request.spans)
            logger.error("Exporting failed. Dropping data.", ["error": message, "dropped_items": a.request.spans])
        case let .retryable(message, retryAfter):
            if let delay = retryDelay(a, retryAfter) {
                logger.info("Exporting failed. Will retry the request after interval.",
                            ["error": message, "interval": "\(delay)", "attempt": a.number])
                var again = a
                again.number += 1
                let retry = again
                DispatchQueue.global().asyncAfter(deadline: .now() + delay.dispatchInterval) { [self] in attempt(retry) }
                return
            }
            metrics.sendFailed.add(a.request.spans)
            logger.error("Exporting failed. Dropping data.", ["error": message, "dropped_items": a.request.spans,
                                                              "reason": retry.enabled ? "retries exhausted" : "retry disabled"])
        }
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

    /// Takes the next queued request into the slot just freed, or frees it.
    private func startNext() {
        let next: ExportRequest? = state.withLock { s in
            guard let request = s.queue.popFirst() else {
                s.inFlight -= 1
                if s.stopping, s.inFlight == 0 { drained.signal() }
                return nil
            }
            metrics.queueSize.set(s.queue.count)
            return request
        }
        if let next { attempt(Attempt(request: next, firstTry: WallClock.monotonicNano())) }
    }

    /// Refuses new requests, lets queued and in-flight ones finish (retries stop), waits until
    /// `deadline` seconds at most, then drops what is left.
    func shutdown(deadline seconds: Double) {
        let busy = state.withLock { s in
            s.stopping = true
            return s.inFlight > 0
        }
        if busy, drained.wait(timeout: .now() + .nanoseconds(Int(seconds * 1e9))) == .timedOut {
            let left = state.withLock { s in
                let spans = s.queue.spans
                s.queue = RequestRing()
                return spans
            }
            logger.warn("Shutdown deadline passed with requests unsent", ["dropped_items": left])
            metrics.sendFailed.add(left)
        }
        sender.close()
    }
}

/// A FIFO of requests with O(1) append and pop.
struct RequestRing {
    private var items: [ExportRequest?] = []
    private var head = 0
    private(set) var spans = 0

    var count: Int { items.count - head }
    var isEmpty: Bool { count == 0 }

    mutating func append(_ request: ExportRequest) {
        items.append(request)
        spans += request.spans
    }

    mutating func popFirst() -> ExportRequest? {
        guard head < items.count, let first = items[head] else { return nil }
        items[head] = nil
        head += 1
        spans -= first.spans
        if head > 64, head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
        return first
    }
}
