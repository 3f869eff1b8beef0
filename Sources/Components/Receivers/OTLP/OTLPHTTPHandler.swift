import Diagnostics
import Pipeline
import TraceModel
import Transport
import WireFormats

/// Serves `POST /v1/traces` (protobuf or JSON, chosen by Content-Type) and answers in the
/// request's encoding, with `google.rpc.Status` bodies on errors as the OTLP spec requires.
struct OTLPHTTPHandler: HTTPHandler {
    let config: OTLPReceiver.HTTPConfig
    let next: any TraceConsumer
    /// Spans dropped for invalid ids.
    let failed: SelfMetrics.Counter
    let logger: Logger
    let cors: CORSPolicy?

    init(config: OTLPReceiver.HTTPConfig, next: any TraceConsumer, failed: SelfMetrics.Counter = SelfMetrics.Counter(), logger: Logger) {
        self.config = config
        self.next = next
        self.failed = failed
        self.logger = logger
        cors = config.cors.map(CORSPolicy.init)
    }

    func handle(_ request: HTTPRequest) -> HTTPResponse {
        var response = route(request)
        if let cors { response.headers += cors.responseHeaders(for: request) }
        return response
    }

    private func route(_ request: HTTPRequest) -> HTTPResponse {
        switch request.path {
        case config.tracesURLPath:
            return answerIfNotPost(request, cors: cors) ?? export(request)
        case config.metricsURLPath, config.logsURLPath:
            let encoding = OTLPEncoding(contentType: request.headers["content-type"]) ?? .protobuf
            return status(404, code: .unimplemented, "Swiftlet carries traces only: \(request.path) is not served; send metrics and logs to another collector", encoding)
        default:
            return .text(404, "404 page not found")
        }
    }

    private func export(_ request: HTTPRequest) -> HTTPResponse {
        guard let encoding = OTLPEncoding(contentType: request.headers["content-type"]) else {
            return .text(415, "415 unsupported media type, supported: [application/json, application/x-protobuf]")
        }
        let result: OTLPDecodeResult
        do {
            result = try encoding.decode(request.body)
        } catch {
            logger.debug("Rejected an undecodable request", ["error": "\(error)"])
            return status(400, code: .invalidArgument, "\(error)", encoding)
        }
        if result.rejectedSpans > 0 {
            failed.add(result.rejectedSpans)
            logger.debug("Rejected invalid spans", ["rejected": result.rejectedSpans, "reason": result.rejectionMessage])
        }
        if !result.batch.isEmpty {
            do throws(ConsumerError) {
                try next.consumeEncoded(result.batch, from: request.remoteAddress, metadata: config.server.includeMetadata ? request.headers : nil,
                                         auth: request.authAttributes)
            } catch {
                return consumerFailure(error, encoding)
            }
        }
        let body = encoding.response(rejectedSpans: Int64(result.rejectedSpans), message: result.rejectionMessage)
        return HTTPResponse(status: 200, headers: [("Content-Type", encoding.contentType)], body: body)
    }

    /// permanent → 400; refused for memory → 429 with Retry-After; anything else → 503.
    private func consumerFailure(_ error: ConsumerError, _ encoding: OTLPEncoding) -> HTTPResponse {
        switch error {
        case .permanent(let message):
            return status(400, code: .invalidArgument, message, encoding)
        case .retryable(let message):
            return status(503, code: .unavailable, message, encoding)
        case .refused(let message, let delay):
            var r = status(429, code: .resourceExhausted, message, encoding, retryAfter: delay)
            r.headers.append(("Retry-After", String(delay)))
            return r
        }
    }

    func errorResponse(status code: Int, message: String, request: HTTPRequest?) -> HTTPResponse {
        let encoding = OTLPEncoding(contentType: request?.headers["content-type"]) ?? .protobuf
        return status(code, code: GRPCStatusCode(httpError: code), message, encoding)
    }

    private func status(_ http: Int, code: GRPCStatusCode, _ message: String, _ encoding: OTLPEncoding, retryAfter: Int? = nil) -> HTTPResponse {
        HTTPResponse(status: http, headers: [("Content-Type", encoding.contentType)],
                     body: encoding.status(code: code.rawValue, message: message, retryAfterSeconds: retryAfter))
    }
}

/// The two OTLP/HTTP encodings, chosen by the request's media type (parameters ignored).
enum OTLPEncoding {
    case protobuf, json

    init?(contentType: String?) {
        switch mediaType(contentType) {
        case "application/x-protobuf": self = .protobuf
        case "application/json": self = .json
        default: return nil
        }
    }

    var contentType: String { self == .json ? "application/json" : "application/x-protobuf" }

    func decode(_ body: [UInt8]) throws -> OTLPDecodeResult {
        switch self {
        case .protobuf: try OTLPProtoDecoder.decodeExportRequest(body)
        case .json: try OTLPJSONDecoder.decodeExportRequest(body)
        }
    }

    func response(rejectedSpans: Int64, message: String) -> [UInt8] {
        switch self {
        case .protobuf: OTLPProtoEncoder.encodeExportResponse(rejectedSpans: rejectedSpans, errorMessage: message)
        case .json: OTLPJSONEncoder.encodeExportResponse(rejectedSpans: rejectedSpans, errorMessage: message)
        }
    }

    func status(code: Int32, message: String, retryAfterSeconds: Int?) -> [UInt8] {
        switch self {
        case .protobuf:
            let details = retryAfterSeconds.map {
                [(typeURL: "type.googleapis.com/google.rpc.RetryInfo", value: OTLPProtoEncoder.encodeRetryInfo(delaySeconds: Int64($0)))]
            } ?? []
            return OTLPProtoEncoder.encodeStatus(code: code, message: message, details: details)
        case .json:
            return OTLPJSONEncoder.encodeStatus(code: code, message: message)
        }
    }
}
