import Diagnostics
import Glibc
import Dispatch
import Synchronization
import Testing
@testable import Transport

@Test func percentEncoding_escapesOutsidePrintableASCIIAndPercent_andDecodesBack() {
    let text = "bad 100% — ü\n"
    let encoded = GRPCPercentEncoding.encode(text)
    #expect(encoded == "bad 100%25 %E2%80%94 %C3%BC%0A")
    #expect(GRPCPercentEncoding.decode(encoded) == text)
}

@Test func percentDecoding_keepsMalformedEscapes() {
    #expect(GRPCPercentEncoding.decode("50%zz and %4") == "50%zz and %4")
}

@Test func grpcTimeout_parsesEveryUnit_andRejectsMalformed() {
    #expect(GRPCTimeout.parse("5S") == 5_000_000_000)
    #expect(GRPCTimeout.parse("250m") == 250_000_000)
    #expect(GRPCTimeout.parse("1H") == 3_600_000_000_000)
    #expect(GRPCTimeout.parse("7n") == 7)
    #expect(GRPCTimeout.parse("99999999M") != nil)
    #expect(GRPCTimeout.parse("123456789S") == nil)  // 9 digits
    #expect(GRPCTimeout.parse("S") == nil)
    #expect(GRPCTimeout.parse("5s") == nil)
    #expect(GRPCTimeout.parse(nil) == nil)
    #expect(GRPCTimeout.format(nanoseconds: 5_000_000_000) == "5000000u")
    #expect(GRPCTimeout.parse(GRPCTimeout.format(nanoseconds: 30_000_000_000)) == 30_000_000_000)
}

@Test func framing_roundTrips_plainAndCompressed() throws {
    let message = Array(repeating: UInt8(ascii: "a"), count: 1000)
    for coding in [nil, ContentCoding.gzip, .zstd, .deflate] {
        let framed = GRPCMessageFraming.frame(message, coding: coding)
        #expect(framed[0] == (coding == nil ? 0 : 1))
        #expect(try GRPCMessageFraming.unframe(framed, coding: coding, maxMessageSize: 4096) == message)
    }
}

@Test func unframe_refusesWhatTheSpecRefuses() {
    func status(_ body: [UInt8], coding: ContentCoding? = nil, max: Int = 100) -> GRPCStatusCode? {
        do { _ = try GRPCMessageFraming.unframe(body, coding: coding, maxMessageSize: max); return nil } catch { return error.code }
    }
    #expect(status([]) == .unimplemented)
    #expect(status([0, 0, 0]) == .internal)
    #expect(status([0, 0, 0, 0, 10, 1, 2]) == .internal)  // lying length
    #expect(status([0, 0, 0, 0, 1, 1, 0, 0, 0, 0]) == .unimplemented)  // two messages
    #expect(status([0, 0, 0, 1, 0] + Array(repeating: 0, count: 256)) == .resourceExhausted)
    #expect(status([1, 0, 0, 0, 1, 7]) == .internal)  // compressed flag without grpc-encoding
    #expect(status([1, 0, 0, 0, 2, 7, 7], coding: .gzip) == .internal)  // not gzip
    #expect(status([2, 0, 0, 0, 0]) == .internal)
    let bomb = GRPCMessageFraming.frame(Array(repeating: 0, count: 10_000), coding: .gzip)
    #expect(status(bomb, coding: .gzip, max: 1000) == .resourceExhausted)
}

@Test func statusCodes_mapToTheCollectorsHTTPStatuses_andOTLPRetryRules() {
    #expect(GRPCStatusCode.unavailable.httpStatus == 503)
    #expect(GRPCStatusCode.resourceExhausted.httpStatus == 429)
    #expect(GRPCStatusCode.invalidArgument.httpStatus == 400)
    #expect(GRPCStatusCode.unimplemented.httpStatus == 404)
    #expect(GRPCStatusCode.internal.httpStatus == 500)
    #expect(GRPCStatusCode.unavailable.isRetryable(hasRetryDelay: false))
    #expect(!GRPCStatusCode.resourceExhausted.isRetryable(hasRetryDelay: false))
    #expect(GRPCStatusCode.resourceExhausted.isRetryable(hasRetryDelay: true))
    #expect(!GRPCStatusCode.invalidArgument.isRetryable(hasRetryDelay: true))
    #expect(GRPCStatusCode(httpError: 413) == .resourceExhausted)
    #expect(GRPCStatusCode(httpError: 400) == .invalidArgument)
}

