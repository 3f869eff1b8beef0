import Config
import Diagnostics
import Pipeline
import Transport
import WireFormats

/// The configgrpc server options Swiftlet implements, shared by the gRPC receivers.
public struct GRPCServerSettings: Sendable, Equatable {
    public var endpoint: String
    /// grpc-go's default receive limit, 4 MiB, when unset.
    public var maxRecvMsgSizeMiB = 4
    public var maxConcurrentStreams = 250
    /// `auth`: the server authenticator every call must pass.
    public var auth: AuthSettings?
    /// `tls`: gRPC over TLS, ALPN `h2`.
    public var tls: TLSConfiguration?
    /// `include_metadata`: each call's metadata goes with its spans (request context).
    public var includeMetadata = false

    public init(endpoint: String) {
        self.endpoint = endpoint
    }

    var maxReceiveMessageBytes: Int { maxRecvMsgSizeMiB << 20 }

    /// Reads `endpoint`, `transport`, `max_recv_msg_size_mib`, `max_concurrent_streams`, `auth`,
    /// `tls`; accepts the buffer and metadata options without effect.
    static func parse(_ r: ConfigReader, defaultEndpoint: String) throws(ConfigError) -> GRPCServerSettings {
        var c = GRPCServerSettings(endpoint: try parseEndpoint(r, default: defaultEndpoint))
        if let transport = try r.string("transport"), transport != "tcp" {
            throw r.error("transport", "only \"tcp\" is supported, not \"\(transport)\"")
        }
        if let size = try r.int("max_recv_msg_size_mib") {
            guard size > 0, size <= 2047 else { throw r.error("max_recv_msg_size_mib", "must be between 1 and 2047") }
            c.maxRecvMsgSizeMiB = size
        }
        if let streams = try r.int("max_concurrent_streams") {
            guard streams >= 0 else { throw r.error("max_concurrent_streams", "must not be negative") }
            c.maxConcurrentStreams = streams == 0 ? c.maxConcurrentStreams : streams
        }
        // Socket buffer hints: accepted as upstream, no effect here.
        _ = try r.int("read_buffer_size")
        _ = try r.int("write_buffer_size")
        c.includeMetadata = try r.bool("include_metadata") ?? false
        c.auth = try AuthSettings.parse(in: r, requestParams: false)
        c.tls = try TLSSettings.parseServer(r)
        return c
    }

    /// The listener's settings; `admission` is the service's shared cap on request bytes.
    func serverConfiguration(admission: AdmissionBudget?, logger: Logger) throws -> HTTPServer.Configuration {
        var configuration = HTTPServer.Configuration(
            endpoint: try Endpoint(parsing: endpoint),
            // The 5-byte prefix, and room for a compressed message to be refused by its own limit.
            maxRequestBodySize: maxReceiveMessageBytes + GRPCMessageFraming.prefixLength,
            maxHeaderBytes: 64 << 10, idleTimeout: 2 * 3600,
            httpVersion: .http2, maxConcurrentStreams: maxConcurrentStreams)
        configuration.admission = admission
        configuration.tls = try tls.map { try TLSContext($0, role: .server, alpn: [], logger: logger) }
        return configuration
    }
}

extension ConsumerError {
    /// How a gRPC receiver answers a refusal: permanent → INVALID_ARGUMENT; refused for memory →
    /// RESOURCE_EXHAUSTED; anything else → UNAVAILABLE; both retryable ones carry a RetryInfo
    /// delay so clients back off.
    var grpcStatus: GRPCStatus {
        switch self {
        case let .permanent(message):
            return GRPCStatus(.invalidArgument, message)
        case let .retryable(message):
            return GRPCStatus(.unavailable, message, detailsBase64: Self.details(.unavailable, message, retryAfter: 1))
        case let .refused(message, delay):
            return GRPCStatus(.resourceExhausted, message, detailsBase64: Self.details(.resourceExhausted, message, retryAfter: delay))
        }
    }

    private static func details(_ code: GRPCStatusCode, _ message: String, retryAfter: Int) -> String {
        let retryInfo = OTLPProtoEncoder.encodeRetryInfo(delaySeconds: Int64(retryAfter))
        let status = OTLPProtoEncoder.encodeStatus(code: code.rawValue, message: message,
                                                   details: [(typeURL: "type.googleapis.com/google.rpc.RetryInfo", value: retryInfo)])
        return String(decoding: Base64.encode(status), as: UTF8.self)
    }
}
