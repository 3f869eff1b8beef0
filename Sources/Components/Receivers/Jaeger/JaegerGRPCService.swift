import Diagnostics
import Pipeline
import TraceModel
import Transport
import WireFormats

/// `jaeger.api_v2.CollectorService/PostSpans` (jaeger-idl `collector.proto`): a `Batch` in the
/// Jaeger protobuf model, answered with an empty `PostSpansResponse`. An undecodable message is
/// INVALID_ARGUMENT with the reason; a refusal by the pipeline maps as for OTLP/gRPC.
struct JaegerGRPCService {
    static let postSpansPath = "/jaeger.api_v2.CollectorService/PostSpans"

    let next: any TraceConsumer
    let logger: Logger
    let invalidRequests: SelfMetrics.Counter
    /// `include_metadata`: each call's metadata goes into its spans' request context.
    var includeMetadata = false

    func handler(maxReceiveMessageSize: Int) -> GRPCServerHandler {
        GRPCServerHandler(methods: [Self.postSpansPath: postSpans], maxReceiveMessageSize: maxReceiveMessageSize)
    }

    func postSpans(_ call: GRPCCall) -> Result<[UInt8], GRPCStatus> {
        let batch: TraceBatch
        do {
            batch = try JaegerProtoDecoder.decodePostSpansRequest(call.message)
        } catch {
            invalidRequests.add(1)
            logger.debug("Rejected an undecodable Jaeger PostSpans request", ["error": "\(error)"])
            return .failure(GRPCStatus(.invalidArgument, "\(error)"))
        }
        if !batch.isEmpty {
            do throws(ConsumerError) {
                try next.consumeEncoded(batch, from: call.remoteAddress, metadata: includeMetadata ? call.metadata : nil, auth: call.authAttributes)
            } catch {
                return .failure(error.grpcStatus)
            }
        }
        // PostSpansResponse has no fields: its encoding is empty.
        return .success([])
    }
}