@Test func zstd_inflatesWithItsCap_andRefusesGarbage() throws {
    let data = Array(repeating: UInt8(7), count: 100_000)
    let packed = data.withUnsafeBytes { Decompression.compressZstd($0) }
    #expect(packed.count < 1000)
    #expect(try ContentCoding.zstd.decode(packed, limit: 200_000) == data)
    #expect(throws: DecompressionError.tooLarge(limit: 1000)) { try ContentCoding.zstd.decode(packed, limit: 1000) }
    #expect(throws: DecompressionError.self) { try ContentCoding.zstd.decode([1, 2, 3, 4, 5], limit: 1000) }
    #expect(throws: DecompressionError.self) { try ContentCoding.zstd.decode(Array(packed.prefix(packed.count / 2)), limit: 200_000) }
}

@Test func contentCoding_namesWhatIsNotSupported() {
    #expect(throws: ContentCodingError.self) { try ContentCoding(token: "snappy") }
    #expect((try? ContentCoding(token: "identity")) == .some(nil))
    #expect(ContentCodingError(coding: "lz4").description.contains("not supported by Swiftlet yet"))
}

// MARK: HTTP/2 and gRPC over real sockets

private let quiet = Logger(component: "test", sink: LogSink(level: .error))

private struct EchoGRPC {
    static func handler(maxMessage: Int = 1 << 20) -> GRPCServerHandler {
        GRPCServerHandler(methods: [
            "/test.Echo/Echo": { call in .success(call.message) },
            "/test.Echo/Size": { call in .success(Array(String(call.message.count).utf8)) },
            "/test.Echo/Fail": { _ in .failure(GRPCStatus(.unavailable, "try later — ü", detailsBase64: "AAAA")) },
            "/test.Echo/Slow": { call in
                usleep(300_000)
                return .success(call.message)
            },
        ], maxReceiveMessageSize: maxMessage)
    }
}

private func h2Server(maxMessage: Int = 1 << 20) throws -> HTTPServer {
    try makeServer({ $0.httpVersion = .http2; $0.maxRequestBodySize = maxMessage + 5 }, handler: EchoGRPC.handler(maxMessage: maxMessage))
}

/// Calls and waits (bounded) for the result.
private func call(_ client: GRPCClient, _ path: String, _ message: [UInt8], compression: ContentCoding? = nil,
                  timeout: Double = 5) -> Result<[UInt8], GRPCStatus>? {
    let box = Mutex<Result<[UInt8], GRPCStatus>?>(nil)
    let done = DispatchSemaphore(value: 0)
    client.unary(path: path, message: message, metadata: [("x-test", "1")], compression: compression, timeout: timeout) { result in
        box.withLock { $0 = result }
        done.signal()
    }
    guard done.wait(timeout: .now() + timeout + 5) == .success else { return nil }
    return box.withLock { $0 }
}

@Test func grpcClient_callsTheServer_plainAndCompressed() throws {
    let server = try h2Server()
    defer { server.shutdown(deadlineSeconds: 1) }
    let client = GRPCClient(endpoint: ClientEndpoint(host: "127.0.0.1", port: server.boundPort), logger: quiet)
    defer { client.close() }
    let message = Array((0..<100_000).map { UInt8(truncatingIfNeeded: $0) })
    for coding in [nil, ContentCoding.gzip, .zstd] {
        let result = call(client, "/test.Echo/Echo", message, compression: coding)
        #expect(try result?.get() == message)
    }
}

