import Testing
@testable import TraceModel

@Test func traceID_roundTripsThroughHexAndBytes() throws {
    let id = try #require(TraceID(hex: "0AF7651916CD43DD8448EB211C80319C"))
    #expect(id.hex == "0af7651916cd43dd8448eb211c80319c")
    #expect(TraceID(bytes: id.bytes) == id)
    #expect(id.bytes.first == 0x0A && id.bytes.last == 0x9C)
    #expect(TraceID(hex: "0af7651916cd43dd8448eb211c80319") == nil)
    #expect(TraceID(hex: "0af7651916cd43dd8448eb211c80319g") == nil)
    #expect(TraceID(bytes: [UInt8](repeating: 1, count: 17)) == nil)
}

@Test func spanID_roundTripsThroughHexAndBytes() throws {
    let id = try #require(SpanID(hex: "b7ad6b7169203331"))
    #expect(id.hex == "b7ad6b7169203331")
    #expect(SpanID(bytes: id.bytes) == id)
    #expect(SpanID(bytes: [1, 2, 3]) == nil)
    #expect(SpanID.zero.isZero && !id.isZero)
}

@Test func anyValue_treatsNaNAsEqualToItself() {
    #expect(AnyValue.double(.nan) == .double(.nan))
    #expect(AnyValue.double(0.0) != .double(-0.0))
    #expect(AnyValue.array([.int(1), .empty]) == .array([.int(1), .empty]))
}

func batch(resources: [[Int]]) -> TraceBatch {
    var n: UInt64 = 0
    return TraceBatch(resourceSpans: resources.enumerated().map { r, scopes in
        ResourceSpans(resource: Resource(attributes: [KeyValue("r", .int(Int64(r)))]), scopeSpans: scopes.enumerated().map { s, count in
            ScopeSpans(scope: InstrumentationScope(name: "s\(s)"), spans: (0..<count).map { _ in
                n += 1
                return Span(traceID: TraceID(high: 1, low: n), spanID: SpanID(n), name: "span\(n)")
            })
        })
    })
}

@Test func split_cutsInsideScopesAndKeepsResourceAndScope() {
    let parts = batch(resources: [[3, 2], [4]]).split(maxSpans: 4)
    #expect(parts.map(\.spanCount) == [4, 4, 1])
    let first = parts[0], second = parts[1]
    #expect(first.resourceSpans.count == 1 && first.resourceSpans[0].scopeSpans.map(\.scope.name) == ["s0", "s1"])
    #expect(second.resourceSpans[0].resource == first.resourceSpans[0].resource)
    #expect(second.resourceSpans[0].scopeSpans[0].scope.name == "s1")
    #expect(second.resourceSpans.count == 2 && second.resourceSpans[1].resource.attributes == [KeyValue("r", .int(1))])
    let names = parts.flatMap { $0.resourceSpans.flatMap { $0.scopeSpans.flatMap { $0.spans.map(\.name) } } }
    #expect(names == (1...9).map { "span\($0)" })
}

@Test func split_keepsTheBatchWhole_whenItFits() {
    let b = batch(resources: [[2], [1]])
    #expect(b.split(maxSpans: 10) == [b])
    #expect(TraceBatch().split(maxSpans: 3).isEmpty)
}

@Test func split_handsOutEverySpanOnce_whenChunksAreTiny() {
    let parts = batch(resources: [[20_000]]).split(maxSpans: 1)
    #expect(parts.count == 20_000 && parts.last?.resourceSpans[0].scopeSpans[0].spans[0].name == "span20000")
}
