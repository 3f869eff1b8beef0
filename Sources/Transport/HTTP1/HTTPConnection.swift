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

/// One HTTP/1.1 connection, confined to its own serial queue: reads, parses, calls the handler and
/// writes answers in request order.
final class HTTPConnection: @unchecked Sendable {
    private enum Phase {
        /// Waiting for (the rest of) a request head.
        case head
        /// Reading the body of `request`.
        case body
        /// The last answer is queued; no more requests are read.
        case closing
        /// Our side is shut down for writing; discarding input until EOF before closing (lingering close).
        case draining
    }

    let id: UInt64
    private let fd: Int32
    private let remoteAddress: String
    private let queue: DispatchQueue
    private let context: ServerContext
    private var configuration: HTTPServer.Configuration { context.configuration }

    /// Guarded by `queue`.
    private var readiness: (any FDReadiness)?
    /// Guarded by `queue`.
    private var timer: (any DispatchSourceTimer)?
    /// Guarded by `queue`.
    private let inbound = InboundBuffer()
    /// Guarded by `queue`.
    private var phase = Phase.head
    /// Guarded by `queue`. Where the scan for the end of the head resumes.
    private var headScanFrom = 0
    /// Guarded by `queue`. When the first byte of the current head arrived (monotonic ns).
    private var headStartedAt: UInt64?
    /// Guarded by `queue`. The head whose body is being read.
    private var request: RequestHead?
    /// Guarded by `queue`.
    private var bodyReader: BodyReader?
    /// Guarded by `queue`.
    private var outbound: [UInt8] = []
    /// Guarded by `queue`. Bytes of `outbound` already sent.
    private var outboundSent = 0
    /// Guarded by `queue`.
    private var closeAfterFlush = false
    /// Guarded by `queue`. The peer sent EOF.
    private var peerClosed = false
    /// Guarded by `queue`.
    private var closed = false
    /// Guarded by `queue`. When the connection times out (monotonic ns), if ever.
    private var deadline: UInt64?
    /// Guarded by `queue`. When the timer is set to fire.
    private var timerFireAt: UInt64?

    private static let maxReadsPerWake = 16
    private static let maxReadSize = 64 * 1024
    /// Unsent output above which reading (and answering pipelined requests) pauses.
    private static let outputHighWater = 256 * 1024
    private static let lingerNanos: UInt64 = 500_000_000

    init(id: UInt64, fd: Int32, remoteAddress: String, context: ServerContext) {
        self.id = id
        self.fd = fd
        self.remoteAddress = remoteAddress
        self.context = context
        queue = DispatchQueue(label: "swiftlet.http.connection")
    }

    func start() {
        queue.async { [self] in
            let handlers = FDEventHandlers(
                onReadable: { [self] in readAvailable() },
                onWritable: { [self] in writable() },
                onClosed: { [self] in context.remove(self) })
            readiness = Readiness.watch(fd: fd, queue: queue, handlers: handlers)
            let timer = DispatchSource.makeTimerSource(queue: queue)
            timer.setEventHandler { [self] in timerFired() }
            timer.schedule(deadline: .distantFuture)
            timer.resume()
            self.timer = timer
            // As Go's ReadHeaderTimeout: a new connection must deliver its first head in time.
            setDeadline(now() + nanos(configuration.headerReadTimeout))
        }
    }

    /// Server shutdown: close at once if idle; otherwise the answer in flight carries `Connection: close`.
    func beginShutdown() {
        queue.async { [self] in
            if case .head = phase, inbound.isEmpty, outboundSent >= outbound.count { close() }
        }
    }

    func forceClose() {
        queue.async { [self] in close() }
    }

    // MARK: Reading

    private func readAvailable() {
        dispatchPrecondition(condition: .onQueue(queue))
        for _ in 0..<Self.maxReadsPerWake {
            guard !closed else { return }
            let space = inbound.writable(minimum: 4096, maximum: Self.maxReadSize)
            switch Socket.read(fd, into: space) {
            case let .bytes(n):
                inbound.commit(n)
                if case .draining = phase {
                    inbound.reset()
                    continue
                }
                process()
                guard wantsToRead else { return }
            case .endOfFile:
                peerSentEOF()
                return
            case .wouldBlock:
                return
            case let .failed(code):
                context.logger.debug("read failed", ["remote": remoteAddress, "error": SocketError.errnoText(code)])
                close()
                return
            }
        }
    }

