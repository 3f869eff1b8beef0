import WireFormats

/// Decodes the input as a Jaeger agent datagram (`Agent.emitBatch`) and as a bare `Batch` in the
/// given Thrift protocol; what decodes must survive an OTLP round trip unchanged (spans with
/// all-zero ids aside, which OTLP refuses).
public func fuzzJaegerThrift(_ bytes: UnsafeRawBufferPointer, protocol kind: ThriftProtocolKind) {
    for decoded in [try? JaegerThriftDecoder.decodeEmitBatch(bytes, protocol: kind),
                    try? JaegerThriftDecoder.decodeBatch(bytes, protocol: kind)] {
        guard let batch = decoded else { continue }
        let encoded = OTLPProtoEncoder.encodeExportRequest(batch)
        guard let again = try? OTLPProtoDecoder.decodeExportRequest(encoded) else {
            fatalError("a decoded Jaeger batch re-encoded as OTLP does not decode")
        }
        if again.rejectedSpans == 0 && again.batch != batch {
            fatalError("a decoded Jaeger batch does not survive an OTLP round trip")
        }
    }
}
