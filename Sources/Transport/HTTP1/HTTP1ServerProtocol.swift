import Diagnostics
import Dispatch

/// HTTP/1.1 server side of one `Connection`: parses requests, calls the handler and writes answers
/// in request order (keep-alive, pipelining, chunked bodies, 100-continue, decompression, timeouts).
final class HTTP1ServerProtocol: ConnectionProtocol, @unchecked Sendable {
    private enum Phase {
        /// Waiting for (the rest of) a request head.
        case head
        /// Reading the body of `request`.
        case body
        /// The last answer is queued; no more requests are read.
        case closing
    }

    private let context: ServerContext
    private var configuration: HTTPServer.Configuration { context.configuration }

    // All state below is guarded by the connection's queue.
    private var phase = Phase.head
    /// Where the scan for the end of the head resumes.
    private var headScanFrom = 0
    /// When the first byte of the current head arrived (monotonic ns).
    private var headStartedAt: UInt64?
    /// The head whose body is being read.
    private var request: RequestHead?
    private var bodyReader: BodyReader?
    /// Bytes of the admission budget this request holds.
    private var admitted = 0
    /// When the body started waiting for admission (monotonic ns), while it waits.
    private var admissionWaitStarted: UInt64?

    /// Unsent output above which reading (and answering pipelined requests) pauses.
    private static let outputHighWater = 256 * 1024
    /// When the connection started (monotonic ns).
    private var startedAt: UInt64 = 0
    /// Whether any byte of a request has arrived on this connection yet.
    private var heardFrom = false
    /// How long a connection that has sent nothing yet may stay open after a shutdown (or an
    /// eviction) asked idle connections to close: a client that has just connected is about to
    /// send its request, and closing under it fails that request (a reload handing the listening
    /// socket over met this). Go's `Server.Shutdown` gives new connections 5 s; a second keeps
    /// shutdown quick.
    private static let newConnectionGrace: UInt64 = 1_000_000_000

    init(context: ServerContext) {
        self.context = context
    }

    func connectionStarted(_ c: Connection) {
        startedAt = c.now()
        // As Go's ReadHeaderTimeout: a new connection must deliver its first head in time.
        c.setDeadline(c.now() + configuration.headerReadTimeout.nanoseconds)
    }

    func connectionReceived(_ c: Connection) {
        heardFrom = true
        process(c)
    }

    /// Idle and free to close: nothing pending, and not a new connection within its grace (then
    /// its deadline is brought forward to the end of the grace instead).
    private func closesIdle(_ c: Connection) -> Bool {
        guard case .head = phase, c.inbound.isEmpty, c.pendingOutput == 0 else { return false }
        let graceEnds = startedAt + Self.newConnectionGrace
        if heardFrom || c.now() >= graceEnds { return true }
        c.setDeadline(min(graceEnds, startedAt + configuration.headerReadTimeout.nanoseconds))
        return false
    }

    func connectionDrained(_ c: Connection) {
        if context.isShuttingDown, closesIdle(c) { return c.close() }
        if phase != .closing { process(c) }
    }

    func connectionPeerClosed(_ c: Connection) {
        switch phase {
        case .body:
            c.close()
        case .head:
            if c.pendingOutput == 0 { c.close() } else { c.closeWhenFlushed() }
        case .closing:
            break
        }
    }

    func connectionTimedOut(_ c: Connection) -> Bool { true }

    func connectionShutdownRequested(_ c: Connection) {
        if closesIdle(c) { c.close() }
    }

    /// Nothing to do now: an idle connection stays open, so a request the client is sending is
    /// not cut off (the keep-alive race of RFC 9112 §9.3.1), and every answer from now on says
    /// `Connection: close` (`respond`). The idle timeout closes a connection the client leaves.
    func connectionHandOverRequested(_ c: Connection) {}

    func connectionClosed(_ c: Connection) { releaseAdmission() }