@Test func grpcClient_sendsMessagesMuchLargerThanTheSocketBuffers() throws {
    // Regression: output the socket took at once used to leave nghttp2's remaining frames unsent.
    let server = try h2Server(maxMessage: 64 << 20)
    defer { server.shutdown(deadlineSeconds: 1) }
    let client = GRPCClient(endpoint: ClientEndpoint(host: "127.0.0.1", port: server.boundPort), logger: quiet)
    defer { client.close() }
    let message = Array((0..<(12 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) })
    let group = DispatchGroup()
    let answers = Mutex<[String]>([])
    for _ in 0..<3 {
        group.enter()
        // A stall never answers; a slow debug build on a loaded 2-core machine needs tens of seconds.
        client.unary(path: "/test.Echo/Size", message: message, metadata: [], compression: nil, timeout: 60) { result in
            answers.withLock { $0.append((try? result.get()).map { String(decoding: $0, as: UTF8.self) } ?? "\(result)") }
            group.leave()
        }
    }
    #expect(group.wait(timeout: .now() + 70) == .success)
    #expect(answers.withLock { $0 } == Array(repeating: String(12 << 20), count: 3))
}

@Test func grpcClient_reportsStatusMessageAndDetails() throws {
    let server = try h2Server()
    defer { server.shutdown(deadlineSeconds: 1) }
    let client = GRPCClient(endpoint: ClientEndpoint(host: "127.0.0.1", port: server.boundPort), logger: quiet)
    defer { client.close() }
    guard case let .failure(status) = call(client, "/test.Echo/Fail", [1]) else { Issue.record("no failure"); return }
    #expect(status == GRPCStatus(.unavailable, "try later — ü", detailsBase64: "AAAA"))
    guard case let .failure(unknown) = call(client, "/test.Nope/Nope", [1]) else { Issue.record("no failure"); return }
    #expect(unknown.code == .unimplemented)
}

@Test func grpcServer_refusesAMessageOverTheLimit_namingIt() throws {
    let server = try h2Server(maxMessage: 1000)
    defer { server.shutdown(deadlineSeconds: 1) }
    let client = GRPCClient(endpoint: ClientEndpoint(host: "127.0.0.1", port: server.boundPort), logger: quiet)
    defer { client.close() }
    guard case let .failure(status) = call(client, "/test.Echo/Echo", Array(repeating: 1, count: 5000)) else {
        Issue.record("no failure")
        return
    }
    #expect(status.code == .resourceExhausted && status.message.contains("1000"))
}

@Test func http2_aStreamStuckInItsHandlerDoesNotStallTheOthers() throws {
    let release = DispatchSemaphore(value: 0)
    let handler = GRPCServerHandler(methods: [
        "/test.Echo/Stuck": { call in
            _ = release.wait(timeout: .now() + 10)
            return .success(call.message)
        },
        "/test.Echo/Echo": { call in .success(call.message) },
    ], maxReceiveMessageSize: 1 << 20)
    let server = try makeServer({ $0.httpVersion = .http2 }, handler: handler)
    defer { server.shutdown(deadlineSeconds: 2) }
    let client = GRPCClient(endpoint: ClientEndpoint(host: "127.0.0.1", port: server.boundPort), logger: quiet)
    defer { client.close() }
    let stuckDone = DispatchSemaphore(value: 0)
    client.unary(path: "/test.Echo/Stuck", message: [1], metadata: [], compression: nil, timeout: 20) { _ in stuckDone.signal() }
    // While the first stream's handler is held, others on the same connection are answered.
    for i in 0..<3 {
        #expect(try call(client, "/test.Echo/Echo", [UInt8(i)])?.get() == [UInt8(i)])
    }
    release.signal()
    #expect(stuckDone.wait(timeout: .now() + 10) == .success)
}

