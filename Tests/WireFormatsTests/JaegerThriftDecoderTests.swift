import Testing
import TraceModel
@testable import WireFormats

/// jaeger.thrift field ids, to keep the fixtures readable.
private enum SpanField {
    static let traceIDLow: Int16 = 1, traceIDHigh: Int16 = 2, spanID: Int16 = 3, parentSpanID: Int16 = 4
    static let operationName: Int16 = 5, references: Int16 = 6, flags: Int16 = 7, startTime: Int16 = 8
    static let duration: Int16 = 9, tags: Int16 = 10, logs: Int16 = 11
}

private enum TagValue {
    case string(String), double(Double), bool(Bool), long(Int64), binary([UInt8]), raw(vType: Int32)
}

private func writeTag(_ w: inout ThriftTestWriter, _ key: String, _ value: TagValue) {
    w.stringField(1, key)
    switch value {
    case .string(let s): w.i32Field(2, 0); w.stringField(3, s)
    case .double(let d): w.i32Field(2, 1); w.doubleField(4, d)
    case .bool(let b): w.i32Field(2, 2); w.boolField(5, b)
    case .long(let l): w.i32Field(2, 3); w.i64Field(6, l)
    case .binary(let b): w.i32Field(2, 4); w.binaryField(7, b)
    case .raw(let vType): w.i32Field(2, vType)
    }
}

private func writeTags(_ w: inout ThriftTestWriter, _ id: Int16, _ tags: [(String, TagValue)]) {
    w.structListField(id, count: tags.count) { w, i in writeTag(&w, tags[i].0, tags[i].1) }
}

/// A span's required fields, then `extra`.
private func writeSpan(_ w: inout ThriftTestWriter, spanID: Int64 = 2, parent: Int64 = 0, tags: [(String, TagValue)] = [],
                       skipping: Set<Int16> = [], extra: (inout ThriftTestWriter) -> Void = { _ in }) {
    if !skipping.contains(1) { w.i64Field(SpanField.traceIDLow, 0x11) }
    if !skipping.contains(2) { w.i64Field(SpanField.traceIDHigh, 0x22) }
    if !skipping.contains(3) { w.i64Field(SpanField.spanID, spanID) }
    if !skipping.contains(4) { w.i64Field(SpanField.parentSpanID, parent) }
    if !skipping.contains(5) { w.stringField(SpanField.operationName, "op") }
    if !skipping.contains(7) { w.i32Field(SpanField.flags, 1) }
    if !skipping.contains(8) { w.i64Field(SpanField.startTime, 1_000) }
    if !skipping.contains(9) { w.i64Field(SpanField.duration, 5) }
    if !tags.isEmpty { writeTags(&w, SpanField.tags, tags) }
    extra(&w)
}

private func batchBytes(_ kind: ThriftProtocolKind = .binary, service: String = "svc", processTags: [(String, TagValue)]? = nil,
                        spans: [(inout ThriftTestWriter) -> Void]) -> [UInt8] {
    var w = ThriftTestWriter(kind)
    w.structBody { w in
        w.structField(1) { w in
            w.stringField(1, service)
            if let processTags { writeTags(&w, 2, processTags) }
        }
        w.structListField(2, count: spans.count) { w, i in spans[i](&w) }
    }
    return w.bytes
}

/// Decodes a bare batch, and checks what every decode here must hold: the OTLP bytes the
/// translation wrote are the encoder's own for the model they decode to.
private func decode(_ bytes: [UInt8], _ kind: ThriftProtocolKind = .binary) throws(ThriftDecodeError) -> TraceBatch {
    let batch = try JaegerThriftDecoder.decodeBatch(bytes, protocol: kind)
    expectCanonicalEncoding(batch)
    return batch
}

/// The batch's carried encoding equals the encoding of its model (decoded from that encoding).
private func expectCanonicalEncoding(_ batch: TraceBatch, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(batch.resourceSpans.allSatisfy { $0.encoded != nil && $0.isDeferred }, sourceLocation: sourceLocation)
    #expect(OTLPProtoEncoder.encodingsMatchModels(batch), sourceLocation: sourceLocation)
}

