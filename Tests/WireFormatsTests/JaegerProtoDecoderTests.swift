import Testing
import TraceModel
@testable import WireFormats

/// jaeger.api_v2 KeyValue builders, one per ValueType (STRING 0, BOOL 1, INT64 2, FLOAT64 3, BINARY 4).
private enum ProtoTag {
    case string(String), bool(Bool), int64(Int64), float64(Double), binary([UInt8]), raw(vType: UInt64)

    func write(_ key: String, into p: inout ProtoBytes) {
        p.string(1, key)
        switch self {
        case .string(let s): p.string(3, s)
        case .bool(let b): p.varint(2, 1); p.varint(4, b ? 1 : 0)
        case .int64(let i): p.varint(2, 2); p.varint(5, UInt64(bitPattern: i))
        case .float64(let d): p.varint(2, 3); p.fixed64(6, d.bitPattern)
        case .binary(let b): p.varint(2, 4); p.len(7, b)
        case .raw(let vType): p.varint(2, vType); p.string(3, "ignored")
        }
    }
}

private let traceBytes: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0x22, 0, 0, 0, 0, 0, 0, 0, 0x11]
private let otherTrace: [UInt8] = Array(repeating: 0x33, count: 16)
private func spanIDBytes(_ v: UInt8) -> [UInt8] { [0, 0, 0, 0, 0, 0, 0, v] }

private func tags(_ p: inout ProtoBytes, _ field: UInt64, _ list: [(String, ProtoTag)]) {
    for (key, value) in list { p.message(field) { value.write(key, into: &$0) } }
}

private func process(_ p: inout ProtoBytes, _ field: UInt64, service: String, _ list: [(String, ProtoTag)] = []) {
    p.message(field) { p in
        p.string(1, service)
        tags(&p, 2, list)
    }
}

private func ref(_ p: inout ProtoBytes, trace: [UInt8] = traceBytes, span: UInt8, type: UInt64) {
    p.message(4) { p in
        p.len(1, trace)
        p.len(2, spanIDBytes(span))
        p.varint(3, type)
    }
}

private func time(_ p: inout ProtoBytes, _ field: UInt64, seconds: Int64, nanos: Int32) {
    p.message(field) { p in
        p.varint(1, UInt64(bitPattern: seconds))
        p.varint(2, UInt64(bitPattern: Int64(nanos)))
    }
}

/// A span with ids, name, start and duration, then `extra`.
private func span(_ p: inout ProtoBytes, id: UInt8 = 2, name: String = "op", extra: (inout ProtoBytes) -> Void = { _ in }) {
    p.message(1) { p in
        p.len(1, traceBytes)
        p.len(2, spanIDBytes(id))
        p.string(3, name)
        time(&p, 6, seconds: 1_700_000_000, nanos: 123_456_789)
        time(&p, 7, seconds: 1, nanos: 500)
        extra(&p)
    }
}

/// `PostSpansRequest { batch = 1 }` with the given Batch fields.
private func request(_ batch: (inout ProtoBytes) -> Void) -> [UInt8] {
    var p = ProtoBytes()
    p.message(1, batch)
    return p.bytes
}

private func decodeError(_ bytes: [UInt8]) -> ProtoDecodeError? {
    do {
        _ = try JaegerProtoDecoder.decodePostSpansRequest(bytes)
        return nil
    } catch {
        return error
    }
}

