import Foundation
import Testing
import TraceModel
@testable import Components

private func golden(_ name: String) throws -> String {
    let url = try #require(Bundle.module.url(forResource: name, withExtension: "out", subdirectory: "Golden/debug"))
    return try String(contentsOf: url, encoding: .utf8)
}

/// Byte-for-byte comparison that reports the first differing line (used by the golden tests).
func expectSameText(_ actual: String, _ expected: String, sourceLocation: SourceLocation = #_sourceLocation) {
    guard Array(actual.utf8) != Array(expected.utf8) else { return }
    let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
    let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
    let i = (0..<min(a.count, e.count)).first { Array(a[$0].utf8) != Array(e[$0].utf8) } ?? min(a.count, e.count)
    let got = i < a.count ? String(a[i]) : "<end>"
    let want = i < e.count ? String(e[i]) : "<end>"
    Issue.record("line \(i + 1) differs:\n got: \(got.debugDescription)\nwant: \(want.debugDescription)", sourceLocation: sourceLocation)
}

@Test func detailed_matchesGolden_forFixture() throws {
    expectSameText(DebugTraceFormatter.detailed(DebugTraceFixtures.batch), try golden("fixture_detailed"))
}

@Test func normal_matchesGolden_forFixture() throws {
    expectSameText(DebugTraceFormatter.normal(DebugTraceFixtures.batch), try golden("fixture_normal"))
}

@Test func detailed_matchesGolden_forTwoSpans() throws {
    expectSameText(DebugTraceFormatter.detailed(DebugTraceFixtures.upstreamTwoSpans), try golden("upstream_two_spans"))
}

@Test func formatters_printNothing_forEmptyBatch() {
    #expect(DebugTraceFormatter.detailed(TraceBatch()) == "")
    #expect(DebugTraceFormatter.normal(TraceBatch()) == "")
}

/// Upstream `normal/traces_test.go`, case "one span with resource and scope details".
@Test func normal_matchesUpstreamUnitTest_forResourceAndScopeDetails() {
    let span = Span(
        traceID: DebugTraceFixtures.traceA, spanID: SpanID(0x1112_1314_1516_1718), name: "span-name",
        attributes: [KeyValue("key1", .string("value1")), KeyValue("key2", .string("value2"))])
    let scope = InstrumentationScope(
        name: "scope-name", version: "1.2.3", attributes: [KeyValue("scopeKey1", .string("scopeValue1")), KeyValue("scopeKey2", .bool(true))])
    let batch = TraceBatch(resourceSpans: [
        ResourceSpans(
            resource: Resource(attributes: [KeyValue("resourceKey1", .string("resourceValue1")), KeyValue("resourceKey2", .bool(false))]),
            scopeSpans: [ScopeSpans(scope: scope, spans: [span], schemaURL: "http://opentelemetry.io/scope-schema-url")],
            schemaURL: "https://opentelemetry.io/resource-schema-url"),
    ])
    expectSameText(
        DebugTraceFormatter.normal(batch),
        "ResourceTraces #0 [https://opentelemetry.io/resource-schema-url] resourceKey1=resourceValue1 resourceKey2=false\n"
            + "ScopeTraces #0 scope-name@1.2.3 [http://opentelemetry.io/scope-schema-url] scopeKey1=scopeValue1 scopeKey2=true\n"
            + "span-name 0102030405060708090a0b0c0d0e0f10 1112131415161718 key1=value1 key2=value2\n")
}

@Test func normal_scopeLine_variants() {
    func line(_ name: String, _ version: String, _ schema: String) -> String {
        let ss = ScopeSpans(scope: InstrumentationScope(name: name, version: version), schemaURL: schema)
        var out = ""
        DebugTraceFormatter.appendScopeLine(ss, resourceIndex: 3, to: &out)
        return out
    }
    #expect(line("", "", "") == "ScopeTraces #3\n")
    #expect(line("n", "", "") == "ScopeTraces #3 n\n")
    #expect(line("", "v", "") == "ScopeTraces #3 @v\n")
    #expect(line("", "", "s") == "ScopeTraces #3 [s]\n")
    #expect(line("", "v", "s") == "ScopeTraces #3 @v [s]\n")
}

@Test func detailed_fieldLabel_padsTo15() {
    var out = ""
    DebugTraceFormatter.field(&out, "ID", "x")
    DebugTraceFormatter.field(&out, "DroppedLinksCount", "0")
    #expect(out == "    ID             : x\n    DroppedLinksCount: 0\n")
}