private func onlySpan(_ batch: TraceBatch) throws -> Span {
    let spans = batch.resourceSpans.flatMap { $0.scopeSpans.flatMap(\.spans) }
    try #require(spans.count == 1)
    return spans[0]
}

private func decodeFailure(_ bytes: [UInt8]) -> ThriftDecodeError? {
    do { _ = try decode(bytes); return nil } catch { return error }
}

@Test func jaegerDecoder_translatesEveryTagType_andKeepsOrderWithPutSemantics() throws {
    let span = try onlySpan(try decode(batchBytes(spans: [{ w in
        writeSpan(&w, tags: [("s", .string("x")), ("d", .double(1.5)), ("b", .bool(true)), ("l", .long(-3)),
                             ("bin", .binary([1, 2])), ("s", .string("last wins"))])
    }])))
    #expect(span.attributes == [KeyValue("s", .string("last wins")), KeyValue("d", .double(1.5)), KeyValue("b", .bool(true)),
                                KeyValue("l", .int(-3)), KeyValue("bin", .bytes([1, 2]))])
}

@Test func jaegerDecoder_readsAbsentTagValues_asZeroValues() throws {
    var w = ThriftTestWriter(.binary)
    w.structBody { w in
        w.structField(1) { $0.stringField(1, "svc") }
        w.structListField(2, count: 1) { w, _ in
            writeSpan(&w) { w in
                w.structListField(SpanField.tags, count: 2) { w, i in
                    w.stringField(1, i == 0 ? "noString" : "noLong")
                    w.i32Field(2, i == 0 ? 0 : 3)
                }
            }
        }
    }
    let span = try onlySpan(try decode(w.bytes))
    #expect(span.attributes == [KeyValue("noString", .string("")), KeyValue("noLong", .int(0))])
}

@Test func jaegerDecoder_refusesAnUnknownTagType_naming_thePath() {
    let error = decodeFailure(batchBytes(spans: [{ w in writeSpan(&w, tags: [("ok", .long(1)), ("weird", .raw(vType: 9))]) }]))
    #expect(error?.reason == .unknownEnumValue(name: "TagType", value: 9))
    #expect(error?.path == "batch.spans[0].tags[1].weird")
    #expect(error.map { "\($0)" }?.contains("unknown TagType value 9") == true)
}

@Test func jaegerDecoder_refusesWrongFieldTypes_andMissingRequiredFields() {
    var w = ThriftTestWriter(.binary)
    w.structBody { w in
        w.structField(1) { $0.stringField(1, "svc") }
        w.structListField(2, count: 1) { w, _ in w.i32Field(SpanField.traceIDLow, 1) }
    }
    let wrongType = decodeFailure(w.bytes)
    #expect(wrongType?.reason == .wrongFieldType(expected: .i64, got: .i32))
    #expect(wrongType?.path == "batch.spans[0]")

    let missing = decodeFailure(batchBytes(spans: [{ w in writeSpan(&w, skipping: [3]) }]))
    #expect(missing?.reason == .missingRequiredField("spanId"))
    let noProcess = decodeFailure([0x0F, 0x00, 0x02, 0x0C, 0, 0, 0, 0, 0x00])
    #expect(noProcess?.reason == .missingRequiredField("process"))
    let noSpans = decodeFailure([0x0C, 0x00, 0x01, 0x0B, 0x00, 0x01, 0, 0, 0, 1, 0x61, 0x00, 0x00])
    #expect(noSpans?.reason == .missingRequiredField("spans"))
    let wrongElements = decodeFailure([0x0C, 0x00, 0x01, 0x0B, 0x00, 0x01, 0, 0, 0, 1, 0x61, 0x00, 0x0F, 0x00, 0x02, 0x08, 0, 0, 0, 1, 0, 0, 0, 1, 0x00])
    #expect(wrongElements?.reason == .wrongElementType(expected: .struct, got: .i32))
}

