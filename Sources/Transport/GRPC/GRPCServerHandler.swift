import Diagnostics

/// One unary call as a method sees it.
public struct GRPCCall: Sendable {
    /// `/package.Service/Method`.
    public var path: String
    public var message: [UInt8]
    public var metadata: HTTPHeaders
    /// When the client stops waiting (monotonic ns), from `grpc-timeout`.
    public var deadline: UInt64?
    public var remoteAddress: String
    /// The request's `authAttributes`.
    public var authAttributes: [String: String] = [:]
}

/// A unary method: the response message, or the status to fail with.
public typealias GRPCUnaryMethod = @Sendable (GRPCCall) -> Result<[UInt8], GRPCStatus>

/// Serves unary gRPC methods over the HTTP/2 server: checks the call's head, unframes (and
/// inflates) the one message, runs the method and answers with the status in trailers, or
/// trailers-only for an error.
public struct GRPCServerHandler: HTTPHandler {
    private let methods: [String: GRPCUnaryMethod]
    private let maxReceiveMessageSize: Int
    /// The status for a path no method serves.
    private let unknownMethod: @Sendable (String) -> GRPCStatus

    public init(methods: [String: GRPCUnaryMethod], maxReceiveMessageSize: Int,
                unknownMethod: @escaping @Sendable (String) -> GRPCStatus = { GRPCStatus(.unimplemented, "unknown method \($0)") }) {
        self.methods = methods
        self.maxReceiveMessageSize = maxReceiveMessageSize
        self.unknownMethod = unknownMethod
    }

    public func handle(_ request: HTTPRequest) -> HTTPResponse {
        guard request.method == "POST" else {
            return .text(405, "gRPC requires POST")
        }
        guard let contentType = request.headers["content-type"], contentType.lowercased().hasPrefix("application/grpc") else {
            return .text(415, "invalid gRPC request content-type \"\(request.headers["content-type"] ?? "")\"")
        }
        let start = WallClock.monotonicNano()
        switch call(request, receivedAt: start) {
        case let .success(message):
            return HTTPResponse(status: 200, headers: Self.responseHead, body: GRPCMessageFraming.frame(message),
                                trailers: GRPCStatus(.ok).trailerFields)
        case let .failure(status):
            return Self.trailersOnly(status)
        }
    }

    private func call(_ request: HTTPRequest, receivedAt now: UInt64) -> Result<[UInt8], GRPCStatus> {
        guard let method = methods[request.path] else { return .failure(unknownMethod(request.path)) }
        let coding: ContentCoding?
        do {
            coding = try ContentCoding(token: request.headers["grpc-encoding"] ?? "")
        } catch {
            return .failure(GRPCStatus(.unimplemented, "grpc: \(error)"))
        }
        let message: [UInt8]
        do {
            message = try GRPCMessageFraming.unframe(request.body, coding: coding, maxMessageSize: maxReceiveMessageSize)
        } catch {
            return .failure(error)
        }
        let deadline = GRPCTimeout.parse(request.headers["grpc-timeout"]).map { now &+ $0 }
        // The client has stopped waiting: doing the work would only risk a duplicate on its retry.
        if let deadline, deadline <= WallClock.monotonicNano() {
            return .failure(GRPCStatus(.deadlineExceeded, "grpc: the call's deadline passed before it was handled"))
        }
        return method(GRPCCall(path: request.path, message: message, metadata: request.headers, deadline: deadline,
                               remoteAddress: request.remoteAddress, authAttributes: request.authAttributes))
    }

    public func errorResponse(status: Int, message: String, request: HTTPRequest?) -> HTTPResponse {
        var text = message
        if status == 413 { text = "grpc: received message larger than max (\(maxReceiveMessageSize) bytes): \(message)" }
        return Self.trailersOnly(GRPCStatus(GRPCStatusCode(httpError: status), text))
    }

    private static let responseHead = [("content-type", "application/grpc"), ("grpc-accept-encoding", "gzip,zstd,deflate")]

    /// Trailers-Only: one HEADERS frame with the status, ending the stream.
    public static func trailersOnly(_ status: GRPCStatus) -> HTTPResponse {
        HTTPResponse(status: 200, headers: responseHead + status.trailerFields)
    }
}
