import FuzzJaegerSupport
import FuzzSupport

/// The Jaeger protobuf model: a `jaeger.api_v2.PostSpansRequest`, the message of the `grpc` protocol.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    fuzzJaegerProto(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

@_cdecl("FuzzJaegerProto_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv) { data, size in fuzz(data, size) }
}
