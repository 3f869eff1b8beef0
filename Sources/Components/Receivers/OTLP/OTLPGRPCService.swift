import Diagnostics
import Pipeline
import Transport
import WireFormats

/// `opentelemetry.proto.collector.trace.v1.TraceService/Export` over gRPC, with the same
/// validation and partial-success answers as OTLP/HTTP.
struct OTLPGRPCService {
    static let exportPath = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"

    let next: any TraceConsumer
    /// Spans dropped for invalid ids.
    let failed: SelfMetrics.Counter
    let logger: Logger
    /// `include_metadata`: each call's metadata goes into its spans' request context.
    var includeMetadata = false

    func handler(maxReceiveMessageSize: Int) -> GRPCServerHandler {
        GRPCServerHandler(methods: [Self.exportPath: export], maxReceiveMessageSize: maxReceiveMessageSize) { path in
            if path.hasPrefix("/opentelemetry.proto.collector.metrics.") || path.hasPrefix("/opentelemetry.proto.collector.logs.")
                || path.hasPrefix("/opentelemetry.proto.collector.profiles.") {
                return GRPCStatus(.unimplemented, "Swiftlet carries traces only: \(path) is not served; send metrics and logs to another collector")
            }
            return GRPCStatus(.unimplemented, "unknown method \(path)")
        }
    }

    func export(_ call: GRPCCall) -> Result<[UInt8], GRPCStatus> {
        let result: OTLPDecodeResult
        do {
            result = try OTLPProtoDecoder.decodeExportRequest(call.message)
        } catch {
            logger.debug("Rejected an undecodable request", ["error": "\(error)"])
            return .failure(GRPCStatus(.invalidArgument, "\(error)"))
        }
        if result.rejectedSpans > 0 {
            failed.add(result.rejectedSpans)
            logger.debug("Rejected invalid spans", ["rejected": result.rejectedSpans, "reason": result.rejectionMessage])
        }
        if !result.batch.isEmpty {
            do throws(ConsumerError) {
                try next.consumeEncoded(result.batch, from: call.remoteAddress, metadata: includeMetadata ? call.metadata : nil,
                                         auth: call.authAttributes)
            } catch {
                return .failure(error.grpcStatus)
            }
        }
        return .success(OTLPProtoEncoder.encodeExportResponse(rejectedSpans: Int64(result.rejectedSpans), errorMessage: result.rejectionMessage))
    }
}
