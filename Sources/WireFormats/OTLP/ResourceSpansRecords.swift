import TraceModel

/// One `ResourceSpans` message read once, as received: the byte ranges of its records other than
/// its scopes (resource, schema_url, unknown fields), and of each scope's records around its
/// spans, with each span's record and trace ID. What cuts a message by trace (routing, holding a
/// trace for sampling) writes new messages from these ranges without decoding any span.
struct ResourceSpansRecords {
    struct Scope {
        /// `scope_spans` (2), or the pre-1.0 `instrumentation_library_spans` (1000), whose inner
        /// field numbers are the same.
        var field: UInt32
        /// Records other than its spans (scope, schema_url), tag included.
        var others: [Range<Int>] = []
        var spans: [(traceID: TraceID, record: Range<Int>)] = []
    }

    var others: [Range<Int>] = []
    var scopes: [Scope] = []

    init(_ raw: UnsafeRawBufferPointer) throws(ProtoDecodeError) {
        var reader = ProtoReader(raw)
        while !reader.isAtEnd {
            let tag = try reader.readTag()
            if (tag.field == 2 || tag.field == 1000), tag.wireType == WireType.len {
                scopes.append(try Self.scope(try reader.message(tag), field: tag.field))
            } else {
                try reader.skip(wireType: tag.wireType)
                others.append(tag.start..<reader.position)
            }
        }
    }

    private static func scope(_ message: ProtoReader, field: UInt32) throws(ProtoDecodeError) -> Scope {
        var scope = Scope(field: field)
        var reader = message
        while !reader.isAtEnd {
            let tag = try reader.readTag()
            if tag.field == 2, tag.wireType == WireType.len {
                let span = try reader.message(tag)
                scope.spans.append((try traceID(of: span), tag.start..<reader.position))
            } else {
                try reader.skip(wireType: tag.wireType)
                scope.others.append(tag.start..<reader.position)
            }
        }
        return scope
    }

    /// The span's `trace_id` (the last one, as protobuf reads a repeated singular field); zero
    /// when absent or not 16 bytes.
    static func traceID(of span: ProtoReader) throws(ProtoDecodeError) -> TraceID {
        var reader = span
        var id = TraceID.zero
        while !reader.isAtEnd {
            let tag = try reader.readTag()
            if tag.field == 1, tag.wireType == WireType.len {
                id = TraceID(bytes: try reader.readLengthDelimited().unreadBytes) ?? .zero
            } else {
                try reader.skip(wireType: tag.wireType)
            }
        }
        return id
    }
}