@Test func grpcClient_timesOut_andReconnectsAfterTheServerGoesAway() throws {
    let server = try h2Server()
    let port = server.boundPort
    let client = GRPCClient(endpoint: ClientEndpoint(host: "127.0.0.1", port: port), logger: quiet)
    defer { client.close() }
    guard case let .failure(late) = call(client, "/test.Echo/Slow", [1], timeout: 0.05) else { Issue.record("no timeout"); return }
    #expect(late.code == .deadlineExceeded)
    #expect(try call(client, "/test.Echo/Echo", [2])?.get() == [2])
    server.shutdown(deadlineSeconds: 1)
    guard case let .failure(down) = call(client, "/test.Echo/Echo", [3]) else { Issue.record("no failure"); return }
    #expect(down.code == .unavailable)
    // A new server on the same port: the client connects again.
    let again = try makeServer({ $0.httpVersion = .http2; $0.endpoint = Endpoint(host: "127.0.0.1", port: port) },
                               handler: EchoGRPC.handler())
    defer { again.shutdown(deadlineSeconds: 1) }
    #expect(try call(client, "/test.Echo/Echo", [4])?.get() == [4])
}

@Test func grpcServer_answersDeadlineExceeded_forAnExpiredCall() {
    let handler = EchoGRPC.handler()
    let framed = GRPCMessageFraming.frame([1, 2])
    func run(_ timeout: String) -> String? {
        let request = HTTPRequest(method: "POST", path: "/test.Echo/Echo", headers: HTTPHeaders([
            ("content-type", "application/grpc"), ("grpc-timeout", timeout)]), body: framed)
        let response = handler.handle(request)
        return (response.trailers.isEmpty ? HTTPHeaders(response.headers) : HTTPHeaders(response.trailers))["grpc-status"]
    }
    #expect(run("0n") == "4")
    #expect(run("10S") == "0")
}

@Test func grpcClient_failsFast_whenNothingListens() {
    let client = GRPCClient(endpoint: ClientEndpoint(host: "127.0.0.1", port: 1), connectTimeout: 2, logger: quiet)
    defer { client.close() }
    guard case let .failure(status) = call(client, "/test.Echo/Echo", [1]) else { Issue.record("no failure"); return }
    #expect(status.code == .unavailable)
}

@Test func http1Client_reusesKeepAliveConnections_andReadsChunkedAndLengthBodies() throws {
    try withServer { server in
        let client = HTTP1Client(endpoint: ClientEndpoint(host: "127.0.0.1", port: server.boundPort), logger: quiet)
        defer { client.close() }
        for i in 0..<5 {
            let body = Array("request \(i)".utf8)
            let box = Mutex<Result<HTTPClientResponse, HTTPClientError>?>(nil)
            let done = DispatchSemaphore(value: 0)
            client.send(HTTPClientRequest(path: "/echo/\(i)", headers: [("X-A", "b")], body: body), timeout: 5) { r in
                box.withLock { $0 = r }
                done.signal()
            }
            #expect(done.wait(timeout: .now() + 10) == .success)
            let response = try #require(try box.withLock { $0 }?.get())
            #expect(response.status == 200 && response.body == body && response.headers["x-path"] == "/echo/\(i)")
        }
    }
}

@Test func responseHead_framing() throws {
    func head(_ text: String, method: String = "POST") throws -> ResponseHead {
        try Array(text.utf8).withUnsafeBytes { try HTTPParser.parseResponseHead($0, requestMethod: method) }
    }
    let chunked = try head("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
    guard case .framed(.chunked) = chunked.framing else { Issue.record("not chunked"); return }
    let closing = try head("HTTP/1.1 503 Busy\r\nRetry-After: 3\r\n\r\n")
    guard case .untilClose = closing.framing else { Issue.record("not until close"); return }
    #expect(closing.status == 503 && !closing.keepAlive && closing.headers["retry-after"] == "3")
    let noBody = try head("HTTP/1.0 204 No Content\r\n\r\n")
    guard case .framed(.length(0)) = noBody.framing else { Issue.record("204 has a body"); return }
    #expect(throws: HTTPParseError.self) { try head("HTTP/1.1 2000 OK\r\n\r\n") }
    #expect(throws: HTTPParseError.self) { try head("HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n") }
}
