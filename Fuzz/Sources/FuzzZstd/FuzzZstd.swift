import FuzzCompressionSupport
import FuzzSupport
import Transport

/// zstd inflation (every frame, window capped) with the output cap that guards against bombs.
/// Byte 0 picks the cap (0 bytes to 1 MiB); the rest is the compressed body. The same checks as
/// FuzzInflate: the cap holds exactly, and our own compress → inflate round-trips.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    checkInflation(.zstd, cap: data[0], body: UnsafeRawBufferPointer(start: data + 1, count: size - 1))
    return 0
}

@_cdecl("FuzzZstd_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv) { data, size in fuzz(data, size) }
}
