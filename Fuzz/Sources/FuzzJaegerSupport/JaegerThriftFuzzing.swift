import WireFormats

/// Decodes the input as a Jaeger agent datagram (`Agent.emitBatch`) and as a bare `Batch` in the
/// given Thrift protocol. What decodes carries the OTLP bytes the translation wrote: they must be
/// the encoder's own for the model decoded from them, and survive an OTLP round trip unchanged
/// (spans with all-zero ids aside, which OTLP input may not carry).
public func fuzzJaegerThrift(_ bytes: UnsafeRawBufferPointer, protocol kind: ThriftProtocolKind) {
    for decoded in [try? JaegerThriftDecoder.decodeEmitBatch(bytes, protocol: kind),
                    try? JaegerThriftDecoder.decodeBatch(bytes, protocol: kind)] {
        guard let batch = decoded else { continue }
        guard OTLPProtoEncoder.encodingsMatchModels(batch) else {
            fatalError("a translated Jaeger batch's bytes differ from the encoding of its model")
        }
        let encoded = OTLPProtoEncoder.encodeExportRequest(batch)
        guard let again = try? OTLPProtoDecoder.decodeExportRequest(encoded) else {
            fatalError("a decoded Jaeger batch re-encoded as OTLP does not decode")
        }
        if again.rejectedSpans == 0 && again.batch != batch {
            fatalError("a decoded Jaeger batch does not survive an OTLP round trip")
        }
    }
}
