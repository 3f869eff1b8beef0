/// A request an exporter sends; the client adds framing fields and the authority.
public struct HTTPClientRequest: Sendable {
    public var method: String
    public var path: String
    public var headers: [(String, String)]
    public var body: [UInt8]
    /// Sent before `body` as part of it (a gRPC message prefix), so that a large body is not
    /// copied to put a few bytes in front.
    public var bodyPrefix: [UInt8]
    /// When set (HTTP/1.1 only), a 2xx response's body is handed here piece by piece as it
    /// arrives, on the connection's queue, instead of collected: a Kubernetes watch streams for
    /// minutes. The completion then gets the head and an empty body once the body ends.
    public var onBodyBytes: (@Sendable ([UInt8]) -> Void)?

    public init(method: String = "POST", path: String, headers: [(String, String)] = [], body: [UInt8] = [], bodyPrefix: [UInt8] = [],
                onBodyBytes: (@Sendable ([UInt8]) -> Void)? = nil) {
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
        self.bodyPrefix = bodyPrefix
        self.onBodyBytes = onBodyBytes
    }
}

public struct HTTPClientResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// HTTP/2 trailers (gRPC's status); empty for HTTP/1.1.
    public var trailers: HTTPHeaders

    public init(status: Int, headers: HTTPHeaders = HTTPHeaders([]), body: [UInt8] = [], trailers: HTTPHeaders = HTTPHeaders([])) {
        self.status = status
        self.headers = headers
        self.body = body
        self.trailers = trailers
    }
}

/// Why a request got no response. Every case but `malformedResponse` may be retried: the server
/// either never saw the request or did not answer it.
public enum HTTPClientError: Error, Sendable, Equatable, CustomStringConvertible {
    case connectFailed(String)
    case connectionLost(String)
    case timedOut
    /// RST_STREAM with this HTTP/2 error code (REFUSED_STREAM: not processed, safe to retry).
    case streamReset(UInt32)
    case malformedResponse(String)

    public var description: String {
        switch self {
        case let .connectFailed(reason): "connect failed: \(reason)"
        case let .connectionLost(reason): "connection lost: \(reason)"
        case .timedOut: "request timed out"
        case let .streamReset(code): "stream reset by the server (HTTP/2 error code \(code))"
        case let .malformedResponse(reason): "malformed response: \(reason)"
        }
    }
}

public typealias HTTPClientCompletion = @Sendable (Result<HTTPClientResponse, HTTPClientError>) -> Void

/// Where a client connects: host and port, with the authority (`Host`) it names.
public struct ClientEndpoint: Sendable, Equatable {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public var authority: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
