#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Diagnostics
import Dispatch
import Pipeline
import Synchronization

/// The sending queue on disk: records appended to numbered segment files in the exporter's
/// storage directory, handed out in order, acknowledged in `<number>.ack` beside their segment,
/// and a segment deleted once every record in it is acknowledged. What an earlier run left is
/// recovered when the queue opens.
final class PersistentRequestQueue: RequestQueue {
    struct Settings: Sendable, Equatable {
        var directory: String
        /// Requests waiting at most (`queue_size`).
        var maxRequests: Int
        /// Bytes of segment and acknowledgement files at most (`max_size_bytes`).
        var maxBytes: Int
        /// Whether an append returns only once it is durable.
        var fsync: Bool
        /// The longest a lock on the directory, or a durable append, is waited for.
        var timeout: Duration

        /// Segments roll over at this size, so acknowledged space is given back in steps.
        var segmentBytes: Int { min(16 << 20, max(64 << 10, maxBytes / 16)) }
    }

    /// A segment's bookkeeping. Only the segment being appended to stays open; the others are
    /// opened for each read or acknowledgement, so a large queue holds no more descriptors than a
    /// small one.
    struct Segment {
        let number: UInt64
        var size: Int
        var ackSize: Int = 0
        /// Records not yet acknowledged.
        var live: Int
    }

    struct State {
        var segments: [UInt64: Segment] = [:]
        /// The segment appends go to, and its descriptor; recovered segments are never appended to.
        var writer: (number: UInt64, fd: Int32)?
        var nextNumber: UInt64 = 1
        var waiting = RequestRing<RecordAddress>()
        var diskBytes = 0
        var closed = false
        var durability = DurabilityState()
    }

    /// Group commit for `fsync: true`: the first append that needs a sync syncs every segment
    /// written so far; appends made meanwhile wait for it and are covered by the next.
    struct DurabilityState {
        var written: UInt64 = 0
        var synced: UInt64 = 0
        var syncing = false
        var dirtySegments: Set<UInt64> = []
        var directoryDirty = false
        var waiters: [DispatchSemaphore] = []
    }

    let settings: Settings
    let logger: Logger
    let metrics: PersistentQueueMetrics
    let state: Mutex<State>
    private let lockFD: Int32

    /// Opens the queue in `settings.directory`, recovering what is there.
    init(settings: Settings, logger: Logger, metrics: PersistentQueueMetrics) throws(FileError) {
        self.settings = settings
        self.logger = logger
        self.metrics = metrics
        lockFD = try Self.lockDirectory(settings.directory, timeout: settings.timeout)
        do {
            state = Mutex(try Self.recover(settings.directory, logger: logger, metrics: metrics))
        } catch {
            _ = Glibc.close(lockFD)
            throw error
        }
        metrics.capacityBytes.set(settings.maxBytes)
        state.withLock { updateGauges($0) }
    }

    var waiting: Int { state.withLock { $0.waiting.count } }
    var keepsRequestsAcrossRestarts: Bool { true }

    func append(_ request: ExportRequest) throws(ConsumerError) -> UInt64 {
        precondition(request.batch == nil && !request.isWireReady, "the persistent queue stores encoded, uncompressed requests")
        guard request.body.count < Int(UInt32.max) - QueueRecordFormat.spanCountSize else {
            throw ConsumerError.permanent("the request (\(request.body.count) bytes) is too large for the persistent sending queue")
        }
        let record = QueueRecordFormat.encode(request)
        guard record.count <= settings.maxBytes else {
            throw ConsumerError.permanent("the request (\(record.count) bytes) is larger than the sending queue's max_size_bytes (\(settings.maxBytes))")
        }
        return try state.withLock { s throws(ConsumerError) in
            guard !s.closed else { throw ConsumerError.retryable("the exporter is shutting down") }
            guard s.waiting.count < settings.maxRequests, s.diskBytes + record.count <= settings.maxBytes else {
                throw ConsumerError.retryable("sending queue is full")
            }
            do throws(FileError) {
                let number = try activeSegment(&s, adding: record.count)
                let offset = s.segments[number]?.size ?? 0
                try write(record, to: number, at: offset, in: &s)
                s.waiting.append(RecordAddress(segment: number, record: StoredRecord(offset: offset, size: record.count, spans: request.spans)))
                updateGauges(s)
                guard settings.fsync else { return 0 }
                s.durability.dirtySegments.insert(number)
                s.durability.written += 1
                return s.durability.written
            } catch {
                logger.error("Cannot store a request in the persistent sending queue", ["error": error.description])
                throw ConsumerError.retryable("cannot store the request in the persistent sending queue: \(error)")
            }
        }
    }

    func takeNext() -> QueuedRequest? {
        state.withLock { s in
            guard !s.closed, let next = s.waiting.popFirst() else { return nil }
            updateGauges(s)
            return QueuedRequest(spans: next.record.spans, record: next)
        }
    }

    /// Reads the record back (from the page cache, as a rule) and checks it again.
    func load(_ entry: QueuedRequest) -> ExportRequest? {
        guard let address = entry.record else { return nil }
        let read: Result<[UInt8], FileError>? = state.withLock { s in
            guard !s.closed, s.segments[address.segment] != nil else { return nil }
            do throws(FileError) {
                return .success(try PosixFile.read(segmentPath(address.segment), count: address.record.size, at: address.record.offset))
            } catch {
                return .failure(error)
            }
        }
        switch read {
        case nil:
            return nil
        case let .failure(error):
            logger.error("Cannot read a request back from the persistent sending queue; dropping it", ["error": error.description])
            return nil
        case let .success(bytes):
            if let request = QueueRecordFormat.decode(bytes) { return request }
            metrics.corruptRecords.add(1)
            logger.error("A record in the persistent sending queue no longer checks out; dropping it",
                         ["segment": segmentPath(address.segment), "offset": address.record.offset])
            return nil
        }
    }

