import FuzzSupport
@_spi(Fuzzing) import Transport

/// A client's bytes into an HTTP/2 server connection serving gRPC: frames, HPACK, streams, limits.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    HTTP2Fuzzer.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

@_cdecl("FuzzHTTP2Frames_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv) { data, size in fuzz(data, size) }
}
