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

    /// TLS between the socket and the protocol, if this connection uses it. Guarded by `queue`.
    private let tls: TLSSession?
    /// Guarded by `queue`. With TLS on a server: makes the protocol once ALPN has chosen it.
    var protocolForALPN: ((String?) -> any ConnectionProtocol)?
    /// Guarded by `queue`. Ciphertext not yet written, and how much of it was.
    private var tlsOutput: [UInt8] = []
    private var tlsOutputSent = 0
    /// Guarded by `queue`. When an unfinished TLS handshake is given up (monotonic ns).
    private var handshakeDeadline: UInt64?
    /// Guarded by `queue`. A hand-over asked for during the handshake, passed on after it.
    private var handOverPending = false
    /// Guarded by `queue`. Why the connection failed, when it did (a refused certificate, say), for
    /// a client to report in its error.
    private(set) var failure: String?
    /// Guarded by `queue`. The subject of the certificate a TLS peer presented and OpenSSL verified.
    private(set) var peerCertificateSubject: String?

    private static let maxReadsPerWake = 16
    private static let maxReadSize = 64 * 1024
    private static let lingerNanos: UInt64 = 500_000_000

    /// `tls` puts a TLS session under the protocol; its handshake must end within `handshakeTimeout`
    /// seconds, and the protocol hears of the connection (`connectionStarted`) only once it has.
    init(id: UInt64, fd: Int32, remoteAddress: String, logger: Logger, label: String = "swiftlet.connection",
         tls: TLSSession? = nil, handshakeTimeout: Double = 10,
         onClosed: @escaping @Sendable (Connection) -> Void = { _ in }) {
        self.id = id
        self.fd = fd
        self.tls = tls
        if tls != nil { handshakeDeadline = WallClock.monotonicNano() + handshakeTimeout.nanoseconds }
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
            readiness = Readiness.watchStream(fd: fd, queue: queue, handlers: handlers)
            let timer = DispatchSource.makeTimerSource(queue: queue)
            timer.setEventHandler { [self] in timerFired() }
            timer.schedule(deadline: .distantFuture)
            timer.resume()
            self.timer = timer
            if let tls {
                if let handshakeDeadline { schedule(handshakeDeadline) }
                // A client speaks first: its ClientHello.
                if tls.role == .client { _ = advanceHandshake(tls) }
            } else {
                handler?.connectionStarted(self)
            }
            flush()
        }
    }

    func requestShutdown() {
        queue.async { [self] in
            guard !isClosed else { return }
            if let tls, !tls.handshakeDone { return close() }
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
            if let tls, !tls.handshakeDone { return handOverPending = true }
            handler?.connectionHandOverRequested(self)
            flush()
        }
    }

    func forceClose() {
        queue.async { [self] in close() }
    }

    // MARK: Output

    /// Bytes queued and not yet written.
    var pendingOutput: Int { outbound.count - outboundSent + tlsOutput.count - tlsOutputSent }

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
        if let tls { return flushTLS(tls) }
        switch writeOut(&outbound, sent: &outboundSent) {
        case .blocked: return
        case .failed: return close()
        case .done: allWritten()
        }
    }

    private enum WriteOutcome {
        case done, blocked, failed
    }

    /// Writes `buffer` from `sent` on; empties it once all is written.
    private func writeOut(_ buffer: inout [UInt8], sent: inout Int) -> WriteOutcome {
        while sent < buffer.count {
            let result = buffer.withUnsafeBytes { Socket.write(fd, from: UnsafeRawBufferPointer(rebasing: $0[sent...])) }
            switch result {
            case let .bytes(n):
                sent += n
            case .wouldBlock:
                awaitingWritable = true
                readiness?.setWriteInterest(true)
                return .blocked
            case .endOfFile, .failed:
                return .failed
            }
        }
        buffer.removeAll(keepingCapacity: buffer.capacity <= Self.keptOutputCapacity)
        sent = 0
        return .done
    }

    private func allWritten() {
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
        if let tls, outbound.count == outboundSent {
            tls.shutdown()
            tls.takeOutput(into: &tlsOutput)
        }
        if pendingOutput == 0 { startDraining() }
    }

    private func writable() {
        flush()
    }

    // MARK: Input

    private func readAvailable() {
        dispatchPrecondition(condition: .onQueue(queue))
        for _ in 0..<Self.maxReadsPerWake {
            guard !isClosed, !peerClosed else { return }
            let (result, filled) = tls.map(readThroughTLS) ?? readPlain()
            switch result {
            case .bytes:
                if isDraining { continue }
                if tls == nil { handler?.connectionReceived(self) }
                flush()
                guard wantsToRead else { return refreshReadInterest() }
                // A read that did not fill the space offered emptied the socket's receive queue:
                // another would only return EAGAIN. Readiness is level-triggered, so bytes that
                // arrive meanwhile wake this queue again.
                if !filled { return }
            case .endOfFile, .failed:
                return inputEnded(result)
            case .wouldBlock:
                return
            }
        }
        // Bytes may be left after the last read of this wake, and an edge-triggered readiness
        // tells of no bytes that were there already: come back after what else waits on the queue.
        queue.async { [self] in if wantsToRead { readAvailable() } }
    }

    /// One read into `inbound`, and whether it filled the space offered.
    private func readPlain() -> (IOResult, filled: Bool) {
        let space = inbound.writable(minimum: 4096, maximum: Self.maxReadSize)
        let result = Socket.read(fd, into: space)
        guard case let .bytes(n) = result else { return (result, false) }
        inbound.commit(n)
        if isDraining { inbound.reset() }
        return (result, n == space.count)
    }

    /// EOF or a read error. A peer gone before its TLS handshake ended has nothing to be answered.
    private func inputEnded(_ result: IOResult) {
        if case let .failed(code) = result {
            logger.debug("read failed", ["remote": remoteAddress, "error": SocketError.errnoText(code)])
            return close()
        }
        peerClosed = true
        refreshReadInterest()
        if isDraining || tls?.handshakeDone == false { return close() }
        handler?.connectionPeerClosed(self)
        flush()
    }

    private var wantsToRead: Bool {
        if isClosed || peerClosed { return false }
        if isDraining { return true }
        if let tls, !tls.handshakeDone { return true }
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
        guard !isClosed else { return }
        if handshakeTimedOut() { return }
        let handshakeDue = tls?.handshakeDone == false ? handshakeDeadline : nil
        guard let deadline else {
            if let handshakeDue { schedule(handshakeDue) }
            return
        }
        guard now() >= deadline else { return schedule(min(deadline, handshakeDue ?? deadline)) }
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

// MARK: TLS

extension Connection {
    /// Ciphertext read per call, on the stack: as much as a plain read takes, several records.
    private static let tlsReadSize = 64 * 1024
    /// Plaintext encrypted per step, and the ciphertext that may wait before more is encrypted:
    /// about what one plain-text write hands a loopback socket, so TLS makes no more writes.
    private static let tlsChunk = 256 * 1024

    /// Bytes as if read from the socket, through TLS when there is TLS (the fuzzing harness).
    func receive(_ bytes: UnsafeRawBufferPointer) {
        dispatchPrecondition(condition: .onQueue(queue))
        guard !isClosed, !isDraining else { return }
        if let tls {
            tls.withInput(bytes) { decrypt(tls) }
        } else {
            let space = inbound.writable(minimum: bytes.count, maximum: bytes.count)
            space.copyMemory(from: bytes)
            inbound.commit(bytes.count)
            handler?.connectionReceived(self)
        }
        flush()
    }

    /// One read from the socket, decrypted while the ciphertext is still where it was read
    /// (dropped while draining).
    private func readThroughTLS(_ tls: TLSSession) -> (IOResult, filled: Bool) {
        withUnsafeTemporaryAllocation(byteCount: Self.tlsReadSize, alignment: 16) { space -> (IOResult, filled: Bool) in
            let result = Socket.read(fd, into: space)
            guard case let .bytes(n) = result else { return (result, false) }
            if !isDraining {
                tls.withInput(UnsafeRawBufferPointer(rebasing: space[0..<n])) { decrypt(tls) }
            }
            return (result, n == space.count)
        }
    }

    /// Advances the handshake, then moves every decrypted byte into `inbound` and tells the protocol.
    private func decrypt(_ tls: TLSSession) {
        if !tls.handshakeDone, !advanceHandshake(tls) { return }
        var received = false
        defer { if received, !isClosed { handler?.connectionReceived(self) } }
        while !isClosed {
            switch tls.read(into: inbound.writable(minimum: 4096, maximum: Self.maxReadSize)) {
            case let .ready(n):
                inbound.commit(n)
                received = true
            case .needInput:
                return tls.takeOutput(into: &tlsOutput)
            case .closed:
                // close_notify: the peer sends nothing more, as at EOF.
                tls.takeOutput(into: &tlsOutput)
                peerClosed = true
                refreshReadInterest()
                if received { handler?.connectionReceived(self) }
                received = false
                handler?.connectionPeerClosed(self)
                return
            case let .failed(error):
                return tlsFailed(error)
            }
        }
    }

    /// Returns whether the handshake is done; a failure closes the connection after the alert is sent.
    private func advanceHandshake(_ tls: TLSSession) -> Bool {
        switch tls.handshake() {
        case .ready:
            handshakeCompleted(tls)
            return true
        case .needInput:
            tls.takeOutput(into: &tlsOutput)
            return false
        case .closed:
            tlsFailed(TLSError("TLS handshake failed: the peer closed the connection"))
            return false
        case let .failed(error):
            tlsFailed(error)
            return false
        }
    }

    private func handshakeCompleted(_ tls: TLSSession) {
        tls.takeOutput(into: &tlsOutput)
        handshakeDeadline = nil
        peerCertificateSubject = tls.peerSubject
        if let makeProtocol = protocolForALPN {
            handler = makeProtocol(tls.negotiatedProtocol)
            protocolForALPN = nil
        }
        handler?.connectionStarted(self)
        if handOverPending { handler?.connectionHandOverRequested(self) }
    }

    /// Sends what OpenSSL queued (an alert) and closes.
    private func tlsFailed(_ error: TLSError) {
        failure = error.description
        logger.debug("TLS failed", ["remote": remoteAddress, "error": error.description])
        tls?.takeOutput(into: &tlsOutput)
        outbound.removeAll()
        outboundSent = 0
        closeAfterFlush = true
        flush()
    }

    /// Whether an unfinished handshake ran out of time (and the connection was closed).
    private func handshakeTimedOut() -> Bool {
        guard let tls, !tls.handshakeDone, let handshakeDeadline, now() >= handshakeDeadline else { return false }
        failure = "TLS handshake timed out"
        logger.debug("TLS handshake timed out", ["remote": remoteAddress])
        close()
        return true
    }

    /// As `flush`, through TLS: plaintext is encrypted in steps while little ciphertext waits, so
    /// neither is held twice in full; nothing is encrypted before the handshake is done.
    private func flushTLS(_ tls: TLSSession) {
        while true {
            if tls.handshakeDone, let error = encryptSome(tls) { return tlsFailed(error) }
            tls.takeOutput(into: &tlsOutput)
            switch writeOut(&tlsOutput, sent: &tlsOutputSent) {
            case .blocked: return
            case .failed: return close()
            case .done: break
            }
            if tls.handshakeDone, outboundSent < outbound.count { continue }
            break
        }
        allWritten()
    }

    private func encryptSome(_ tls: TLSSession) -> TLSError? {
        while outboundSent < outbound.count, tlsOutput.count - tlsOutputSent < Self.tlsChunk {
            // A short tail goes with the chunk before it: one write, not a second for a few bytes.
            let remaining = outbound.count - outboundSent
            let end = outboundSent + (remaining <= Self.tlsChunk + Self.tlsChunk / 4 ? remaining : Self.tlsChunk)
            if let error = outbound.withUnsafeBytes({ tls.write(UnsafeRawBufferPointer(rebasing: $0[outboundSent..<end])) }) {
                return error
            }
            outboundSent = end
            tls.takeOutput(into: &tlsOutput)
        }
        guard outboundSent == outbound.count else { return nil }
        outbound.removeAll(keepingCapacity: outbound.capacity <= Self.keptOutputCapacity)
        outboundSent = 0
        if closeAfterFlush { tls.shutdown() }
        return nil
    }
}

extension Double {
    /// Seconds as nanoseconds, negative as zero.
    var nanoseconds: UInt64 { UInt64(Swift.max(0, self) * 1e9) }
}