@Test(arguments: [ThriftProtocolKind.binary, .compact])
func jaegerDecoder_skipsUnknownFields_ofEveryShape(kind: ThriftProtocolKind) throws {
    let bytes = batchBytes(kind, spans: [{ w in
        writeSpan(&w) { w in
            w.field(.map, 40); w.mapHeader(.binary, .list, 1); w.binary(Array("k".utf8)); w.listHeader(.double, 1); w.double(1)
            w.structField(41) { $0.boolField(1, true); $0.field(.set, 2); $0.listHeader(.i16, 1); $0.i16(3) }
            w.boolField(42, false)
        }
    }])
    let span = try onlySpan(try decode(bytes, kind))
    #expect(span.name == "op" && span.spanID == SpanID(2))
}

@Test func jaegerDecoder_derivesParentAndLinks_fromReferences() throws {
    func ref(_ w: inout ThriftTestWriter, type: Int32, high: Int64 = 0x22, low: Int64 = 0x11, span: Int64) {
        w.i32Field(1, type); w.i64Field(2, low); w.i64Field(3, high); w.i64Field(4, span)
    }
    // No parentSpanId: the CHILD_OF ref in the same trace wins over an earlier FOLLOWS_FROM one.
    let refs: [(Int32, Int64, Int64)] = [(1, 0x22, 7), (0, 0x99, 8), (0, 0x22, 9)]
    let span = try onlySpan(try decode(batchBytes(spans: [{ w in
        writeSpan(&w) { w in w.structListField(SpanField.references, count: refs.count) { w, i in ref(&w, type: refs[i].0, high: refs[i].1, span: refs[i].2) } }
    }])))
    #expect(span.parentSpanID == SpanID(9))
    #expect(span.links.map(\.spanID) == [SpanID(7), SpanID(8)])
    #expect(span.links.map { $0.attributes } == [[KeyValue("opentracing.ref_type", .string("follows_from"))],
                                                 [KeyValue("opentracing.ref_type", .string("child_of"))]])
    #expect(span.links[1].traceID == TraceID(high: 0x99, low: 0x11))

    // Only a FOLLOWS_FROM ref: it is the parent and still a link.
    let follows = try onlySpan(try decode(batchBytes(spans: [{ w in
        writeSpan(&w) { w in w.structListField(SpanField.references, count: 1) { w, _ in ref(&w, type: 1, span: 5) } }
    }])))
    #expect(follows.parentSpanID == SpanID(5) && follows.links.count == 1)
}

@Test func jaegerDecoder_statusPrecedence() throws {
    func status(_ tags: [(String, TagValue)], kind: String? = nil) throws -> (Status, [String]) {
        let all = (kind.map { [("span.kind", TagValue.string($0))] } ?? []) + tags
        let span = try onlySpan(try decode(batchBytes(spans: [{ w in writeSpan(&w, tags: all) }])))
        return (span.status, span.attributes.map(\.key))
    }
    // error=true beats otel.status_code; message from otel.status_description, which is removed.
    let (e1, k1) = try status([("otel.status_code", .string("OK")), ("error", .bool(true)), ("otel.status_description", .string("d"))])
    #expect(e1 == Status(code: .error, message: "d") && k1.isEmpty)
    // error=true without a description: http.status_message, which stays.
    let (e2, k2) = try status([("error", .bool(true)), ("http.status_message", .string("teapot"))])
    #expect(e2 == Status(code: .error, message: "teapot") && k2 == ["http.status_message"])
    // error as the string "true" is not recognised; otel.status_code is case-insensitive.
    let (e3, k3) = try status([("error", .string("true")), ("otel.status_code", .string("error"))])
    #expect(e3 == Status(code: .error) && k3 == ["error"])
    // error=false: nothing, and the tag stays.
    let (e4, k4) = try status([("error", .bool(false))])
    #expect(e4 == Status() && k4 == ["error"])
    // http.status_code: 4xx is an error for a client, unset for a server; 5xx always; numeric strings too.
    #expect(try status([("http.status_code", .long(404))], kind: "client").0 == Status(code: .error))
    #expect(try status([("http.status_code", .long(404))], kind: "server").0 == Status())
    #expect(try status([("http.status_code", .string("503")), ("http.status_message", .string("busy"))], kind: "server").0 == Status(code: .error, message: "busy"))
    #expect(try status([("http.status_code", .long(200)), ("http.status_message", .string("fine"))]).0 == Status())
    #expect(try status([("http.status_code", .string("abc"))]).0 == Status())
    #expect(try status([("http.status_code", .long(399))]).1 == ["http.status_code"])
    #expect(try status([("http.status_code", .long(399))]).0 == Status(code: .error))
}

