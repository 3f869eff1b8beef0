import Diagnostics
import FuzzSupport
import Config

/// Parses the input as a Go duration (`time.ParseDuration`); a value it accepts must survive
/// Go's own formatting (`Duration.String()`, which `print-config` and the logs use) and parse
/// back to the same number of nanoseconds.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let ns = GoDuration.nanoseconds(text) else { return 0 }
    let formatted = (ns < 0 ? "-" : "") + GoDurationFormat.string(nanoseconds: ns.magnitude)
    guard GoDuration.nanoseconds(formatted) == ns else {
        fatalError("\(text) parsed to \(ns) ns, formatted as \(formatted), which does not parse back")
    }
    guard GoDuration.parse(text) == .nanoseconds(ns) else { fatalError("parse and nanoseconds disagree on \(text)") }
    return 0
}

@_cdecl("FuzzGoDuration_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv) { data, size in fuzz(data, size) }
}
