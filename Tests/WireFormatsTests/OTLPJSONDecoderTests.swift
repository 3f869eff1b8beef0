import Testing
import TraceModel
@testable import WireFormats

private func decode(_ text: String, limits: OTLPDecodeLimits = .init()) throws(JSONDecodeError) -> OTLPDecodeResult {
    try OTLPJSONDecoder.decodeExportRequest(Array(text.utf8), limits: limits)
}

private func decodeError(_ text: String, limits: OTLPDecodeLimits = .init()) -> JSONDecodeError? {
    do {
        _ = try decode(text, limits: limits)
        return nil
    } catch {
        return error
    }
}

private func spanJSON(_ members: String) -> String {
    #"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0102030405060708","#
        + members + "}]}]}]}"
}

@Test func jsonDecoder_readsSpecValues_inAllAcceptedForms() throws {
    let text = spanJSON(#""name":"a\"b\\c\/\u00e9\ud83d\ude00\n","kind":"SPAN_KIND_CLIENT","start_time_unix_nano":1e3,"#
        + #""endTimeUnixNano":"2000","flags":"7","status":{"code":2},"attributes":[{"key":"d","value":{"doubleValue":"2.5"}},"#
        + #"{"key":"b","value":{"bytesValue":"-_8"}},{"key":"i","value":{"intValue":"-9223372036854775808"}},"#
        + #"{"key":"dup","value":{"stringValue":"x","boolValue":true}}],"unknown":[{"a":[null,true,1.5e-3]}],"droppedLinksCount":null"#)
    let span = try #require(try decode(text).batch.resourceSpans.first?.scopeSpans.first?.spans.first)
    #expect(span.name == "a\"b\\c/é😀\n")
    #expect(span.kind == .client)
    #expect(span.startTimeUnixNano == 1000)
    #expect(span.endTimeUnixNano == 2000)
    #expect(span.flags == 7)
    #expect(span.status.code == .error)
    #expect(span.attributes[key: "d"] == .double(2.5))
    #expect(span.attributes[key: "b"] == .bytes([0xFB, 0xFF]))
    #expect(span.attributes[key: "i"] == .int(.min))
    #expect(span.attributes[key: "dup"] == .bool(true))
}

@Test func jsonDecoder_rejectsSpan_whenIDHasInvalidHex() throws {
    let text = #"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"zz02030405060708090a0b0c0d0e0f10","spanId":"0102030405060708"}]}]}]}"#
    let result = try decode(text)
    #expect(result.rejectedSpans == 1)
    #expect(result.batch.spanCount == 0)
    #expect(result.rejectionMessage == "1 span rejected: resource_spans[0].scope_spans[0].spans[0]: trace_id is not valid hex")
}

@Test func jsonDecoder_rejectsSpan_whenTraceIDIs17Bytes() throws {
    let text = #"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0102030405060708090a0b0c0d0e0f1011","spanId":"0102030405060708"}]}]}]}"#
    #expect(try decode(text).rejectionMessage.hasSuffix("trace_id must be 16 bytes, got 17"))
}

@Test func jsonDecoder_throws_onEmptyBody() throws {
    let error = try #require(decodeError("  \n"))
    #expect(error.reason == .emptyBody)
    #expect(error.description.contains("empty body"))
}

@Test func jsonDecoder_throws_onTrailingGarbage() throws {
    let error = try #require(decodeError(#"{"resourceSpans":[]} x"#))
    #expect(error.reason == .trailingGarbage)
    #expect(error.offset == 21)
}

@Test func jsonDecoder_throws_onUnknownEnumName_withKeyPath() throws {
    let error = try #require(decodeError(spanJSON(#""kind":"SPAN_KIND_BOGUS""#)))
    #expect(error.reason == .unknownEnumName("SPAN_KIND_BOGUS"))
    #expect(error.path == "resourceSpans[0].scopeSpans[0].spans[0].kind")
    #expect(error.description.contains(#"unknown enum name "SPAN_KIND_BOGUS""#))
}

@Test func jsonDecoder_throws_onBadStringsAndNumbers() throws {
    #expect(try #require(decodeError(spanJSON(#""name":"\ud800x""#))).reason == .invalidEscape)
    #expect(try #require(decodeError(spanJSON("\"name\":\"a\u{1}\""))).reason == .controlCharacterInString)
    #expect(try #require(decodeError(spanJSON(#""flags":4294967296"#))).reason == .numberOutOfRange(type: "uint32"))
    #expect(try #require(decodeError(spanJSON(#""flags":01"#))).description.contains("expected ',' or '}'"))
    #expect(try #require(decodeError(spanJSON(#""attributes":[{"key":"b","value":{"bytesValue":"a"}}]"#))).reason == .invalidBase64)
    #expect(try #require(decodeError(#"{"resourceSpans":[{"#)).reason == .unexpectedEnd)
}

@Test func jsonDecoder_enforcesDepthLimit_onValuesAndSkippedKeys() throws {
    let deep = SampleBatches.nestedKVList(depth: 10)
    let batch = TraceBatch(resourceSpans: [ResourceSpans(resource: Resource(attributes: [KeyValue("deep", deep)]))])
    let text = String(decoding: OTLPJSONEncoder.encodeExportRequest(batch), as: UTF8.self)
    #expect(try decode(text, limits: .init(maxDepth: 11)).batch == batch)
    let error = try #require(decodeError(text, limits: .init(maxDepth: 8)))
    #expect(error.reason == .depthLimit(8))
    #expect(error.description.contains("nesting depth limit 8 exceeded"))
    #expect(error.path.hasPrefix("resourceSpans[0].resource.attributes[0].value.kvlistValue.values[0]"))
    let skipped = #"{"unknown":"# + String(repeating: "[", count: 100) + String(repeating: "]", count: 100) + "}"
    #expect(try #require(decodeError(skipped)).reason == .depthLimit(64))
}

@Test func jsonEncoder_writesLowercaseHex_stringInt64_andNonFiniteStrings() {
    let span = Span(traceID: TraceID(high: 0xABCD, low: 1), spanID: SpanID(0xEF), name: "n", startTimeUnixNano: 12,
                    attributes: [KeyValue("n", .double(.nan)), KeyValue("i", .double(-.infinity)), KeyValue("f", .double(0.1)),
                                 KeyValue("e", .empty), KeyValue("b", .bytes([0xFB, 0xFF]))])
    let batch = TraceBatch(resourceSpans: [ResourceSpans(scopeSpans: [ScopeSpans(spans: [span])])])
    let text = String(decoding: OTLPJSONEncoder.encodeExportRequest(batch), as: UTF8.self)
    #expect(text.contains(#""traceId":"000000000000abcd0000000000000001","spanId":"00000000000000ef""#))
    #expect(text.contains(#""startTimeUnixNano":"12""#))
    #expect(text.contains(#"{"doubleValue":"NaN"}"#))
    #expect(text.contains(#"{"doubleValue":"-Infinity"}"#))
    #expect(text.contains(#"{"doubleValue":0.1}"#))
    #expect(text.contains(#"{"key":"e","value":{}}"#))
    #expect(text.contains(#"{"bytesValue":"+/8="}"#))
}
