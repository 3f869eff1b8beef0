import Diagnostics
import Foundation
import Testing
import TraceModel
@testable import WireFormats

private func zipkinFixture(_ name: String) throws -> [UInt8] { try Fixture.bytes(name, in: "zipkin") }

/// Decodes, and checks what every decode here must hold: the OTLP bytes the translation wrote
/// are the encoder's own for the model decoded from them.
func checkedDecode(_ format: ZipkinFormat, _ bytes: [UInt8], options: ZipkinDecodeOptions = .init()) throws(ZipkinDecodeError) -> TraceBatch {
    let batch = try ZipkinDecoder.decode(format, bytes, options: options)
    #expect(batch.resourceSpans.allSatisfy { $0.encoded != nil && $0.isDeferred })
    #expect(OTLPProtoEncoder.encodingsMatchModels(batch))
    return batch
}

func spans(_ batch: TraceBatch) -> [Span] {
    batch.resourceSpans.flatMap { $0.scopeSpans.flatMap(\.spans) }
}

private func v2(_ json: String, parseStringTags: Bool = false) throws(ZipkinDecodeError) -> TraceBatch {
    try checkedDecode(.v2JSON, Array(json.utf8), options: ZipkinDecodeOptions(parseStringTags: parseStringTags))
}

/// The error a body gives; fails the test when it decodes.
private func v2Error(_ json: String, sourceLocation: SourceLocation = #_sourceLocation) -> ZipkinDecodeError? {
    do throws(ZipkinDecodeError) {
        _ = try v2(json)
        Issue.record("decoded, expected an error: \(json.prefix(200))", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}

private let traceHex = "7c3e5a91d2f04b6e8a1f09c3b5d7e214"

private func span(_ members: String) -> String {
    #"{"traceId":"\#(traceHex)","id":"9a4f1c2e7b3d5a60","name":"op","timestamp":1718000000000000,"duration":5"# + members + "}"
}

// MARK: - The Istio example of wire-formats.md §10

@Test func zipkinIstioExample_translatesToTheStatedResult() throws {
    let batch = try checkedDecode(.v2JSON, try zipkinFixture("istio_v2.json"))
    #expect(batch.resourceSpans.map { $0.resource.attributes } == [
        [KeyValue("service.name", .string("productpage.bookinfo"))], [KeyValue("service.name", .string("reviews.bookinfo"))],
    ])
    let all = spans(batch)
    try #require(all.count == 2)
    let (client, server) = (all[0], all[1])
    #expect(client.kind == .client && server.kind == .server)
    #expect(client.traceID.hex == traceHex && server.traceID.hex == traceHex)
    #expect(client.spanID.hex == "9a4f1c2e7b3d5a60" && client.parentSpanID.hex == "c1d2e3f4a5b6c7d8")
    #expect(server.spanID.hex == "3e8b7d1f0c2a9b45" && server.parentSpanID.hex == "9a4f1c2e7b3d5a60")
    #expect(client.startTimeUnixNano == 1_718_000_000_123_456_000 && client.endTimeUnixNano == 1_718_000_000_141_877_000)
    #expect(server.startTimeUnixNano == 1_718_000_000_125_031_000 && server.endTimeUnixNano == 1_718_000_000_140_238_000)
    #expect(client.events == [SpanEvent(timeUnixNano: 1_718_000_000_141_877_000, name: "cr")])
    #expect(server.events == [SpanEvent(timeUnixNano: 1_718_000_000_140_238_000, name: "ss")])
    #expect(client.attributes[key: "net.host.ip"] == .string("10.244.1.12"))
    #expect(server.attributes[key: "net.host.ip"] == .string("10.244.1.17"))
    for s in all {
        #expect(s.attributes[key: "net.host.port"] == nil, "port 0 gives no attribute")
        #expect(s.status == Status())
        #expect(s.attributes[key: "http.status_code"] == .string("200"))
        #expect(s.attributes[key: "component"] == .string("proxy"))
        #expect(s.links.isEmpty && s.traceState.isEmpty)
    }
    // Every tag is an attribute (none is special), plus net.host.ip.
    #expect(client.attributes.count == 21 && server.attributes.count == 22)
}

