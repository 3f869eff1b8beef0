import Diagnostics
import Pipeline
import TraceModel
import Transport
import WireFormats

/// Serves `POST /api/traces` (any query, e.g. `?format=jaeger.thrift`): a `Batch` in the Thrift
/// binary protocol. 202 once the pipeline took it; 415 for another media type; 400 with the
/// reason for a body that does not decode; 503 (or 429 with Retry-After) when the pipeline refuses.
struct JaegerThriftHTTPHandler: HTTPHandler {
    static let path = "/api/traces"
    static let mediaTypes = ["application/x-thrift", "application/vnd.apache.thrift.binary"]

    let next: any TraceConsumer
    let logger: Logger
    let cors: CORSPolicy?
    let invalidRequests: SelfMetrics.Counter
    /// `include_metadata`: each request's header fields go into its spans' request context.
    var includeMetadata = false

    func handle(_ request: HTTPRequest) -> HTTPResponse {
        var response = route(request)
        if let cors { response.headers += cors.responseHeaders(for: request) }
        return response
    }

    private func route(_ request: HTTPRequest) -> HTTPResponse {
        guard request.path == Self.path else { return .text(404, "404 page not found") }
        if let answer = answerIfNotPost(request, cors: cors) { return answer }
        guard let media = mediaType(request.headers["content-type"]), Self.mediaTypes.contains(media) else {
            return .text(415, "415 unsupported media type, supported: [\(Self.mediaTypes.joined(separator: ", "))]")
        }
        return export(request.body, from: request.remoteAddress, metadata: includeMetadata ? request.headers : nil, auth: request.authAttributes)
    }

    private func export(_ body: [UInt8], from remoteAddress: String, metadata: HTTPHeaders?, auth: [String: String]) -> HTTPResponse {
        let batch: TraceBatch
        do {
            batch = try JaegerThriftDecoder.decodeBatch(body)
        } catch {
            invalidRequests.add(1)
            logger.debug("Rejected an undecodable Jaeger batch", ["error": "\(error)"])
            return .text(400, "Unable to process request body: \(error)")
        }
        if !batch.isEmpty {
            do throws(ConsumerError) {
                try next.consumeEncoded(batch, from: remoteAddress, metadata: metadata, auth: auth)
            } catch {
                return error.plainTextResponse
            }
        }
        return HTTPResponse(status: 202)
    }
}
