import FuzzJaegerSupport
import FuzzSupport

/// Jaeger Thrift in the compact protocol: an `emitBatch` datagram or a bare `Batch`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    fuzzJaegerThrift(UnsafeRawBufferPointer(start: data, count: size), protocol: .compact)
    return 0
}

@_cdecl("FuzzThriftCompact_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv) { data, size in fuzz(data, size) }
}
