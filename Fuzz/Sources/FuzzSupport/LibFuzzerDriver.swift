/// SwiftPM links an executable whose source is not main.swift with `main` aliased to
/// `<Target>_main` (`--defsym`), so libFuzzer's own `main` is never linked in and
/// `-parse-as-library` leaves the alias dangling. Each harness therefore defines `<Target>_main`
/// and calls this, which does what libFuzzer's `main` does: hand argc/argv and the callback to
/// the fuzzer driver.
public func runLibFuzzer(
    _ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
) -> CInt {
    var argc = argc
    var argv = argv
    return runFuzzerDriver(&argc, &argv, callback)
}

@_silgen_name("LLVMFuzzerRunDriver")
private func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
) -> CInt
