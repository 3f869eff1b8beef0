import Diagnostics
import Pipeline
import TraceModel
import Transport
import WireFormats

/// The four Zipkin bodies, labelled as upstream labels their transports.
enum ZipkinTransport: String, CaseIterable, Sendable {
    case v1JSON = "http_v1_json"
    case v1Thrift = "http_v1_thrift"
    case v2JSON = "http_v2_json"
    case v2Proto = "http_v2_proto"

    /// As upstream picks: a path containing `api/v1/spans` is v1 (thrift for
    /// `application/x-thrift`, else JSON); any other path is v2 (protobuf for
    /// `application/x-protobuf`, else JSON).
    init(path: String, contentType: String?) {
        let media = mediaType(contentType)
        if path.contains("api/v1/spans") {
            self = media == "application/x-thrift" ? .v1Thrift : .v1JSON
        } else {
            self = media == "application/x-protobuf" ? .v2Proto : .v2JSON
        }
    }

    var format: ZipkinFormat {
        switch self {
        case .v1JSON: .v1JSON
        case .v1Thrift: .v1Thrift
        case .v2JSON: .v2JSON
        case .v2Proto: .v2Proto
        }
    }
}

/// Serves every path (upstream's Zipkin receiver has one handler for all): 202 with an empty
/// body once the pipeline took the spans; 400 with the reason (which span, which field) for a
/// body that does not decode — one bad span refuses the whole request; 400 for a permanent
/// pipeline refusal, 503 (or 429 with Retry-After) for a retryable one.
struct ZipkinHTTPHandler: HTTPHandler {
    let consumers: [ZipkinTransport: any TraceConsumer]
    let invalidRequests: [ZipkinTransport: SelfMetrics.Counter]
    let options: ZipkinDecodeOptions
    let logger: Logger
    let cors: CORSPolicy?
    /// `include_metadata`: each request's header fields go into its spans' request context.
    var includeMetadata = false

    /// Spans go to `next` through counters per transport.
    init(next: any TraceConsumer, metrics: ReceiverTransportMetrics, options: ZipkinDecodeOptions, logger: Logger, cors: CORSConfig?) {
        var consumers: [ZipkinTransport: any TraceConsumer] = [:]
        var invalidRequests: [ZipkinTransport: SelfMetrics.Counter] = [:]
        for transport in ZipkinTransport.allCases {
            consumers[transport] = metrics.counting(next, transport: transport.rawValue)
            invalidRequests[transport] = metrics.invalid(transport: transport.rawValue)
        }
        self.consumers = consumers
        self.invalidRequests = invalidRequests
        self.options = options
        self.logger = logger
        self.cors = cors.map(CORSPolicy.init)
    }

    func handle(_ request: HTTPRequest) -> HTTPResponse {
        var response = route(request)
        if let cors { response.headers += cors.responseHeaders(for: request) }
        return response
    }

    private func route(_ request: HTTPRequest) -> HTTPResponse {
        if request.method == "OPTIONS", let cors, request.headers["access-control-request-method"] != nil {
            return cors.preflight(request)
        }
        let transport = ZipkinTransport(path: request.path, contentType: request.headers["content-type"])
        let batch: TraceBatch
        do {
            batch = try ZipkinDecoder.decode(transport.format, request.body, options: options)
        } catch {
            invalidRequests[transport]?.add(1)
            logger.debug("Rejected an undecodable Zipkin request", ["transport": transport.rawValue, "error": "\(error)"])
            return .text(400, "\(error)")
        }
        if !batch.isEmpty, let next = consumers[transport] {
            do throws(ConsumerError) {
                try next.consumeEncoded(batch, from: request.remoteAddress, metadata: includeMetadata ? request.headers : nil,
                                       auth: request.authAttributes)
            } catch {
                var response = HTTPResponse.text(error.httpStatus, error.message)
                if let delay = error.retryAfterSeconds { response.headers.append(("Retry-After", String(delay))) }
                return response
            }
        }
        return HTTPResponse(status: 202)
    }

    /// Upstream reads the body through a size limit and answers a body over it like any other
    /// unreadable body: 400 with the reason.
    func errorResponse(status: Int, message: String, request: HTTPRequest?) -> HTTPResponse {
        .text(status == 413 ? 400 : status, message)
    }
}
