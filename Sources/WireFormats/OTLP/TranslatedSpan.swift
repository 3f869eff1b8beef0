import TraceModel

/// The scalar fields of a span that a translation writes straight into OTLP protobuf (Jaeger
/// Thrift, Zipkin), with its text by reference (request body, `TextArena` or static text). The
/// translation keeps its attributes, events and links its own way and writes them in `middle`.
struct TranslatedSpan {
    var traceID: TraceID
    var spanID: SpanID
    var parentSpanID = SpanID.zero
    var traceState = UnsafeRawBufferPointer(start: nil, count: 0)
    var name: UnsafeRawBufferPointer
    var kind = SpanKind.unspecified
    var flags: UInt32 = 0
    var startTimeUnixNano: UInt64 = 0
    var endTimeUnixNano: UInt64 = 0
    var status = Status()

    /// The encoded size of these fields; a `Span`'s size adds that of its attributes, events and links.
    var size: Int {
        var size = traceID.isZero ? 0 : ProtoSize.lengthDelimited(1, 16)
        size += spanID.isZero ? 0 : ProtoSize.lengthDelimited(2, 8)
        size += traceState.isEmpty ? 0 : ProtoSize.lengthDelimited(3, traceState.count)
        size += parentSpanID.isZero ? 0 : ProtoSize.lengthDelimited(4, 8)
        size += name.isEmpty ? 0 : ProtoSize.lengthDelimited(5, name.count)
        size += kind.rawValue == 0 ? 0 : ProtoSize.varintField(6, UInt64(bitPattern: Int64(kind.rawValue)))
        size += OTLPProtoSizes.fixed64(7, startTimeUnixNano) + OTLPProtoSizes.fixed64(8, endTimeUnixNano)
        if status != Status() { size += ProtoSize.lengthDelimited(15, OTLPProtoSizes.status(status)) }
        return size + (flags == 0 ? 0 : ProtoSize.fixed32Field(16))
    }

    /// The `Span` message's content, in `OTLPProtoWrites.span`'s field order (back to front):
    /// `middle` writes fields 9 to 14 (attributes, events, links).
    func write(_ w: inout ProtoWriter, middle: (inout ProtoWriter) -> Void) {
        if flags != 0 { w.writeFixed32Field(16, flags) }
        if status != Status() { w.writeMessageField(15) { OTLPProtoWrites.status(status, &$0) } }
        middle(&w)
        OTLPProtoWrites.fixed64(8, endTimeUnixNano, &w)
        OTLPProtoWrites.fixed64(7, startTimeUnixNano, &w)
        if kind.rawValue != 0 { w.writeVarintField(6, UInt64(bitPattern: Int64(kind.rawValue))) }
        if !name.isEmpty { w.writeBytesField(5, name) }
        OTLPProtoWrites.spanID(4, parentSpanID, &w)
        if !traceState.isEmpty { w.writeBytesField(3, traceState) }
        OTLPProtoWrites.spanID(2, spanID, &w)
        OTLPProtoWrites.traceID(1, traceID, &w)
    }
}