@Test func jaegerDecoder_spanKind_fromTheTag() throws {
    for (value, kind) in [("client", SpanKind.client), ("server", .server), ("producer", .producer), ("consumer", .consumer),
                          ("internal", .internal), ("CLIENT", .unspecified)] {
        let span = try onlySpan(try decode(batchBytes(spans: [{ w in writeSpan(&w, tags: [("span.kind", .string(value))]) }])))
        #expect(span.kind == kind && span.attributes.isEmpty, "\(value)")
    }
}

@Test func jaegerDecoder_resourceRenames_unlessTheTargetIsSet() throws {
    let renamed = try decode(batchBytes(processTags: [("hostname", .string("h")), ("jaeger.version", .string("Go-2.30.0"))], spans: []))
    #expect(renamed.resourceSpans[0].resource.attributes == [
        KeyValue("service.name", .string("svc")), KeyValue("host.name", .string("h")),
        KeyValue("opencensus.exporterversion", .string("Jaeger-Go-2.30.0"))])
    #expect(renamed.resourceSpans[0].scopeSpans.isEmpty && renamed.isEmpty)
    let kept = try decode(batchBytes(processTags: [("hostname", .string("h")), ("host.name", .string("x")),
                                                   ("jaeger.version", .long(1)), ("opencensus.exporterversion", .string("v"))], spans: []))
    #expect(kept.resourceSpans[0].resource.attributes.map(\.key) == ["service.name", "hostname", "host.name", "jaeger.version", "opencensus.exporterversion"])
    let empty = try decode(batchBytes(service: "", spans: []))
    #expect(empty.resourceSpans[0].resource.attributes.isEmpty)
}

@Test func jaegerDecoder_logsBecomeEvents_namedByTheEventField() throws {
    let span = try onlySpan(try decode(batchBytes(spans: [{ w in
        writeSpan(&w) { w in
            w.structListField(SpanField.logs, count: 2) { w, i in
                w.i64Field(1, 2_000 + Int64(i))
                writeTags(&w, 2, i == 0 ? [("event", .string("retry")), ("a", .long(1)), ("b", .bool(true))] : [])
            }
        }
    }])))
    #expect(span.events == [
        SpanEvent(timeUnixNano: 2_000_000, name: "retry", attributes: [KeyValue("b", .bool(true)), KeyValue("a", .int(1))]),
        SpanEvent(timeUnixNano: 2_001_000)])
}

@Test func jaegerDecoder_idsTimesAndFlags() throws {
    let span = try onlySpan(try decode(batchBytes(spans: [{ w in writeSpan(&w, spanID: -1, parent: -2) }])))
    #expect(span.traceID == TraceID(high: 0x22, low: 0x11))
    #expect(span.spanID == SpanID(UInt64.max) && span.parentSpanID == SpanID(UInt64.max - 1))
    #expect(span.startTimeUnixNano == 1_000_000 && span.endTimeUnixNano == 1_005_000)
    #expect(span.flags == 1)
}

@Test func jaegerDecoder_skipsBlankSpans() throws {
    let batch = try decode(batchBytes(spans: [
        { w in for id: Int16 in [1, 2, 3, 4] { w.i64Field(id, 0) }; w.stringField(5, ""); w.i32Field(7, 0); w.i64Field(8, 0); w.i64Field(9, 0) },
        { w in writeSpan(&w) },
    ]))
    #expect(batch.spanCount == 1 && batch.resourceSpans[0].scopeSpans.count == 1)
}

@Test(arguments: [(ThriftProtocolKind.binary, true), (.binary, false), (.compact, true)])
func jaegerDecoder_emitBatch_acceptsCallAndOneway(kind: ThriftProtocolKind, strict: Bool) throws {
    for type in [ThriftMessageType.call, .oneway] {
        var w = ThriftTestWriter(kind)
        w.messageHeader("emitBatch", type, strict: strict)
        w.structBody { w in
            w.i32Field(7, 1)  // an unknown argument is skipped
            w.structField(1) { w in
                w.structField(1) { $0.stringField(1, "svc") }
                w.structListField(2, count: 1) { w, _ in writeSpan(&w) }
            }
        }
        #expect(try JaegerThriftDecoder.decodeEmitBatch(w.bytes, protocol: kind).spanCount == 1)
    }
}

