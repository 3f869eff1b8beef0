import TraceModel

/// Decodes the Jaeger Thrift model (`jaeger.thrift`), translated as the OpenTelemetry Collector's
/// `ThriftToTraces` does, straight into OTLP protobuf: the batch's one `ResourceSpans` carries
/// its encoding, and its model is decoded from it only if a consumer asks for it.
public enum JaegerThriftDecoder {
    /// A bare `Batch`: the body of `POST /api/traces` (binary protocol).
    public static func decodeBatch(_ bytes: UnsafeRawBufferPointer, protocol kind: ThriftProtocolKind = .binary) throws(ThriftDecodeError) -> TraceBatch {
        switch kind {
        case .binary:
            var decoder = JaegerBatchDecoder(reader: ThriftBinaryReader(bytes))
            return try inThriftField("batch") { () throws(ThriftDecodeError) in try decoder.decodeBatch() }
        case .compact:
            var decoder = JaegerBatchDecoder(reader: ThriftCompactReader(bytes))
            return try inThriftField("batch") { () throws(ThriftDecodeError) in try decoder.decodeBatch() }
        }
    }

    public static func decodeBatch(_ bytes: [UInt8], protocol kind: ThriftProtocolKind = .binary) throws(ThriftDecodeError) -> TraceBatch {
        try withBytes(bytes) { b throws(ThriftDecodeError) in try decodeBatch(b, protocol: kind) }
    }

    /// One agent datagram: an `Agent.emitBatch` one-way message (CALL or ONEWAY) whose only
    /// argument is a `Batch`.
    public static func decodeEmitBatch(_ bytes: UnsafeRawBufferPointer, protocol kind: ThriftProtocolKind) throws(ThriftDecodeError) -> TraceBatch {
        switch kind {
        case .binary:
            var decoder = JaegerBatchDecoder(reader: ThriftBinaryReader(bytes))
            return try decoder.decodeEmitBatch()
        case .compact:
            var decoder = JaegerBatchDecoder(reader: ThriftCompactReader(bytes))
            return try decoder.decodeEmitBatch()
        }
    }

    public static func decodeEmitBatch(_ bytes: [UInt8], protocol kind: ThriftProtocolKind) throws(ThriftDecodeError) -> TraceBatch {
        try withBytes(bytes) { b throws(ThriftDecodeError) in try decodeEmitBatch(b, protocol: kind) }
    }

    /// `withUnsafeBytes` rethrows untyped errors; carry the typed one out in a Result.
    private static func withBytes(
        _ bytes: [UInt8], _ body: (UnsafeRawBufferPointer) throws(ThriftDecodeError) -> TraceBatch
    ) throws(ThriftDecodeError) -> TraceBatch {
        let result = bytes.withUnsafeBytes { b in Result { () throws(ThriftDecodeError) in try body(b) } }
        return try result.get()
    }
}
