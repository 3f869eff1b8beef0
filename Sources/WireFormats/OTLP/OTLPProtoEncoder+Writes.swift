import TraceModel

/// The write pass, back to front: within each message the last field is written first and
/// repeated elements in reverse, so the bytes come out in field order.
enum OTLPProtoWrites {
    static func resourceSpans(_ value: ResourceSpans, _ w: inout ProtoWriter) {
        string(3, value.schemaURL, &w)
        value.scopeSpans.forEachInPlaceReversed { scopeSpans in w.writeMessageField(2) { Self.scopeSpans(scopeSpans, &$0) } }
        w.writeMessageField(1) { resource(value.resource, &$0) }
    }

    static func resource(_ value: Resource, _ w: inout ProtoWriter) {
        uint32(2, value.droppedAttributesCount, &w)
        attributes(1, value.attributes, &w)
    }

    static func scopeSpans(_ value: ScopeSpans, _ w: inout ProtoWriter) {
        string(3, value.schemaURL, &w)
        value.spans.forEachInPlaceReversed { span in w.writeMessageField(2) { Self.span(span, &$0) } }
        w.writeMessageField(1) { scope(value.scope, &$0) }
    }

    static func scope(_ value: InstrumentationScope, _ w: inout ProtoWriter) {
        uint32(4, value.droppedAttributesCount, &w)
        attributes(3, value.attributes, &w)
        string(2, value.version, &w)
        string(1, value.name, &w)
    }

    static func span(_ value: Span, _ w: inout ProtoWriter) {
        if value.flags != 0 { w.writeFixed32Field(16, value.flags) }
        if value.status != Status() { w.writeMessageField(15) { status(value.status, &$0) } }
        uint32(14, value.droppedLinksCount, &w)
        value.links.forEachInPlaceReversed { link in w.writeMessageField(13) { Self.link(link, &$0) } }
        uint32(12, value.droppedEventsCount, &w)
        value.events.forEachInPlaceReversed { event in w.writeMessageField(11) { Self.event(event, &$0) } }
        uint32(10, value.droppedAttributesCount, &w)
        attributes(9, value.attributes, &w)
        fixed64(8, value.endTimeUnixNano, &w)
        fixed64(7, value.startTimeUnixNano, &w)
        if value.kind.rawValue != 0 { w.writeVarintField(6, UInt64(bitPattern: Int64(value.kind.rawValue))) }
        string(5, value.name, &w)
        spanID(4, value.parentSpanID, &w)
        string(3, value.traceState, &w)
        spanID(2, value.spanID, &w)
        traceID(1, value.traceID, &w)
    }

    static func event(_ value: SpanEvent, _ w: inout ProtoWriter) {
        uint32(4, value.droppedAttributesCount, &w)
        attributes(3, value.attributes, &w)
        string(2, value.name, &w)
        fixed64(1, value.timeUnixNano, &w)
    }

    static func link(_ value: SpanLink, _ w: inout ProtoWriter) {
        if value.flags != 0 { w.writeFixed32Field(6, value.flags) }
        uint32(5, value.droppedAttributesCount, &w)
        attributes(4, value.attributes, &w)
        string(3, value.traceState, &w)
        spanID(2, value.spanID, &w)
        traceID(1, value.traceID, &w)
    }

    static func status(_ value: Status, _ w: inout ProtoWriter) {
        if value.code.rawValue != 0 { w.writeVarintField(3, UInt64(bitPattern: Int64(value.code.rawValue))) }
        string(2, value.message, &w)
    }

    static func attributes(_ field: UInt32, _ values: [KeyValue], _ w: inout ProtoWriter) {
        values.forEachInPlaceReversed { attribute in
            w.writeMessageField(field) { writer in
                writer.writeMessageField(2) { anyValue(attribute.value, &$0) }
                string(1, attribute.key, &writer)
            }
        }
    }

    static func anyValue(_ value: AnyValue, _ w: inout ProtoWriter) {
        switch value {
        case .empty: break
        case .string(let s): w.writeStringField(1, s)
        case .bool(let b): w.writeVarintField(2, b ? 1 : 0)
        case .int(let i): w.writeVarintField(3, UInt64(bitPattern: i))
        case .double(let d): w.writeFixed64Field(4, d.bitPattern)
        case .array(let values):
            w.writeMessageField(5) { writer in
                values.forEachInPlaceReversed { element in writer.writeMessageField(1) { anyValue(element, &$0) } }
            }
        case .kvlist(let values): w.writeMessageField(6) { attributes(1, values, &$0) }
        case .bytes(let b): w.writeBytesField(7, b)
        }
    }

    static func traceID(_ field: UInt32, _ id: TraceID, _ w: inout ProtoWriter) {
        guard !id.isZero else { return }
        w.writeFixed64(id.low.bigEndian)
        w.writeFixed64(id.high.bigEndian)
        w.writeVarint(16)
        w.writeTag(field, WireType.len)
    }

    static func spanID(_ field: UInt32, _ id: SpanID, _ w: inout ProtoWriter) {
        guard !id.isZero else { return }
        w.writeFixed64(id.value.bigEndian)
        w.writeVarint(8)
        w.writeTag(field, WireType.len)
    }

    private static func string(_ field: UInt32, _ value: String, _ w: inout ProtoWriter) {
        if !value.isEmpty { w.writeStringField(field, value) }
    }

    private static func uint32(_ field: UInt32, _ value: UInt32, _ w: inout ProtoWriter) {
        if value != 0 { w.writeVarintField(field, UInt64(value)) }
    }

    static func fixed64(_ field: UInt32, _ value: UInt64, _ w: inout ProtoWriter) {
        if value != 0 { w.writeFixed64Field(field, value) }
    }
}
