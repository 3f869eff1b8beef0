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

/// SwiftPM links an executable whose source is not main.swift with `main` aliased to
/// `FuzzOTLPJSON_main` (`--defsym`), so libFuzzer's own `main` is never linked in and
/// `-parse-as-library` leaves the alias dangling. This entry point does what libFuzzer's
/// `main` does: hand argc/argv and the callback to the fuzzer driver.
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
) -> CInt

@_cdecl("FuzzOTLPJSON_main")
public func fuzzerMain(
    _ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> CInt {
    var argc = argc
    var argv = argv
    return runFuzzerDriver(&argc, &argv, { data, size in fuzz(data, size) })
}
