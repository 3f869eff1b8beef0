import Diagnostics
import TraceModel

/// Encodes the span model and the OTLP/gRPC answers as protobuf. One size pass over the model,
/// one allocation, then fields written back to front (see `ProtoWriter`). Defaults are skipped
/// as proto3 does, except oneof members (AnyValue), which are always written.
public enum OTLPProtoEncoder {
    /// A `ResourceSpans` that still carries the bytes it arrived in is copied, not encoded again.
    public static func encodeExportRequest(_ batch: TraceBatch) -> [UInt8] {
        ProtoWriter.withBuffer(size: exportRequestSize(batch)) { writeExportRequest(batch, &$0) }
    }

    /// The same, written into a buffer taken from `buffers` (give it back once it is sent).
    public static func encodeExportRequest(_ batch: TraceBatch, buffers: ByteBufferPool) -> [UInt8] {
        var bytes = buffers.take(count: exportRequestSize(batch))
        ProtoWriter.fill(&bytes) { writeExportRequest(batch, &$0) }
        return bytes
    }

    private static func exportRequestSize(_ batch: TraceBatch) -> Int {
        var size = 0
        for resourceSpans in batch.resourceSpans {
            size += ProtoSize.lengthDelimited(1, resourceSpans.encoded?.count ?? OTLPProtoSizes.resourceSpans(resourceSpans))
        }
        return size
    }

    private static func writeExportRequest(_ batch: TraceBatch, _ writer: inout ProtoWriter) {
        for resourceSpans in batch.resourceSpans.reversed() {
            writer.writeMessageField(1) { writer in
                if let encoded = resourceSpans.encoded {
                    encoded.withUnsafeBytes { writer.writeRaw($0) }
                } else {
                    OTLPProtoWrites.resourceSpans(resourceSpans, &writer)
                }
            }
        }
    }

    /// Gives every `ResourceSpans` of `batch` that has none its OTLP protobuf encoding
    /// (`ResourceSpans.encoded`), which `encodeExportRequest` then copies.
    public static func attachEncodings(_ batch: inout TraceBatch) {
        for i in batch.resourceSpans.indices where batch.resourceSpans[i].encoded == nil {
            let resourceSpans = batch.resourceSpans[i]
            let bytes = ProtoWriter.withBuffer(size: OTLPProtoSizes.resourceSpans(resourceSpans)) { writer in
                OTLPProtoWrites.resourceSpans(resourceSpans, &writer)
            }
            batch.resourceSpans[i].encoded = EncodedBytes(EncodedBytes.Storage(bytes), 0..<bytes.count)
        }
    }

    /// Whether every `ResourceSpans` of `batch` that carries an encoding carries exactly what this
    /// encoder writes for its model: what the translations that write OTLP directly (Jaeger
    /// Thrift, Zipkin) must hold, checked by their tests and fuzz targets.
    public static func encodingsMatchModels(_ batch: TraceBatch) -> Bool {
        batch.resourceSpans.allSatisfy { resourceSpans in
            guard let encoded = resourceSpans.encoded else { return true }
            let written = ProtoWriter.withBuffer(size: OTLPProtoSizes.resourceSpans(resourceSpans)) { writer in
                OTLPProtoWrites.resourceSpans(resourceSpans, &writer)
            }
            return encoded.withUnsafeBytes { $0.elementsEqual(written) }
        }
    }

    /// One length-delimited field holding an already encoded message: nests it in an outer
    /// message (Tempo's `TraceByIDResponse.trace` around a `Trace`).
    public static func encodeMessageField(_ field: UInt32, _ message: [UInt8]) -> [UInt8] {
        ProtoWriter.withBuffer(size: ProtoSize.lengthDelimited(field, message.count)) { writer in
            writer.writeMessageField(field) { writer in message.withUnsafeBytes { writer.writeRaw($0) } }
        }
    }

    /// ExportTraceServiceResponse with partial_success always present: (0, "") gives `0A 00`,
    /// as the Go collector answers.
    public static func encodeExportResponse(rejectedSpans: Int64, errorMessage: String) -> [UInt8] {
        var inner = 0
        if rejectedSpans != 0 { inner += ProtoSize.varintField(1, UInt64(bitPattern: rejectedSpans)) }
        if !errorMessage.isEmpty { inner += ProtoSize.lengthDelimited(2, errorMessage.utf8.count) }
        return ProtoWriter.withBuffer(size: ProtoSize.lengthDelimited(1, inner)) { writer in
            writer.writeMessageField(1) { writer in
                if !errorMessage.isEmpty { writer.writeStringField(2, errorMessage) }
                if rejectedSpans != 0 { writer.writeVarintField(1, UInt64(bitPattern: rejectedSpans)) }
            }
        }
    }

    /// google.rpc.Status {code = 1, message = 2, details = 3 (google.protobuf.Any {type_url = 1, value = 2})}.
    public static func encodeStatus(code: Int32, message: String, details: [(typeURL: String, value: [UInt8])] = []) -> [UInt8] {
        // int32 negatives are sign-extended to 64 bits (encoding.md).
        let codeBits = UInt64(bitPattern: Int64(code))
        var size = 0
        if code != 0 { size += ProtoSize.varintField(1, codeBits) }
        if !message.isEmpty { size += ProtoSize.lengthDelimited(2, message.utf8.count) }
        for detail in details { size += ProtoSize.lengthDelimited(3, anySize(detail.typeURL, detail.value)) }
        return ProtoWriter.withBuffer(size: size) { writer in
            for detail in details.reversed() {
                writer.writeMessageField(3) { writer in
                    if !detail.value.isEmpty { writer.writeBytesField(2, detail.value) }
                    if !detail.typeURL.isEmpty { writer.writeStringField(1, detail.typeURL) }
                }
            }
            if !message.isEmpty { writer.writeStringField(2, message) }
            if code != 0 { writer.writeVarintField(1, codeBits) }
        }
    }

    /// google.rpc.RetryInfo {retry_delay = 1 (google.protobuf.Duration {seconds = 1, nanos = 2})}.
    public static func encodeRetryInfo(delaySeconds: Int64) -> [UInt8] {
        let seconds = UInt64(bitPattern: delaySeconds)
        let inner = delaySeconds != 0 ? ProtoSize.varintField(1, seconds) : 0
        return ProtoWriter.withBuffer(size: ProtoSize.lengthDelimited(1, inner)) { writer in
            writer.writeMessageField(1) { writer in
                if delaySeconds != 0 { writer.writeVarintField(1, seconds) }
            }
        }
    }

    private static func anySize(_ typeURL: String, _ value: [UInt8]) -> Int {
        (typeURL.isEmpty ? 0 : ProtoSize.lengthDelimited(1, typeURL.utf8.count))
            + (value.isEmpty ? 0 : ProtoSize.lengthDelimited(2, value.count))
    }
}
