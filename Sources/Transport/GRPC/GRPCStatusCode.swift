/// gRPC status codes (gRPC's status.h), with the OTLP retry rule and the HTTP status the
/// OpenTelemetry Collector maps each to. The one home for both, for every receiver and exporter.
public enum GRPCStatusCode: Int32, Sendable, CaseIterable {
    case ok = 0, cancelled, unknown, invalidArgument, deadlineExceeded, notFound, alreadyExists,
         permissionDenied, resourceExhausted, failedPrecondition, aborted, outOfRange, unimplemented,
         `internal`, unavailable, dataLoss, unauthenticated

    /// The Collector's gRPC → HTTP mapping (its `internal/errors` package).
    public var httpStatus: Int {
        switch self {
        case .ok: 200
        case .cancelled, .deadlineExceeded, .aborted, .outOfRange, .unavailable, .dataLoss: 503
        case .resourceExhausted: 429
        case .invalidArgument: 400
        case .unauthenticated: 401
        case .permissionDenied: 403
        case .unimplemented: 404
        default: 500
        }
    }

    /// Whether an OTLP client retries a call that failed with this code (OTLP specification,
    /// "Failures"); RESOURCE_EXHAUSTED only when the server sent a retry delay.
    public func isRetryable(hasRetryDelay: Bool) -> Bool {
        switch self {
        case .cancelled, .deadlineExceeded, .aborted, .outOfRange, .unavailable, .dataLoss: true
        case .resourceExhausted: hasRetryDelay
        default: false
        }
    }

    /// What a server-detected HTTP error (413, 431, 400, ...) means as a gRPC status.
    public init(httpError status: Int) {
        switch status {
        case 413, 431, 429: self = .resourceExhausted
        case 400: self = .invalidArgument
        case 401: self = .unauthenticated
        case 403: self = .permissionDenied
        case 404: self = .unimplemented
        case 502, 503, 504: self = .unavailable
        default: self = status >= 500 ? .internal : .invalidArgument
        }
    }
}

/// A call's outcome as the trailers carry it.
public struct GRPCStatus: Error, Sendable, Equatable {
    public var code: GRPCStatusCode
    public var message: String
    /// `grpc-status-details-bin`: a serialized `google.rpc.Status`, as sent (base64) — rich details
    /// such as RetryInfo.
    public var detailsBase64: String?

    public init(_ code: GRPCStatusCode, _ message: String = "", detailsBase64: String? = nil) {
        self.code = code
        self.message = message
        self.detailsBase64 = detailsBase64
    }

    /// The trailer fields that carry this status.
    public var trailerFields: [(String, String)] {
        var fields = [("grpc-status", String(code.rawValue))]
        if !message.isEmpty { fields.append(("grpc-message", GRPCPercentEncoding.encode(message))) }
        if let detailsBase64 { fields.append(("grpc-status-details-bin", detailsBase64)) }
        return fields
    }
}
