import Foundation
import TraceModel
@testable import WireFormats

/// Builds protobuf bytes by hand for fixtures that need exact control over the wire.
struct ProtoBytes {
    var bytes: [UInt8] = []

    static func varint(_ value: UInt64) -> [UInt8] {
        var v = value
        var out: [UInt8] = []
        while v >= 0x80 {
            out.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
        return out
    }

    mutating func tag(_ field: UInt64, _ wireType: UInt64) { bytes += Self.varint(field << 3 | wireType) }
    mutating func varint(_ field: UInt64, _ value: UInt64) { tag(field, 0); bytes += Self.varint(value) }
    mutating func fixed64(_ field: UInt64, _ value: UInt64) { tag(field, 1); withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
    mutating func fixed32(_ field: UInt64, _ value: UInt32) { tag(field, 5); withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
    mutating func len(_ field: UInt64, _ payload: [UInt8]) { tag(field, 2); bytes += Self.varint(UInt64(payload.count)) + payload }
    mutating func string(_ field: UInt64, _ text: String) { len(field, Array(text.utf8)) }
    mutating func message(_ field: UInt64, _ build: (inout ProtoBytes) -> Void) {
        var inner = ProtoBytes()
        build(&inner)
        len(field, inner.bytes)
    }
}

/// An export request holding one span with the given ids (and valid defaults otherwise).
func requestWithSpan(traceID: [UInt8] = Array(repeating: 1, count: 16), spanID: [UInt8] = Array(repeating: 2, count: 8),
                     extra: (inout ProtoBytes) -> Void = { _ in }) -> [UInt8] {
    var request = ProtoBytes()
    request.message(1) { rs in
        rs.message(2) { ss in
            ss.message(2) { span in
                span.len(1, traceID)
                span.len(2, spanID)
                span.string(5, "op")
                extra(&span)
            }
        }
    }
    return request.bytes
}

enum Fixture {
    static func bytes(_ name: String, in directory: String = "otlp") throws -> [UInt8] {
        guard let url = Bundle.module.url(forResource: "Fixtures/\(directory)/\(name)", withExtension: nil) else {
            throw CocoaError(.fileNoSuchFile)
        }
        return [UInt8](try Data(contentsOf: url))
    }
}

enum SampleBatches {
    static let traceID = TraceID(high: 0x0af7_6519_16cd_43dd, low: 0x8448_eb21_1c80_319c)

    static func span(_ n: Int, attributes: [KeyValue] = []) -> Span {
        Span(traceID: traceID, spanID: SpanID(UInt64(n + 1)), parentSpanID: n == 0 ? .zero : SpanID(1), flags: 1,
             name: "span-\(n)", kind: .server, startTimeUnixNano: 1_718_000_000_000_000_000 + UInt64(n),
             endTimeUnixNano: 1_718_000_000_100_000_000, attributes: attributes,
             events: [SpanEvent(timeUnixNano: 5, name: "ev", attributes: [KeyValue("k", .int(-1))])],
             links: [SpanLink(traceID: traceID, spanID: SpanID(99), traceState: "a=b", flags: 0x301)],
             status: Status(code: .error, message: "bad \"thing\"\n"))
    }

    static func nestedKVList(depth: Int) -> AnyValue {
        var value = AnyValue.string("leaf")
        for level in 0..<depth { value = .kvlist([KeyValue("level\(level)", value)]) }
        return value
    }

    static let specialValues: [KeyValue] = [
        KeyValue("empty", .empty), KeyValue("nan", .double(.nan)), KeyValue("inf", .double(.infinity)),
        KeyValue("-inf", .double(-.infinity)), KeyValue("tiny", .double(.leastNonzeroMagnitude)), KeyValue("third", .double(1.0 / 3)),
        KeyValue("minusZero", .double(-0.0)), KeyValue("min", .int(.min)), KeyValue("bytes", .bytes([0, 1, 254, 255])),
        KeyValue("emptyString", .string("")), KeyValue("false", .bool(false)), KeyValue("zero", .int(0)),
        KeyValue("emptyArray", .array([])), KeyValue("emptyMap", .kvlist([])),
        KeyValue("mixed", .array([.string("\u{1F600} é \u{0}"), .bool(true), .empty, .array([.int(1)])])),
        KeyValue("nested", nestedKVList(depth: 20)),
    ]

    static func batch(spanCount: Int) -> TraceBatch {
        let spans = (0..<spanCount).map { span($0, attributes: $0 == 0 ? specialValues : [KeyValue("i", .int(Int64($0)))]) }
        let scope = ScopeSpans(scope: InstrumentationScope(name: "lib", version: "1", attributes: [KeyValue("s", .bool(true))], droppedAttributesCount: 2),
                               spans: spans, schemaURL: "https://example/schema")
        let resource = Resource(attributes: [KeyValue("service.name", .string("checkout"))], droppedAttributesCount: 3)
        return TraceBatch(resourceSpans: [ResourceSpans(resource: resource, scopeSpans: [scope, ScopeSpans()], schemaURL: "r"),
                                          ResourceSpans()])
    }
}
