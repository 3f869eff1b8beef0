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

/// The word-at-a-time parse of 16 hex digits against a digit-by-digit reference, for every byte
/// value at every position (the range checks must neither let a neighbour of '9', 'f' or 'F' in
/// nor keep a digit out) and for random valid ids in mixed case.
@Test func spanIDFromHex_agreesWithADigitByDigitParse_forEveryByteAtEveryPosition() {
    func reference(_ bytes: [UInt8]) -> UInt64? {
        let isHex = bytes.allSatisfy { (0x30...0x39).contains($0) || (0x41...0x46).contains($0) || (0x61...0x66).contains($0) }
        return isHex ? UInt64(String(decoding: bytes, as: UTF8.self), radix: 16) : nil
    }
    let valid = Array("0123456789abcDEF".utf8)
    for position in 0..<16 {
        for byte in 0...255 {
            var digits = valid
            digits[position] = UInt8(byte)
            let parsed = digits.withUnsafeBytes { SpanID(hexDigits: $0) }?.value
            #expect(parsed == reference(digits), "byte \(byte) at \(position)")
        }
    }
    var generator = SystemRandomNumberGenerator()
    for _ in 0..<1000 {
        let value = UInt64.random(in: .min ... .max, using: &generator)
        let text = String(value, radix: 16).leftPadded(to: 16)
        let mixed = String(text.map { Bool.random() ? Character($0.uppercased()) : $0 })
        #expect(SpanID(hex: mixed)?.value == value)
        #expect(TraceID(hex: mixed + mixed) == TraceID(high: value, low: value))
    }
}

private extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}

/// Keys are compared byte for byte, as the Collector's `pcommon.Map` compares them: a
/// precomposed and a decomposed "é" are two keys, though Swift's `==` calls them equal.
@Test func put_treatsCanonicallyEquivalentKeysAsDifferent_whenTheirBytesDiffer() {
    var attributes = [KeyValue("caf\u{E9}", .int(1))]
    attributes.put("cafe\u{301}", .int(2))
    attributes.put("caf\u{E9}", .int(3))
    #expect(attributes.map(\.key.utf8.count) == [5, 6])
    #expect(attributes[key: "caf\u{E9}"] == .int(3))
    #expect(attributes[key: "cafe\u{301}"] == .int(2))
    #expect(attributes.swapRemove("cafe\u{301}") == .int(2))
    #expect(attributes.count == 1)
}
