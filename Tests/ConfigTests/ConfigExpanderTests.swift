import Testing
@testable import Config

private let env = ["A": "alpha", "HOST": "collector", "EMPTY": "", "LIST": "[x, y]", "MAP": "{k: v}", "QUOTED": "'q'"]

private func expand(_ text: String) throws -> ConfigNode {
    try ConfigExpander.expand(s(text), environment: env)
}

@Test func expand_replacesEnvReference_withAndWithoutScheme() throws {
    #expect(try expand("${env:A}") == s("alpha"))
    #expect(try expand("${A}") == s("alpha"))
}

@Test func expand_usesDefault_whenUnsetOrEmpty() throws {
    #expect(try expand("${env:NOPE:-fallback}") == s("fallback"))
    #expect(try expand("${env:EMPTY:-fallback}") == s("fallback"))
    #expect(try expand("${env:A:-fallback}") == s("alpha"))
    #expect(try expand("${NOPE:-0.0.0.0:4317}") == s("0.0.0.0:4317"))
}

@Test func expand_turnsDoubleDollarIntoLiteralDollar() throws {
    #expect(try expand("$$") == s("$"))
    #expect(try expand("pa$$word") == s("pa$word"))
    #expect(try expand("$${env:A}") == s("${env:A}"))
    #expect(try expand("$$$${A}") == s("$${A}"))
}

@Test func expand_replacesReferencesEmbeddedInLongerStrings() throws {
    #expect(try expand("http://${env:HOST}:4318/v1/traces") == s("http://collector:4318/v1/traces"))
    #expect(try expand("${A}-${env:HOST}") == s("alpha-collector"))
}

@Test func expand_leavesLoneDollarLiteral() throws {
    #expect(try expand("$A and $ and trailing$") == s("$A and $ and trailing$"))
}

@Test func expand_givesEmptyString_whenUnsetWithoutDefault() throws {
    #expect(try expand("${env:NOPE}") == s(""))
    #expect(try expand("x${NOPE}y") == s("xy"))
}

@Test func expand_takesListOrMapType_whenWholeScalarIsOneReference() throws {
    #expect(try expand("${env:LIST}") == list("x", "y"))
    #expect(try expand("${env:MAP}") == map(["k": s("v")]))
    #expect(try expand("${env:QUOTED}") == s("'q'"))
    #expect(try expand("a${env:LIST}") == s("a[x, y]"))
}

@Test func expand_failsWithKeyPath_whenSchemeUnknown() {
    let node = map(["exporters": map(["otlp": map(["headers": .sequence([s("${file:/etc/token}")])])])])
    let error = configError { _ = try ConfigExpander.expand(node, environment: env) }
    #expect(error?.keyPath == "exporters::otlp::headers[0]")
    #expect(error?.message.contains("unsupported scheme 'file'") == true)
}

@Test func expand_failsClearly_whenUnterminatedOrBadName() {
    #expect(configError { _ = try expand("${env:A") }?.message.contains("unterminated") == true)
    #expect(configError { _ = try expand("${1A}") }?.message.contains("invalid environment variable name") == true)
}

@Test func expand_walksWholeTree_leavingKeysAndNullAlone() throws {
    let node = map(["${A}": s("${A}"), "n": .null, "l": .sequence([s("${HOST}"), .null])])
    #expect(try ConfigExpander.expand(node, environment: env)
        == map(["${A}": s("alpha"), "n": .null, "l": .sequence([s("collector"), .null])]))
}
