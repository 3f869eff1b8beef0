import Testing
import TraceModel
@testable import WireFormats

/// Two resources; the second's only span has a zero span id (rejected), and the first carries a
/// field the model does not keep (Resource.entity_refs, 3) that forwarding must not lose.
private func twoResources() -> [UInt8] {
    var request = ProtoBytes()
    request.message(1) { rs in
        rs.message(1) { resource in
            resource.message(1) { kv in
                kv.string(1, "service.name")
                kv.message(2) { $0.string(1, "cart") }
            }
            resource.message(3) { $0.string(1, "entity") }
        }
        rs.message(2) { ss in
            ss.message(2) { span in
                span.len(1, Array(repeating: 1, count: 16))
                span.len(2, Array(repeating: 2, count: 8))
                span.string(5, "kept")
            }
        }
    }
    request.message(1) { rs in
        rs.message(2) { ss in
            ss.message(2) { span in
                span.len(1, Array(repeating: 1, count: 16))
                span.len(2, Array(repeating: 0, count: 8))
                span.string(5, "rejected")
            }
            ss.message(2) { span in
                span.len(1, Array(repeating: 1, count: 16))
                span.len(2, Array(repeating: 3, count: 8))
                span.string(5, "valid sibling")
            }
        }
    }
    return request.bytes
}

@Test func forwarding_aFullyValidRequestIsWrittenBackByteForByte() throws {
    let bytes = try Fixture.bytes("request_mixed.binpb")
    let decoded = try OTLPProtoDecoder.decodeExportRequest(bytes)
    #expect(decoded.rejectedSpans == 0)
    #expect(decoded.batch.resourceSpans.allSatisfy { $0.encoded != nil })
    // The fixture ends with unknown request-level fields, which are not forwarded; every
    // resource_spans record before them is, byte for byte.
    let forwarded = OTLPProtoEncoder.encodeExportRequest(decoded.batch)
    #expect(forwarded.count > 100 && bytes.starts(with: forwarded))
}

@Test func forwarding_keepsUnknownFields_andReencodesOnlyWhereASpanWasRejected() throws {
    let bytes = twoResources()
    let decoded = try OTLPProtoDecoder.decodeExportRequest(bytes)
    #expect(decoded.rejectedSpans == 1)
    #expect(decoded.batch.resourceSpans[0].encoded != nil)
    #expect(decoded.batch.resourceSpans[1].encoded == nil)
    let forwarded = OTLPProtoEncoder.encodeExportRequest(decoded.batch)
    // The first resource's bytes, entity_refs included, are there as they came.
    let first = Array(bytes[2..<(2 + Int(bytes[1]))])
    #expect(forwarded.starts(with: [bytes[0], bytes[1]] + first))
    let again = try OTLPProtoDecoder.decodeExportRequest(forwarded)
    #expect(again.batch == decoded.batch && again.rejectedSpans == 0)
    #expect(again.batch.resourceSpans[1].scopeSpans[0].spans.map(\.name) == ["valid sibling"])
}

@Test func forwarding_anyChangeDropsTheReceivedBytes() throws {
    var batch = try OTLPProtoDecoder.decodeExportRequest(try Fixture.bytes("request_mixed.binpb")).batch
    batch.resourceSpans[0].scopeSpans[0].spans[0].name = "renamed"
    #expect(batch.resourceSpans[0].encoded == nil)
    let again = try OTLPProtoDecoder.decodeExportRequest(OTLPProtoEncoder.encodeExportRequest(batch)).batch
    #expect(again.resourceSpans[0].scopeSpans[0].spans[0].name == "renamed")
    batch = try OTLPProtoDecoder.decodeExportRequest(try Fixture.bytes("request_mixed.binpb")).batch
    batch.resourceSpans[0].resource.attributes.append(KeyValue("added", .bool(true)))
    #expect(batch.resourceSpans[0].encoded == nil)
}

