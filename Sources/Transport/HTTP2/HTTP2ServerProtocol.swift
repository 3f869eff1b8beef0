import Dispatch
import Diagnostics

/// HTTP/2 server side of one `Connection` (h2c with prior knowledge). Each complete request stream
/// goes to the handler on the shared pool, so a slow request never stalls the other streams; its
/// answer comes back to the connection's queue.
final class HTTP2ServerProtocol: ConnectionProtocol, HTTP2SessionDelegate, @unchecked Sendable {
    /// A class, so appending body bytes never copies what was received so far.
    private final class Stream {
        var headers: [(String, String)] = []
        var headerBytes = 0
        var body: [UInt8] = []
        /// Answered early (body over the limit); the rest of the request is dropped.
        var answered = false
        /// Bytes of the admission budget the body holds.
        var admitted = 0
    }

    private let context: ServerContext
    private var configuration: HTTPServer.Configuration { context.configuration }
    // All state below is guarded by the connection's queue.
    private var session: HTTP2Session?
    private weak var connection: Connection?
    private var streams: [Int32: Stream] = [:]
    /// A GOAWAY naming the last stream taken has been queued, or the peer sent GOAWAY: once no
    /// stream is open the connection closes.
    private var shuttingDown = false
    /// `announceShutdown` was sent for a hand-over; the final GOAWAY follows its PING.
    private var handingOver = false

    init(context: ServerContext) {
        self.context = context
    }

    func connectionStarted(_ c: Connection) {
        connection = c
        var settings = HTTP2Session.Settings()
        settings.maxConcurrentStreams = configuration.maxConcurrentStreams
        settings.maxHeaderListSize = min(configuration.maxHeaderBytes, 1 << 20)
        do {
            let session = try HTTP2Session(connection: c, server: true, settings: settings)
            session.delegate = self
            self.session = session
            session.send()
        } catch {
            c.logger.warn("HTTP/2 session failed", ["error": error.description])
            c.close()
        }
        c.setDeadline(c.now() + configuration.idleTimeout.nanoseconds)
    }

    func connectionReceived(_ c: Connection) {
        guard let session else { return }
        do {
            try session.receive()
        } catch {
            c.logger.debug("HTTP/2 protocol error", ["remote": c.remoteAddress, "error": error.description])
            session.send()
            c.closeWhenFlushed()
            return
        }
        session.send()
        if streams.isEmpty { c.setDeadline(c.now() + configuration.idleTimeout.nanoseconds) }
        finishIfDone(c)
    }

    func connectionDrained(_ c: Connection) {
        session?.send()
        finishIfDone(c)
    }

    func connectionPeerClosed(_ c: Connection) { c.close() }

    /// Idle too long: say GOAWAY and close; with streams still open, wait for them.
    func connectionTimedOut(_ c: Connection) -> Bool {
        guard streams.isEmpty else {
            c.setDeadline(c.now() + configuration.idleTimeout.nanoseconds)
            return false
        }
        session?.goAway()
        session?.send()
        c.closeWhenFlushed()
        return false
    }

    func connectionShutdownRequested(_ c: Connection) {
        shuttingDown = true
        session?.goAway()
        session?.send()
        finishIfDone(c)
    }

    /// Graceful GOAWAY in two steps (RFC 9113 §6.8), so that no stream the client is sending
    /// meets a refusal; every stream taken is answered before the connection closes.
    func connectionHandOverRequested(_ c: Connection) {
        guard !shuttingDown, !handingOver, let session else { return }
        handingOver = true
        session.announceShutdown()
        session.send()
    }

    func shutdownPingAcknowledged() {
        guard handingOver, !shuttingDown, let c = connection else { return }
        shuttingDown = true
        session?.goAway()
        session?.send()
        finishIfDone(c)
    }

    func connectionClosed(_ c: Connection) {
        session?.delegate = nil
        session = nil
        for stream in streams.values where !stream.answered { release(stream) }
        streams.removeAll()
    }

    func wantsToRead(_ c: Connection) -> Bool { c.pendingOutput < 4 << 20 }

    private func finishIfDone(_ c: Connection) {
        guard let session, !c.isClosed else { return }
        if session.isFinished || (shuttingDown && streams.isEmpty) { c.closeWhenFlushed() }
    }

    // MARK: Streams