@Test func jaegerDecoder_emitBatch_refusesOtherMethodsAndTypes() {
    func failure(_ name: String, _ type: ThriftMessageType, body: Bool = true) -> String {
        var w = ThriftTestWriter(.compact)
        w.messageHeader(name, type)
        if body { w.structBody { _ in } }
        do {
            _ = try JaegerThriftDecoder.decodeEmitBatch(w.bytes, protocol: .compact)
            return ""
        } catch { return "\(error)" }
    }
    #expect(failure("emitZipkinBatch", .oneway).contains("'emitZipkinBatch' is not served"))
    #expect(failure("emitBatch", .reply).contains("expected call or oneway"))
    #expect(failure("emitBatch", .oneway).contains("required field batch is not set"))
    #expect(failure("emitBatch", .oneway, body: false).contains("truncated"))
    // A compact datagram on the binary port is refused, not misread.
    var w = ThriftTestWriter(.compact)
    w.messageHeader("emitBatch", .oneway)
    #expect(throws: ThriftDecodeError.self) { try JaegerThriftDecoder.decodeEmitBatch(w.bytes, protocol: .binary) }
}

@Test func jaegerDecoder_neverTraps_onMutationsOfAValidBatch() {
    var state: UInt64 = 99
    func next() -> UInt64 {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return state >> 33
    }
    for kind in [ThriftProtocolKind.binary, .compact] {
        let valid = batchBytes(kind, processTags: [("hostname", .string("h"))], spans: [
            { w in writeSpan(&w, tags: [("span.kind", .string("client")), ("d", .double(2)), ("bin", .binary([9]))]) },
            { w in writeSpan(&w, spanID: 3, parent: 2) },
        ])
        for _ in 0..<3000 {
            var mutated = valid
            for _ in 0..<(1 + Int(next() % 4)) {
                mutated[Int(next() % UInt64(mutated.count))] = UInt8(truncatingIfNeeded: next())
            }
            if let batch = try? JaegerThriftDecoder.decodeBatch(mutated, protocol: kind) { expectCanonicalEncoding(batch) }
        }
    }
}

@Test func jaegerDecoder_longTagLists_keepPutSemantics() throws {
    // 40 tags over 35 keys: the repeated keys keep their first place and take the last value.
    let tags: [(String, TagValue)] = (0..<40).map { ("k\($0 % 35)", .long(Int64($0))) }
    let span = try onlySpan(try decode(batchBytes(spans: [{ w in writeSpan(&w, tags: tags) }])))
    #expect(span.attributes.map(\.key) == (0..<35).map { "k\($0)" })
    #expect(span.attributes[0].value == .int(35) && span.attributes[4].value == .int(39) && span.attributes[5].value == .int(5))
}

@Test func jaegerDecoder_aRepeatedListField_replacesTheEarlierOne() throws {
    let span = try onlySpan(try decode(batchBytes(spans: [{ w in
        writeSpan(&w, tags: [("first", .long(1)), ("span.kind", .string("server"))]) { w in
            writeTags(&w, SpanField.tags, [("second", .string("s"))])
            w.structListField(SpanField.logs, count: 1) { w, _ in w.i64Field(1, 1); writeTags(&w, 2, [("event", .string("gone"))]) }
            w.structListField(SpanField.logs, count: 1) { w, _ in w.i64Field(1, 2); writeTags(&w, 2, [("event", .string("kept"))]) }
        }
    }])))
    #expect(span.attributes == [KeyValue("second", .string("s"))] && span.kind == .unspecified)
    #expect(span.events == [SpanEvent(timeUnixNano: 2_000, name: "kept")])
}