@Test func jaegerProto_decodesEveryField_andTranslatesAsTheThriftPath() throws {
    let bytes = request { b in
        span(&b) { s in
            ref(&s, span: 9, type: 0)
            ref(&s, trace: otherTrace, span: 8, type: 1)
            s.varint(5, 3)
            tags(&s, 8, [("s", .string("v")), ("b", .bool(true)), ("i", .int64(-7)), ("d", .float64(0.5)),
                         ("x", .binary([1, 2])), ("u", .raw(vType: 9)), ("span.kind", .string("client")),
                         ("http.status_code", .int64(404))])
            s.message(9) { l in
                time(&l, 1, seconds: 1_700_000_001, nanos: 5)
                tags(&l, 2, [("event", .string("retry")), ("attempt", .int64(2))])
            }
            s.string(11, "p1")
            s.string(12, "a warning")
        }
        process(&b, 2, service: "svc", [("hostname", .string("h1")), ("jaeger.version", .string("Go-2.30.0")), ("ip", .string("10.0.0.1"))])
    }
    let batch = try JaegerProtoDecoder.decodePostSpansRequest(bytes)
    #expect(batch.resourceSpans.count == 1)
    let rs = try #require(batch.resourceSpans.first)
    #expect(rs.resource.attributes == [
        // pcommon.Map's Remove moves the last attribute into the removed one's place.
        KeyValue("service.name", .string("svc")), KeyValue("host.name", .string("h1")),
        KeyValue("opencensus.exporterversion", .string("Jaeger-Go-2.30.0")), KeyValue("ip", .string("10.0.0.1")),
    ])
    #expect(rs.scopeSpans.count == 1 && rs.scopeSpans[0].scope == InstrumentationScope())
    let start: UInt64 = 1_700_000_000_123_456_789
    var expected = Span(
        traceID: TraceID(high: 0x22, low: 0x11), spanID: SpanID(2), parentSpanID: SpanID(9), flags: 1, name: "op", kind: .client,
        startTimeUnixNano: start, endTimeUnixNano: start + 1_000_000_500,
        attributes: [
            KeyValue("s", .string("v")), KeyValue("b", .bool(true)), KeyValue("i", .int(-7)), KeyValue("d", .double(0.5)),
            KeyValue("x", .bytes([1, 2])), KeyValue("u", .string("<Unknown Jaeger TagType \"9\">")),
            KeyValue("http.status_code", .int(404)),
        ],
        events: [SpanEvent(timeUnixNano: 1_700_000_001_000_000_005, name: "retry", attributes: [KeyValue("attempt", .int(2))])],
        links: [SpanLink(traceID: TraceID(high: 0x3333_3333_3333_3333, low: 0x3333_3333_3333_3333), spanID: SpanID(8),
                         attributes: [KeyValue("opentracing.ref_type", .string("follows_from"))])])
    expected.status = Status(code: .error)
    #expect(rs.scopeSpans[0].spans == [expected])
}

@Test func jaegerProto_readsAnEightByteTraceID_asTheLowHalf() throws {
    var p = ProtoBytes()
    p.message(1) { b in
        b.message(1) { s in
            s.len(1, [0, 0, 0, 0, 0, 0, 0, 5])
            s.len(2, spanIDBytes(1))
        }
    }
    let span = try #require(try JaegerProtoDecoder.decodePostSpansRequest(p.bytes).resourceSpans.first?.scopeSpans.first?.spans.first)
    #expect(span.traceID == TraceID(high: 0, low: 5))
}

@Test func jaegerProto_parentIsTheFirstChildOfInTheSameTrace_otherReferencesAreLinks() throws {
    let bytes = request { b in
        span(&b, id: 1) { s in
            ref(&s, trace: otherTrace, span: 7, type: 0)  // another trace: a link, not the parent
            ref(&s, span: 5, type: 1)
            ref(&s, span: 6, type: 0)
        }
        span(&b, id: 2) { s in ref(&s, span: 5, type: 1) }  // FOLLOWS_FROM only: the parent, and still a link
    }
    let spans = try #require(try JaegerProtoDecoder.decodePostSpansRequest(bytes).resourceSpans.first?.scopeSpans.first?.spans)
    #expect(spans.map(\.parentSpanID) == [SpanID(6), SpanID(5)])
    #expect(spans[0].links.map(\.spanID) == [SpanID(7), SpanID(5)])
    #expect(spans[0].links.map { $0.attributes[key: "opentracing.ref_type"] } == [.string("child_of"), .string("follows_from")])
    #expect(spans[1].links.map(\.spanID) == [SpanID(5)])
}

@Test func jaegerProto_aSpansOwnProcessOverridesTheBatchs_andEqualProcessesShareAResource() throws {
    let bytes = request { b in
        process(&b, 2, service: "batch-svc", [("k", .int64(1))])
        span(&b, id: 1)
        span(&b, id: 2) { s in process(&s, 10, service: "own-svc") }
        span(&b, id: 3) { s in process(&s, 10, service: "batch-svc", [("k", .int64(1))]) }
        span(&b, id: 4) { s in process(&s, 10, service: "own-svc") }
    }
    let batch = try JaegerProtoDecoder.decodePostSpansRequest(bytes)
    #expect(batch.resourceSpans.map { $0.resource.attributes[key: "service.name"] } == [.string("batch-svc"), .string("own-svc")])
    #expect(batch.resourceSpans.map { $0.scopeSpans.flatMap(\.spans).map(\.spanID.value) } == [[1, 3], [2, 4]])
}

