import Testing
@testable import Config

@Test func merge_mergesMapsRecursively_keepingBaseOrder() {
    let base = map(["a": map(["x": s("1"), "y": s("2")]), "b": s("keep")])
    let overlay = map(["a": map(["y": s("20"), "z": s("30")]), "c": s("new")])
    #expect(ConfigMerge.merge(base, overlay) == map([
        "a": map(["x": s("1"), "y": s("20"), "z": s("30")]), "b": s("keep"), "c": s("new"),
    ]))
}

@Test func merge_replacesLists_insteadOfAppending() {
    let merged = ConfigMerge.merge(map(["l": list("a", "b")]), map(["l": list("c")]))
    #expect(merged == map(["l": list("c")]))
}

@Test func merge_replacesScalars_andMismatchedKinds() {
    #expect(ConfigMerge.merge(map(["k": s("1")]), map(["k": s("2")])) == map(["k": s("2")]))
    #expect(ConfigMerge.merge(map(["k": map(["a": s("1")])]), map(["k": s("2")])) == map(["k": s("2")]))
    #expect(ConfigMerge.merge(map(["k": s("1")]), map(["k": map(["a": s("2")])])) == map(["k": map(["a": s("2")])]))
}

@Test func merge_nullValueReplaces_butNullDocumentChangesNothing() {
    let base = map(["http": map(["endpoint": s("x")])])
    #expect(ConfigMerge.merge(base, map(["http": .null])) == map(["http": .null]))
    #expect(ConfigMerge.merge(base, .null) == base)
    #expect(ConfigMerge.merge(.null, base) == base)
}

@Test func applySet_createsNewKeyPath() throws {
    let node = try ConfigMerge.applySet("processors::batch::timeout=2s", to: map(["processors": map(["batch": .null])]))
    #expect(node == map(["processors": map(["batch": map(["timeout": s("2s")])])]))
}

@Test func applySet_replacesExistingValue_keepingSiblings() throws {
    let base = map(["exporters": map(["otlp": map(["endpoint": s("a:4317"), "compression": s("gzip")])])])
    let node = try ConfigMerge.applySet("exporters::otlp::endpoint = b:4317", to: base)
    #expect(node == map(["exporters": map(["otlp": map(["endpoint": s("b:4317"), "compression": s("gzip")])])]))
}

@Test func applySet_parsesValueAsYAML_listReplaces() throws {
    let base = map(["service": map(["pipelines": map(["traces": map(["receivers": list("otlp", "zipkin")])])])])
    let node = try ConfigMerge.applySet("service::pipelines::traces::receivers=[jaeger]", to: base)
    #expect(node["service"]?["pipelines"]?["traces"]?["receivers"] == list("jaeger"))
}

@Test func applySet_acceptsDotSeparator_whenNoDoubleColon() throws {
    let node = try ConfigMerge.applySet("processors.batch.timeout=2s", to: .null)
    #expect(node == map(["processors": map(["batch": map(["timeout": s("2s")])])]))
    let dotted = try ConfigMerge.applySet("attributes::k8s.pod.name=x", to: .null)
    #expect(dotted == map(["attributes": map(["k8s.pod.name": s("x")])]))
}

@Test func applySet_setsNull_whenValueEmpty() throws {
    #expect(try ConfigMerge.applySet("a::b=", to: map(["a": map(["b": s("1")])])) == map(["a": map(["b": .null])]))
}

@Test func applySet_fails_whenNoEqualsOrEmptyKey() {
    #expect(configError { _ = try ConfigMerge.applySet("a::b", to: .null) }?.message.contains("missing '='") == true)
    #expect(configError { _ = try ConfigMerge.applySet("a::::b=1", to: .null) }?.message.contains("empty key") == true)
}