    func header(streamID: Int32, name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>) -> Bool {
        let stream = streams[streamID] ?? Stream()
        // The header list size as RFC 9113 §6.5.2 counts it.
        stream.headerBytes += name.count + value.count + 32
        guard stream.headerBytes <= configuration.maxHeaderBytes else {
            streams[streamID] = nil
            return false
        }
        stream.headers.append((String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self)))
        streams[streamID] = stream
        return true
    }

    func headersEnded(streamID: Int32, endStream: Bool) {
        if endStream { dispatch(streamID) }
    }

    func data(streamID: Int32, _ bytes: UnsafeRawBufferPointer) {
        guard let stream = streams[streamID], !stream.answered else { return }
        guard bytes.count <= configuration.maxRequestBodySize - stream.body.count else {
            return answerEarly(streamID, stream, status: 413, "request body larger than \(configuration.maxRequestBodySize) bytes")
        }
        if let budget = configuration.admission {
            // HTTP/2 streams do not wait: a stream that does not fit is refused at once.
            guard budget.tryReserve(bytes.count) else {
                return answerEarly(streamID, stream, status: 429, "too many request bytes in flight; retry later")
            }
            stream.admitted += bytes.count
        }
        stream.body.append(contentsOf: bytes)
    }

    /// Answers before the request ended, then RST_STREAM(NO_ERROR) (gRPC over HTTP/2, "Responses").
    private func answerEarly(_ streamID: Int32, _ stream: Stream, status: Int, _ message: String) {
        stream.answered = true
        stream.body = []
        release(stream)
        let response = context.handler.errorResponse(status: status, message: message, request: makeRequest(stream, body: []))
        submit(streamID, response)
        session?.resetStream(streamID, errorCode: HTTP2ErrorCode.noError)
    }

    private func release(_ stream: Stream) {
        configuration.admission?.release(stream.admitted)
        stream.admitted = 0
    }

    func dataEnded(streamID: Int32) { dispatch(streamID) }

    func streamClosed(streamID: Int32, errorCode: UInt32) {
        // A stream dispatched to its handler releases its bytes when the handler is done.
        if let stream = streams[streamID], !stream.answered { release(stream) }
        streams[streamID] = nil
        // nghttp2 reports the close while it serializes the stream's last frame, before
        // `HTTP2Session.send` has queued its bytes: closing now would drop the answer.
        guard let c = connection, shuttingDown else { return }
        c.queue.async { [weak self, weak c] in
            guard let self, let c else { return }
            self.finishIfDone(c)
        }
    }

    func goAwayReceived(lastStreamID: Int32, errorCode: UInt32) {
        shuttingDown = true
    }

    private func makeRequest(_ stream: Stream, body: [UInt8]) -> HTTPRequest {
        var method = "", path = "", query = ""
        var regular: [(String, String)] = []
        for (name, value) in stream.headers {
            switch name {
            case ":method": method = value
            case ":path":
                let parts = value.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
                path = String(parts[0])
                query = parts.count > 1 ? String(parts[1]) : ""
            case ":authority": regular.append(("host", value))
            default: if !name.hasPrefix(":") { regular.append((name, value)) }
            }
        }
        return HTTPRequest(method: method, path: path, query: query, version: "HTTP/2", headers: HTTPHeaders(regular),
                           body: body, remoteAddress: connection?.remoteAddress ?? "")
    }

    /// The request is complete: decode its body and run the handler off the connection's queue.
    private func dispatch(_ streamID: Int32) {
        guard let stream = streams[streamID], !stream.answered, let c = connection else { return }
        let received = makeRequest(stream, body: stream.body)
        stream.answered = true
        stream.body = []
        let admitted = stream.admitted
        stream.admitted = 0
        let budget = configuration.admission
        let handler = context.handler
        let limit = configuration.maxRequestBodySize
        let decompress = configuration.decompression
        let run: @Sendable () -> Void = { [self] in
            var request = received
            var response: HTTPResponse
            do throws(HTTPParseError) {
                if decompress, let coding = try ContentCoding.of(request.headers), !request.body.isEmpty {
                    request.body = try coding.decodeBody(request.body, limit: limit)
                }
                response = handler.handle(request)
            } catch {
                response = handler.errorResponse(status: error.status, message: error.message, request: request)
            }
            budget?.release(admitted)
            let answer = response
            if configuration.handlersInline { return submit(streamID, answer) }
            c.queue.async { self.submit(streamID, answer) }
        }
        if configuration.handlersInline { run() } else { DispatchQueue.global().async(execute: run) }
    }

    private func submit(_ streamID: Int32, _ response: HTTPResponse) {
        guard let session, let c = connection, !c.isClosed, streams[streamID] != nil else { return }
        var headers: [(String, String)] = [(":status", String(response.status))]
        for (name, value) in response.headers {
            let lower = name.lowercased()
            // Connection-specific fields are forbidden in HTTP/2 (RFC 9113 §8.2.2).
            if ["connection", "keep-alive", "transfer-encoding", "upgrade", "content-length"].contains(lower) { continue }
            headers.append((lower, value))
        }
        if !response.body.isEmpty, response.trailers.isEmpty { headers.append(("content-length", String(response.body.count))) }
        if !session.submitResponse(streamID: streamID, headers: headers, body: response.body, trailers: response.trailers) {
            session.resetStream(streamID, errorCode: HTTP2ErrorCode.internalError)
        }
        session.send()
    }
}
