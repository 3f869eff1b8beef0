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
        var size = span.fields.size + AttributeRef.size(9, attributes[span.attributes])
        for i in span.events { size += ProtoSize.lengthDelimited(11, events[i].size) }
        for i in span.links { size += ProtoSize.lengthDelimited(13, OTLPProtoSizes.link(links[i])) }
        return size
    }

    static func size(of event: Event, _ attributes: [JaegerThriftTag]) -> Int {
        OTLPProtoSizes.fixed64(1, event.timeUnixNano)
            + (event.name.isEmpty ? 0 : ProtoSize.lengthDelimited(2, event.name.utf8.count))
            + AttributeRef.size(3, attributes[event.attributes])
    }

    private func write(_ span: Span, _ w: inout ProtoWriter) {
        span.fields.write(&w) { w in
            for i in span.links.reversed() { w.writeMessageField(13) { OTLPProtoWrites.link(links[i], &$0) } }
            for i in span.events.reversed() { w.writeMessageField(11) { write(events[i], &$0) } }
            AttributeRef.write(9, attributes[span.attributes], &w)
        }
    }

    private func write(_ event: Event, _ w: inout ProtoWriter) {
        AttributeRef.write(3, eventAttributes[event.attributes], &w)
        if !event.name.isEmpty { w.writeStringField(2, event.name) }
        OTLPProtoWrites.fixed64(1, event.timeUnixNano, &w)
    }
}
