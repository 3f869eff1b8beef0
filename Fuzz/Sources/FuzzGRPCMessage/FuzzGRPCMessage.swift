import FuzzSupport
@_spi(Fuzzing) import Transport

/// A unary gRPC body: the length prefix, the compressed flag and inflation with its cap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    HTTP2Fuzzer.runMessage(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

@_cdecl("FuzzGRPCMessage_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv) { data, size in fuzz(data, size) }
}