@Test func zipkinIstioExample_withParseStringTags_typesNumbers() throws {
    let options = ZipkinDecodeOptions(parseStringTags: true)
    let all = spans(try checkedDecode(.v2JSON, try zipkinFixture("istio_v2.json"), options: options))
    #expect(all[0].attributes[key: "http.status_code"] == .int(200))
    #expect(all[0].attributes[key: "response_size"] == .int(358))
    #expect(all[0].attributes[key: "response_flags"] == .string("-"))
    #expect(all[0].attributes[key: "http.protocol"] == .string("HTTP/1.1"))
}

// MARK: - Translation rules

@Test func zipkinTranslation_idsPadding_parentEqualToID_andAbsentTimestamp() throws {
    let batch = try v2("[" + [
        #"{"traceId":"a3ce929d0e0e4736","id":"1111111111111111","parentId":"1111111111111111","duration":3}"#,
        #"{"traceId":"A3CE929D0E0E4736A3CE929D0E0E4736","id":"00000000000000FF","parentId":"","timestamp":0}"#,
    ].joined(separator: ",") + "]")
    let all = spans(batch)
    #expect(all[0].traceID == TraceID(high: 0, low: 0xa3ce_929d_0e0e_4736))
    #expect(all[0].parentSpanID.isZero, "a parentId equal to the id is dropped")
    #expect(all[0].startTimeUnixNano == 0 && all[0].endTimeUnixNano == 3000)
    #expect(all[0].attributes == [KeyValue("otel.zipkin.absentField.startTime", .bool(true))])
    #expect(all[1].traceID == TraceID(high: 0xa3ce_929d_0e0e_4736, low: 0xa3ce_929d_0e0e_4736) && all[1].spanID == SpanID(255))
    #expect(all[1].attributes[key: "otel.zipkin.absentField.startTime"] == .bool(true), "timestamp 0 is absent in JSON")
    #expect(batch.resourceSpans.count == 1 && batch.resourceSpans[0].resource.attributes.isEmpty, "no service: empty resource")
}

