import FuzzSupport
import WireFormats

/// Decodes the input as OTLP/JSON; on success re-encodes and decodes again, which must succeed.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    guard let result = try? OTLPJSONDecoder.decodeExportRequest(bytes) else { return 0 }
    let encoded = OTLPJSONEncoder.encodeExportRequest(result.batch)
    guard let again = try? OTLPJSONDecoder.decodeExportRequest(encoded), again.batch == result.batch else {
        fatalError("re-encoded request does not decode to the same batch")
    }
    return 0
}

@_cdecl("FuzzOTLPJSON_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv) { data, size in fuzz(data, size) }
}
