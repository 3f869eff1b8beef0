import Diagnostics
import Glibc
@testable import Transport

/// A small blocking client over Glibc sockets; every read has a timeout and every loop a bound.
final class TestClient {
    let fd: Int32
    private var pending: [UInt8] = []

    init(port: Int, host: String = "127.0.0.1", timeout: Double = 5) throws(SocketError) {
        let family = host.contains(":") ? AF_INET6 : AF_INET
        fd = socket(family, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw .system(operation: "socket", errno: errno) }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - Double(Int(timeout))) * 1e6))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let rc: Int32
        if family == AF_INET {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = UInt16(port).bigEndian
            inet_pton(AF_INET, host, &address.sin_addr)
            rc = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        } else {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = UInt16(port).bigEndian
            inet_pton(AF_INET6, host, &address.sin6_addr)
            rc = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        }
        guard rc == 0 else {
            // No close here: the object is fully initialized, so deinit closes `fd` (closing twice
            // would close whatever descriptor another test opened meanwhile).
            let code = errno
            throw .system(operation: "connect \(host):\(port)", errno: code)
        }
    }

    deinit { Glibc.close(fd) }

    func send(_ text: String) { send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { raw in
                Glibc.send(fd, raw.baseAddress.map { $0 + offset }, bytes.count - offset, Int32(MSG_NOSIGNAL))
            }
            guard n > 0 else { return }
            offset += n
        }
    }

    /// Reads more bytes into `pending`; false on EOF, error or timeout.
    private func fill() -> Bool {
        withUnsafeTemporaryAllocation(byteCount: 65536, alignment: 1) { chunk in
            let n = recv(fd, chunk.baseAddress, chunk.count, 0)
            guard n > 0 else { return false }
            pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[0..<n]))
            return true
        }
    }

    func readResponse() -> TestResponse? {
        var headEnd: Int?
        for _ in 0..<10_000 {
            if let end = findHeadEnd() {
                headEnd = end
                break
            }
            guard fill() else { return nil }
        }
        guard let headEnd else { return nil }
        let head = String(decoding: pending[0..<headEnd], as: UTF8.self)
        var lines = head.split(separator: "\r\n", omittingEmptySubsequences: true)
        guard !lines.isEmpty else { return nil }
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { return nil }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = String(line[line.index(after: colon)...].drop { $0 == " " })
        }
        pending.removeFirst(headEnd)
        let length = Int(headers["content-length"] ?? "0") ?? 0
        var reads = 0
        while pending.count < length, reads < 100_000 {
            guard fill() else { return nil }
            reads += 1
        }
        guard pending.count >= length else { return nil }
        let body = Array(pending[0..<length])
        pending.removeFirst(length)
        return TestResponse(status: status, headers: headers, body: body)
    }

    /// Exactly `count` bytes, or nil on EOF, error or timeout first.
    func readBytes(_ count: Int) -> [UInt8]? {
        for _ in 0..<100_000 where pending.count < count {
            guard fill() else { return nil }
        }
        guard pending.count >= count else { return nil }
        defer { pending.removeFirst(count) }
        return Array(pending[0..<count])
    }

    /// True when the server closed the connection (EOF or reset) before the read timeout.
    func isClosedByPeer() -> Bool {
        var byte: UInt8 = 0
        for _ in 0..<1000 {
            let n = recv(fd, &byte, 1, 0)
            if n == 0 { return true }
            if n < 0 { return errno == ECONNRESET || errno == EPIPE }
        }
        return false
    }

    private func findHeadEnd() -> Int? {
        guard pending.count >= 4 else { return nil }
        for i in 0...(pending.count - 4)
        where pending[i] == 13 && pending[i + 1] == 10 && pending[i + 2] == 13 && pending[i + 3] == 10 {
            return i + 4
        }
        return nil
    }
}

struct TestResponse {
    var status: Int
    var headers: [String: String]
    var body: [UInt8]
    var text: String { String(decoding: body, as: UTF8.self) }
}

/// Echoes the body and reports method, path and query in headers; may sleep first.
struct EchoHandler: HTTPHandler {
    var sleepMillis: UInt32 = 0

    func handle(_ request: HTTPRequest) -> HTTPResponse {
        if sleepMillis > 0 { usleep(sleepMillis * 1000) }
        return HTTPResponse(
            status: 200, headers: [("X-Method", request.method), ("X-Path", request.path), ("X-Query", request.query)],
            body: request.body)
    }
}

func makeServer(_ configure: (inout HTTPServer.Configuration) -> Void = { _ in }, handler: any HTTPHandler = EchoHandler(),
                host: String = "127.0.0.1") throws -> HTTPServer {
    var configuration = HTTPServer.Configuration(endpoint: Endpoint(host: host, port: 0))
    configure(&configuration)
    let server = HTTPServer(configuration: configuration, logger: Logger(component: "test", sink: LogSink(level: .error)), handler: handler)
    try server.start()
    return server
}

/// A running server on 127.0.0.1 port 0, shut down after `body`.
func withServer<T>(_ configure: (inout HTTPServer.Configuration) -> Void = { _ in }, handler: any HTTPHandler = EchoHandler(),
                   _ body: (HTTPServer) throws -> T) throws -> T {
    let server = try makeServer(configure, handler: handler)
    defer { server.shutdown(deadlineSeconds: 1) }
    return try body(server)
}

func request(_ method: String = "POST", _ path: String = "/echo", body: String = "", headers: [String] = []) -> String {
    var text = "\(method) \(path) HTTP/1.1\r\nHost: test\r\n"
    for header in headers { text += header + "\r\n" }
    if method == "POST" { text += "Content-Length: \(body.utf8.count)\r\n" }
    return text + "\r\n" + body
}

func requestHead(_ path: String = "/echo", contentLength: Int, headers: [String] = []) -> String {
    var text = "POST \(path) HTTP/1.1\r\nHost: test\r\nContent-Length: \(contentLength)\r\n"
    for header in headers { text += header + "\r\n" }
    return text + "\r\n"
}

func monotonicSeconds() -> Double { Double(WallClock.monotonicNano()) / 1e9 }