    func wantsToRead(_ c: Connection) -> Bool {
        phase != .closing && admissionWaitStarted == nil && c.pendingOutput <= Self.outputHighWater
    }

    // MARK: Admission

    /// Reserves room for the body: all of a declared Content-Length at once (so requests never
    /// hold part of the budget while waiting for the rest), a chunked body as it arrives. False
    /// while the budget is full.
    private func admit(_ c: Connection) -> Bool {
        guard let budget = configuration.admission else { return true }
        let mayHold: Int
        if case let .length(count)? = request?.framing {
            mayHold = count
        } else {
            mayHold = (bodyReader?.body.count ?? 0) + c.inbound.count
        }
        let need = mayHold - admitted
        guard need > 0 else { return true }
        if budget.tryReserve(need) {
            admitted += need
            admissionWaitStarted = nil
            return true
        }
        return false
    }

    /// The budget is full: pause reading and look again shortly; past the wait, answer 429.
    private func waitForAdmission(_ c: Connection) {
        let started = admissionWaitStarted ?? c.now()
        admissionWaitStarted = started
        guard c.now() - started < configuration.admissionWait.nanoseconds else {
            admissionWaitStarted = nil
            return fail(c, .overloaded, head: request)
        }
        c.refreshReadInterest()
        c.queue.asyncAfter(deadline: .now() + .milliseconds(10)) { [weak self, weak c] in
            guard let self, let c, !c.isClosed, self.admissionWaitStarted != nil else { return }
            self.process(c)
        }
    }

    private func releaseAdmission() {
        configuration.admission?.release(admitted)
        admitted = 0
    }

    // MARK: Parsing

    /// Handles every complete request in the buffer, in order, until output backs up.
    private func process(_ c: Connection) {
        while !c.isClosed, c.pendingOutput <= Self.outputHighWater {
            switch phase {
            case .head:
                guard readHead(c) else { return c.refreshReadInterest() }
            case .body:
                guard readBody(c) else { return c.refreshReadInterest() }
            case .closing:
                return c.refreshReadInterest()
            }
        }
        c.refreshReadInterest()
    }

    /// Returns whether processing can go on.
    private func readHead(_ c: Connection) -> Bool {
        let inbound = c.inbound
        if inbound.isEmpty {
            if context.isShuttingDown, closesIdle(c) { c.close() }
            if !heardFrom { return false }  // the head deadline (or the grace) stands
            c.setDeadline(c.now() + configuration.idleTimeout.nanoseconds)
            return false
        }
        let skipped = HTTPParser.leadingEmptyLines(inbound.readable)
        if skipped > 0 {
            inbound.consume(skipped)
            return true
        }
        let buffer = inbound.readable
        // A TLS handshake record (RFC 8446 §5.1, content type 22) never starts a request line: a
        // TLS client on a plain port is told at once instead of waiting out the header timeout.
        if buffer.first == 22 {
            fail(c, .malformed("a TLS handshake on a plain-text port (use http://, or configure tls on this receiver)"), head: nil)
            return false
        }
        guard let length = HTTPParser.headLength(buffer, from: headScanFrom) else {
            guard buffer.count <= configuration.maxHeaderBytes else {
                fail(c, .headerTooLarge, head: nil)
                return false
            }
            headScanFrom = HTTPParser.resumePoint(buffer.count)
            let started = headStartedAt ?? c.now()
            headStartedAt = started
            c.setDeadline(started + configuration.headerReadTimeout.nanoseconds)
            return false
        }
        headScanFrom = 0
        headStartedAt = nil
        guard length <= configuration.maxHeaderBytes else {
            fail(c, .headerTooLarge, head: nil)
            return false
        }
        return startRequest(c, UnsafeRawBufferPointer(rebasing: buffer[0..<length]))
    }

