import Foundation
import Testing
@testable import Config

private struct Missing: Error {}

private func load(_ uri: String, env: [String: String] = [:], files: [String: String] = [:]) throws -> ConfigNode {
    try ConfigSource.load(uri: uri, environment: env) { path in
        guard let text = files[path] else { throw Missing() }
        return text
    }
}

@Test func load_readsPlainPathAndFileURI() throws {
    let files = ["/etc/c.yaml": "receivers:\n  otlp:\n"]
    #expect(try load("/etc/c.yaml", files: files) == map(["receivers": map(["otlp": .null])]))
    #expect(try load("file:/etc/c.yaml", files: files) == map(["receivers": map(["otlp": .null])]))
}

@Test func load_reportsPath_whenFileUnreadable() {
    let error = configError { _ = try load("file:/nope.yaml") }
    #expect(error?.file == "/nope.yaml")
    #expect(error?.message.hasPrefix("cannot read file") == true)
}

@Test func load_parsesEnvVariableAsDocument() throws {
    let env = ["CFG": "exporters:\n  debug:\n    verbosity: detailed\n"]
    #expect(try load("env:CFG", env: env) == map(["exporters": map(["debug": map(["verbosity": s("detailed")])])]))
    #expect(try load("env:UNSET") == .null)
}

@Test func load_parsesInlineYAML_splittingDoubleColonKeys() throws {
    #expect(try load("yaml:processors::batch::timeout: 2s") == map(["processors": map(["batch": map(["timeout": s("2s")])])]))
    #expect(try load("yaml:receivers::otlp::protocols: {grpc: , http: }")
        == map(["receivers": map(["otlp": map(["protocols": map(["grpc": .null, "http": .null])])])]))
}

@Test func load_mergesDoubleColonKeys_withSiblingMaps() throws {
    let text = "a:\n  b: 1\na::c: 2\n"
    #expect(try load("f", files: ["f": text]) == map(["a": map(["b": s("1"), "c": s("2")])]))
}

@Test func load_rejectsUnsupportedScheme() {
    let error = configError { _ = try load("https://example.com/c.yaml") }
    #expect(error?.message.contains("unsupported config URI scheme 'https'") == true)
}

@Test func load_treatsOneLetterPrefixAsPath() throws {
    #expect(try load("C:cfg.yaml", files: ["C:cfg.yaml": "a: 1"]) == map(["a": s("1")]))
}

@Test func load_unwrapsOperatorResource_whenConfigIsString() throws {
    let cr = """
        apiVersion: opentelemetry.io/v1alpha1
        kind: OpenTelemetryCollector
        metadata: {name: otel}
        spec:
          mode: deployment
          config: |
            receivers:
              zipkin:
            exporters:
              debug:
        """
    #expect(try load("cr.yaml", files: ["cr.yaml": cr]) == map(["receivers": map(["zipkin": .null]), "exporters": map(["debug": .null])]))
}

@Test func load_unwrapsOperatorResource_whenConfigIsMap() throws {
    let cr = """
        apiVersion: opentelemetry.io/v1beta1
        kind: OpenTelemetryCollector
        spec:
          config:
            receivers:
              zipkin: {}
        """
    #expect(try load("cr.yaml", files: ["cr.yaml": cr]) == map(["receivers": map(["zipkin": .mapping([])])]))
}

@Test func load_reportsSpecConfig_whenEmbeddedYAMLInvalidOrMissing() {
    let bad = "kind: OpenTelemetryCollector\nspec:\n  config: \"a: [1\"\n"
    let error = configError { _ = try load("cr.yaml", files: ["cr.yaml": bad]) }
    #expect(error?.keyPath == "spec::config")
    #expect(error?.message.contains("line 1") == true)
    let none = configError { _ = try load("cr.yaml", files: ["cr.yaml": "kind: OpenTelemetryCollector\nspec: {}\n"]) }
    #expect(none?.keyPath == "spec::config")
}

private let deployment = "../shared/reference/deployment/"

@Test func load_deploymentCR_equalsPlainCollectorConfig() throws {
    let cr = deployment + "otel-collector-cr.yaml", plain = deployment + "collector-config.yaml"
    guard FileManager.default.fileExists(atPath: cr), FileManager.default.fileExists(atPath: plain) else {
        print("skipping: \(cr) or \(plain) not found (run from the package root beside ../shared)")
        return
    }
    let fromCR = try ConfigSource.load(uri: cr, environment: [:], readFile: ConfigSource.readFileContents)
    let fromFile = try ConfigSource.load(uri: "file:" + plain, environment: [:], readFile: ConfigSource.readFileContents)
    #expect(fromCR == fromFile)
    #expect(fromCR["receivers"]?["otlp"]?["protocols"] == map(["grpc": .null, "http": .null]))
    #expect(fromCR["exporters"]?["otlp"]?["endpoint"] == s("tempo.monitoring:4317"))
    #expect(fromCR["service"]?["pipelines"]?["traces"]?["receivers"] == list("otlp", "jaeger", "zipkin"))
    #expect(fromCR["service"]?["pipelines"]?["traces"]?["processors"] == .sequence([]))
    #expect(try yaml(YAMLEmitter.emit(fromCR)) == fromCR)
}

@Test func readFileContents_readsWholeFile_andReportsErrno() throws {
    let path = NSTemporaryDirectory() + "swiftlet-config-\(UUID().uuidString).yaml"
    let text = String(repeating: "key: värde\n", count: 20_000)
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(atPath: path) }
    #expect(try ConfigSource.readFileContents(path) == text)
    let error = configError { _ = try ConfigSource.readFileContents("/definitely/not/here.yaml") }
    #expect(error?.description == "/definitely/not/here.yaml: cannot open: No such file or directory")
}

@Test func resolve_mergesInOrder_appliesSets_thenExpands() throws {
    let files = [
        "base.yaml": "exporters:\n  otlp:\n    endpoint: ${env:TEMPO}\n    headers: [a]\nservice: {}\n",
        "over.yaml": "exporters:\n  otlp:\n    headers: [b]\n",
    ]
    let node = try ConfigSource.resolve(
        uris: ["base.yaml", "file:over.yaml", "yaml:exporters::otlp::compression: none"],
        sets: ["service::telemetry::logs::level=${env:LEVEL:-info}"],
        environment: ["TEMPO": "tempo:4317"]
    ) { path in
        guard let text = files[path] else { throw Missing() }
        return text
    }
    #expect(node == map([
        "exporters": map(["otlp": map(["endpoint": s("tempo:4317"), "headers": list("b"), "compression": s("none")])]),
        "service": map(["telemetry": map(["logs": map(["level": s("info")])])]),
    ]))
}
