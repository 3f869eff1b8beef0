import FuzzCompressionSupport
import FuzzSupport
import Transport

/// gzip and deflate (zlib-wrapped or raw) inflation with the output cap that guards against bombs.
/// Byte 0 picks the coding, byte 1 the cap (0 bytes to 1 MiB); the rest is the compressed body.
/// Whatever inflates must fit the cap, inflate again to the same bytes under a cap of exactly its
/// size, be refused as too large under one byte less, and survive our own compress → inflate.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 2 else { return 0 }
    let coding: ContentCoding = data[0] & 1 == 0 ? .gzip : .deflate
    checkInflation(coding, cap: data[1], body: UnsafeRawBufferPointer(start: data + 2, count: size - 2))
    return 0
}

@_cdecl("FuzzInflate_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv) { data, size in fuzz(data, size) }
}
