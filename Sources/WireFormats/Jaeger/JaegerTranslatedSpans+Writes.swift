import TraceModel

/// The OTLP protobuf of the translated spans: the same bytes `OTLPProtoEncoder` writes for the
/// model the Thrift decoder used to build (a size pass, then fields back to front; proto3
/// defaults skipped, a set AnyValue member always written).
extension JaegerTranslatedSpans {
    func encodeResourceSpans(_ resource: Resource, hadSpanList: Bool) -> [UInt8] {
        let resourceSize = OTLPProtoSizes.resource(resource)
        var scopeSpansSize = ProtoSize.lengthDelimited(1, 0)
        spans.forEachInPlace { scopeSpansSize += ProtoSize.lengthDelimited(2, $0.size) }
        let size = ProtoSize.lengthDelimited(1, resourceSize) + (hadSpanList ? ProtoSize.lengthDelimited(2, scopeSpansSize) : 0)
        return ProtoWriter.withBuffer(size: size) { w in
            if hadSpanList {
                w.writeMessageField(2) { w in
                    spans.forEachInPlaceReversed { span in w.writeMessageField(2) { write(span, &$0) } }
                    w.writeMessageField(1) { _ in }
                }
            }
            w.writeMessageField(1) { OTLPProtoWrites.resource(resource, &$0) }
        }
    }

    func size(of span: Span) -> Int {
        var size = span.traceID.isZero ? 0 : ProtoSize.lengthDelimited(1, 16)
        size += span.spanID.isZero ? 0 : ProtoSize.lengthDelimited(2, 8)
        size += span.parentSpanID.isZero ? 0 : ProtoSize.lengthDelimited(4, 8)
        size += span.name.isEmpty ? 0 : ProtoSize.lengthDelimited(5, span.name.count)
        size += span.kind.rawValue == 0 ? 0 : ProtoSize.varintField(6, UInt64(bitPattern: Int64(span.kind.rawValue)))
        size += OTLPProtoSizes.fixed64(7, span.startTimeUnixNano) + OTLPProtoSizes.fixed64(8, span.endTimeUnixNano)
        size += Self.attributesSize(9, attributes[span.attributes])
        for i in span.events { size += ProtoSize.lengthDelimited(11, events[i].size) }
        for i in span.links { size += ProtoSize.lengthDelimited(13, OTLPProtoSizes.link(links[i])) }
        if span.status != Status() { size += ProtoSize.lengthDelimited(15, OTLPProtoSizes.status(span.status)) }
        return size + (span.flags == 0 ? 0 : ProtoSize.fixed32Field(16))
    }

    static func size(of event: Event, _ attributes: [JaegerThriftTag]) -> Int {
        OTLPProtoSizes.fixed64(1, event.timeUnixNano)
            + (event.name.isEmpty ? 0 : ProtoSize.lengthDelimited(2, event.name.utf8.count))
            + attributesSize(3, attributes[event.attributes])
    }

    private static func attributesSize(_ field: UInt32, _ tags: ArraySlice<JaegerThriftTag>) -> Int {
        var size = 0
        for tag in tags { size += ProtoSize.lengthDelimited(field, keyValueSize(tag)) }
        return size
    }

    /// The `KeyValue` message of a tag.
    private static func keyValueSize(_ tag: JaegerThriftTag) -> Int {
        let value = switch tag.kind {
        case .string: ProtoSize.lengthDelimited(1, tag.bytes.count)
        case .bool: ProtoSize.varintField(2, tag.bits)
        case .long: ProtoSize.varintField(3, tag.bits)
        case .double: ProtoSize.fixed64Field(4)
        case .binary: ProtoSize.lengthDelimited(7, tag.bytes.count)
        }
        return (tag.key.isEmpty ? 0 : ProtoSize.lengthDelimited(1, tag.key.count)) + ProtoSize.lengthDelimited(2, value)
    }

    private func write(_ span: Span, _ w: inout ProtoWriter) {
        if span.flags != 0 { w.writeFixed32Field(16, span.flags) }
        if span.status != Status() { w.writeMessageField(15) { OTLPProtoWrites.status(span.status, &$0) } }
        for i in span.links.reversed() { w.writeMessageField(13) { OTLPProtoWrites.link(links[i], &$0) } }
        for i in span.events.reversed() { w.writeMessageField(11) { write(events[i], &$0) } }
        Self.write(9, attributes[span.attributes], &w)
        OTLPProtoWrites.fixed64(8, span.endTimeUnixNano, &w)
        OTLPProtoWrites.fixed64(7, span.startTimeUnixNano, &w)
        if span.kind.rawValue != 0 { w.writeVarintField(6, UInt64(bitPattern: Int64(span.kind.rawValue))) }
        if !span.name.isEmpty { w.writeBytesField(5, span.name) }
        OTLPProtoWrites.spanID(4, span.parentSpanID, &w)
        OTLPProtoWrites.spanID(2, span.spanID, &w)
        OTLPProtoWrites.traceID(1, span.traceID, &w)
    }

    private func write(_ event: Event, _ w: inout ProtoWriter) {
        Self.write(3, eventAttributes[event.attributes], &w)
        if !event.name.isEmpty { w.writeStringField(2, event.name) }
        OTLPProtoWrites.fixed64(1, event.timeUnixNano, &w)
    }

    /// Each tag as a `KeyValue` field, written out rather than through nested `writeMessageField`
    /// calls: this is the innermost loop of the path.
    private static func write(_ field: UInt32, _ tags: ArraySlice<JaegerThriftTag>, _ w: inout ProtoWriter) {
        for tag in tags.reversed() {
            let keyValueEnd = w.position
            switch tag.kind {
            case .string: w.writeBytesField(1, tag.bytes)
            case .bool: w.writeVarintField(2, tag.bits)
            case .long: w.writeVarintField(3, tag.bits)
            case .double: w.writeFixed64Field(4, tag.bits)
            case .binary: w.writeBytesField(7, tag.bytes)
            }
            w.writeVarint(UInt64(keyValueEnd - w.position))
            w.writeTag(2, WireType.len)
            if !tag.key.isEmpty { w.writeBytesField(1, tag.key) }
            w.writeVarint(UInt64(keyValueEnd - w.position))
            w.writeTag(field, WireType.len)
        }
    }
}