@Test func forwarding_splitKeepsWholeResourcesEncoded_andReencodesCutOnes() throws {
    let batch = try OTLPProtoDecoder.decodeExportRequest(try Fixture.bytes("request_mixed.binpb")).batch
    let total = batch.spanCount
    let whole = batch.split(maxSpans: total)
    #expect(whole.count == 1 && whole[0].resourceSpans.allSatisfy { $0.encoded != nil })
    let cut = batch.split(maxSpans: max(1, total / 2))
    #expect(cut.flatMap(\.resourceSpans).contains { $0.encoded == nil } || batch.resourceSpans.count > 1)
    let rejoined = cut.flatMap { b in (try? OTLPProtoDecoder.decodeExportRequest(OTLPProtoEncoder.encodeExportRequest(b)).batch.resourceSpans) ?? [] }
    #expect(rejoined.reduce(0) { $0 + $1.spanCount } == total)
}

@Test func encodedBytes_copiesASmallPart_soALargeBodyIsNotKeptAlive() {
    let body = EncodedBytes.Storage(Array(repeating: 7, count: 1000))
    let small = EncodedBytes(body, 10..<20)
    #expect(small.storage !== body && small.storage.bytes.count == 10 && small.range == 0..<10)
    let large = EncodedBytes(body, 0..<900)
    #expect(large.storage === body)
}

@Test func forwarding_buildsNoModel_untilSomethingReadsIt() throws {
    // Every field of the model (the fixture re-encoded: without its retired
    // instrumentation_library_spans, which the decoder is left to read).
    let fixture = try Fixture.bytes("request_mixed.binpb")
    let bytes = OTLPProtoEncoder.encodeExportRequest(try fixture.withUnsafeBytes { try OTLPProtoDecoder.decodeExportRequest($0) }.batch)
    let full = try bytes.withUnsafeBytes { buffer in try OTLPProtoDecoder.decodeExportRequest(buffer) }
    let received = try OTLPProtoDecoder.decodeExportRequest(bytes)
    #expect(!(try OTLPProtoDecoder.decodeExportRequest(fixture)).batch.resourceSpans[0].isDeferred)
    #expect(received.batch.resourceSpans.allSatisfy { $0.isDeferred })
    #expect(received.batch.spanCount == full.batch.spanCount && received.rejectedSpans == 0)
    // Forwarding copies the bytes and builds nothing.
    let forwarded = OTLPProtoEncoder.encodeExportRequest(received.batch)
    #expect(bytes.starts(with: forwarded) && received.batch.resourceSpans.allSatisfy { $0.isDeferred })
    // Reading builds the model once, shared by every copy of the value.
    let copy = received.batch
    #expect(received.batch == full.batch)
    #expect(!copy.resourceSpans.contains { $0.isDeferred })
    #expect(copy.resourceSpans[0].scopeSpans == full.batch.resourceSpans[0].scopeSpans)
}

/// One resource, one scope, one span with valid ids and the one attribute `attribute` writes.
private func oneSpanRequest(attribute: (inout ProtoBytes) -> Void) -> [UInt8] {
    var request = ProtoBytes()
    request.message(1) { rs in
        rs.message(2) { ss in
            ss.message(2) { span in
                span.len(1, Array(repeating: 1, count: 16))
                span.len(2, Array(repeating: 2, count: 8))
                span.message(9, attribute)
            }
        }
    }
    return request.bytes
}

@Test func forwarding_decodesInFull_whatDoesNotValidate() throws {
    let decoded = try OTLPProtoDecoder.decodeExportRequest(twoResources())
    #expect(decoded.batch.resourceSpans[0].isDeferred)
    #expect(!decoded.batch.resourceSpans[1].isDeferred && decoded.batch.resourceSpans[1].spanCount == 1)
    // Too deep an AnyValue fails the request as before: the validator leaves it to the decoder.
    var value = ProtoBytes()
    value.string(1, "leaf")
    for _ in 0..<70 {
        var list = ProtoBytes()
        list.message(1) { kv in
            kv.string(1, "k")
            kv.len(2, value.bytes)
        }
        value = ProtoBytes()
        value.len(6, list.bytes)
    }
    let request = oneSpanRequest { kv in
        kv.string(1, "deep")
        kv.len(2, value.bytes)
    }
    #expect(throws: ProtoDecodeError.self) { _ = try OTLPProtoDecoder.decodeExportRequest(request) }
}

