@_spi(Fuzzing) import Components
import FuzzSupport

/// The basicauth extension's htpasswd reader (every format go-htpasswd accepts) and the
/// `Authorization: Basic` reader.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    HtpasswdFuzzer.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

@_cdecl("FuzzHtpasswd_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv) { data, size in fuzz(data, size) }
}