@Test func jaegerProto_takesTheScopeFromOtelScopeTags_elseOtelLibraryTags() throws {
    let bytes = request { b in
        span(&b, id: 1) { s in
            tags(&s, 8, [("otel.library.name", .string("lib")), ("otel.scope.name", .string("scope")),
                         ("otel.scope.version", .string("1.0")), ("otel.library.version", .string("0.9"))])
        }
        span(&b, id: 2) { s in tags(&s, 8, [("otel.library.name", .string("lib")), ("otel.library.version", .string("0.9"))]) }
        span(&b, id: 3) { s in tags(&s, 8, [("otel.scope.name", .string("scope")), ("otel.scope.version", .string("1.0"))]) }
    }
    let scopes = try #require(try JaegerProtoDecoder.decodePostSpansRequest(bytes).resourceSpans.first?.scopeSpans)
    #expect(scopes.map(\.scope) == [InstrumentationScope(name: "scope", version: "1.0"), InstrumentationScope(name: "lib", version: "0.9")])
    #expect(scopes.map { $0.spans.map(\.spanID.value) } == [[1, 3], [2]])
    #expect(scopes[0].spans[0].attributes == [KeyValue("otel.library.name", .string("lib")), KeyValue("otel.library.version", .string("0.9"))])
    #expect(scopes[1].spans[0].attributes.isEmpty)
}

@Test func jaegerProto_movesW3CTraceStateToTheSpan_andReadsStatusTags() throws {
    let bytes = request { b in
        span(&b) { s in
            tags(&s, 8, [("w3c.tracestate", .string("a=1")), ("error", .bool(true)), ("otel.status_description", .string("boom")),
                         ("keep", .string("me"))])
        }
    }
    let decoded = try #require(try JaegerProtoDecoder.decodePostSpansRequest(bytes).resourceSpans.first?.scopeSpans.first?.spans.first)
    #expect(decoded.traceState == "a=1")
    #expect(decoded.status == Status(code: .error, message: "boom"))
    #expect(decoded.attributes == [KeyValue("keep", .string("me"))])
}

@Test func jaegerProto_skipsBlankSpans_andReadsTheNoServiceNameSentinelAsNoResource() throws {
    let bytes = request { b in
        b.message(1) { _ in }
        process(&b, 2, service: JaegerProtoTranslation.noServiceName, [("k", .string("v"))])
    }
    let batch = try JaegerProtoDecoder.decodePostSpansRequest(bytes)
    #expect(batch.resourceSpans.count == 1 && batch.resourceSpans[0].resource == Resource())
    #expect(batch.isEmpty)
    #expect(try JaegerProtoDecoder.decodePostSpansRequest([]).resourceSpans.isEmpty)
}

@Test func jaegerProto_refusesBadInput_namingTheFieldPath() throws {
    let cases: [(String, [UInt8], String)] = [
        ("short span id", request { b in b.message(1) { s in s.len(2, [1, 2, 3]) } }, "batch.spans[0].span_id"),
        ("trace id of 12 bytes", request { b in b.message(1) { s in s.len(1, Array(repeating: 1, count: 12)) } }, "batch.spans[0].trace_id"),
        ("ref span id", request { b in b.message(1) { s in s.message(4) { r in r.len(2, []) } } }, "batch.spans[0].references[0].span_id"),
        ("nanos out of range", request { b in span(&b) { s in time(&s, 6, seconds: 0, nanos: 1_000_000_000) } }, "batch.spans[0].start_time"),
        ("year 10000", request { b in span(&b) { s in time(&s, 6, seconds: 253_402_300_800, nanos: 0) } }, "batch.spans[0].start_time"),
        ("duration signs", request { b in span(&b) { s in time(&s, 7, seconds: 1, nanos: -1) } }, "batch.spans[0].duration"),
        ("log time", request { b in span(&b) { s in s.message(9) { l in time(&l, 1, seconds: -62_135_596_801, nanos: 0) } } },
         "batch.spans[0].logs[0].timestamp"),
        ("tag key wire type", request { b in span(&b) { s in s.message(8) { t in t.varint(1, 1) } } }, "batch.spans[0].tags[0].key"),
        ("process tag utf8", request { b in b.message(2) { p in p.message(2) { t in t.len(3, [0xFF]) } } }, "batch.process.tags[0].v_str"),
        ("truncated", Array(request { b in span(&b) }.dropLast(3)), "batch"),
    ]
    for (name, bytes, path) in cases {
        let error = try #require(decodeError(bytes), "\(name) should be refused")
        #expect(error.path.hasPrefix(path), "\(name): \(error)")
        #expect(error.description.contains("invalid protobuf at byte"), "\(name): \(error)")
    }
    #expect(decodeError(request { b in b.message(1) { s in s.len(2, [1, 2, 3]) } })?.description.contains("invalid length 3 for a span id") == true)
}