/// The validator's shortcut for the usual `KeyValue{key, AnyValue{string_value}}` agrees with the
/// general walk on that shape and leaves every other shape to it.
@Test func forwarding_validatesEveryAttributeShapeTheDecoderAccepts_andNoInvalidString() throws {
    typealias Shape = (inout ProtoBytes) -> Void
    let request = oneSpanRequest
    let accepted: [Shape] = [
        { $0.string(1, "key"); $0.message(2) { $0.string(1, "value") } },  // the usual one
        { $0.string(1, String(repeating: "k", count: 300)); $0.message(2) { $0.string(1, String(repeating: "v", count: 200)) } },
        { $0.message(2) { $0.string(1, "value") }; $0.string(1, "key") },  // value first
        { $0.string(1, "key"); $0.message(2) { $0.varint(3, 7) } },  // an int
        { $0.string(1, "a"); $0.message(2) { $0.string(1, "v") }; $0.string(1, "b") },  // the key twice
        { $0.string(1, "key"); $0.message(2) { $0.string(1, "v"); $0.varint(2, 1) } },  // the value twice
        { $0.string(1, "key") },
        { $0.string(1, "key"); $0.message(2) { _ in } },
        { _ in },
    ]
    for (i, shape) in accepted.enumerated() {
        let decoded = try OTLPProtoDecoder.decodeExportRequest(request(shape))
        #expect(decoded.batch.resourceSpans[0].isDeferred, "shape \(i)")
        #expect(decoded.batch.spanCount == 1, "shape \(i)")
    }
    let invalid: [Shape] = [
        { $0.len(1, [0x6B, 0xFF]); $0.message(2) { $0.string(1, "value") } },
        { $0.string(1, "key"); $0.message(2) { $0.len(1, Array("valu".utf8) + [0xC3]) } },
        { $0.string(1, "key"); $0.message(2) { $0.len(1, [0x76, 0x61, 0x6C, 0x75, 0x65, 0x73, 0x21, 0x21, 0xED, 0xA0, 0x80]) } },
    ]
    for (i, shape) in invalid.enumerated() {
        #expect(throws: ProtoDecodeError.self, "shape \(i)") { _ = try OTLPProtoDecoder.decodeExportRequest(request(shape)) }
    }
}

@Test func editResource_keepsTheSpansBytes_andDecodesToTheEditedModel() throws {
    let fixture = try Fixture.bytes("request_mixed.binpb")
    let bytes = OTLPProtoEncoder.encodeExportRequest(try fixture.withUnsafeBytes { try OTLPProtoDecoder.decodeExportRequest($0) }.batch)
    let full = try bytes.withUnsafeBytes { buffer in try OTLPProtoDecoder.decodeExportRequest(buffer) }.batch
    var received = try OTLPProtoDecoder.decodeExportRequest(bytes).batch
    for r in received.resourceSpans.indices {
        received.resourceSpans[r].editResource { $0.attributes.put("deployment.environment", .string("production")) }
    }
    // Still undecoded, and re-encoded from the edited resource plus the received span bytes.
    #expect(received.resourceSpans.allSatisfy { $0.isDeferred && $0.encoded != nil })
    let forwarded = OTLPProtoEncoder.encodeExportRequest(received)
    var expected = full
    for r in expected.resourceSpans.indices { expected.resourceSpans[r].resource.attributes.put("deployment.environment", .string("production")) }
    #expect(forwarded == OTLPProtoEncoder.encodeExportRequest(expected))
    #expect(received == expected)
    // An edit that changes nothing keeps the received bytes themselves.
    var untouched = try OTLPProtoDecoder.decodeExportRequest(bytes).batch
    let before = untouched.resourceSpans[0].encoded!.storage
    untouched.resourceSpans[0].editResource { _ in }
    #expect(untouched.resourceSpans[0].encoded!.storage === before)
}

