import FuzzSupport
@_spi(Fuzzing) import Transport

/// What Swiftlet itself does with untrusted TLS input: PEM certificates, keys and CAs loaded and
/// checked (first byte even), and a client's bytes into a TLS server connection (odd).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    guard let first = input.first else { return 0 }
    if first & 1 == 0 {
        TLSFuzzer.runPEM(UnsafeRawBufferPointer(rebasing: input.dropFirst()))
    } else {
        TLSFuzzer.runHandshake(UnsafeRawBufferPointer(rebasing: input.dropFirst()))
    }
    return 0
}

@_cdecl("FuzzTLS_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv) { data, size in fuzz(data, size) }
}
