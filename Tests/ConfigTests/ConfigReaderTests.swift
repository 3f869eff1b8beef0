import Testing
@testable import Config

private func reader(_ text: String, path: String = "receivers::otlp") throws -> ConfigReader {
    try ConfigReader(try yaml(text), path: path, file: "c.yaml")
}

@Test func reader_readsTypedValues() throws {
    let r = try reader("""
        name: otlp
        port: 4317
        negative: -3
        on: yes
        off: false
        ratio: 0.25
        timeout: 1m30s
        tags: [a, b]
        """)
    #expect(try r.string("name") == "otlp")
    #expect(try r.int("port") == 4317)
    #expect(try r.int("negative") == -3)
    #expect(try r.bool("on") == true)
    #expect(try r.bool("off") == false)
    #expect(try r.double("ratio") == 0.25)
    #expect(try r.double("port") == 4317)
    #expect(try r.duration("timeout") == .seconds(90))
    #expect(try r.stringList("tags") == ["a", "b"])
    try r.finish()
}

@Test func reader_returnsNil_whenAbsentOrNull() throws {
    let r = try reader("empty:\n")
    #expect(try r.string("missing") == nil)
    #expect(try r.int("empty") == nil)
    #expect(try r.stringList("empty") == nil)
    #expect(r.has("empty"))
    #expect(!r.has("missing"))
}

@Test func reader_reportsBadInt_withKeyPath() throws {
    let r = try reader("port: 43x7")
    let error = configError { _ = try r.int("port") }
    #expect(error == ConfigError(file: "c.yaml", keyPath: "receivers::otlp::port", message: "expected an integer, got '43x7'"))
    #expect(error?.description == "c.yaml: receivers::otlp::port: expected an integer, got '43x7'")
}

@Test func reader_reportsBadDuration() throws {
    let r = try reader("timeout: 5")
    let error = configError { _ = try r.duration("timeout") }
    #expect(error?.keyPath == "receivers::otlp::timeout")
    #expect(error?.message == "expected a duration like 200ms or 5s, got '5'")
}

@Test func reader_reportsBadBoolAndDouble() throws {
    let r = try reader("b: maybe\nd: 1.2.3\ninf: inf")
    #expect(configError { _ = try r.bool("b") }?.message == "expected true or false, got 'maybe'")
    #expect(configError { _ = try r.double("d") }?.message == "expected a number, got '1.2.3'")
    #expect(configError { _ = try r.double("inf") }?.message == "expected a number, got 'inf'")
}

@Test func reader_reportsListExpected_andNonScalarItems() throws {
    let r = try reader("tags: a,b\nnested: [a, [b]]\nmapping: {k: v}")
    #expect(configError { _ = try r.stringList("tags") }?.message == "expected a list, got 'a,b'")
    let item = configError { _ = try r.stringList("nested") }
    #expect(item?.keyPath == "receivers::otlp::nested[1]")
    #expect(item?.message == "expected a string, got a list")
    #expect(configError { _ = try r.string("mapping") }?.message == "expected a string, got a mapping")
}

@Test func reader_child_isNilWhenAbsent_emptyWhenNull() throws {
    let r = try reader("protocols:\n  grpc:\n  http:\n    endpoint: 0.0.0.0:4318\n")
    let protocols = try #require(try r.child("protocols"))
    #expect(protocols.path == "receivers::otlp::protocols")
    let grpc = try #require(try protocols.child("grpc"))
    #expect(grpc.keys.isEmpty)
    #expect(try grpc.string("endpoint") == nil)
    #expect(try protocols.child("thrift") == nil)
    #expect(try protocols.child("http")?.string("endpoint") == "0.0.0.0:4318")
}

@Test func reader_init_rejectsNonMapping() {
    let error = configError { _ = try ConfigReader(s("x"), path: "exporters::otlp", file: "c.yaml") }
    #expect(error == ConfigError(file: "c.yaml", keyPath: "exporters::otlp", message: "expected a mapping, got 'x'"))
    let child = configError { _ = try ConfigReader(yaml("tls: [a]"), path: "e", file: "c.yaml").child("tls") }
    #expect(child?.keyPath == "e::tls")
}

@Test func reader_finish_namesFirstUnknownKey_withPathAndSuggestion() throws {
    let r = try reader("grpc:\nhtttp:\nzzz: 1\n", path: "receivers::otlp::protocols")
    _ = try r.child("grpc")
    _ = try r.child("http")
    let error = configError { try r.finish() }
    #expect(error?.message == "unknown key 'htttp' in receivers::otlp::protocols (did you mean 'http'?)")
    #expect(error?.description == "c.yaml: unknown key 'htttp' in receivers::otlp::protocols (did you mean 'http'?)")
}

@Test func reader_finish_omitsSuggestion_whenNothingClose() throws {
    let r = try reader("endpoint: x\ncolour: red\n", path: "exporters::debug")
    _ = try r.string("endpoint")
    _ = try r.string("verbosity")
    #expect(configError { try r.finish() }?.message == "unknown key 'colour' in exporters::debug")
}

@Test func reader_finish_atTopLevel_suggestsNearest() throws {
    let r = try reader("recievers: {}\n", path: "")
    _ = r.has("receivers")
    _ = r.has("exporters")
    #expect(configError { try r.finish() }?.message == "unknown key 'recievers' at top level (did you mean 'receivers'?)")
}

@Test func reader_node_marksKeyRead() throws {
    let r = try reader("raw: [1, 2]\n")
    #expect(r.node("raw") == list("1", "2"))
    try r.finish()
}

@Test func reader_error_buildsPathForKeyOrReader() throws {
    let r = try reader("a: 1")
    #expect(r.error("a", "bad") == ConfigError(file: "c.yaml", keyPath: "receivers::otlp::a", message: "bad"))
    #expect(r.error(nil, "bad").keyPath == "receivers::otlp")
}

@Test func editDistance_countsInsertionsDeletionsSubstitutions() {
    #expect(EditDistance.distance("htttp", "http") == 1)
    #expect(EditDistance.distance("", "abc") == 3)
    #expect(EditDistance.distance("kitten", "sitting") == 3)
}