@Test func editResource_mergesRepeatedResourceFields_andKeepsUnknownFields() throws {
    var request = ProtoBytes()
    request.message(1) { rs in
        rs.message(2) { ss in
            ss.message(2) { span in
                span.len(1, Array(repeating: 1, count: 16))
                span.len(2, Array(repeating: 2, count: 8))
                span.string(5, "s")
            }
        }
        rs.message(1) { $0.message(1) { kv in kv.string(1, "a"); kv.message(2) { $0.string(1, "1") } } }
        rs.string(3, "https://schema")
        rs.message(1) { $0.message(1) { kv in kv.string(1, "b"); kv.message(2) { $0.string(1, "2") } } }
    }
    var batch = try OTLPProtoDecoder.decodeExportRequest(request.bytes).batch
    #expect(batch.resourceSpans[0].isDeferred)
    batch.resourceSpans[0].editResource { $0.attributes.put("c", .string("3")) }
    #expect(batch.resourceSpans[0].isDeferred)
    let rs = batch.resourceSpans[0]
    #expect(rs.resource.attributes == [KeyValue("a", .string("1")), KeyValue("b", .string("2")), KeyValue("c", .string("3"))])
    #expect(rs.schemaURL == "https://schema" && rs.scopeSpans[0].spans[0].name == "s" && rs.spanCount == 1)
}

@Test func spanScan_readsEachSpanWithTheNamedAttributes_fieldsInAnyOrder() throws {
    var request = ProtoBytes()
    request.message(1) { rs in
        rs.message(2) { ss in
            ss.message(2) { span in
                span.message(9) { kv in kv.string(1, "skip"); kv.message(2) { $0.string(1, "x") } }
                span.string(5, "first")
                span.message(9) { kv in kv.string(1, "http.route"); kv.message(2) { $0.string(1, "/healthz") } }
                span.message(11) { $0.string(2, "an event") }
                span.len(1, Array(repeating: 1, count: 16))
                span.len(2, Array(repeating: 2, count: 8))
            }
            ss.message(1) { $0.string(1, "lib") }  // the scope after its spans
            ss.message(2) { span in
                span.len(1, Array(repeating: 1, count: 16))
                span.len(2, Array(repeating: 3, count: 8))
                span.string(5, "second")
            }
        }
        rs.message(1) { $0.message(1) { kv in kv.string(1, "service.name"); kv.message(2) { $0.string(1, "cart") } } }
    }
    let batch = try OTLPProtoDecoder.decodeExportRequest(request.bytes).batch
    let encoded = try #require(batch.resourceSpans[0].encoded)
    var seen: [(String, String, String, [KeyValue], Int)] = []
    let read = OTLPProtoSpanScan.forEachSpan(in: encoded, attributes: .init(keys: ["http.route"]), context: { ($0, $1) }) { context, span in
        let (resource, scope) = context
        seen.append((resource.attributes.first?.value.stringValue ?? "", scope.name, span.name, span.attributes, span.events.count))
        return true
    }
    #expect(read && seen.count == 2)
    #expect(seen[0].0 == "cart" && seen[0].1 == "lib" && seen[0].2 == "first" && seen[0].4 == 0)
    #expect(seen[0].3 == [KeyValue("http.route", .string("/healthz"))])
    #expect(seen[1].2 == "second" && seen[1].3.isEmpty)
    // Every attribute, and a stop after the first span.
    var all: [[KeyValue]] = []
    _ = OTLPProtoSpanScan.forEachSpan(in: encoded, attributes: .init(keys: nil), context: { _, _ in () }) { _, span in
        all.append(span.attributes)
        return false
    }
    #expect(all.map(\.count) == [2])
    // Only the fields named: the name, no attributes, no ids.
    var names: [(String, Int, Bool)] = []
    _ = OTLPProtoSpanScan.forEachSpan(in: encoded, attributes: .init(keys: ["http.route"], fields: ["name"]), context: { _, _ in () }) { _, span in
        names.append((span.name, span.attributes.count, span.spanID == .zero))
        return true
    }
    #expect(names.map(\.0) == ["first", "second"] && names.allSatisfy { $0.1 == 0 && $0.2 })
    #expect(batch.resourceSpans[0].isDeferred)
}