@Test func zipkinTranslation_statusRules() throws {
    func status(_ tags: String) throws -> (Status, [KeyValue]) {
        let s = spans(try v2("[" + span(#","tags":{"# + tags + "}") + "]"))[0]
        return (s.status, s.attributes)
    }
    #expect(try status(#""otel.status_code":"OK""#).0 == Status(), "only the recognised spellings count")
    #expect(try status(#""otel.status_code":"Error","otel.status_description":"boom""#).0 == Status(code: .error, message: "boom"))
    let (described, kept) = try status(#""otel.status_description":"alone""#)
    #expect(described == Status() && kept == [KeyValue("otel.status_description", .string("alone"))])
    let (errorTrue, noAttributes) = try status(#""error":"true""#)
    #expect(errorTrue.code == .error && noAttributes.isEmpty)
    let (errorText, errorKept) = try status(#""error":"timeout","otel.status_code":"STATUS_CODE_OK""#)
    #expect(errorText.code == .error && errorKept == [KeyValue("error", .string("timeout"))])
}

@Test func zipkinTranslation_kindsScopeTraceStateAndResourceTags() throws {
    let batch = try v2("[" + [
        span(#","kind":"CONSUMER","localEndpoint":{"serviceName":"svc"},"tags":{"span.kind":"internal","w3c.tracestate":"a=1","otel.library.name":"lib","otel.library.version":"1","host.name":"h1"}"#),
        span(#","localEndpoint":{"serviceName":"svc"},"tags":{"span.kind":"internal","otel.scope.name":"lib","otel.scope.version":"2","host.name":"h2"}"#),
        span(#","localEndpoint":{"serviceName":"svc"},"tags":{"span.kind":"client","otlp.service.name.source":"app.name"}"#),
    ].joined(separator: ",") + "]")
    #expect(batch.resourceSpans.count == 1)
    let resource = batch.resourceSpans[0]
    // The group's first span after sorting (scope "" first) gives the resource: its
    // otlp.service.name.source names the key; the other spans' resource tags are dropped.
    #expect(resource.resource.attributes == [KeyValue("app.name", .string("svc"))])
    // Sorted by scope name: "" before "lib"; the "lib" group takes its version from its first span.
    #expect(resource.scopeSpans.map(\.scope.name) == ["", "lib"])
    #expect(resource.scopeSpans[1].scope.version == "1")
    let all = resource.scopeSpans.flatMap(\.spans)
    #expect(all.map(\.kind) == [.unspecified, .consumer, .internal])
    #expect(all[1].attributes == [KeyValue("span.kind", .string("internal"))], "span.kind stays when kind is set")
    #expect(all[1].traceState == "a=1")
    #expect(all[0].attributes.isEmpty, "otlp.service.name.source is never a span attribute")
}

@Test func zipkinTranslation_endpointsAndEvents() throws {
    let s = spans(try v2("[" + span(#"""
        ,"localEndpoint":{"serviceName":"a","ipv4":"10.0.0.1","ipv6":"2001:0db8:0000:0000:0000:0000:0000:0001","port":80},
        "remoteEndpoint":{"serviceName":"b","ipv4":"::ffff:1.2.3.4","port":65535},
        "annotations":[{"timestamp":1,"value":"a|b"},{"timestamp":2,"value":"ev|{\"n\":1.0,\"d\":1.5,\"s\":\"x\",\"z\":null}|7"}],
        "tags":{"net.peer.port":"tag value replaced"}
        """#) + "]"))[0]
    #expect(s.attributes == [
        KeyValue("net.peer.port", .int(65535)), KeyValue("net.host.ip", .string("2001:db8::1")), KeyValue("net.host.port", .int(80)),
        KeyValue("peer.service", .string("b")), KeyValue("net.peer.ip", .string("1.2.3.4")),
    ])
    #expect(s.events == [
        SpanEvent(timeUnixNano: 1000, name: "a"),
        SpanEvent(timeUnixNano: 2000, name: "ev", attributes: [KeyValue("n", .int(1)), KeyValue("d", .double(1.5)), KeyValue("s", .string("x"))],
                  droppedAttributesCount: 7),
    ])
}

@Test func zipkinTypedTags_followUpstreamPatterns() {
    let cases: [(String, AnyValue)] = [
        ("-12", .int(-12)), ("007", .int(7)), ("99999999999999999999", .int(.max)), ("-99999999999999999999", .int(.min)),
        ("1.5", .double(1.5)), ("-0.25", .double(-0.25)), ("1.", .string("1.")), (".5", .string(".5")), ("1e5", .string("1e5")),
        ("true", .bool(true)), ("false", .bool(false)), ("True", .string("True")), ("", .string("")), ("-", .string("-")),
        (#"{"a":1}"#, .string(#"{"a":1}"#)), ("１２", .string("１２")),
    ]
    for (text, expected) in cases { #expect(ZipkinTags.typedValue(text) == expected, "\(text)") }
}

@Test func zipkinIPAddressText_printsAsGo() {
    func roundTrip(_ text: String) -> String? {
        var t = text
        return t.withUTF8 { IPAddressText.parse(UnsafeRawBufferPointer($0)) }.map { IPAddressText.format($0) }
    }
    #expect(roundTrip("10.244.1.12") == "10.244.1.12")
    #expect(roundTrip("2001:DB8:0:0:1:0:0:1") == "2001:db8::1:0:0:1")
    #expect(roundTrip("::") == "::" && roundTrip("::1") == "::1" && roundTrip("1::") == "1::")
    #expect(roundTrip("::ffff:192.0.2.1") == "192.0.2.1")
    #expect(roundTrip("52.0.0.04") == "52.0.0.4" && roundTrip("256.1.1.1") == nil && roundTrip("1.2.3.0004") == nil)
    #expect(roundTrip("fe80::1%eth0") == nil && roundTrip("1.2.3") == nil && roundTrip("1.2.3.4.") == nil && roundTrip("") == nil)
    #expect(IPAddressText.format(packedIPv4: Int32(bitPattern: 0xC0A8_0001)) == "192.168.0.1")
    #expect(IPAddressText.format([1, 2, 3]) == "?010203")
}

// MARK: - The forms v2 encodings share, and v1

@Test func zipkinProto_accepts8ByteTraceIDs_andPadsThem() throws {
    let batch = try checkedDecode(.v2Proto, try zipkinFixture("envoy_64bit.binpb"))
    #expect(spans(batch)[0].traceID == TraceID(high: 0, low: 0x9b7e_e1b7_d47e_6ee4))
    #expect(try batch == checkedDecode(.v2JSON, try zipkinFixture("envoy_64bit.json")))
}

@Test func zipkinV1_jsonAndThriftOfTheSameSpans_decodeToEqualBatches() throws {
    #expect(try checkedDecode(.v1JSON, try zipkinFixture("v1_rpc.json")) == checkedDecode(.v1Thrift, try zipkinFixture("v1_rpc.thrift")))
    #expect(try checkedDecode(.v2JSON, try zipkinFixture("v2_spans.json")) == checkedDecode(.v2Proto, try zipkinFixture("v2_spans.binpb")))
}

// MARK: - Bad input: an error naming the span and the field, never a trap

@Test func zipkinBadInput_namesTheSpanAndTheField() throws {
    let good = span("")
    func expectError(_ json: String, span index: Int?, field: String, reason: String, sourceLocation: SourceLocation = #_sourceLocation) {
        guard let error = v2Error(json, sourceLocation: sourceLocation) else { return }
        #expect(error.spanIndex == index, "\(error)", sourceLocation: sourceLocation)
        #expect(error.field == field, "\(error)", sourceLocation: sourceLocation)
        #expect(error.reason.contains(reason), "\(error)", sourceLocation: sourceLocation)
        #expect(error.description.hasPrefix("invalid Zipkin v2 JSON"), "\(error)", sourceLocation: sourceLocation)
    }
    let traceID31 = String(traceHex.dropFirst())
    expectError("[\(good),{\"traceId\":\"\(traceID31)\",\"id\":\"9a4f1c2e7b3d5a60\"}]", span: 1, field: "traceId", reason: "got 31")
    expectError("[\(good),\(good),\(span(#","duration":-5"#))]", span: 2, field: "duration", reason: "negative")
    expectError("[\(span(#","name":5"#))]", span: 0, field: "name", reason: "expected '\"'")
    expectError("[\(span(#","tags":{"a":1}"#))]", span: 0, field: "tags.a", reason: "expected '\"'")
    expectError("[\(span(#","tags":[]"#))]", span: 0, field: "tags", reason: "expected '{'")
    expectError("[\(span(#","timestamp":1.5"#))]", span: 0, field: "timestamp", reason: "integer")
    expectError("[\(span(#","annotations":[{"timestamp":0,"value":"x"}]"#))]", span: 0, field: "annotations[0].timestamp", reason: "at least 1")
    expectError("[\(span(#","localEndpoint":{"ipv4":"10.0.0.256"}"#))]", span: 0, field: "localEndpoint.ipv4", reason: "not an IP address")
    expectError("[\(span(#","remoteEndpoint":{"port":70000}"#))]", span: 0, field: "remoteEndpoint.port", reason: "port number")
    expectError("[\(span(#","annotations":[{"timestamp":1,"value":"e|{bad json}|1"}]"#))]", span: 0, field: "annotations[0]", reason: "quoted key")
    expectError("[{\"traceId\":\"\(traceHex)\"}]", span: 0, field: "id", reason: "required")
    expectError("[{\"id\":\"9a4f1c2e7b3d5a60\"}]", span: 0, field: "traceId", reason: "required")
    expectError("[{\"traceId\":\"\(traceHex)\",\"id\":\"0000000000000000\"}]", span: 0, field: "id", reason: "zeros")
    expectError("[{\"traceId\":\"\(traceHex)\",\"id\":\"9a4f1c2e7b3d5a6g\"}]", span: 0, field: "id", reason: "not hex")
    expectError("[\(good)", span: nil, field: "", reason: "unexpected end")
    expectError("[\(good)] x", span: nil, field: "", reason: "trailing")
    expectError("", span: nil, field: "", reason: "empty body")
    expectError("{}", span: nil, field: "", reason: "expected '['")
}

@Test func zipkinBadInput_invalidUTF8_deepNesting_andHugeStrings() throws {
    var invalid = Array("[\(span(#","name":"ab"#))]".utf8)
    let at = invalid.firstIndex(of: UInt8(ascii: "b"))!
    invalid[at] = 0xFF
    #expect(throws: ZipkinDecodeError.self) { try checkedDecode(.v2JSON, invalid) }

    let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
    let depthError = v2Error("[\(span(",\"extra\":" + deep))]")
    #expect(depthError?.reason.contains("depth") == true, "\(String(describing: depthError))")
    #expect(v2Error(String(repeating: "[", count: 100_000)) != nil)

    let huge = String(repeating: "a", count: 50 * 1024 * 1024)
    let hugeError = v2Error("[{\"traceId\":\"\(huge)\",\"id\":\"9a4f1c2e7b3d5a60\"}]")
    #expect(hugeError?.field == "traceId" && hugeError?.reason.contains("got 52428800") == true)
}

@Test func zipkinBadInput_protoAndThriftGarbage_giveErrors() throws {
    var span = ProtoBytes()
    span.len(1, Array(repeating: 1, count: 12))
    span.len(3, Array(repeating: 2, count: 8))
    var list = ProtoBytes()
    list.len(1, span.bytes)
    #expect(throws: ZipkinDecodeError.self) { try checkedDecode(.v2Proto, list.bytes) }
    do throws(ZipkinDecodeError) {
        _ = try checkedDecode(.v2Proto, list.bytes)
    } catch {
        #expect(error.spanIndex == 0 && error.field == "trace_id" && error.reason.contains("got 12"), "\(error)")
    }
    for garbage: [UInt8] in [[0x0A, 0xFF, 0xFF], [0xFF], [0x0A, 0x02, 0x08], Array("[{\"traceId\":1}]".utf8)] {
        #expect(throws: ZipkinDecodeError.self) { try checkedDecode(.v2Proto, garbage) }
        #expect(throws: ZipkinDecodeError.self) { try checkedDecode(.v1Thrift, garbage) }
    }
    // A list header claiming more spans than the bytes can hold.
    #expect(throws: ZipkinDecodeError.self) { try checkedDecode(.v1Thrift, [12, 0x7F, 0xFF, 0xFF, 0xFF]) }
}

@Test(arguments: ["istio_v2.json", "v2_spans.json", "v2_spans.binpb", "v2_json_only.json", "v1_rpc.json", "v1_rpc.thrift"])
func zipkinDecoders_neverTrap_onTruncatedOrFlippedFixtures(name: String) throws {
    let bytes = try zipkinFixture(name)
    let decode: ([UInt8]) throws -> TraceBatch = switch (name.hasPrefix("v1_"), name.hasSuffix(".json")) {
    case (true, true): { try checkedDecode(.v1JSON, $0) }
    case (true, false): { try checkedDecode(.v1Thrift, $0) }
    case (false, true): { try checkedDecode(.v2JSON, $0) }
    case (false, false): { try checkedDecode(.v2Proto, $0) }
    }
    #expect(throws: Never.self) { _ = try decode(bytes) }
    for cut in 0..<bytes.count { _ = try? decode(Array(bytes[..<cut])) }
    var generator = SystemRandomNumberGenerator()
    for _ in 0..<2000 {
        var mutated = bytes
        mutated[Int.random(in: 0..<mutated.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
        _ = try? decode(mutated)
    }
}

/// A tags object of plain string members is read in one pass; escapes, `null` members, other
/// whitespace and repeated keys or `tags` members read member by member, to the same attributes.
@Test func zipkinTags_readTheSame_plainOrNot() throws {
    func attributes(_ members: String) throws -> [KeyValue] { spans(try v2("[" + span(members) + "]"))[0].attributes }
    let expected = [KeyValue("a", .string("3")), KeyValue("b", .string("2"))]
    #expect(try attributes(#","tags":{"a":"1","b":"2","a":"3"}"#) == expected)
    #expect(try attributes(#","tags":{"a":"1","\u0062":"2","a":"3"}"#) == expected)
    #expect(try attributes(#","tags":{"a":"1","b":"\u0032","a":"3"}"#) == expected)
    #expect(try attributes(#","tags":{"a":"1","n":null,"b":"2","a":"3"}"#) == expected)
    #expect(try attributes(#","tags": { "a" : "1" ,"b":"2",\#t\#n"a":"3" } "#) == expected)
    #expect(try attributes(#","tags":{"a":"1","b":"2"},"tags":{"a":"3"}"#) == expected)
    #expect(try attributes(#","tags":{}"#) == [])
    #expect(try attributes(#","tags":{"é":"ü"}"#) == [KeyValue("é", .string("ü"))])
    let notString = v2Error("[" + span(#","tags":{"a":"1","b":2}"#) + "]")
    #expect(notString?.field == "tags.b" && notString?.reason.contains("expected '\"'") == true, "\(String(describing: notString))")
    let noComma = v2Error("[" + span(#","tags":{"a":"1" "b":"2"}"#) + "]")
    #expect(noComma?.field == "tags" && noComma?.reason.contains("',' or '}'") == true, "\(String(describing: noComma))")
}
