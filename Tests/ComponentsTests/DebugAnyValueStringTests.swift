import Testing
import TraceModel
@testable import Components

private func asString(_ v: AnyValue) -> String { DebugTraceFormatter.anyValueString(v) }

/// Cases from upstream `pcommon/value_test.go` `TestValueAsString`.
@Test func anyValueString_matchesUpstreamValueTests() {
    #expect(asString(.string("string value")) == "string value")
    #expect(asString(.int(42)) == "42")
    #expect(asString(.double(1.61803399)) == "1.61803399")
    #expect(asString(.double(0.000000009)) == "9e-9")
    #expect(asString(.double(.infinity)) == "json: unsupported value: +Inf")
    #expect(asString(.bool(true)) == "true")
    #expect(asString(.kvlist([])) == "{}")
    #expect(asString(.array([])) == "[]")
    #expect(asString(.empty) == "")
    #expect(asString(.bytes(Array("String bytes".utf8))) == "U3RyaW5nIGJ5dGVz")
    let map: AnyValue = .kvlist([
        KeyValue("strKey", .string("strVal")), KeyValue("intKey", .int(7)), KeyValue("floatKey", .double(18.6)),
        KeyValue("boolKey", .bool(false)), KeyValue("nullKey", .empty),
        KeyValue("mapKey", .kvlist([KeyValue("keyOne", .string("valOne")), KeyValue("keyTwo", .string("valTwo"))])),
        KeyValue("arrKey", .array([.string("strOne"), .string("strTwo")])),
    ])
    #expect(asString(map) == #"{"arrKey":["strOne","strTwo"],"boolKey":false,"floatKey":18.6,"intKey":7,"mapKey":{"keyOne":"valOne","keyTwo":"valTwo"},"nullKey":null,"strKey":"strVal"}"#)
    #expect(asString(.array([.string("strVal"), .int(7), .double(18.6), .bool(false), .empty])) == #"["strVal",7,18.6,false,null]"#)
    #expect(asString(.kvlist([KeyValue("key", .string("<b>html&value</b>"))])) == #"{"key":"<b>html&value</b>"}"#)
}

@Test func anyValueString_doubles_useES6Layout() {
    #expect(asString(.double(0)) == "0")
    #expect(asString(.double(-0.0)) == "-0")
    #expect(asString(.double(100)) == "100")
    #expect(asString(.double(-2.5)) == "-2.5")
    #expect(asString(.double(0.1 + 0.2)) == "0.30000000000000004")
    #expect(asString(.double(1e20)) == "100000000000000000000")
    #expect(asString(.double(1e21)) == "1e+21")
    #expect(asString(.double(1.5e300)) == "1.5e+300")
    #expect(asString(.double(1e-6)) == "0.000001")
    #expect(asString(.double(1.5e-6)) == "0.0000015")
    #expect(asString(.double(9.99e-7)) == "9.99e-7")
    #expect(asString(.double(1e-10)) == "1e-10")
    #expect(asString(.double(.leastNonzeroMagnitude)) == "5e-324")
    #expect(asString(.double(.greatestFiniteMagnitude)) == "1.7976931348623157e+308")
    #expect(asString(.double(.nan)) == "json: unsupported value: NaN")
    #expect(asString(.double(-.infinity)) == "json: unsupported value: -Inf")
}

@Test func anyValueString_ints_andBase64Padding() {
    #expect(asString(.int(.min)) == "-9223372036854775808")
    #expect(asString(.int(.max)) == "9223372036854775807")
    #expect(asString(.bytes([])) == "")
    #expect(asString(.bytes([0x66])) == "Zg==")
    #expect(asString(.bytes([0x66, 0x6f])) == "Zm8=")
    #expect(asString(.bytes([0x66, 0x6f, 0x6f])) == "Zm9v")
}

@Test func anyValueString_json_escapesLikeGo() {
    #expect(asString(.array([.string("q\"b\\s/")])) == #"["q\"b\\s/"]"#)
    #expect(asString(.array([.string("\u{08}\u{0C}\n\r\t\u{01}\u{1F}\u{7F}")])) == "[\"\\b\\f\\n\\r\\t\\u0001\\u001f\u{7F}\"]")
    #expect(asString(.array([.string("\u{2028}\u{2029}é😀")])) == "[\"\\u2028\\u2029é😀\"]")
}

@Test func anyValueString_json_sortsKeysBytewise_lastDuplicateWins() {
    let v: AnyValue = .kvlist([
        KeyValue("b", .int(1)), KeyValue("B", .int(2)), KeyValue("a", .int(3)), KeyValue("b", .int(4)), KeyValue("é", .int(5)),
    ])
    #expect(asString(v) == #"{"B":2,"a":3,"b":4,"é":5}"#)
}

@Test func anyValueString_json_nonFiniteAnywhere_givesEmpty() {
    #expect(asString(.array([.int(1), .array([.double(.infinity)])])) == "")
    #expect(asString(.kvlist([KeyValue("k", .kvlist([KeyValue("n", .double(.nan))]))])) == "")
}

@Test func anyValueString_json_bytes() {
    #expect(asString(.array([.bytes([0xff]), .bytes([])])) == #"["/w==",null]"#)
}

@Test func goTime_formatsLikeTimeString() {
    func time(_ ns: UInt64) -> String {
        var out = ""
        GoFormatting.appendTime(unixNano: ns, to: &out)
        return out
    }
    #expect(time(0) == "1970-01-01 00:00:00 +0000 UTC")
    #expect(time(1_581_452_772_000_000_321) == "2020-02-11 20:26:12.000000321 +0000 UTC")
    #expect(time(1_700_000_000_500_000_000) == "2023-11-14 22:13:20.5 +0000 UTC")
    #expect(time(1_700_000_000_000_000_010) == "2023-11-14 22:13:20.00000001 +0000 UTC")
    #expect(time(951_782_400_000_000_000) == "2000-02-29 00:00:00 +0000 UTC")
}

@Test func goFormatFloat_shortestLayouts() {
    #expect(GoFormatting.formatFloat(.nan, "g") == "NaN")
    #expect(GoFormatting.formatFloat(.infinity, "g") == "+Inf")
    #expect(GoFormatting.formatFloat(1e-7, "e") == "1e-07")
    #expect(GoFormatting.formatFloat(123.456, "e") == "1.23456e+02")
    #expect(GoFormatting.formatFloat(123.456, "f") == "123.456")
    #expect(GoFormatting.formatFloat(1e6, "g") == "1e+06")
    #expect(GoFormatting.formatFloat(123456, "g") == "123456")
    #expect(GoFormatting.formatFloat(0.0001, "g") == "0.0001")
    #expect(GoFormatting.formatFloat(0.00001, "g") == "1e-05")
    #expect(GoFormatting.formatFloat(-0.0, "g") == "-0")
}
