import Testing
import TraceModel
@testable import WireFormats

private func decodeError(_ bytes: [UInt8], limits: OTLPDecodeLimits = .init()) -> ProtoDecodeError? {
    do {
        _ = try OTLPProtoDecoder.decodeExportRequest(bytes, limits: limits)
        return nil
    } catch {
        return error
    }
}

@Test func protoDecoder_decodesMixedFixture_withUnknownFieldsAndField1000() throws {
    let result = try OTLPProtoDecoder.decodeExportRequest(try Fixture.bytes("request_mixed.binpb"))
    #expect(result.rejectedSpans == 0)
    #expect(result.rejectionMessage == "")
    let rs = try #require(result.batch.resourceSpans.first)
    #expect(rs.resource.attributes[key: "service.name"] == .string("checkout"))
    #expect(rs.scopeSpans.count == 2)
    #expect(rs.scopeSpans[1].scope.name == "old-lib")
    #expect(rs.scopeSpans[1].spans.first?.name == "legacy")
    let span = try #require(rs.scopeSpans[0].spans.first)
    #expect(span.traceID.hex == "0af7651916cd43dd8448eb211c80319c")
    #expect(span.kind == .server)
    #expect(span.flags == 0x301)
    #expect(span.status == Status(code: .error, message: "boom"))
    #expect(span.attributes[key: "empty"] == .empty)
    #expect(span.attributes[key: "neg"] == .int(-2))
    #expect(span.attributes[key: "nan"] == .double(.nan))
    #expect(rs.scopeSpans[0].spans[1].name == "SELECT é😀")
}

@Test func protoDecoder_acceptsEmptyBody_asEmptyRequest() throws {
    let result = try OTLPProtoDecoder.decodeExportRequest(try Fixture.bytes("request_empty.binpb"))
    #expect(result.batch == TraceBatch())
}

@Test func protoDecoder_reportsTruncatedVarint_withPathAndOffset() throws {
    var bytes = requestWithSpan()
    bytes += [0x10, 0x80]  // an unknown varint field (2) cut short at the top level
    let error = try #require(decodeError(bytes))
    #expect(error.reason == .truncatedVarint)
    #expect(error.offset == bytes.count - 1)
    #expect(error.description.contains("truncated varint"))
}

@Test func protoDecoder_reportsLengthPastEnd_naming_theField() throws {
    let bytes = requestWithSpan { span in span.bytes += [0x4A, 0x20, 0x0A] }  // attributes claims 32 bytes, 1 left
    let error = try #require(decodeError(bytes))
    #expect(error.description.contains("length 32 past end (1 bytes left)"))
    #expect(error.path == "resource_spans[0].scope_spans[0].spans[0].attributes[0]")
}

@Test func protoDecoder_rejectsKnownField_withWrongWireType() throws {
    let bytes = requestWithSpan { span in span.varint(1, 5) }  // trace_id as a varint
    let error = try #require(decodeError(bytes))
    #expect(error.reason == .wrongWireType(expected: 2, got: 0))
    #expect(error.path == "resource_spans[0].scope_spans[0].spans[0].trace_id")
    #expect(error.description.contains("wrong wire type 0 (VARINT) for known field, expected 2 (LEN)"))
}

@Test func protoDecoder_rejectsGroups_andInvalidWireTypes_andFieldZero() throws {
    #expect(try #require(decodeError([0x0B])).description.contains("group (wire type 3)"))
    #expect(try #require(decodeError([0x0C])).description.contains("group (wire type 4)"))
    #expect(try #require(decodeError([0x0E])).description.contains("invalid wire type 6"))
    #expect(try #require(decodeError([0x0F])).description.contains("invalid wire type 7"))
    #expect(try #require(decodeError([0x00, 0x00])).description.contains("field number 0"))
}

@Test func protoDecoder_rejectsInvalidUTF8_inStrings() throws {
    let bytes = requestWithSpan { span in span.len(5, [0xC3, 0x28]) }
    let error = try #require(decodeError(bytes))
    #expect(error.reason == .invalidUTF8)
    #expect(error.path.hasSuffix("spans[0].name"))
}

@Test func protoDecoder_rejectsSpan_whenTraceIDIs17Bytes() throws {
    var bytes = requestWithSpan(traceID: Array(repeating: 1, count: 17))
    bytes += requestWithSpan(spanID: [0, 0, 0, 0, 0, 0, 0, 0])  // a second resource_spans, zero span id
    bytes += requestWithSpan()
    let result = try OTLPProtoDecoder.decodeExportRequest(bytes)
    #expect(result.rejectedSpans == 2)
    #expect(result.batch.spanCount == 1)
    #expect(result.rejectionMessage == "2 spans rejected: resource_spans[0].scope_spans[0].spans[0]: trace_id must be 16 bytes, got 17")
}

@Test func protoDecoder_rejectsSpan_whenParentOrLinkIDsAreBad() throws {
    let badParent = requestWithSpan { span in span.len(4, [1, 2, 3]) }
    let parent = try OTLPProtoDecoder.decodeExportRequest(badParent)
    #expect(parent.rejectionMessage.hasSuffix("parent_span_id must be empty or 8 bytes, got 3"))
    let badLink = requestWithSpan { span in span.message(13) { link in link.len(1, Array(repeating: 0, count: 16)) } }
    let link = try OTLPProtoDecoder.decodeExportRequest(badLink)
    #expect(link.rejectedSpans == 1)
    #expect(link.rejectionMessage == "1 span rejected: resource_spans[0].scope_spans[0].spans[0]: links[0].trace_id must not be all zero")
}

@Test func protoDecoder_mergesRepeatedSubMessages_andLastScalarWins() throws {
    let bytes = requestWithSpan { span in
        span.message(15) { $0.string(2, "first") }
        span.message(15) { $0.varint(3, 2) }
        span.string(5, "renamed")
    }
    let span = try #require(try OTLPProtoDecoder.decodeExportRequest(bytes).batch.resourceSpans.first?.scopeSpans.first?.spans.first)
    #expect(span.status == Status(code: .error, message: "first"))
    #expect(span.name == "renamed")
}

@Test func protoDecoder_enforcesDepthLimit_onNestedValues() throws {
    let deep = SampleBatches.nestedKVList(depth: 10)
    let batch = TraceBatch(resourceSpans: [ResourceSpans(resource: Resource(attributes: [KeyValue("deep", deep)]))])
    let bytes = OTLPProtoEncoder.encodeExportRequest(batch)
    #expect(try OTLPProtoDecoder.decodeExportRequest(bytes, limits: .init(maxDepth: 11)).batch == batch)
    let error = try #require(decodeError(bytes, limits: .init(maxDepth: 8)))
    #expect(error.reason == .depthLimit(8))
    #expect(error.description.contains("nesting depth limit 8 exceeded"))
    #expect(error.path.hasPrefix("resource_spans[0].resource.attributes[0].value.kvlist_value.values[0].value"))
}
