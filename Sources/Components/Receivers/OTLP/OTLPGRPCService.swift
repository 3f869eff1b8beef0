import Diagnostics
import Pipeline
import Transport
import WireFormats

/// `opentelemetry.proto.collector.trace.v1.TraceService/Export` over gRPC, with the same
/// validation and partial-success answers as OTLP/HTTP.
struct OTLPGRPCService {
    static let exportPath = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"

    let next: any TraceConsumer
    let logger: Logger

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
            logger.debug("Rejected invalid spans", ["rejected": result.rejectedSpans, "reason": result.rejectionMessage])
        }
        if !result.batch.isEmpty {
            do throws(ConsumerError) {
                try next.consume(result.batch)
            } catch {
                return .failure(Self.status(for: error))
            }
        }
        return .success(OTLPProtoEncoder.encodeExportResponse(rejectedSpans: Int64(result.rejectedSpans), errorMessage: result.rejectionMessage))
    }

    /// permanent → INVALID_ARGUMENT; refused for memory → RESOURCE_EXHAUSTED; anything else →
    /// UNAVAILABLE; both retryable ones carry a RetryInfo delay so clients back off.
    static func status(for error: ConsumerError) -> GRPCStatus {
        switch error {
        case let .permanent(message):
            return GRPCStatus(.invalidArgument, message)
        case let .retryable(message):
            return GRPCStatus(.unavailable, message, detailsBase64: details(.unavailable, message, retryAfter: 1))
        case let .refused(message, delay):
            return GRPCStatus(.resourceExhausted, message, detailsBase64: details(.resourceExhausted, message, retryAfter: delay))
        }
    }

    private static func details(_ code: GRPCStatusCode, _ message: String, retryAfter: Int) -> String {
        let retryInfo = OTLPProtoEncoder.encodeRetryInfo(delaySeconds: Int64(retryAfter))
        let status = OTLPProtoEncoder.encodeStatus(code: code.rawValue, message: message,
                                                   details: [(typeURL: "type.googleapis.com/google.rpc.RetryInfo", value: retryInfo)])
        return String(decoding: Base64.encode(status), as: UTF8.self)
    }
}
