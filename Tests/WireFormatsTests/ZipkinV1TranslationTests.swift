import Diagnostics
import Testing
import TraceModel
@testable import WireFormats

// The rules of the Collector's zipkinv1 translator, case by case; the golden files
// (Tests/ComponentsTests/ZipkinGoldenTests.swift) hold whole batches.

private let traceHex = "7c3e5a91d2f04b6e8a1f09c3b5d7e214"
private let absentStartTime: UInt64 = 1_718_000_009_000_000_000

private func v1JSON(_ spansJSON: String, parseStringTags: Bool = false) throws(ZipkinDecodeError) -> TraceBatch {
    let options = ZipkinDecodeOptions(parseStringTags: parseStringTags, absentStartTimeUnixNano: absentStartTime)
    return try checkedDecode(.v1JSON, Array("[\(spansJSON)]".utf8), options: options)
}

/// A span with `members` after its ids and a timestamp.
private func v1Span(_ members: String) -> String {
    #"{"traceId":"\#(traceHex)","id":"9a4f1c2e7b3d5a60","name":"op","timestamp":1718000000000000"# + members + "}"
}

/// A span carrying these binary annotations, as string values.
private func v1Span(tags: [(String, String)]) -> String {
    let list = tags.map { #"{"key":"\#($0.0)","value":"\#($0.1)"}"# }.joined(separator: ",")
    return v1Span(#","binaryAnnotations":[\#(list)]"#)
}

private func only(_ batch: TraceBatch) throws -> Span {
    let all = spans(batch)
    try #require(all.count == 1)
    return all[0]
}

@Test func zipkinV1JSON_clientAndServerAnnotations_makeOneSpanWithTheFirstCoreAnnotationsKind() throws {
    let json = v1Span(#"""
        ,"annotations":[
          {"timestamp":1718000000000010,"value":"sr","endpoint":{"serviceName":"api","ipv4":"10.0.0.2","port":80}},
          {"timestamp":1718000000000000,"value":"cs","endpoint":{"serviceName":"web","ipv4":"10.0.0.1"}},
          {"timestamp":1718000000000020,"value":"retry","endpoint":{"serviceName":"web"}}]
        """#)
    let batch = try v1JSON(json)
    let span = try only(batch)
    #expect(span.kind == .server)
    #expect(span.events == [SpanEvent(timeUnixNano: 1_718_000_000_000_020_000, name: "retry")])
    #expect(batch.resourceSpans[0].resource.attributes == [
        KeyValue("service.name", .string("api")), KeyValue("ipv4", .string("10.0.0.2")), KeyValue("port", .string("80")),
    ])
}

@Test(arguments: [("cs", SpanKind.client), ("cr", .client), ("sr", .server), ("ss", .server), ("ms", .producer), ("mr", .consumer), ("ws", .unspecified)])
func zipkinV1JSON_kind_comesFromTheFirstCoreAnnotation(value: String, kind: SpanKind) throws {
    let json = v1Span(#","annotations":[{"timestamp":5,"value":"\#(value)"},{"timestamp":6,"value":"cr"}]"#)
    let expected: SpanKind = kind == .unspecified ? .client : kind
    #expect(try only(v1JSON(json)).kind == expected)
}

@Test func zipkinV1JSON_spanWithoutTimestamp_takesTheAnnotationsEarliestAndLatestTimes() throws {
    let json = #"{"traceId":"\#(traceHex)","id":"9a4f1c2e7b3d5a60","annotations":["#
        + #"{"timestamp":30,"value":"x"},{"timestamp":10,"value":"y"},{"timestamp":20,"value":"cs"}]}"#
    let span = try only(v1JSON(json))
    #expect(span.startTimeUnixNano == 10_000 && span.endTimeUnixNano == 30_000)
    #expect(span.attributes.isEmpty)
}

@Test func zipkinV1JSON_spanWithoutAnyTime_startsAndEndsAtTheDecodeTime_marked() throws {
    let json = #"{"traceId":"\#(traceHex)","id":"9a4f1c2e7b3d5a60","name":"op"}"#
    let span = try only(v1JSON(json))
    #expect(span.startTimeUnixNano == absentStartTime && span.endTimeUnixNano == absentStartTime)
    #expect(span.attributes == [KeyValue("otel.zipkin.absentField.startTime", .bool(true))])

    let before = WallClock.nowUnixNano()
    let clocked = spans(try checkedDecode(.v1JSON, Array("[\(json)]".utf8)))[0]
    #expect(clocked.startTimeUnixNano >= before && clocked.startTimeUnixNano <= WallClock.nowUnixNano())
}

@Test func zipkinV1Thrift_spanWithoutAnyTime_keepsZeroTimes_unmarked() throws {
    var w = ThriftTestWriter(.binary)
    w.listHeader(.struct, 1)
    w.structBody { s in
        s.i64Field(1, 7)
        s.i64Field(4, 9)
    }
    let span = try only(checkedDecode(.v1Thrift, w.bytes))
    #expect(span.startTimeUnixNano == 0 && span.endTimeUnixNano == 0 && span.attributes.isEmpty)
}

@Test func zipkinV1JSON_serviceFallsBack_toBinaryAnnotationEndpoints_thenLocalComponent_thenUnknown() throws {
    let named = v1Span(#","binaryAnnotations":[{"key":"sa","value":"1","endpoint":{"serviceName":"db"}},{"key":"lc","value":"jdbc"},{"key":"x","value":"y","endpoint":{"ipv4":"1.2.3.4"}}]"#)
    let local = v1Span(#","binaryAnnotations":[{"key":"lc","value":"jdbc"}]"#)
    let none = v1Span("")
    let batch = try v1JSON([named, local, none].joined(separator: ","))
    #expect(batch.resourceSpans.map(\.resource.attributes) == [
        [KeyValue("service.name", .string("db"))], [KeyValue("service.name", .string("jdbc"))],
        [KeyValue("service.name", .string("unknown-service"))],
    ])
    #expect(spans(batch)[0].attributes == [
        KeyValue("sa", .string("1")), KeyValue("component", .string("jdbc")), KeyValue("x", .string("y")),
    ])
}

@Test func zipkinV1JSON_addressAnnotationTrue_isABoolAttribute() throws {
    let json = v1Span(#","binaryAnnotations":[{"key":"ca","value":true,"endpoint":{"serviceName":"browser","ipv4":"10.9.9.9","port":50000}}]"#)
    #expect(try only(v1JSON(json)).attributes == [KeyValue("ca", .bool(true))])
}

@Test func zipkinV1JSON_binaryAnnotationNumber_isRefusedNamingTheField() {
    #expect {
        try v1JSON(v1Span(#","binaryAnnotations":[{"key":"n","value":12}]"#))
    } throws: { error in
        let text = String(describing: error)
        return text.contains("span 0") && text.contains("binaryAnnotations[0].value") && text.contains("must be a string")
    }
}

@Test func zipkinV1JSON_repeatedKey_keepsItsFirstPlace_andTheLastValue() throws {
    let span = try only(v1JSON(v1Span(tags: [("a", "1"), ("b", "2"), ("a", "3")])))
    #expect(span.attributes == [KeyValue("a", .string("3")), KeyValue("b", .string("2"))])
}

@Test func zipkinV1JSON_parseStringTags_typesTheValues() throws {
    let span = try only(v1JSON(v1Span(tags: [("i", "-12"), ("d", "1.5"), ("b", "false"), ("s", "1e3")]), parseStringTags: true))
    #expect(span.attributes == [
        KeyValue("i", .int(-12)), KeyValue("d", .double(1.5)), KeyValue("b", .bool(false)), KeyValue("s", .string("1e3")),
    ])
}

/// The cases of upstream's zipkinv1 status test: tags in, attributes and status out.
private let statusCases: [(tags: [(String, String)], attributes: [KeyValue], status: Status)] = [
    ([("otel.status_code", "2")], [], Status(code: .error)),
    ([("otel.status_description", "Forbidden")], [], Status()),
    ([("otel.status_code", "2"), ("otel.status_description", "Forbidden")], [], Status(code: .error, message: "Forbidden")),
    ([("http.status_code", "404"), ("http.status_message", "NotFound")],
     [KeyValue("http.status_code", .string("404")), KeyValue("http.status_message", .string("NotFound"))],
     Status(code: .error, message: "NotFound")),
    ([("http.status_code", "404"), ("http.status_message", "NotFound"), ("otel.status_code", "2"), ("otel.status_description", "Forbidden")],
     [KeyValue("http.status_code", .string("404")), KeyValue("http.status_message", .string("NotFound"))],
     Status(code: .error, message: "Forbidden")),
    ([("census.status_code", "10"), ("census.status_description", "RPCError")], [], Status(code: .error, message: "RPCError")),
    ([("census.status_code", "0"), ("opencensus.status_description", "fine")], [], Status(code: .ok, message: "fine")),
    ([("census.status_code", "10"), ("census.status_description", "RPCError"), ("http.status_code", "404"),
      ("otel.status_description", "Forbidden"), ("otel.status_code", "7")],
     [KeyValue("http.status_code", .string("404"))], Status(code: .error, message: "RPCError")),
    ([("otel.status_code", "7")], [], Status(code: StatusCode(rawValue: 7))),
    ([("otel.status_code", "ERROR")], [], Status()),
    ([("error", "boom"), ("otel.status_description", "why")], [], Status(code: .error, message: "why")),
    ([("error", "")], [], Status(code: .error)),
]

@Test(arguments: statusCases.indices)
func zipkinV1JSON_statusTags_giveTheCollectorsStatus(index: Int) throws {
    let c = statusCases[index]
    let span = try only(v1JSON(v1Span(tags: c.tags)))
    #expect(span.attributes == c.attributes)
    #expect(span.status == c.status)
}

@Test func zipkinV1_httpStatusCodes_giveUnsetBelow400_andErrorFrom400() throws {
    for code in 100...600 {
        let span = try only(v1JSON(v1Span(tags: [("http.status_code", String(code))])))
        #expect(span.status.code == (code < 400 ? .unset : .error), "\(code)")
    }
}

@Test func zipkinV1Thrift_typedStatusCodes_areNumbers() throws {
    func thriftSpan(_ key: String, _ value: [UInt8], type: Int32) -> [UInt8] {
        var w = ThriftTestWriter(.binary)
        w.listHeader(.struct, 1)
        w.structBody { s in
            s.i64Field(1, 7)
            s.i64Field(4, 9)
            s.structListField(8, count: 1) { a, _ in
                a.stringField(1, key)
                a.binaryField(2, value)
                a.i32Field(3, type)
            }
        }
        return w.bytes
    }
    #expect(try only(checkedDecode(.v1Thrift, thriftSpan("census.status_code", [0, 0, 0, 0, 0, 0, 0, 5], type: 4))).status == Status(code: .error))
    #expect(try only(checkedDecode(.v1Thrift, thriftSpan("otel.status_code", [0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], type: 4))).status == Status())
    let http = try only(checkedDecode(.v1Thrift, thriftSpan("http.status_code", [0, 0, 0x01, 0x94], type: 3)))
    #expect(http.status == Status(code: .error) && http.attributes == [KeyValue("http.status_code", .int(404))])
}

@Test func zipkinV1JSON_zeroOrMalformedIDs_areRefused() {
    for bad in [#""traceId":"00000000000000000000000000000000","id":"9a4f1c2e7b3d5a60""#, #""traceId":"abc","id":"9a4f1c2e7b3d5a60""#,
                #""traceId":"\#(traceHex)","id":"abc""#] {
        #expect(throws: ZipkinDecodeError.self) { try v1JSON("{\(bad)}") }
    }
}
