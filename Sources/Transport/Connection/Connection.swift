#if canImport(Glibc)
@preconcurrency import Dispatch
import Glibc
#elseif canImport(Musl)
@preconcurrency import Dispatch
import Musl
#else
import Dispatch
#endif
import Diagnostics

/// What speaks a protocol over a `Connection`: HTTP/1.1 or HTTP/2, server or client side. Every
/// method is called on the connection's queue.
protocol ConnectionProtocol: AnyObject {
    /// The connection is watched for readiness; a protocol may queue its first bytes here.
    func connectionStarted(_ connection: Connection)
    /// New bytes are in `connection.inbound`.
    func connectionReceived(_ connection: Connection)
    /// All queued output has been written.
    func connectionDrained(_ connection: Connection)
    /// The peer sent EOF.
    func connectionPeerClosed(_ connection: Connection)
    /// The deadline passed. Returns whether to close (true) or keep going.
    func connectionTimedOut(_ connection: Connection) -> Bool
    /// Graceful shutdown was asked for (server stopping, client going away).
    func connectionShutdownRequested(_ connection: Connection)
    /// The server that accepted this connection was replaced by a reload: finish what the peer
    /// sent, tell it to go elsewhere for more, and close only once it has nothing in flight here.
    func connectionHandOverRequested(_ connection: Connection)
    /// The descriptor is closed; nothing more will be called.
    func connectionClosed(_ connection: Connection)
    /// Whether more input is wanted now (back-pressure: false pauses reading).
    func wantsToRead(_ connection: Connection) -> Bool
}

extension ConnectionProtocol {
    /// Clients are never handed over.
    func connectionHandOverRequested(_ connection: Connection) {}
}

/// One socket, confined to its own serial queue: it owns the descriptor, its readiness, the input and
/// output buffers, one deadline and the lingering close. The protocol on top only parses and
/// produces bytes.
final class Connection: @unchecked Sendable {
    let id: UInt64
    let remoteAddress: String
    let queue: DispatchQueue
    let logger: Logger
    private let fd: Int32

    /// Guarded by `queue`. Set before `start`; released at close to break the cycle.
    var handler: (any ConnectionProtocol)?
    /// Guarded by `queue`.
    let inbound = InboundBuffer()
    /// Guarded by `queue`.
    private var readiness: (any FDReadiness)?
    /// Guarded by `queue`.
    private var timer: (any DispatchSourceTimer)?
    /// Guarded by `queue`.
    private var outbound: [UInt8] = []
    /// Guarded by `queue`. Bytes of `outbound` already sent.
    private var outboundSent = 0
    /// Guarded by `queue`.
    private var closeAfterFlush = false
    /// Guarded by `queue`. Half-closed after the last answer; input is read and dropped until EOF.
    private(set) var isDraining = false
    /// Guarded by `queue`.
    private(set) var peerClosed = false
    /// Guarded by `queue`.
    private(set) var isClosed = false
    /// Guarded by `queue`. When the connection times out (monotonic ns), if ever.
    private var deadline: UInt64?
    /// Guarded by `queue`. Output is waiting for the socket to become writable.
    private var awaitingWritable = false
    /// Guarded by `queue`. When the timer is set to fire.
    private var timerFireAt: UInt64?
    /// Called once on `queue` after the descriptor is closed.
    private let onClosed: @Sendable (Connection) -> Void

    private static let maxReadsPerWake = 16
    private static let maxReadSize = 64 * 1024
    private static let lingerNanos: UInt64 = 500_000_000

    init(id: UInt64, fd: Int32, remoteAddress: String, logger: Logger, label: String = "swiftlet.connection",
         onClosed: @escaping @Sendable (Connection) -> Void = { _ in }) {
        self.id = id
        self.fd = fd
        self.remoteAddress = remoteAddress
        self.logger = logger
        self.onClosed = onClosed
        queue = DispatchQueue(label: label)
    }

    /// Starts watching the descriptor; `handler` must be set.
    func start() {
        queue.async { [self] in
            let handlers = FDEventHandlers(
                onReadable: { [self] in readAvailable() },
                onWritable: { [self] in writable() },
                onClosed: { [self] in descriptorClosed() })
            readiness = Readiness.watch(fd: fd, queue: queue, handlers: handlers)
            let timer = DispatchSource.makeTimerSource(queue: queue)
            timer.setEventHandler { [self] in timerFired() }
            timer.schedule(deadline: .distantFuture)
            timer.resume()
            self.timer = timer
            handler?.connectionStarted(self)
            flush()
        }
    }

    func requestShutdown() {
        queue.async { [self] in
            guard !isClosed else { return }
            // Bytes the peer already sent may wait in the socket, unseen by the handler: read them
            // first, so a request on its way is not taken for an idle connection and cut off.
            if wantsToRead { readAvailable() }
            guard !isClosed else { return }
            handler?.connectionShutdownRequested(self)
        }
    }

    func requestHandOver() {
        queue.async { [self] in
            guard !isClosed else { return }
            handler?.connectionHandOverRequested(self)
            flush()
        }
    }

    func forceClose() {
        queue.async { [self] in close() }
    }

    // MARK: Output

    /// Bytes queued and not yet written.
    var pendingOutput: Int { outbound.count - outboundSent }