/// OTLP refuses all-zero ids from an OTLP sender; a translated span keeps them, as upstream's
/// translator does, also when its model is decoded from the translated bytes.
@Test func jaegerDecoder_keepsASpanWithAllZeroIds() throws {
    let batch = try decode(batchBytes(spans: [{ w in
        for id: Int16 in [1, 2, 3, 4] { w.i64Field(id, 0) }
        w.stringField(5, "op"); w.i32Field(7, 0); w.i64Field(8, 0); w.i64Field(9, 0)
    }]))
    let span = try onlySpan(batch)
    #expect(batch.spanCount == 1 && span.name == "op" && span.traceID.isZero && span.spanID.isZero)
}

@Test func jaegerDecoder_writesEveryTagTypeAndEdgeValue_asTheEncoderWould() throws {
    let tags: [(String, TagValue)] = [
        ("", .string("")), ("s", .string("héllo")), ("nan", .double(.nan)), ("zero", .double(0)), ("no", .bool(false)),
        ("min", .long(.min)), ("bin", .binary([])), ("bytes", .binary([0, 255])), ("error", .bool(true)),
        ("otel.status_description", .string("bad")), (String(repeating: "k", count: 200), .string(String(repeating: "v", count: 300))),
    ]
    let span = try onlySpan(try decode(batchBytes(spans: [{ w in
        writeSpan(&w, tags: tags) { w in
            w.structListField(SpanField.logs, count: 1) { w, _ in w.i64Field(1, 0); writeTags(&w, 2, [("event", .long(3))]) }
        }
    }])))
    #expect(span.status == Status(code: .error, message: "bad"))
    #expect(span.attributes.count == tags.count - 2)
    #expect(span.events == [SpanEvent()])
}

/// Tags off the binary protocol's fast path (`canonicalBinaryTag`): fields in another order, a
/// value field besides the one `vType` names, an unknown field. They read as the canonical tag does.
@Test func jaegerDecoder_readsATagFieldByField_whenItIsNotLaidOutAsWritersDo() throws {
    func batch(_ tag: @escaping (inout ThriftTestWriter) -> Void) -> [UInt8] {
        batchBytes(spans: [{ w in writeSpan(&w) { w in w.structListField(SpanField.tags, count: 1) { w, _ in tag(&w) } } }])
    }
    let canonical = try onlySpan(try decode(batch { w in w.stringField(1, "k"); w.i32Field(2, 3); w.i64Field(6, 7) }))
    let reordered = try onlySpan(try decode(batch { w in
        w.i32Field(2, 3); w.stringField(3, "not the value"); w.i64Field(6, 7); w.boolField(9, true); w.stringField(1, "k")
    }))
    #expect(canonical.attributes == [KeyValue("k", .int(7))])
    #expect(reordered.attributes == canonical.attributes)
}

@Test func jaegerDecoder_refusesInvalidUTF8_inKeysStringValuesAndNames_notInBinaryValues() throws {
    let bad: [UInt8] = [0x61, 0xFF]
    func tagBatch(key: [UInt8], vType: Int32, value: [UInt8]) -> [UInt8] {
        batchBytes(spans: [{ w in writeSpan(&w) { w in
            w.structListField(SpanField.tags, count: 1) { w, _ in w.binaryField(1, key); w.i32Field(2, vType); w.binaryField(vType == 0 ? 3 : 7, value) }
        } }])
    }
    let inKey = decodeFailure(tagBatch(key: bad, vType: 0, value: Array("v".utf8)))
    #expect(inKey?.reason == .invalidUTF8 && inKey?.path == "batch.spans[0].tags[0].key")
    let inValue = decodeFailure(tagBatch(key: Array("k".utf8), vType: 0, value: bad))
    #expect(inValue?.reason == .invalidUTF8 && inValue?.path == "batch.spans[0].tags[0].k")
    let binary = try onlySpan(try decode(tagBatch(key: Array("k".utf8), vType: 4, value: bad)))
    #expect(binary.attributes == [KeyValue("k", .bytes(bad))])
    let inName = decodeFailure(batchBytes(spans: [{ w in writeSpan(&w, skipping: [5]) { w in w.binaryField(SpanField.operationName, bad) } }]))
    #expect(inName?.reason == .invalidUTF8 && inName?.path == "batch.spans[0].operationName")
}
