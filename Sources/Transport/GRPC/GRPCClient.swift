import Diagnostics

/// Unary gRPC calls over one `HTTP2Client`.
public final class GRPCClient: Sendable {
    private let http: HTTP2Client

    public init(endpoint: ClientEndpoint, connectTimeout: Double = 5, tls: TLSContext? = nil, logger: Logger) {
        http = HTTP2Client(endpoint: endpoint, connectTimeout: connectTimeout, tls: tls, logger: logger)
    }

    /// Calls `path` with `message`, compressed with `compression` here, or by the caller when
    /// `compressed`; `completion` gets the response message or the call's status (transport
    /// failures mapped as gRPC over HTTP/2 says).
    public func unary(path: String, message: [UInt8], metadata: [(String, String)], compression: ContentCoding?,
                      compressed: Bool = false, timeout: Double, completion: @escaping @Sendable (Result<[UInt8], GRPCStatus>) -> Void) {
        var headers: [(String, String)] = []
        if timeout > 0 { headers.append(("grpc-timeout", GRPCTimeout.format(nanoseconds: timeout.nanoseconds))) }
        headers += [("content-type", "application/grpc"), ("te", "trailers"), ("user-agent", "swiftlet-grpc"),
                    ("grpc-accept-encoding", "gzip,zstd")]
        if let compression { headers.append(("grpc-encoding", compression.token)) }
        headers += metadata
        // The prefix travels apart from the message, which is not copied to put it in front.
        let payload = compressed ? message : compression.map { $0.encode(message) } ?? message
        let request = HTTPClientRequest(path: path, headers: headers, body: payload,
                                        bodyPrefix: GRPCMessageFraming.prefix(length: payload.count, compressed: compression != nil))
        http.send(request, timeout: timeout) { result in
            completion(Self.outcome(result))
        }
    }

    public func close() { http.close() }

    static func outcome(_ result: Result<HTTPClientResponse, HTTPClientError>) -> Result<[UInt8], GRPCStatus> {
        let response: HTTPClientResponse
        switch result {
        case let .success(r): response = r
        case let .failure(error): return .failure(status(for: error))
        }
        guard response.status == 200 else {
            return .failure(GRPCStatus(code(httpStatus: response.status), "HTTP status \(response.status) from the server"))
        }
        // Trailers-Only answers carry the status in the head.
        let fields = response.trailers.count > 0 ? response.trailers : response.headers
        guard let text = fields["grpc-status"], let raw = Int32(text), let code = GRPCStatusCode(rawValue: raw) else {
            return .failure(GRPCStatus(.internal, "the server sent no grpc-status"))
        }
        guard code == .ok else {
            return .failure(GRPCStatus(code, GRPCPercentEncoding.decode(fields["grpc-message"] ?? ""),
                                       detailsBase64: fields["grpc-status-details-bin"]))
        }
        let coding = try? ContentCoding(token: response.headers["grpc-encoding"] ?? "")
        do {
            return .success(try GRPCMessageFraming.unframe(response.body, coding: coding, maxMessageSize: 4 << 20))
        } catch {
            return .failure(error)
        }
    }

    private static func status(for error: HTTPClientError) -> GRPCStatus {
        switch error {
        case .connectFailed, .connectionLost: GRPCStatus(.unavailable, error.description)
        case .timedOut: GRPCStatus(.deadlineExceeded, error.description)
        case .streamReset(HTTP2ErrorCode.refusedStream): GRPCStatus(.unavailable, error.description)
        case .streamReset(HTTP2ErrorCode.cancel): GRPCStatus(.cancelled, error.description)
        case .streamReset(HTTP2ErrorCode.enhanceYourCalm): GRPCStatus(.resourceExhausted, error.description)
        case .streamReset, .malformedResponse: GRPCStatus(.internal, error.description)
        }
    }

    /// gRPC's HTTP-to-gRPC status mapping, for answers that are not gRPC at all.
    private static func code(httpStatus: Int) -> GRPCStatusCode {
        switch httpStatus {
        case 400: .internal
        case 401: .unauthenticated
        case 403: .permissionDenied
        case 404: .unimplemented
        case 429, 502, 503, 504: .unavailable
        default: .unknown
        }
    }
}
