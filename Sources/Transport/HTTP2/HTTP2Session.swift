import CNGHTTP2
import Diagnostics

/// What an `HTTP2Session` reports, per stream, on the connection's queue.
protocol HTTP2SessionDelegate: AnyObject {
    /// A header field of a header block on `streamID`. Returns false to reset the stream.
    func header(streamID: Int32, name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>) -> Bool
    /// A complete header block (request head, response head, or trailers).
    func headersEnded(streamID: Int32, endStream: Bool)
    /// Body bytes of `streamID`.
    func data(streamID: Int32, _ bytes: UnsafeRawBufferPointer)
    /// The peer ended its side of `streamID` with a DATA frame.
    func dataEnded(streamID: Int32)
    /// The stream is gone (both sides done, or reset; `errorCode` 0 is NO_ERROR).
    func streamClosed(streamID: Int32, errorCode: UInt32)
    /// The peer sent GOAWAY: streams above `lastStreamID` were not processed.
    func goAwayReceived(lastStreamID: Int32, errorCode: UInt32)
    /// The peer acknowledged the PING that `announceShutdown` sent.
    func shutdownPingAcknowledged()
}

extension HTTP2SessionDelegate {
    func shutdownPingAcknowledged() {}
}

/// One nghttp2 session over one `Connection`. nghttp2 never touches the socket: bytes go in with
/// `nghttp2_session_mem_recv` and out with `nghttp2_session_mem_send`, both on the connection's
/// queue. Stream bodies we send are held here; nghttp2 frames them and `sendDataFrame` writes
/// them out without nghttp2 copying them first.
final class HTTP2Session {
    struct Settings {
        var maxConcurrentStreams: Int = 250
        /// Per-stream receive window; large so a big batch is not throttled (RFC 9113 §6.9.2).
        var initialWindowSize: Int = 8 << 20
        /// Connection receive window (raised by WINDOW_UPDATE on stream 0; SETTINGS cannot change it).
        var connectionWindowSize: Int = 32 << 20
        var maxHeaderListSize: Int = 64 << 10
        var maxFrameSize: Int = 1 << 16
    }

    private struct Outgoing {
        var prefix: [UInt8] = []
        var body: [UInt8]
        /// Bytes of `prefix` and then `body` already written out in DATA frames.
        var sent = 0
        var trailers: [(String, String)]
        var count: Int { prefix.count + body.count }
    }

    unowned let connection: Connection
    weak var delegate: (any HTTP2SessionDelegate)?
    private(set) var session: OpaquePointer?
    /// Guarded by the connection's queue.
    private var outgoing: [Int32: Outgoing] = [:]
    /// Set when `sendDataFrame` wrote during the last `nghttp2_session_mem_send`, which may then
    /// return 0 although it produced output.
    private var wroteDataFrames = false
    /// `announceShutdown`'s GOAWAY is queued; its PING follows it out.
    private var pingsAfterGoAway = false
    /// Unsent output above which nghttp2 keeps its frames queued: frames go to the socket in
    /// writes of about this size, through a buffer the connection keeps (`Connection.flush`), so
    /// a large message costs no fresh memory per send. Each write may wait for a wake-up when the
    /// peer reads slowly, so writes are not made smaller than this.
    private static let outputHighWater = 256 * 1024