    /// An output buffer up to this size stays allocated once written: HTTP/2 writes in chunks of a
    /// quarter of it, and a buffer freed and allocated again per chunk costs page faults.
    static let keptOutputCapacity = 1 << 20

    func write<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        dispatchPrecondition(condition: .onQueue(queue))
        guard !isClosed, !isDraining else { return }
        outbound.append(contentsOf: bytes)
    }

    func write(_ bytes: UnsafeRawBufferPointer) {
        dispatchPrecondition(condition: .onQueue(queue))
        guard !isClosed, !isDraining else { return }
        outbound.append(contentsOf: bytes)
    }

    /// Writes what is queued until the socket would block.
    func flush() {
        guard !isClosed else { return }
        while outboundSent < outbound.count {
            let result = outbound.withUnsafeBytes { Socket.write(fd, from: UnsafeRawBufferPointer(rebasing: $0[outboundSent...])) }
            switch result {
            case let .bytes(n):
                outboundSent += n
            case .wouldBlock:
                awaitingWritable = true
                readiness?.setWriteInterest(true)
                return
            case .endOfFile, .failed:
                close()
                return
            }
        }
        outbound.removeAll(keepingCapacity: outbound.capacity <= Self.keptOutputCapacity)
        outboundSent = 0
        readiness?.setWriteInterest(false)
        if closeAfterFlush { return startDraining() }
        // Whichever flush empties output the socket had pushed back on tells the handler, not
        // only the writable event: after a flush from elsewhere (a read, a timer) no such event
        // comes, and a handler that stopped producing at its high-water mark would wait forever.
        guard awaitingWritable else { return }
        awaitingWritable = false
        if !isDraining {
            handler?.connectionDrained(self)
            refreshReadInterest()
        }
    }

    /// Closes once queued output is written, with a lingering close so the peer reads the answer.
    func closeWhenFlushed() {
        closeAfterFlush = true
        if pendingOutput == 0 { startDraining() }
    }

    private func writable() {
        flush()
    }

    // MARK: Input

    private func readAvailable() {
        dispatchPrecondition(condition: .onQueue(queue))
        for _ in 0..<Self.maxReadsPerWake {
            guard !isClosed else { return }
            let space = inbound.writable(minimum: 4096, maximum: Self.maxReadSize)
            switch Socket.read(fd, into: space) {
            case let .bytes(n):
                inbound.commit(n)
                if isDraining {
                    inbound.reset()
                    continue
                }
                handler?.connectionReceived(self)
                flush()
                guard wantsToRead else { return refreshReadInterest() }
            case .endOfFile:
                peerClosed = true
                refreshReadInterest()
                if isDraining { return close() }
                handler?.connectionPeerClosed(self)
                flush()
                return
            case .wouldBlock:
                return
            case let .failed(code):
                logger.debug("read failed", ["remote": remoteAddress, "error": SocketError.errnoText(code)])
                close()
                return
            }
        }
    }

    private var wantsToRead: Bool {
        if isClosed || peerClosed { return false }
        if isDraining { return true }
        return handler?.wantsToRead(self) ?? false
    }

    /// Re-evaluates whether reading is wanted (after back-pressure cleared, say).
    func refreshReadInterest() {
        readiness?.setReadInterest(wantsToRead)
    }

    /// Lingering close: half-close, then discard input briefly, so the peer reads our answer instead
    /// of an RST caused by unread data it already sent.
    private func startDraining() {
        guard !isClosed, !isDraining else { return }
        if peerClosed { return close() }
        isDraining = true
        _ = shutdown(fd, Int32(SHUT_WR))
        inbound.reset()
        setDeadline(now() + Self.lingerNanos)
        refreshReadInterest()
    }

    // MARK: Deadline and closing

    /// Replaces the deadline (nil: none).
    func setDeadline(_ newDeadline: UInt64?) {
        deadline = newDeadline
        guard let newDeadline else { return }
        if let fireAt = timerFireAt, fireAt <= newDeadline { return }
        schedule(newDeadline)
    }

    private func schedule(_ at: UInt64) {
        timerFireAt = at
        let current = now()
        timer?.schedule(deadline: .now() + .nanoseconds(Int(at > current ? at - current : 0)), leeway: .milliseconds(5))
    }

    private func timerFired() {
        timerFireAt = nil
        guard !isClosed, let deadline else { return }
        guard now() >= deadline else { return schedule(deadline) }
        self.deadline = nil
        if isDraining { return close() }
        if handler?.connectionTimedOut(self) ?? true {
            logger.debug("connection timed out", ["remote": remoteAddress])
            close()
        } else {
            flush()
        }
    }

    func close() {
        guard !isClosed else { return }
        isClosed = true
        timer?.cancel()
        if let readiness {
            readiness.cancel()
        } else {
            _ = Glibc.close(fd)
            descriptorClosed()
        }
    }

    private func descriptorClosed() {
        handler?.connectionClosed(self)
        handler = nil
        onClosed(self)
    }

    func now() -> UInt64 { WallClock.monotonicNano() }
}

extension Double {
    /// Seconds as nanoseconds, negative as zero.
    var nanoseconds: UInt64 { UInt64(Swift.max(0, self) * 1e9) }
}
