import FuzzSupport
@_spi(Fuzzing) import Transport

/// Decodes the input as HTTP/1.1 requests as the server does: head, framing, body, inflation.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    HTTPDecodingFuzzer.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

@_cdecl("FuzzHTTPRequest_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv) { data, size in fuzz(data, size) }
}