    private func startRequest(_ c: Connection, _ headBytes: UnsafeRawBufferPointer) -> Bool {
        var head: RequestHead
        do {
            head = try HTTPParser.parseHead(headBytes)
        } catch {
            fail(c, error, head: nil)
            return false
        }
        c.inbound.consume(headBytes.count)
        do {
            try HTTPParser.analyze(&head, decompression: configuration.decompression)
        } catch {
            fail(c, error, head: head)
            return false
        }
        var hasBody = true
        if case let .length(count) = head.framing {
            // Refuse before reading, and without a 100 Continue (RFC 9110 §10.1.1).
            guard count <= configuration.maxRequestBodySize else {
                fail(c, .bodyTooLarge, head: head)
                return false
            }
            hasBody = count > 0
        }
        if head.expectContinue, hasBody, c.inbound.isEmpty {
            c.write("HTTP/1.1 100 Continue\r\n\r\n".utf8)
            c.flush()
        }
        request = head
        bodyReader = BodyReader(framing: head.framing, limit: configuration.maxRequestBodySize, maxTrailerBytes: configuration.maxHeaderBytes)
        phase = .body
        return !c.isClosed
    }

    private func readBody(_ c: Connection) -> Bool {
        guard let head = request else { return false }
        guard admit(c) else {
            waitForAdmission(c)
            return false
        }
        do {
            let used = try bodyReader?.consume(c.inbound.readable) ?? 0
            c.inbound.consume(used)
        } catch {
            fail(c, error, head: head)
            return false
        }
        guard bodyReader?.isComplete == true, let body = bodyReader?.takeBody() else {
            c.setDeadline(c.now() + configuration.idleTimeout.nanoseconds)
            return false
        }
        request = nil
        bodyReader = nil
        phase = .head
        complete(c, head, body)
        return true
    }

    private func complete(_ c: Connection, _ head: RequestHead, _ body: [UInt8]) {
        var body = body
        if let coding = head.contentCoding, !body.isEmpty {
            do {
                body = try coding.decodeBody(body, limit: configuration.maxRequestBodySize)
            } catch {
                fail(c, error, head: head, bodyConsumed: true)
                return
            }
        }
        let response = context.handler.handle(head.request(body: body, remoteAddress: c.remoteAddress))
        releaseAdmission()
        respond(c, response, head: head, keepAlive: head.keepAlive)
    }

    // MARK: Writing

    private func fail(_ c: Connection, _ error: HTTPParseError, head: RequestHead?, bodyConsumed: Bool = false) {
        c.logger.debug("rejecting request", ["remote": c.remoteAddress, "status": error.status, "reason": error.message])
        releaseAdmission()
        let request = head?.request(body: [], remoteAddress: c.remoteAddress)
        var response = context.handler.errorResponse(status: error.status, message: error.message, request: request)
        if error == .overloaded, !response.headers.contains(where: { $0.0.lowercased() == "retry-after" }) {
            response.headers.append(("Retry-After", "1"))
        }
        // After an error with the body unread, the framing is unknown: answer, then close.
        respond(c, response, head: head, keepAlive: bodyConsumed && head?.keepAlive == true)
    }

    private func respond(_ c: Connection, _ response: HTTPResponse, head: RequestHead?, keepAlive: Bool) {
        var keepAlive = keepAlive && !context.isShuttingDown && !context.isHandedOver && !c.peerClosed
        if response.headers.contains(where: { $0.0.lowercased() == "connection" && $0.1.lowercased() == "close" }) {
            keepAlive = false
        }
        var bytes: [UInt8] = []
        ResponseWriter.append(response, to: &bytes, headRequest: head?.method == "HEAD",
                              connection: keepAlive ? (head?.minorVersion == 0 ? "keep-alive" : nil) : "close")
        c.write(bytes)
        if !keepAlive {
            phase = .closing
            request = nil
            bodyReader = nil
            c.closeWhenFlushed()
        }
        c.flush()
        if c.pendingOutput > 0 { c.setDeadline(c.now() + configuration.idleTimeout.nanoseconds) }
    }
}
