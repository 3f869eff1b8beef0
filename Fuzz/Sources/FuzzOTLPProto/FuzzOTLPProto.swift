import FuzzSupport
import WireFormats

/// Decodes the input as OTLP protobuf; on success re-encodes and decodes again, which must succeed.
/// The receiver's path (validate each ResourceSpans, build its model only when asked) must agree
/// with the full decode: same verdict, same rejections, same model.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    let full = try? OTLPProtoDecoder.decodeExportRequest(bytes)
    let validated = try? OTLPProtoDecoder.decodeExportRequest([UInt8](bytes))
    guard full?.rejectedSpans == validated?.rejectedSpans, full?.batch.spanCount == validated?.batch.spanCount,
          full?.batch == validated?.batch else {
        fatalError("validated decoding disagrees with the full decoder")
    }
    guard let result = full else { return 0 }
    let encoded = OTLPProtoEncoder.encodeExportRequest(result.batch)
    guard let again = try? OTLPProtoDecoder.decodeExportRequest(encoded), again.batch == result.batch else {
        fatalError("re-encoded request does not decode to the same batch")
    }
    return 0
}

@_cdecl("FuzzOTLPProto_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv) { data, size in fuzz(data, size) }
}
