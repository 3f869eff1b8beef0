import WireFormats

/// Decodes the input as a Jaeger `PostSpansRequest` (protobuf); what decodes must survive an OTLP
/// round trip unchanged (spans with all-zero ids aside, which OTLP refuses).
public func fuzzJaegerProto(_ bytes: UnsafeRawBufferPointer) {
    guard let batch = try? JaegerProtoDecoder.decodePostSpansRequest(bytes) else { return }
    let encoded = OTLPProtoEncoder.encodeExportRequest(batch)
    guard let again = try? OTLPProtoDecoder.decodeExportRequest(encoded) else {
        fatalError("a decoded Jaeger protobuf batch re-encoded as OTLP does not decode")
    }
    if again.rejectedSpans == 0 && again.batch != batch {
        fatalError("a decoded Jaeger protobuf batch does not survive an OTLP round trip")
    }
}
