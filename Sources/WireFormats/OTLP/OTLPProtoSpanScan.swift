import TraceModel

/// The spans of a `ResourceSpans` whose model was never built, read one at a time from its bytes
/// with only the attributes a caller names and without events or links: enough for a filter to
/// decide, at a fraction of building (and freeing) the whole model.
public enum OTLPProtoSpanScan {
    /// Which span fields to read, and of the attributes which: the named ones, or all.
    public struct Attributes: Sendable {
        let keys: [[UInt8]]?
        /// Span field numbers to read, as bits (the span message's are 1 to 16); nil: all.
        let fields: UInt32?

        /// `fields` by their names in the OTLP span message (`name`, `status`, `attributes`);
        /// nil, or a name that is not one, reads every field. `keys` nil: every attribute.
        public init(keys: Set<String>?, fields: Set<String>? = nil) {
            self.keys = keys.map { $0.map { Array($0.utf8) } }
            let numbers = fields?.map { Self.spanFieldNumbers[$0] }
            self.fields = numbers.flatMap { $0.contains(nil) ? nil : $0.reduce(0) { $0 | 1 << $1! } }
        }

        static let spanFieldNumbers: [String: UInt32] = [
            "trace_id": 1, "span_id": 2, "trace_state": 3, "parent_span_id": 4, "name": 5, "kind": 6, "start_time_unix_nano": 7,
            "end_time_unix_nano": 8, "attributes": 9, "dropped_attributes_count": 10, "events": 11, "dropped_events_count": 12,
            "links": 13, "dropped_links_count": 14, "status": 15, "flags": 16,
        ]

        @inline(__always)
        func reads(_ field: UInt32) -> Bool {
            guard let fields else { return true }
            return field > 31 || fields & 1 << field != 0
        }

        func wants(_ key: UnsafeRawBufferPointer) -> Bool {
            guard let keys else { return true }
            for wanted in keys where wanted.count == key.count {
                if wanted.withUnsafeBytes({ $0.hasSameBytes(as: key) }) { return true }
            }
            return false
        }
    }

    /// Calls `body` with each span, in order, until it returns false, beside a context the caller
    /// makes once per scope from the resource and the scope (the span is handed over, nothing is
    /// copied per span). Returns false if the bytes did not read, which validated bytes always do.
    public static func forEachSpan<Context>(in encoded: EncodedBytes, attributes: Attributes,
                                            context makeContext: (Resource, InstrumentationScope) -> Context,
                                            _ body: (inout Context, consuming Span) -> Bool) -> Bool {
        encoded.withUnsafeBytes { raw in
            let decoder = OTLPProtoTraceDecoder(limits: OTLPDecodeLimits())
            do throws(ProtoDecodeError) {
                // A message's fields may come in any order: the resource before its spans.
                var resource = Resource()
                var scopes: [(reader: ProtoReader, legacy: Bool)] = []
                var reader = ProtoReader(raw)
                while !reader.isAtEnd {
                    let tag = try reader.readTag()
                    switch tag.field {
                    case 1:
                        var sub = try reader.message(tag)
                        try decoder.decodeResource(&sub, into: &resource)
                    case 2, 1000: scopes.append((try reader.message(tag), tag.field == 1000))
                    default: try reader.skip(wireType: tag.wireType)
                    }
                }
                for (scopeReader, legacy) in scopes {
                    var scope = InstrumentationScope()
                    var spans: [ProtoReader] = []
                    var r = scopeReader
                    while !r.isAtEnd {
                        let tag = try r.readTag()
                        switch tag.field {
                        case 1:
                            var sub = try r.message(tag)
                            try decoder.decodeScope(&sub, into: &scope, legacy: legacy)
                        case 2: spans.append(try r.message(tag))
                        default: try r.skip(wireType: tag.wireType)
                        }
                    }
                    var context = makeContext(resource, scope)
                    for var spanReader in spans {
                        var span = Span()
                        try decoder.decodeSpanSketch(&spanReader, into: &span, attributes: attributes)
                        guard body(&context, span) else { return true }
                    }
                }
                return true
            } catch {
                return false
            }
        }
    }
}

extension OTLPProtoTraceDecoder {
    /// A span's fields but its events and links, and of its attributes only those `attributes` wants.
    func decodeSpanSketch(_ reader: inout ProtoReader, into span: inout Span, attributes: OTLPProtoSpanScan.Attributes) throws(ProtoDecodeError) {
        var facts = SpanIDFacts()
        while !reader.isAtEnd {
            let start = reader.position
            let tag = try reader.readTag()
            guard attributes.reads(tag.field) else {
                try reader.skip(wireType: tag.wireType)
                continue
            }
            switch tag.field {
            case 9:
                var peek = reader
                let entry = try peek.message(tag)
                if attributes.wants(try Self.key(of: entry)) {
                    try decodeAttribute(&reader, tag, into: &span.attributes)
                } else {
                    reader = peek
                }
            case 11, 13:
                try reader.skip(wireType: tag.wireType)
            case 5 where tag.wireType == WireType.len:
                span.name = try reader.string(tag)
            default:
                // Every other field, decoded as the full decoder does.
                try reader.skip(wireType: tag.wireType)
                var field = ProtoReader(base: reader.base, position: start, end: reader.position)
                try decodeSpan(&field, into: &span, facts: &facts)
            }
        }
    }

    /// The key of a `KeyValue` message (field 1), as bytes; empty when absent.
    private static func key(of entry: ProtoReader) throws(ProtoDecodeError) -> UnsafeRawBufferPointer {
        // The usual shape: a key shorter than 128 bytes (0x0A, its length, its bytes), then the
        // value (0x12, its length, its bytes) and nothing else — so no later key overrides it.
        let bytes = entry.unreadBytes
        if bytes.count >= 2, bytes[0] == 0x0A, bytes[1] < 0x80 {
            let keyEnd = 2 + Int(bytes[1])
            if keyEnd == bytes.count { return UnsafeRawBufferPointer(rebasing: bytes[2..<keyEnd]) }
            if keyEnd < bytes.count, bytes[keyEnd] == 0x12 {
                var value = ProtoReader(UnsafeRawBufferPointer(rebasing: bytes[(keyEnd + 1)...]))
                if let length = try? value.readVarint(), UInt64(value.remaining) == length {
                    return UnsafeRawBufferPointer(rebasing: bytes[2..<keyEnd])
                }
            }
        }
        var r = entry
        var key = UnsafeRawBufferPointer(start: nil, count: 0)
        while !r.isAtEnd {
            let tag = try r.readTag()
            if tag.field == 1, tag.wireType == WireType.len {
                key = try r.readLengthDelimited().unreadBytes
            } else {
                try r.skip(wireType: tag.wireType)
            }
        }
        return key
    }
}
