@_spi(Fuzzing) import Components
import FuzzSupport

/// A persistent sending queue segment: the record scan (magic, length, CRC-32, resynchronising
/// after damage), acknowledgement entries, and recovery of a directory of such files.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    QueueSegmentFuzzer.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

@_cdecl("FuzzQueueSegment_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv) { data, size in fuzz(data, size) }
}