    init(connection: Connection, server: Bool, settings: Settings) throws(HTTP2Error) {
        self.connection = connection
        var callbacks: OpaquePointer?
        nghttp2_session_callbacks_new(&callbacks)
        defer { nghttp2_session_callbacks_del(callbacks) }
        HTTP2Session.install(callbacks)
        var option: OpaquePointer?
        nghttp2_option_new(&option)
        defer { nghttp2_option_del(option) }
        nghttp2_option_set_max_send_header_block_length(option, 64 << 10)
        let me = Unmanaged.passUnretained(self).toOpaque()
        let rc = server ? nghttp2_session_server_new2(&session, callbacks, me, option)
                        : nghttp2_session_client_new2(&session, callbacks, me, option)
        guard rc == 0 else { throw HTTP2Error(code: rc) }
        var entries = [
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS.rawValue), value: UInt32(settings.maxConcurrentStreams)),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE.rawValue), value: UInt32(settings.initialWindowSize)),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE.rawValue), value: UInt32(settings.maxHeaderListSize)),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_MAX_FRAME_SIZE.rawValue), value: UInt32(settings.maxFrameSize)),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_ENABLE_PUSH.rawValue), value: 0),
        ]
        if server { entries.removeLast() }
        nghttp2_submit_settings(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), &entries, entries.count)
        nghttp2_session_set_local_window_size(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), 0, Int32(settings.connectionWindowSize))
    }

    deinit { nghttp2_session_del(session) }

    /// Feeds what the connection read into nghttp2. Throws when the peer broke the protocol; nghttp2
    /// has then queued a GOAWAY where the protocol calls for one.
    func receive() throws(HTTP2Error) {
        let inbound = connection.inbound
        guard !inbound.isEmpty else { return }
        let buffer = inbound.readable
        let rc = nghttp2_session_mem_recv(session, buffer.baseAddress?.assumingMemoryBound(to: UInt8.self), buffer.count)
        inbound.consume(buffer.count)
        if rc < 0 { throw HTTP2Error(code: Int32(truncatingIfNeeded: rc)) }
    }

    /// Moves nghttp2's queued frames into the connection's output, a high-water mark at a time.
    /// Output the socket took at once brings no writable event, so production goes on until
    /// nghttp2 has nothing more or the socket pushes back (then `connectionDrained` resumes it).
    func send() {
        while !connection.isClosed {
            var produced = false
            while connection.pendingOutput < Self.outputHighWater {
                var data: UnsafePointer<UInt8>?
                wroteDataFrames = false
                let n = nghttp2_session_mem_send(session, &data)
                if n < 0 { return connection.close() }
                if n > 0, let data {
                    connection.write(UnsafeRawBufferPointer(start: data, count: n))
                } else if !wroteDataFrames {
                    break
                }
                produced = true
            }
            connection.flush()
            guard produced, connection.pendingOutput == 0 else { return }
        }
    }

    /// Neither side wants anything more (after GOAWAY both ways, or a fatal error).
    var isFinished: Bool {
        nghttp2_session_want_read(session) == 0 && nghttp2_session_want_write(session) == 0
    }

    var openStreams: Int { outgoing.count }

    // MARK: Submitting

    /// Sends a response head, then `body` (if any), then `trailers` (if any) ending the stream.
    func submitResponse(streamID: Int32, headers: [(String, String)], body: [UInt8], trailers: [(String, String)]) -> Bool {
        let hasData = !body.isEmpty || !trailers.isEmpty
        if hasData { outgoing[streamID] = Outgoing(body: body, trailers: trailers) }
        let rc = Self.withNameValues(headers) { nva, count in
            hasData ? withDataProvider { nghttp2_submit_response(session, streamID, nva, count, $0) }
                    : nghttp2_submit_response(session, streamID, nva, count, nil)
        }
        if rc != 0 { outgoing[streamID] = nil }
        return rc == 0
    }

    /// Starts a request; returns its stream id, or nil when nghttp2 refused (no more stream ids,
    /// the session is going away).
    func submitRequest(headers: [(String, String)], prefix: [UInt8] = [], body: [UInt8]) -> Int32? {
        let streamID = Self.withNameValues(headers) { nva, count in
            withDataProvider { nghttp2_submit_request(session, nil, nva, count, $0, nil) }
        }
        guard streamID > 0 else { return nil }
        outgoing[streamID] = Outgoing(prefix: prefix, body: body, trailers: [])
        return streamID
    }

    func resetStream(_ streamID: Int32, errorCode: UInt32) {
        nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), streamID, errorCode)
        outgoing[streamID] = nil
    }

    /// GOAWAY naming the last stream we processed; streams opened later are refused.
    func goAway(errorCode: UInt32 = 0) {
        let last = nghttp2_session_get_last_proc_stream_id(session)
        nghttp2_submit_goaway(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), last, errorCode, nil, 0)
    }

    /// The first step of a graceful shutdown (RFC 9113 §6.8): a GOAWAY naming the highest stream
    /// id, so the peer opens no new stream here, and a PING after it. Once the PING comes back
    /// (`shutdownPingAcknowledged`), every stream the peer opened before it read the GOAWAY has
    /// arrived, and `goAway()` can name the last one without refusing a stream in flight.
    /// nghttp2 sends PINGs ahead of GOAWAY, so the PING is submitted once the GOAWAY is out.
    func announceShutdown() {
        guard nghttp2_submit_shutdown_notice(session) == 0 else { return }
        pingsAfterGoAway = true
    }

    private func goAwaySent() {
        guard pingsAfterGoAway else { return }
        pingsAfterGoAway = false
        withUnsafeBytes(of: Self.shutdownPingData) {
            _ = nghttp2_submit_ping(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), $0.baseAddress?.assumingMemoryBound(to: UInt8.self))
        }
    }

    /// The opaque data of `announceShutdown`'s PING, told apart from the peer's own PINGs by it.
    private static let shutdownPingData: UInt64 = 0x5357_4C54_4259_4521

    func terminate(errorCode: UInt32) {
        nghttp2_session_terminate_session(session, errorCode)
    }

    private func withDataProvider(_ body: (UnsafePointer<nghttp2_data_provider>) -> Int32) -> Int32 {
        var provider = nghttp2_data_provider()
        provider.read_callback = { _, streamID, _, length, flags, _, userData in
            HTTP2Session.from(userData).readBody(streamID: streamID, length: length, flags: flags)
        }
        return body(&provider)
    }

    /// How much of the stream's body the next DATA frame carries. The bytes are not copied here:
    /// `NGHTTP2_DATA_FLAG_NO_COPY` makes nghttp2 hand the frame to `sendDataFrame`, which writes
    /// them straight from the body into the connection's output (one copy instead of two).
    private func readBody(streamID: Int32, length: Int, flags: UnsafeMutablePointer<UInt32>?) -> Int {
        guard let out = outgoing[streamID] else {
            flags?.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue
            return 0
        }
        let n = min(length, out.count - out.sent)
        flags?.pointee |= NGHTTP2_DATA_FLAG_NO_COPY.rawValue
        if out.sent + n == out.count {
            flags?.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue
            if !out.trailers.isEmpty {
                // Trailers end the stream instead of the last DATA frame (nghttp2's documented way).
                flags?.pointee |= NGHTTP2_DATA_FLAG_NO_END_STREAM.rawValue
                _ = Self.withNameValues(out.trailers) { nva, count in nghttp2_submit_trailer(session, streamID, nva, count) }
            }
        }
        return n
    }

    /// Writes one DATA frame whose size `readBody` chose: the 9-byte header nghttp2 made, the pad
    /// length if padded, `length` body bytes, then the padding (`nghttp2_send_data_callback`).
    /// Above the output high-water mark it writes nothing and nghttp2 asks again on the next send.
    private func sendDataFrame(_ frame: UnsafeMutablePointer<nghttp2_frame>, header: UnsafePointer<UInt8>, length: Int) -> Int32 {
        guard connection.pendingOutput < Self.outputHighWater else { return NGHTTP2_ERR_WOULDBLOCK.rawValue }
        let streamID = frame.pointee.hd.stream_id
        guard let out = outgoing[streamID], out.sent + length <= out.count else {
            return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue
        }
        connection.write(UnsafeRawBufferPointer(start: header, count: 9))
        let padding = Int(frame.pointee.data.padlen)
        if padding > 0 { connection.write(CollectionOfOne(UInt8(padding - 1))) }
        var position = out.sent
        var remaining = length
        if position < out.prefix.count {
            let take = min(remaining, out.prefix.count - position)
            out.prefix.withUnsafeBytes { connection.write(UnsafeRawBufferPointer(rebasing: $0[position..<(position + take)])) }
            position += take
            remaining -= take
        }
        if remaining > 0 {
            let start = position - out.prefix.count
            out.body.withUnsafeBytes { connection.write(UnsafeRawBufferPointer(rebasing: $0[start..<(start + remaining)])) }
        }
        if padding > 1 { connection.write(repeatElement(UInt8(0), count: padding - 1)) }
        if out.sent + length == out.count {
            outgoing[streamID] = nil
        } else {
            outgoing[streamID]?.sent += length
        }
        wroteDataFrames = true
        return 0
    }

    /// Lays the pairs out as `nghttp2_nv`s over one buffer; nghttp2 copies them during the call.
    static func withNameValues<R>(_ pairs: [(String, String)], _ body: (UnsafePointer<nghttp2_nv>, Int) -> R) -> R {
        var storage: [UInt8] = []
        var ranges: [(Int, Int, Int, Int)] = []
        for (name, value) in pairs {
            let n = storage.count
            storage.append(contentsOf: name.utf8)
            let v = storage.count
            storage.append(contentsOf: value.utf8)
            ranges.append((n, v - n, v, storage.count - v))
        }
        storage.append(0)
        return storage.withUnsafeMutableBufferPointer { raw in
            let base = raw.baseAddress!
            let nva = ranges.map { r in
                nghttp2_nv(name: base + r.0, value: base + r.2, namelen: r.1, valuelen: r.3, flags: UInt8(NGHTTP2_NV_FLAG_NONE.rawValue))
            }
            return nva.withUnsafeBufferPointer { body($0.baseAddress!, $0.count) }
        }
    }

    // MARK: Callbacks

    static func from(_ userData: UnsafeMutableRawPointer?) -> HTTP2Session {
        Unmanaged<HTTP2Session>.fromOpaque(userData!).takeUnretainedValue()
    }

    private static func install(_ callbacks: OpaquePointer?) {
        nghttp2_session_callbacks_set_on_header_callback(callbacks) { _, frame, name, nameLength, value, valueLength, _, userData in
            guard let frame, let name, let value else { return 0 }
            let session = HTTP2Session.from(userData)
            let ok = session.delegate?.header(
                streamID: frame.pointee.hd.stream_id,
                name: UnsafeBufferPointer(start: name, count: nameLength),
                value: UnsafeBufferPointer(start: value, count: valueLength)) ?? false
            // Temporal failure resets just this stream (RST_STREAM INTERNAL_ERROR).
            return ok ? 0 : NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue
        }
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks) { _, frame, userData in
            guard let frame else { return 0 }
            let session = HTTP2Session.from(userData)
            let header = frame.pointee.hd
            let endStream = header.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0
            switch UInt32(header.type) {
            case NGHTTP2_HEADERS.rawValue:
                session.delegate?.headersEnded(streamID: header.stream_id, endStream: endStream)
            case NGHTTP2_DATA.rawValue:
                if endStream { session.delegate?.dataEnded(streamID: header.stream_id) }
            case NGHTTP2_GOAWAY.rawValue:
                session.delegate?.goAwayReceived(lastStreamID: frame.pointee.goaway.last_stream_id, errorCode: frame.pointee.goaway.error_code)
            case NGHTTP2_PING.rawValue:
                let ping = frame.pointee.ping
                let data = withUnsafeBytes(of: ping.opaque_data) { $0.loadUnaligned(as: UInt64.self) }
                if header.flags & UInt8(NGHTTP2_FLAG_ACK.rawValue) != 0, data == HTTP2Session.shutdownPingData {
                    session.delegate?.shutdownPingAcknowledged()
                }
            default:
                break
            }
            return 0
        }
        nghttp2_session_callbacks_set_on_frame_send_callback(callbacks) { _, frame, userData in
            if let frame, UInt32(frame.pointee.hd.type) == NGHTTP2_GOAWAY.rawValue { HTTP2Session.from(userData).goAwaySent() }
            return 0
        }
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks) { _, _, streamID, data, length, userData in
            guard let data else { return 0 }
            HTTP2Session.from(userData).delegate?.data(streamID: streamID, UnsafeRawBufferPointer(start: data, count: length))
            return 0
        }
        nghttp2_session_callbacks_set_send_data_callback(callbacks) { _, frame, header, length, _, userData in
            guard let frame, let header else { return NGHTTP2_ERR_CALLBACK_FAILURE.rawValue }
            return HTTP2Session.from(userData).sendDataFrame(frame, header: header, length: length)
        }
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks) { _, streamID, errorCode, userData in
            let session = HTTP2Session.from(userData)
            session.outgoing[streamID] = nil
            session.delegate?.streamClosed(streamID: streamID, errorCode: errorCode)
            return 0
        }
    }
}

public struct HTTP2Error: Error, CustomStringConvertible, Sendable {
    public let code: Int32
    public var description: String { String(cString: nghttp2_strerror(code)) }
}

/// HTTP/2 error codes used here (RFC 9113 §7).
enum HTTP2ErrorCode {
    static let noError: UInt32 = 0
    static let protocolError: UInt32 = 1
    static let internalError: UInt32 = 2
    static let refusedStream: UInt32 = 7
    static let cancel: UInt32 = 8
    static let enhanceYourCalm: UInt32 = 11
}