    private var wantsToRead: Bool {
        switch phase {
        case .draining: true
        case .closing: false
        case .head, .body: !closed && !peerClosed && outbound.count - outboundSent <= Self.outputHighWater
        }
    }

    private func refreshReadInterest() {
        readiness?.setReadInterest(wantsToRead)
    }

    private func peerSentEOF() {
        peerClosed = true
        refreshReadInterest()
        switch phase {
        case .draining, .body:
            close()
        case .head:
            if outboundSent >= outbound.count { close() } else { closeAfterFlush = true }
        case .closing:
            break
        }
    }

    // MARK: Parsing

    /// Handles every complete request in the buffer, in order, until output backs up.
    private func process() {
        while !closed, outbound.count - outboundSent <= Self.outputHighWater {
            switch phase {
            case .head:
                guard readHead() else { return refreshReadInterest() }
            case .body:
                guard readBody() else { return refreshReadInterest() }
            case .closing, .draining:
                return refreshReadInterest()
            }
        }
        refreshReadInterest()
    }

    /// Returns whether processing can go on.
    private func readHead() -> Bool {
        if inbound.isEmpty {
            if context.isShuttingDown, outboundSent >= outbound.count { close() }
            setDeadline(now() + nanos(configuration.idleTimeout))
            return false
        }
        let skipped = HTTPParser.leadingEmptyLines(inbound.readable)
        if skipped > 0 {
            inbound.consume(skipped)
            return true
        }
        let buffer = inbound.readable
        guard let length = HTTPParser.headLength(buffer, from: headScanFrom) else {
            guard buffer.count <= configuration.maxHeaderBytes else {
                fail(.headerTooLarge, head: nil)
                return false
            }
            headScanFrom = HTTPParser.resumePoint(buffer.count)
            let started = headStartedAt ?? now()
            headStartedAt = started
            setDeadline(started + nanos(configuration.headerReadTimeout))
            return false
        }
        headScanFrom = 0
        headStartedAt = nil
        guard length <= configuration.maxHeaderBytes else {
            fail(.headerTooLarge, head: nil)
            return false
        }
        return startRequest(UnsafeRawBufferPointer(rebasing: buffer[0..<length]))
    }

    private func startRequest(_ headBytes: UnsafeRawBufferPointer) -> Bool {
        var head: RequestHead
        do {
            head = try HTTPParser.parseHead(headBytes)
        } catch {
            fail(error, head: nil)
            return false
        }
        inbound.consume(headBytes.count)
        do {
            try HTTPParser.analyze(&head, decompression: configuration.decompression)
        } catch {
            fail(error, head: head)
            return false
        }
        var hasBody = true
        if case let .length(count) = head.framing {
            // Refuse before reading, and without a 100 Continue (RFC 9110 §10.1.1).
            guard count <= configuration.maxRequestBodySize else {
                fail(.bodyTooLarge, head: head)
                return false
            }
            hasBody = count > 0
        }
        if head.expectContinue, hasBody, inbound.isEmpty {
            outbound.append(contentsOf: "HTTP/1.1 100 Continue\r\n\r\n".utf8)
            flush()
        }
        request = head
        bodyReader = BodyReader(framing: head.framing, limit: configuration.maxRequestBodySize, maxTrailerBytes: configuration.maxHeaderBytes)
        phase = .body
        return !closed
    }

    private func readBody() -> Bool {
        guard let head = request else { return false }
        do {
            let used = try bodyReader?.consume(inbound.readable) ?? 0
            inbound.consume(used)
        } catch {
            fail(error, head: head)
            return false
        }
        guard bodyReader?.isComplete == true, let body = bodyReader?.takeBody() else {
            setDeadline(now() + nanos(configuration.idleTimeout))
            return false
        }
        request = nil
        bodyReader = nil
        phase = .head
        complete(head, body)
        return true
    }

    private func complete(_ head: RequestHead, _ body: [UInt8]) {
        var body = body
        if let coding = head.contentCoding, !body.isEmpty {
            do {
                body = try decode(body, coding)
            } catch {
                fail(error, head: head, bodyConsumed: true)
                return
            }
        }
        let response = context.handler.handle(head.request(body: body, remoteAddress: remoteAddress))
        respond(response, head: head, keepAlive: head.keepAlive)
    }

