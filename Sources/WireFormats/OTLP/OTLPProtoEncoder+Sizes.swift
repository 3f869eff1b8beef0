import TraceModel

/// The size pass: each node's encoded size, computed once bottom-up.
enum OTLPProtoSizes {
    static func resourceSpans(_ value: ResourceSpans) -> Int {
        var size = ProtoSize.lengthDelimited(1, resource(value.resource))
        value.scopeSpans.forEachInPlace { size += ProtoSize.lengthDelimited(2, Self.scopeSpans($0)) }
        return size + string(3, value.schemaURL)
    }

    static func resource(_ value: Resource) -> Int {
        attributes(1, value.attributes) + uint32(2, value.droppedAttributesCount)
    }

    static func scopeSpans(_ value: ScopeSpans) -> Int {
        var size = ProtoSize.lengthDelimited(1, scope(value.scope))
        value.spans.forEachInPlace { size += ProtoSize.lengthDelimited(2, Self.span($0)) }
        return size + string(3, value.schemaURL)
    }

    static func scope(_ value: InstrumentationScope) -> Int {
        string(1, value.name) + string(2, value.version) + attributes(3, value.attributes)
            + uint32(4, value.droppedAttributesCount)
    }

    static func span(_ value: Span) -> Int {
        var size = value.traceID.isZero ? 0 : ProtoSize.lengthDelimited(1, 16)
        size += value.spanID.isZero ? 0 : ProtoSize.lengthDelimited(2, 8)
        size += string(3, value.traceState)
        size += value.parentSpanID.isZero ? 0 : ProtoSize.lengthDelimited(4, 8)
        size += string(5, value.name)
        size += value.kind.rawValue == 0 ? 0 : ProtoSize.varintField(6, UInt64(bitPattern: Int64(value.kind.rawValue)))
        size += fixed64(7, value.startTimeUnixNano) + fixed64(8, value.endTimeUnixNano)
        size += attributes(9, value.attributes) + uint32(10, value.droppedAttributesCount)
        value.events.forEachInPlace { size += ProtoSize.lengthDelimited(11, Self.event($0)) }
        size += uint32(12, value.droppedEventsCount)
        value.links.forEachInPlace { size += ProtoSize.lengthDelimited(13, Self.link($0)) }
        size += uint32(14, value.droppedLinksCount)
        if value.status != Status() { size += ProtoSize.lengthDelimited(15, status(value.status)) }
        return size + (value.flags == 0 ? 0 : ProtoSize.fixed32Field(16))
    }

    static func event(_ value: SpanEvent) -> Int {
        fixed64(1, value.timeUnixNano) + string(2, value.name) + attributes(3, value.attributes)
            + uint32(4, value.droppedAttributesCount)
    }

    static func link(_ value: SpanLink) -> Int {
        (value.traceID.isZero ? 0 : ProtoSize.lengthDelimited(1, 16))
            + (value.spanID.isZero ? 0 : ProtoSize.lengthDelimited(2, 8))
            + string(3, value.traceState) + attributes(4, value.attributes)
            + uint32(5, value.droppedAttributesCount) + (value.flags == 0 ? 0 : ProtoSize.fixed32Field(6))
    }

    static func status(_ value: Status) -> Int {
        string(2, value.message)
            + (value.code.rawValue == 0 ? 0 : ProtoSize.varintField(3, UInt64(bitPattern: Int64(value.code.rawValue))))
    }

    static func attributes(_ field: UInt32, _ values: [KeyValue]) -> Int {
        var size = 0
        values.forEachInPlace { size += ProtoSize.lengthDelimited(field, keyValue($0)) }
        return size
    }

    static func keyValue(_ value: KeyValue) -> Int {
        string(1, value.key) + ProtoSize.lengthDelimited(2, anyValue(value.value))
    }

    /// A set oneof member is written even when it holds its type's default.
    static func anyValue(_ value: AnyValue) -> Int {
        switch value {
        case .empty: return 0
        case .string(let s): return ProtoSize.lengthDelimited(1, s.utf8.count)
        case .bool: return ProtoSize.varintField(2, 1)
        case .int(let i): return ProtoSize.varintField(3, UInt64(bitPattern: i))
        case .double: return ProtoSize.fixed64Field(4)
        case .array(let values):
            var inner = 0
            values.forEachInPlace { inner += ProtoSize.lengthDelimited(1, anyValue($0)) }
            return ProtoSize.lengthDelimited(5, inner)
        case .kvlist(let values): return ProtoSize.lengthDelimited(6, attributes(1, values))
        case .bytes(let b): return ProtoSize.lengthDelimited(7, b.count)
        }
    }

    private static func string(_ field: UInt32, _ value: String) -> Int {
        value.isEmpty ? 0 : ProtoSize.lengthDelimited(field, value.utf8.count)
    }

    private static func uint32(_ field: UInt32, _ value: UInt32) -> Int {
        value == 0 ? 0 : ProtoSize.varintField(field, UInt64(value))
    }

    static func fixed64(_ field: UInt32, _ value: UInt64) -> Int {
        value == 0 ? 0 : ProtoSize.fixed64Field(field)
    }
}
