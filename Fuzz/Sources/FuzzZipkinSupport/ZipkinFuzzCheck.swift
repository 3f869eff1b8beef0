import TraceModel
import WireFormats

/// Decodes the input as one Zipkin format. Errors are fine; a trap is the finding. Whatever
/// decodes must hold only spans with valid ids, which every decoder checks, and carry the OTLP
/// bytes the encoder writes for the model decoded from them.
public func fuzzZipkin(_ data: UnsafePointer<UInt8>, _ size: Int, _ format: ZipkinFormat) -> CInt {
    guard let batch = try? ZipkinDecoder.decode(format, UnsafeRawBufferPointer(start: data, count: size)) else { return 0 }
    guard OTLPProtoEncoder.encodingsMatchModels(batch) else {
        fatalError("a translated Zipkin batch's bytes differ from the encoding of its model")
    }
    for resourceSpans in batch.resourceSpans {
        for scopeSpans in resourceSpans.scopeSpans {
            for span in scopeSpans.spans where span.traceID.isZero || span.spanID.isZero {
                fatalError("decoded a span with a zero id: \(span)")
            }
        }
    }
    return 0
}
