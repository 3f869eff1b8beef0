import TraceModel

/// The OTLP protobuf of the translated spans: the same bytes `OTLPProtoEncoder` writes for the
/// model the translator used to build (a size pass, then fields back to front; proto3 defaults
/// skipped).
extension ZipkinTranslatedSpans {
    func encodeResourceSpans(_ group: Group) -> [UInt8] {
        var size = ProtoSize.lengthDelimited(1, OTLPProtoSizes.resource(group.resource))
        for (scope, range) in group.scopes { size += ProtoSize.lengthDelimited(2, scopeSpansSize(scope, range)) }
        return ProtoWriter.withBuffer(size: size) { w in
            for (scope, range) in group.scopes.reversed() {
                w.writeMessageField(2) { w in
                    for i in range.reversed() { w.writeMessageField(2) { write(spans[i], &$0) } }
                    w.writeMessageField(1) { OTLPProtoWrites.scope(scope, &$0) }
                }
            }
            w.writeMessageField(1) { OTLPProtoWrites.resource(group.resource, &$0) }
        }
    }

    private func scopeSpansSize(_ scope: InstrumentationScope, _ range: Range<Int>) -> Int {
        var size = ProtoSize.lengthDelimited(1, OTLPProtoSizes.scope(scope))
        for i in range { size += ProtoSize.lengthDelimited(2, spans[i].size) }
        return size
    }

    func size(of span: borrowing Span) -> Int {
        var size = span.fields.size + AttributeRef.size(9, attributes[span.attributes])
        for i in span.events { size += ProtoSize.lengthDelimited(11, OTLPProtoSizes.event(events[i])) }
        for i in span.links { size += ProtoSize.lengthDelimited(13, OTLPProtoSizes.link(links[i])) }
        return size
    }

    private func write(_ span: borrowing Span, _ w: inout ProtoWriter) {
        span.fields.write(&w) { w in
            for i in span.links.reversed() { w.writeMessageField(13) { OTLPProtoWrites.link(links[i], &$0) } }
            for i in span.events.reversed() { w.writeMessageField(11) { OTLPProtoWrites.event(events[i], &$0) } }
            AttributeRef.write(9, attributes[span.attributes], &w)
        }
    }
}
