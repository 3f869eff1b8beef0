import Components
import Config
import FuzzSupport

/// The config path short of starting anything: the input is one `--config` YAML file (bytes up to
/// a NUL byte; after it, one `--set` assignment per line), merged and `${…}` expanded against a
/// fixed environment, then typed into a `CollectorConfig` by every registered component's config
/// reader. Errors are expected; a trap, a hang or a leak is not. The expanded tree must also
/// survive `print-config`: `YAMLEmitter.emit` parsed again gives the same tree.
let environment = [
    "HOST": "0.0.0.0", "PORT": "4318", "EMPTY": "", "DURATION": "5s", "LIST": "[a, b, c]",
    "MAP": "{endpoint: localhost:4317, tls: {insecure: true}}", "NESTED": "${HOST}", "DOLLAR": "$$",
    "YAML": "receivers: {otlp: {protocols: {http: null}}}",
]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let split = bytes.firstIndex(of: 0) ?? size
    let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[..<split]), as: UTF8.self)
    let sets = split < size
        ? String(decoding: UnsafeBufferPointer(rebasing: bytes[(split + 1)...]), as: UTF8.self)
            .split(separator: "\n").prefix(4).map(String.init)
        : []
    let node: ConfigNode
    do {
        node = try ConfigSource.resolve(
            uris: ["fuzz.yaml", "env:YAML"], sets: sets, environment: environment, readFile: { _ in text })
    } catch {
        _ = error.description
        return 0
    }
    let emitted = YAMLEmitter.emit(node)
    let again: ConfigNode
    do { again = try YAMLParser.parse(emitted, file: "emitted") } catch {
        fatalError("print-config output does not parse: \(error)\n--- emitted:\n\(emitted)")
    }
    guard again == node else { fatalError("print-config output parses to another tree\n--- emitted:\n\(emitted)") }
    do {
        _ = try CollectorConfig.load(node, file: "fuzz.yaml")
    } catch {
        _ = error.description
    }
    return 0
}

@_cdecl("FuzzConfig_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv) { data, size in fuzz(data, size) }
}
