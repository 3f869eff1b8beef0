import Diagnostics

/// HTTP/1.1 client side of one `Connection`: one request at a time, then back to the pool when
/// the response leaves the connection reusable.
final class HTTP1ClientProtocol: ConnectionProtocol, @unchecked Sendable {
    private let authority: String
    /// Called on the connection's queue after a response that leaves the connection reusable.
    private let onIdle: @Sendable (Connection) -> Void
    private let onClosed: @Sendable (Connection) -> Void
    // All state below is guarded by the connection's queue.
    private var completion: HTTPClientCompletion?
    private var method = "POST"
    private var head: ResponseHead?
    private var bodyReader: BodyReader?
    private var untilCloseBody: [UInt8] = []
    private var onBodyBytes: (@Sendable ([UInt8]) -> Void)?
    private static let maxResponseBody = 16 << 20
    private static let maxHeadBytes = 64 << 10

    init(authority: String, onIdle: @escaping @Sendable (Connection) -> Void, onClosed: @escaping @Sendable (Connection) -> Void = { _ in }) {
        self.authority = authority
        self.onIdle = onIdle
        self.onClosed = onClosed
    }

    func start(_ c: Connection, _ request: HTTPClientRequest, timeout: Double, completion: @escaping HTTPClientCompletion) {
        // A TLS handshake can fail (and the connection close) before the request is started:
        // its reason still goes to the caller.
        guard !c.isClosed, !c.peerClosed else { return completion(.failure(.connectionLost(c.failure ?? "the connection closed"))) }
        self.completion = completion
        method = request.method
        onBodyBytes = request.onBodyBytes
        var text = "\(request.method) \(request.path) HTTP/1.1\r\nHost: \(authority)\r\n"
        if request.method != "GET" || !request.body.isEmpty { text += "Content-Length: \(request.bodyPrefix.count + request.body.count)\r\n" }
        for (name, value) in request.headers { text += "\(name): \(value)\r\n" }
        text += "\r\n"
        c.write(text.utf8)
        c.write(request.bodyPrefix)
        c.write(request.body)
        c.setDeadline(timeout > 0 ? c.now() + timeout.nanoseconds : nil)
        c.flush()
        c.refreshReadInterest()
    }

    private func finish(_ c: Connection, _ result: Result<HTTPClientResponse, HTTPClientError>, reusable: Bool) {
        let completion = self.completion
        self.completion = nil
        head = nil
        bodyReader = nil
        untilCloseBody = []
        onBodyBytes = nil
        c.setDeadline(nil)
        if reusable { onIdle(c) } else { c.close() }
        completion?(result)
    }

    func connectionStarted(_ c: Connection) {}

    func connectionReceived(_ c: Connection) {
        guard completion != nil else {
            // Bytes nobody asked for: the connection's framing is lost.
            return c.close()
        }
        do {
            try parse(c)
        } catch {
            finish(c, .failure(.malformedResponse(error.message)), reusable: false)
        }
    }

    private func parse(_ c: Connection) throws(HTTPParseError) {
        if head == nil {
            guard let length = HTTPParser.headLength(c.inbound.readable, from: 0) else {
                if c.inbound.count > Self.maxHeadBytes { throw .headerTooLarge }
                return
            }
            let parsed = try HTTPParser.parseResponseHead(UnsafeRawBufferPointer(rebasing: c.inbound.readable[0..<length]), requestMethod: method)
            c.inbound.consume(length)
            if parsed.status < 200 { return try parse(c) }  // 100 Continue and friends
            head = parsed
            if parsed.status >= 300 { onBodyBytes = nil }
            if case let .framed(framing) = parsed.framing {
                bodyReader = BodyReader(framing: framing, limit: Self.maxResponseBody, maxTrailerBytes: Self.maxHeadBytes)
            }
        }
        guard let head else { return }
        if bodyReader != nil {
            let used = try bodyReader!.consume(c.inbound.readable)
            c.inbound.consume(used)
            if let onBodyBytes {
                let piece = bodyReader!.takeBody()
                if !piece.isEmpty { onBodyBytes(piece) }
            }
            guard bodyReader!.isComplete else { return }
            let body = bodyReader!.takeBody()
            finish(c, .success(HTTPClientResponse(status: head.status, headers: head.headers, body: body)), reusable: head.keepAlive && c.inbound.isEmpty)
        } else if let onBodyBytes {
            onBodyBytes(Array(c.inbound.readable))
            c.inbound.consume(c.inbound.count)
        } else {
            guard untilCloseBody.count + c.inbound.count <= Self.maxResponseBody else { throw .bodyTooLarge }
            untilCloseBody.append(contentsOf: c.inbound.readable)
            c.inbound.consume(c.inbound.count)
        }
    }

    func connectionDrained(_ c: Connection) {}

    func connectionPeerClosed(_ c: Connection) {
        if let head, bodyReader == nil {
            return finish(c, .success(HTTPClientResponse(status: head.status, headers: head.headers, body: untilCloseBody)), reusable: false)
        }
        if completion != nil { finish(c, .failure(.connectionLost("the server closed the connection")), reusable: false) }
        c.close()
    }

    func connectionTimedOut(_ c: Connection) -> Bool {
        if completion != nil { finish(c, .failure(.timedOut), reusable: false) }
        return true
    }

    func connectionShutdownRequested(_ c: Connection) {
        if completion == nil { c.close() }
    }

    func connectionClosed(_ c: Connection) {
        onClosed(c)
        if let completion {
            self.completion = nil
            completion(.failure(.connectionLost(c.failure ?? "the connection closed")))
        }
    }

    func wantsToRead(_ c: Connection) -> Bool { true }
}
