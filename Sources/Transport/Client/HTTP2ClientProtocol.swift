import Dispatch
import Diagnostics

/// HTTP/2 client side of one `Connection` (h2c with prior knowledge): many concurrent request
/// streams, each completed from its response head, body and trailers, or failed by a reset, a
/// timeout or the connection's end.
final class HTTP2ClientProtocol: ConnectionProtocol, HTTP2SessionDelegate, @unchecked Sendable {
    /// A class, so appending body bytes never copies what was received so far.
    private final class Stream {
        let completion: HTTPClientCompletion
        var status = 0
        var headers: [(String, String)] = []
        var trailers: [(String, String)] = []
        var headersDone = false
        var body: [UInt8] = []
        var timer: (any DispatchSourceTimer)?

        init(completion: @escaping HTTPClientCompletion) {
            self.completion = completion
        }
    }

    private let authority: String
    private let scheme: String
    /// Called on the connection's queue once no new stream should be opened here (GOAWAY, close).
    private let onUnusable: @Sendable () -> Void
    // All state below is guarded by the connection's queue.
    private var session: HTTP2Session?
    private weak var connection: Connection?
    private var streams: [Int32: Stream] = [:]
    private var unusable = false
    /// Requests started before the connection was (a TLS handshake under way), started with it.
    private var waiting: [(HTTPClientRequest, Double, HTTPClientCompletion)] = []
    private var closed = false
    /// Response bodies above this are refused (a misbehaving server must not exhaust memory).
    private static let maxResponseBody = 16 << 20

    init(authority: String, scheme: String = "http", onUnusable: @escaping @Sendable () -> Void) {
        self.authority = authority
        self.scheme = scheme
        self.onUnusable = onUnusable
    }

    /// Starts a request on the connection's queue.
    func start(_ request: HTTPClientRequest, timeout: Double, completion: @escaping HTTPClientCompletion) {
        if session == nil, !closed, !unusable { return waiting.append((request, timeout, completion)) }
        guard let session, let c = connection, !c.isClosed, !unusable else {
            return completion(.failure(.connectionLost("the connection is going away")))
        }
        var headers: [(String, String)] = [(":method", request.method), (":scheme", scheme), (":authority", authority), (":path", request.path)]
        headers += request.headers.map { ($0.0.lowercased(), $0.1) }
        guard let streamID = session.submitRequest(headers: headers, prefix: request.bodyPrefix, body: request.body) else {
            markUnusable()
            return completion(.failure(.connectionLost("no more streams on this connection")))
        }
        let stream = Stream(completion: completion)
        if timeout > 0 {
            let timer = DispatchSource.makeTimerSource(queue: c.queue)
            timer.setEventHandler { [self] in timedOut(streamID) }
            timer.schedule(deadline: .now() + .nanoseconds(Int(timeout.nanoseconds)))
            timer.resume()
            stream.timer = timer
        }
        streams[streamID] = stream
        session.send()
    }

    /// Says GOAWAY and closes once the streams in flight are done.
    func goAway() {
        markUnusable()
        session?.goAway()
        session?.send()
        if streams.isEmpty { connection?.closeWhenFlushed() }
    }

    private func timedOut(_ streamID: Int32) {
        guard streams[streamID] != nil else { return }
        finish(streamID, .failure(.timedOut))
        session?.resetStream(streamID, errorCode: HTTP2ErrorCode.cancel)
        session?.send()
    }

    private func finish(_ streamID: Int32, _ result: Result<HTTPClientResponse, HTTPClientError>) {
        guard let stream = streams.removeValue(forKey: streamID) else { return }
        stream.timer?.cancel()
        stream.completion(result)
        if unusable, streams.isEmpty { connection?.closeWhenFlushed() }
    }

    private func markUnusable() {
        guard !unusable else { return }
        unusable = true
        onUnusable()
    }

    // MARK: Connection events

    func connectionStarted(_ c: Connection) {
        connection = c
        do {
            let session = try HTTP2Session(connection: c, server: false, settings: HTTP2Session.Settings())
            session.delegate = self
            self.session = session
            session.send()
            let started = waiting
            waiting.removeAll()
            for (request, timeout, completion) in started { start(request, timeout: timeout, completion: completion) }
        } catch {
            c.logger.warn("HTTP/2 session failed", ["error": error.description])
            c.close()
        }
    }

    func connectionReceived(_ c: Connection) {
        guard let session else { return }
        do {
            try session.receive()
        } catch {
            c.logger.warn("HTTP/2 protocol error from the server", ["remote": c.remoteAddress, "error": error.description])
            markUnusable()
            session.send()
            c.closeWhenFlushed()
            return
        }
        session.send()
        if session.isFinished { c.closeWhenFlushed() }
    }

    func connectionDrained(_ c: Connection) { session?.send() }

    func connectionPeerClosed(_ c: Connection) { c.close() }

    func connectionTimedOut(_ c: Connection) -> Bool { true }

    func connectionShutdownRequested(_ c: Connection) { goAway() }

    func connectionClosed(_ c: Connection) {
        closed = true
        markUnusable()
        let reason = c.failure ?? "the connection closed"
        for id in Array(streams.keys) { finish(id, .failure(.connectionLost(reason))) }
        for (_, _, completion) in waiting { completion(.failure(.connectFailed(reason))) }
        waiting.removeAll()
        session?.delegate = nil
        session = nil
    }

    func wantsToRead(_ c: Connection) -> Bool { true }

    // MARK: Session events

    func header(streamID: Int32, name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let stream = streams[streamID] else { return true }
        let n = String(decoding: name, as: UTF8.self), v = String(decoding: value, as: UTF8.self)
        if stream.headersDone {
            stream.trailers.append((n, v))
        } else if n == ":status" {
            stream.status = Int(v) ?? 0
        } else {
            stream.headers.append((n, v))
        }
        return true
    }

    func headersEnded(streamID: Int32, endStream: Bool) {
        guard let stream = streams[streamID] else { return }
        // An informational (1xx) head is followed by the real one.
        if stream.status >= 200 { stream.headersDone = true }
    }

    func data(streamID: Int32, _ bytes: UnsafeRawBufferPointer) {
        guard let stream = streams[streamID] else { return }
        guard stream.body.count + bytes.count <= Self.maxResponseBody else {
            session?.resetStream(streamID, errorCode: HTTP2ErrorCode.cancel)
            return finish(streamID, .failure(.malformedResponse("response body larger than \(Self.maxResponseBody) bytes")))
        }
        stream.body.append(contentsOf: bytes)
    }

    func dataEnded(streamID: Int32) {}

    func streamClosed(streamID: Int32, errorCode: UInt32) {
        guard let stream = streams[streamID] else { return }
        guard errorCode == HTTP2ErrorCode.noError, stream.status > 0 else {
            return finish(streamID, .failure(.streamReset(errorCode)))
        }
        finish(streamID, .success(HTTPClientResponse(status: stream.status, headers: HTTPHeaders(stream.headers),
                                                     body: stream.body, trailers: HTTPHeaders(stream.trailers))))
    }

    func goAwayReceived(lastStreamID: Int32, errorCode: UInt32) {
        // Streams above lastStreamID are closed by nghttp2 with REFUSED_STREAM: safe to retry.
        markUnusable()
        if streams.isEmpty { connection?.closeWhenFlushed() }
    }
}
