import TraceModel

/// The spans of a `ResourceSpans` whose model was never built, read one at a time from its bytes
/// with only the attributes a caller names and without events or links: enough for a filter to
/// decide, at a fraction of building (and freeing) the whole model.
public enum OTLPProtoSpanScan {
    /// Which span attributes to read: the named ones, or all.
    public struct Attributes: Sendable {
        let keys: [[UInt8]]?

        /// nil: every attribute.
        public init(keys: Set<String>?) {
            self.keys = keys.map { $0.map { Array($0.utf8) } }
        }

        func wants(_ key: UnsafeRawBufferPointer) -> Bool {
            guard let keys else { return true }
            return keys.contains { $0.elementsEqual(key) }
        }
    }

    /// Calls `body` with each span (in order) and its resource and scope until it returns false.
    /// Returns false if the bytes did not read, which validated bytes always do.
    public static func forEachSpan(in encoded: EncodedBytes, attributes: Attributes,
                                   _ body: (Resource, InstrumentationScope, Span) -> Bool) -> Bool {
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
                    for var spanReader in spans {
                        var span = Span()
                        try decoder.decodeSpanSketch(&spanReader, into: &span, attributes: attributes)
                        guard body(resource, scope, span) else { return true }
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