    private func decode(_ body: [UInt8], _ coding: ContentCoding) throws(HTTPParseError) -> [UInt8] {
        let limit = configuration.maxRequestBodySize
        let result = body.withUnsafeBytes { raw in
            Result { () throws(DecompressionError) -> [UInt8] in
                switch coding {
                case .gzip:
                    return try Decompression.inflate(raw, format: .gzip, limit: limit)
                case .deflate:
                    let format: Decompression.Format = Decompression.hasZlibHeader(raw) ? .zlib : .rawDeflate
                    return try Decompression.inflate(raw, format: format, limit: limit)
                }
            }
        }
        switch result {
        case let .success(inflated): return inflated
        case .failure(.tooLarge): throw .bodyTooLarge
        case let .failure(.malformed(reason)): throw .badCompressedBody(reason)
        }
    }

    // MARK: Writing

    private func fail(_ error: HTTPParseError, head: RequestHead?, bodyConsumed: Bool = false) {
        context.logger.debug("rejecting request", ["remote": remoteAddress, "status": error.status, "reason": error.message])
        let request = head?.request(body: [], remoteAddress: remoteAddress)
        let response = context.handler.errorResponse(status: error.status, message: error.message, request: request)
        // After an error with the body unread, the framing is unknown: answer, then close.
        respond(response, head: head, keepAlive: bodyConsumed && head?.keepAlive == true)
    }

    private func respond(_ response: HTTPResponse, head: RequestHead?, keepAlive: Bool) {
        var keepAlive = keepAlive && !context.isShuttingDown && !peerClosed
        if response.headers.contains(where: { $0.0.lowercased() == "connection" && $0.1.lowercased() == "close" }) {
            keepAlive = false
        }
        ResponseWriter.append(response, to: &outbound, headRequest: head?.method == "HEAD",
                              connection: keepAlive ? (head?.minorVersion == 0 ? "keep-alive" : nil) : "close")
        if !keepAlive {
            phase = .closing
            closeAfterFlush = true
            request = nil
            bodyReader = nil
        }
        flush()
    }

    private func flush() {
        guard !closed else { return }
        while outboundSent < outbound.count {
            let result = outbound.withUnsafeBytes { Socket.write(fd, from: UnsafeRawBufferPointer(rebasing: $0[outboundSent...])) }
            switch result {
            case let .bytes(n):
                outboundSent += n
            case .wouldBlock:
                readiness?.setWriteInterest(true)
                setDeadline(now() + nanos(configuration.idleTimeout))
                return
            case .endOfFile, .failed:
                close()
                return
            }
        }
        outbound.removeAll(keepingCapacity: outbound.capacity <= 64 * 1024)
        outboundSent = 0
        readiness?.setWriteInterest(false)
        if closeAfterFlush { startDraining() }
    }

    private func writable() {
        flush()
        guard !closed, outboundSent >= outbound.count else { return }
        switch phase {
        case .head, .body: process()
        case .closing, .draining: break
        }
    }

    /// Lingering close: half-close, then discard input briefly, so the peer reads our answer instead
    /// of an RST caused by unread data it already sent.
    private func startDraining() {
        guard !closed else { return }
        if peerClosed { return close() }
        phase = .draining
        _ = Glibc.shutdown(fd, Int32(SHUT_WR))
        inbound.reset()
        setDeadline(now() + Self.lingerNanos)
        refreshReadInterest()
    }

    // MARK: Timeouts and closing

    private func setDeadline(_ newDeadline: UInt64) {
        deadline = newDeadline
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
        guard !closed, let deadline else { return }
        guard now() >= deadline else { return schedule(deadline) }
        context.logger.debug("connection timed out", ["remote": remoteAddress])
        close()
    }

    private func close() {
        guard !closed else { return }
        closed = true
        timer?.cancel()
        readiness?.cancel()
    }

    private func now() -> UInt64 { WallClock.monotonicNano() }

    private func nanos(_ seconds: Double) -> UInt64 { UInt64(max(0, seconds) * 1e9) }
}