@Test func jaegerProto_neverTraps_onRandomOrMutatedBytes() {
    var random = SeededGenerator(state: 14250)
    let valid = request { b in
        process(&b, 2, service: "svc", [("hostname", .string("h"))])
        span(&b) { s in
            ref(&s, span: 9, type: 0)
            tags(&s, 8, [("s", .string("v")), ("d", .float64(1))])
            s.message(9) { l in tags(&l, 2, [("event", .string("e"))]) }
        }
    }
    for _ in 0..<3_000 {
        let count = Int.random(in: 0..<200, using: &random)
        _ = decodeError((0..<count).map { _ in UInt8.random(in: 0...255, using: &random) })
        var mutated = valid
        for _ in 0..<Int.random(in: 1...4, using: &random) {
            mutated[Int.random(in: 0..<mutated.count, using: &random)] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &random)
        }
        _ = decodeError(mutated)
    }
    #expect(decodeError(valid) == nil)
}

/// `Fixtures/jaeger/post_spans.binpb`, written by the Python protobuf library (make_jaeger_fixtures.py).
@Test func jaegerProto_decodesARequestTheProtobufLibraryWrote() throws {
    let batch = try JaegerProtoDecoder.decodePostSpansRequest(try Fixture.bytes("post_spans.binpb", in: "jaeger"))
    #expect(batch.resourceSpans.map { $0.resource.attributes[key: "service.name"] } == [.string("seed-svc"), .string("own")])
    #expect(batch.resourceSpans[0].resource.attributes[key: "host.name"] == .string("h1"))
    let child = try #require(batch.resourceSpans[0].scopeSpans.first?.spans.first)
    #expect(child.traceID == TraceID(high: 0, low: 0x0505_0505_0505_0505) && child.name == "child")
    #expect(child.startTimeUnixNano == 1_718_000_001_000_000_000 && child.endTimeUnixNano == 1_718_000_002_000_000_000)
    let scope = try #require(batch.resourceSpans[1].scopeSpans.first)
    #expect(scope.scope == InstrumentationScope(name: "lib"))
    let span = try #require(scope.spans.first)
    #expect(span.traceID == TraceID(high: 0x0102_0304_0506_0708, low: 0x090A_0B0C_0D0E_0F10))
    #expect(span.spanID == SpanID(0x0102_0304_0506_0708) && span.parentSpanID == SpanID(0x0909_0909_0909_0909))
    #expect(span.kind == .server && span.status.code == .error && span.traceState == "a=1" && span.flags == 1)
    #expect(span.startTimeUnixNano == 1_718_000_000_000_001_000 && span.endTimeUnixNano == 1_718_000_000_001_501_000)
    // span.kind, error and w3c.tracestate removed in that order, each taking the last attribute's place.
    #expect(span.attributes == [KeyValue("x", .bytes([0, 1])), KeyValue("b", .bool(true)), KeyValue("i", .int(-3)), KeyValue("d", .double(0.25))])
    #expect(span.events == [SpanEvent(timeUnixNano: 1_718_000_000_000_002_000, name: "e", attributes: [KeyValue("k", .int(1))])])
    #expect(span.links.map(\.spanID) == [SpanID(0x0808_0808_0808_0808)])
    let empty = try JaegerProtoDecoder.decodePostSpansRequest(try Fixture.bytes("empty_batch.binpb", in: "jaeger"))
    #expect(empty.resourceSpans.count == 1 && empty.isEmpty)
}