    func acknowledge(_ entry: QueuedRequest) {
        guard let address = entry.record else { return }
        state.withLock { s in
            guard !s.closed, var segment = s.segments[address.segment] else { return }
            segment.live -= 1
            if segment.live <= 0 {
                remove(segment, from: &s)
            } else {
                s.segments[address.segment] = recordAcknowledgement(address.record.offset, in: segment, diskBytes: &s.diskBytes)
            }
            updateGauges(s)
        }
    }

    func close() -> Int {
        let requests: Int? = state.withLock { s in
            guard !s.closed else { return nil }
            s.closed = true
            var requests = 0
            for segment in s.segments.values { requests += segment.live }
            if let writer = s.writer { _ = Glibc.close(writer.fd) }
            s.writer = nil
            s.segments = [:]
            for waiter in s.durability.waiters { waiter.signal() }
            return requests
        }
        guard let requests else { return 0 }
        _ = Glibc.close(lockFD)
        if requests > 0 {
            logger.info("Requests stay in the persistent sending queue for the next start",
                        ["requests": requests, "directory": settings.directory])
        }
        return 0
    }

    // MARK: - Segments

    func segmentPath(_ number: UInt64) -> String { settings.directory + "/" + Self.fileName(number, "seg") }
    func ackPath(_ number: UInt64) -> String { settings.directory + "/" + Self.fileName(number, "ack") }

    /// Twenty digits, so names sort as numbers do.
    static func fileName(_ number: UInt64, _ suffix: String) -> String {
        let digits = String(number)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits + "." + suffix
    }

    /// The segment an append of `bytes` goes to: the active one while it has room, else a new one.
    private func activeSegment(_ s: inout State, adding bytes: Int) throws(FileError) -> UInt64 {
        if let writer = s.writer, let segment = s.segments[writer.number], segment.size == 0 || segment.size + bytes <= settings.segmentBytes {
            return writer.number
        }
        let number = s.nextNumber
        let fd = try PosixFile.open(segmentPath(number), O_WRONLY | O_CREAT | O_EXCL)
        if let writer = s.writer { _ = Glibc.close(writer.fd) }
        s.nextNumber += 1
        s.segments[number] = Segment(number: number, size: 0, live: 0)
        s.writer = (number, fd)
        s.durability.directoryDirty = true
        return number
    }

    private func write(_ record: [UInt8], to number: UInt64, at offset: Int, in s: inout State) throws(FileError) {
        guard var segment = s.segments[number], let writer = s.writer, writer.number == number else {
            throw FileError("write", segmentPath(number), EBADF)
        }
        do {
            try PosixFile.write(writer.fd, record, at: offset, path: segmentPath(number))
        } catch {
            // A partial record would only be skipped at recovery; cut it off now.
            _ = ftruncate(writer.fd, off_t(offset))
            throw error
        }
        segment.size = offset + record.count
        segment.live += 1
        s.segments[number] = segment
        s.diskBytes += record.count
    }

    private func recordAcknowledgement(_ offset: Int, in segment: Segment, diskBytes: inout Int) -> Segment {
        var segment = segment
        do throws(FileError) {
            try PosixFile.write(ackPath(segment.number), QueueAckFormat.encode(offset: offset), at: segment.ackSize)
            segment.ackSize += QueueAckFormat.entrySize
            diskBytes += QueueAckFormat.entrySize
        } catch {
            logger.warn("Cannot record an acknowledgement; the request may be sent again after a restart", ["error": error.description])
        }
        return segment
    }

    /// Deletes a fully acknowledged segment: the segment first, so a crash in between leaves an
    /// orphaned `.ack` (removed at recovery), never a segment without its acknowledgements.
    func remove(_ segment: Segment, from s: inout State) {
        if let writer = s.writer, writer.number == segment.number {
            _ = Glibc.close(writer.fd)
            s.writer = nil
        }
        for path in [segmentPath(segment.number), ackPath(segment.number)] {
            do { try PosixFile.remove(path) } catch {
                logger.warn("Cannot delete an acknowledged queue file", ["error": error.description])
            }
        }
        s.segments[segment.number] = nil
        s.diskBytes -= segment.size + segment.ackSize
    }

    func updateGauges(_ s: State) {
        metrics.sizeBytes.set(s.diskBytes)
    }

    /// One process per queue directory: an exclusive `flock` on `lock`, waited for up to `timeout`.
    private static func lockDirectory(_ directory: String, timeout: Duration) throws(FileError) -> Int32 {
        let path = directory + "/lock"
        let fd = try PosixFile.open(path, O_RDWR | O_CREAT)
        let deadline = WallClock.monotonicNano() + UInt64(max(0, timeout.seconds) * 1e9)
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            guard code == EWOULDBLOCK || code == EINTR, WallClock.monotonicNano() < deadline else {
                _ = Glibc.close(fd)
                throw FileError("lock (held by another process?)", path, code)
            }
            usleep(10_000)
        }
        return fd
    }
}
