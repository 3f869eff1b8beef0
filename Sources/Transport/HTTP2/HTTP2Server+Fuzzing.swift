#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Diagnostics

/// The entry points of the HTTP/2 and gRPC libFuzzer harnesses in `Fuzz/` (SPI, not API).
@_spi(Fuzzing) public enum HTTP2Fuzzer {
    /// Feeds `input` (after the first byte, which picks the read size) to an HTTP/2 server
    /// connection serving a gRPC echo method, as a client's bytes arrive from the socket: nghttp2's
    /// frame reader, our stream callbacks, header limits, body limits, gRPC framing and answers.
    public static func run(_ input: UnsafeRawBufferPointer) {
        guard let first = input.first else { return }
        var fds: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0, &fds) == 0 else { return }
        let logger = Logger(component: "fuzz", sink: LogSink(level: .error) { _ in })
        var configuration = HTTPServer.Configuration(endpoint: Endpoint(host: "127.0.0.1", port: 0), maxRequestBodySize: 1 << 16,
                                                     maxHeaderBytes: 8 << 10, httpVersion: .http2, maxConcurrentStreams: 16)
        configuration.handlersInline = true
        let handler = GRPCServerHandler(methods: ["/fuzz.Echo/Echo": { .success($0.message) }], maxReceiveMessageSize: 1 << 15)
        let context = ServerContext(configuration: configuration, logger: logger, handler: handler)
        let connection = Connection(id: 0, fd: fds[0], remoteAddress: "fuzz", logger: logger)
        let proto = HTTP2ServerProtocol(context: context)
        connection.handler = proto
        let step = Int(first % 64) + 1
        var rest = UnsafeRawBufferPointer(rebasing: input.dropFirst())
        connection.queue.sync {
            proto.connectionStarted(connection)
            while !rest.isEmpty, !connection.isClosed {
                let n = min(step * 97, rest.count)
                let space = connection.inbound.writable(minimum: n, maximum: n)
                space.copyMemory(from: UnsafeRawBufferPointer(rebasing: rest[0..<n]))
                connection.inbound.commit(n)
                rest = UnsafeRawBufferPointer(rebasing: rest[n...])
                proto.connectionReceived(connection)
                discard(fds[1])
            }
            connection.close()
        }
        _ = close(fds[1])
    }

    /// Unframes `input` as one unary gRPC message with each coding the server accepts.
    public static func runMessage(_ input: UnsafeRawBufferPointer) {
        let body = Array(input)
        for coding in [nil, ContentCoding.gzip, .zstd, .deflate] {
            _ = try? GRPCMessageFraming.unframe(body, coding: coding, maxMessageSize: 1 << 16)
        }
        _ = GRPCTimeout.parse(String(decoding: input.prefix(12), as: UTF8.self))
        _ = GRPCPercentEncoding.decode(String(decoding: input, as: UTF8.self))
    }

    private static func discard(_ fd: Int32) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while read(fd, &buffer, buffer.count) > 0 {}
    }
}
