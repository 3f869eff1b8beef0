/// Checks an encoded `ResourceSpans` without building anything: when it passes, decoding it
/// succeeds and rejects no span, so the message can be forwarded as it arrived and its model built
/// only if something asks for it.
///
/// It checks what the decoder checks (wire types of known fields, lengths, UTF-8 of strings,
/// AnyValue depth, id sizes and zero ids) and gives up on anything rarer (the retired
/// `instrumentation_library_spans`): "no" means "let the decoder look", never "bad". The fuzz
/// target FuzzOTLPProto holds it to that against the decoder.
struct OTLPProtoValidator {
    let maxDepth: Int
    /// Spans seen so far.
    private(set) var spanCount = 0

    init(maxDepth: Int) {
        self.maxDepth = maxDepth
    }

    /// The kind of each known field, indexed by field number; nil means unknown (skipped by wire type).
    private enum Kind {
        case string, bytes, varint, fixed32, fixed64
        case message(Message)
        case traceID, spanID, parentSpanID
        /// An AnyValue one level deeper than its container.
        case anyValue
    }

    private enum Message: Int, CaseIterable {
        case resourceSpans, resource, scopeSpans, scope, span, event, link, status, keyValue, anyValue, arrayValue, keyValueList
    }

    private static func fields(_ message: Message) -> [Kind?] {
        switch message {
        case .resourceSpans: [nil, .message(.resource), .message(.scopeSpans), .string]
        case .resource: [nil, .message(.keyValue), .varint]
        case .scopeSpans: [nil, .message(.scope), .message(.span), .string]
        case .scope: [nil, .string, .string, .message(.keyValue), .varint]
        case .span:
            [nil, .traceID, .spanID, .string, .parentSpanID, .string, .varint, .fixed64, .fixed64, .message(.keyValue), .varint,
             .message(.event), .varint, .message(.link), .varint, .message(.status), .fixed32]
        case .event: [nil, .fixed64, .string, .message(.keyValue), .varint]
        case .link: [nil, .traceID, .spanID, .string, .message(.keyValue), .varint, .fixed32]
        case .status: [nil, nil, .string, .varint]
        case .keyValue: [nil, .string, .anyValue]
        case .anyValue: [nil, .string, .varint, .varint, .fixed64, .message(.arrayValue), .message(.keyValueList), .bytes]
        case .arrayValue: [nil, .anyValue]
        case .keyValueList: [nil, .message(.keyValue)]
        }
    }

    // Built once: `fields` allocates.
    private static let schema: [[Kind?]] = Message.allCases.map(fields)

    /// Whether the content of a `ResourceSpans` record decodes cleanly.
    mutating func validResourceSpans(_ reader: ProtoReader) -> Bool {
        var reader = reader
        do throws(ProtoDecodeError) {
            return try valid(&reader, .resourceSpans, depth: 0)
        } catch {
            return false
        }
    }

    /// `depth`: the AnyValue depth as the decoder counts it (an attribute's value is at 1).
    private mutating func valid(_ reader: inout ProtoReader, _ message: Message, depth: Int) throws(ProtoDecodeError) -> Bool {
        if message == .anyValue, depth > maxDepth { return false }
        if message == .span { spanCount += 1 }
        let fields = Self.schema[message.rawValue]
        var ids: (trace: Bool, span: Bool) = (false, false)
        while !reader.isAtEnd {
            let tag = try reader.readTag()
            guard Int(tag.field) < fields.count, let kind = fields[Int(tag.field)] else {
                if message == .resourceSpans, tag.field == 1000 { return false }
                try reader.skip(wireType: tag.wireType)
                continue
            }
            guard try validField(&reader, tag, kind, message, depth: depth, ids: &ids) else { return false }
        }
        // Spans and links need both ids, each present (last one wins) and valid.
        if message == .span || message == .link { return ids.trace && ids.span }
        return true
    }

    private mutating func validField(
        _ reader: inout ProtoReader, _ tag: ProtoTag, _ kind: Kind, _ message: Message, depth: Int, ids: inout (trace: Bool, span: Bool)
    ) throws(ProtoDecodeError) -> Bool {
        switch kind {
        case .varint:
            return tag.wireType == WireType.varint && (try? reader.readVarint()) != nil
        case .fixed32:
            return tag.wireType == WireType.i32 && (try? reader.readFixed32()) != nil
        case .fixed64:
            return tag.wireType == WireType.i64 && (try? reader.readFixed64()) != nil
        case .bytes:
            return tag.wireType == WireType.len && (try? reader.readLengthDelimited()) != nil
        case .string:
            guard tag.wireType == WireType.len else { return false }
            let payload = try reader.readLengthDelimited()
            return UTF8Text.isValid(payload.unreadBytes.assumingMemoryBound(to: UInt8.self))
        case .traceID, .spanID, .parentSpanID:
            guard tag.wireType == WireType.len else { return false }
            let id = try reader.readLengthDelimited().unreadBytes
            switch kind {
            case .traceID: ids.trace = id.count == 16 && id.contains { $0 != 0 }
            case .spanID: ids.span = id.count == 8 && id.contains { $0 != 0 }
            default: return id.isEmpty || id.count == 8
            }
            return true
        case .anyValue:
            guard tag.wireType == WireType.len else { return false }
            var sub = try reader.readLengthDelimited()
            return try valid(&sub, .anyValue, depth: depth + 1)
        case .message(let inner):
            guard tag.wireType == WireType.len else { return false }
            var sub = try reader.readLengthDelimited()
            // An ArrayValue's elements are one level deeper; a KeyValueList's values count through
            // their KeyValue. Everything else keeps the depth (spans start at 0).
            return try valid(&sub, inner, depth: depth)
        }
    }
}
