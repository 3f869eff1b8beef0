import Pipeline
import Synchronization

/// A request a queue handed out for sending, given back through `acknowledge` once settled.
struct QueuedRequest: Sendable {
    var spans: Int
    /// The request itself when the queue keeps it in memory; a persistent queue reads it in `load`.
    var request: ExportRequest?
    /// Where a persistent queue stored it.
    var record: RecordAddress?
}

/// A record's segment and place in it.
struct RecordAddress: Equatable, Sendable {
    var segment: UInt64
    var record: StoredRecord
}

/// Where requests wait between `submit` and the backend's answer: in memory, or on disk through
/// `file_storage`. Calls other than `waitUntilDurable` return at once; the sender calls `append`,
/// `takeNext` and `acknowledge` under its own lock.
protocol RequestQueue: AnyObject, Sendable {
    /// Requests waiting to be taken (not those in flight).
    var waiting: Int { get }
    /// Whether what is still queued at shutdown is kept for the next start rather than dropped.
    var keepsRequestsAcrossRestarts: Bool { get }
    /// Stores `request` or refuses it (a full queue is retryable); returns a ticket for
    /// `waitUntilDurable`.
    func append(_ request: ExportRequest) throws(ConsumerError) -> UInt64
    /// Returns once the append with `ticket` would survive a power loss (when the queue promises that).
    func waitUntilDurable(_ ticket: UInt64) throws(ConsumerError)
    /// The oldest waiting request, now in flight.
    func takeNext() -> QueuedRequest?
    /// The request `entry` stands for; nil when it cannot be read back (it is then acknowledged).
    func load(_ entry: QueuedRequest) -> ExportRequest?
    /// Releases `entry` for good: the backend took it, or it was dropped.
    func acknowledge(_ entry: QueuedRequest)
    /// Ends the queue; returns the spans it drops (a persistent queue keeps them on disk).
    func close() -> Int
}

/// The in-memory sending queue: a bounded FIFO, lost on restart.
final class MemoryRequestQueue: RequestQueue {
    private let ring = Mutex(RequestRing<ExportRequest>())
    private let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
    }

    var waiting: Int { ring.withLock { $0.count } }
    var keepsRequestsAcrossRestarts: Bool { false }

    func append(_ request: ExportRequest) throws(ConsumerError) -> UInt64 {
        try ring.withLock { r throws(ConsumerError) in
            guard r.count < capacity else { throw ConsumerError.retryable("sending queue is full") }
            r.append(request)
        }
        return 0
    }

    func waitUntilDurable(_ ticket: UInt64) throws(ConsumerError) {}

    func takeNext() -> QueuedRequest? {
        ring.withLock { $0.popFirst() }.map { QueuedRequest(spans: $0.spans, request: $0) }
    }

    func load(_ entry: QueuedRequest) -> ExportRequest? { entry.request }

    func acknowledge(_ entry: QueuedRequest) {}

    func close() -> Int {
        ring.withLock { r in
            defer { r = RequestRing<ExportRequest>() }
            return r.spans
        }
    }
}

/// A FIFO with O(1) append and pop.
struct RequestRing<Element> {
    private var items: [Element?] = []
    private var head = 0

    init() {}

    var count: Int { items.count - head }
    var isEmpty: Bool { count == 0 }

    mutating func append(_ element: Element) {
        items.append(element)
    }

    mutating func popFirst() -> Element? {
        guard head < items.count, let first = items[head] else { return nil }
        items[head] = nil
        head += 1
        if head > 64, head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
        return first
    }
}

extension RequestRing where Element == ExportRequest {
    var spans: Int { items[head...].reduce(0) { $0 + ($1?.spans ?? 0) } }
}
