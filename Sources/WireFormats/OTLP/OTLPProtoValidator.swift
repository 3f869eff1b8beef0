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

    /// What a known field holds, as far as validation cares.
    private enum Kind {
        case string, bytes, varint, fixed32, fixed64
        case message(Message)
        case traceID, spanID, parentSpanID
        /// An AnyValue one level deeper than its container.
        case anyValue
    }

    private enum Message {
        case resourceSpans, resource, scopeSpans, scope, span, event, link, status, keyValue, anyValue, arrayValue, keyValueList
    }

    /// The kind of `field` in `message`; nil for a field the decoder skips. A switch, not a table:
    /// a lookup costs no reference counting on this path.
    @inline(__always)
    private static func kind(_ message: Message, _ field: UInt32) -> Kind? {
        switch (message, field) {
        case (.resourceSpans, 1): .message(.resource)
        case (.resourceSpans, 2): .message(.scopeSpans)
        case (.scopeSpans, 2): .message(.span)
        case (.resourceSpans, 3), (.scopeSpans, 3): .string
        case (.resource, 1), (.scope, 3), (.span, 9), (.event, 3), (.link, 4), (.keyValueList, 1): .message(.keyValue)
        case (.resource, 2), (.scope, 4): .varint
        case (.scopeSpans, 1): .message(.scope)
        case (.scope, 1), (.scope, 2): .string
        case (.span, 1), (.link, 1): .traceID
        case (.span, 2), (.link, 2): .spanID
        case (.span, 3), (.span, 5), (.link, 3), (.event, 2), (.status, 2), (.keyValue, 1), (.anyValue, 1): .string
        case (.span, 4): .parentSpanID
        case (.span, 6), (.span, 10), (.span, 12), (.span, 14), (.event, 4), (.link, 5), (.status, 3): .varint
        case (.span, 7), (.span, 8), (.event, 1), (.anyValue, 4): .fixed64
        case (.span, 11): .message(.event)
        case (.span, 13): .message(.link)
        case (.span, 15): .message(.status)
        case (.span, 16), (.link, 6): .fixed32
        case (.keyValue, 2), (.arrayValue, 1): .anyValue
        case (.anyValue, 2), (.anyValue, 3): .varint
        case (.anyValue, 5): .message(.arrayValue)
        case (.anyValue, 6): .message(.keyValueList)
        case (.anyValue, 7): .bytes
        default: nil
        }
    }

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
        if message == .keyValue, let valid = validStringAttribute(reader, depth: depth) {
            reader = ProtoReader(base: reader.base, position: reader.end, end: reader.end)
            return valid
        }
        if message == .span { spanCount += 1 }
        var ids: (trace: Bool, span: Bool) = (false, false)
        while !reader.isAtEnd {
            let tag = try reader.readTag()
            guard let kind = Self.kind(message, tag.field) else {
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

    /// The usual attribute, `KeyValue{key: string, value: AnyValue{string_value: string}}` with
    /// each field once and in order, checked without the general walk; nil for any other shape,
    /// which the walk then checks (it reaches the same answer on this one, only slower).
    private func validStringAttribute(_ reader: ProtoReader, depth: Int) -> Bool? {
        guard depth + 1 <= maxDepth, !reader.isAtEnd else { return nil }
        var keyValue = reader
        do throws(ProtoDecodeError) {
            var tag = try keyValue.readTag()
            guard tag.field == 1, tag.wireType == WireType.len else { return nil }
            let key = try keyValue.readLengthDelimited()
            guard !keyValue.isAtEnd else { return nil }
            tag = try keyValue.readTag()
            guard tag.field == 2, tag.wireType == WireType.len else { return nil }
            var value = try keyValue.readLengthDelimited()
            guard keyValue.isAtEnd, !value.isAtEnd else { return nil }
            tag = try value.readTag()
            guard tag.field == 1, tag.wireType == WireType.len else { return nil }
            let text = try value.readLengthDelimited()
            guard value.isAtEnd else { return nil }
            return UTF8Text.isValid(key.unreadBytes.assumingMemoryBound(to: UInt8.self))
                && UTF8Text.isValid(text.unreadBytes.assumingMemoryBound(to: UInt8.self))
        } catch {
            return nil
        }
    }
}
