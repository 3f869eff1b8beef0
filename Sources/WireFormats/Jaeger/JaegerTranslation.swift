import TraceModel

/// A Jaeger span's fields as read, before translation. The Thrift decoder fills only the scalars
/// (its lists stay in the body, `JaegerTranslatedSpans`); the protobuf decoder fills all.
struct JaegerSpanFields {
    var traceIDLow: Int64 = 0
    var traceIDHigh: Int64 = 0
    var spanID: Int64 = 0
    var parentSpanID: Int64 = 0
    var operationName = ""
    var references: [JaegerSpanRef]?
    var flags: Int32 = 0
    var startTime: Int64 = 0
    var duration: Int64 = 0
    var tags: [KeyValue]?
    var logs: [SpanEvent]?
}

struct JaegerSpanRef {
    static let childOf: Int32 = 0
    /// The attribute a link gets, naming the reference's type.
    static let refTypeKey = "opentracing.ref_type"

    var refType: Int32 = 0
    var traceIDLow: Int64 = 0
    var traceIDHigh: Int64 = 0
    var spanID: Int64 = 0

    /// Every reference but the CHILD_OF ones to the chosen parent becomes a link.
    func isLink(parent: Int64) -> Bool { !(spanID == parent && refType == Self.childOf) }

    var refTypeName: String { refType == Self.childOf ? "child_of" : "follows_from" }
}

/// The rules of the Collector's Jaeger translator (`ThriftToTraces`, wire-formats §8.2).
enum JaegerTranslation {
    /// `service.name` first, then the process tags; `hostname` → `host.name` and
    /// `jaeger.version` → `opencensus.exporterversion` (`Jaeger-` prefixed) unless already set.
    static func resource(serviceName: String, tags: [KeyValue]?) -> Resource {
        if serviceName.isEmpty && tags == nil { return Resource() }
        var attributes: [KeyValue] = []
        attributes.reserveCapacity((tags?.count ?? 0) + 1)
        if !serviceName.isEmpty { attributes.append(KeyValue("service.name", .string(serviceName))) }
        for tag in tags ?? [] { attributes.put(tag.key, tag.value) }
        if let hostname = attributes[key: "hostname"], attributes[key: "host.name"] == nil {
            attributes.put("host.name", hostname)
            attributes.swapRemove("hostname")
        }
        if let version = attributes[key: "jaeger.version"], attributes[key: "opencensus.exporterversion"] == nil {
            attributes.put("opencensus.exporterversion", .string("Jaeger-" + version.stringValue))
            attributes.swapRemove("jaeger.version")
        }
        return Resource(attributes: attributes)
    }

    static func event(timeUnixNano: UInt64, fields: [KeyValue]) -> SpanEvent {
        var attributes = fields
        let name = removeEventName(&attributes)
        return SpanEvent(timeUnixNano: timeUnixNano, name: name, attributes: attributes)
    }

    /// The `event` field names the event and is removed; without it the name is empty.
    static func removeEventName<Tag: JaegerTag>(_ fields: inout [Tag]) -> String {
        var special = JaegerSpecialTags(fields)
        return special.remove(.event, from: &fields)?.stringValue ?? ""
    }

    /// The rules the Thrift and protobuf models share; each model has its own time fields.
    static func span(_ s: JaegerSpanFields, startTimeUnixNano: UInt64, endTimeUnixNano: UInt64) -> Span {
        var span = Span(
            traceID: TraceID(high: UInt64(bitPattern: s.traceIDHigh), low: UInt64(bitPattern: s.traceIDLow)),
            spanID: SpanID(UInt64(bitPattern: s.spanID)),
            flags: s.flags & 1 == 1 ? 1 : 0,
            name: s.operationName,
            startTimeUnixNano: startTimeUnixNano,
            endTimeUnixNano: endTimeUnixNano)
        let parent = parentSpanID(s, references: s.references ?? [])
        span.parentSpanID = SpanID(UInt64(bitPattern: parent))
        var attributes = s.tags ?? []
        let (kind, status) = kindAndStatus(&attributes)
        span.attributes = attributes
        span.kind = kind
        if let status { span.status = status }
        span.events = s.logs ?? []
        span.links = links(s.references ?? [], excluding: parent)
        return span
    }

    /// A Thrift span with every field zero or absent (the lists by presence: an empty list is not
    /// blank), which upstream skips.
    static func isBlank(_ s: JaegerSpanFields, hasName: Bool, hasReferences: Bool, hasTags: Bool, hasLogs: Bool) -> Bool {
        s.traceIDLow == 0 && s.traceIDHigh == 0 && s.spanID == 0 && s.parentSpanID == 0 && !hasName
            && !hasReferences && s.flags == 0 && s.startTime == 0 && s.duration == 0 && !hasTags && !hasLogs
    }

    /// Epoch microseconds to nanoseconds, wrapping as Go's unsigned arithmetic does.
    static func nanoseconds(_ microseconds: Int64) -> UInt64 { UInt64(bitPattern: microseconds) &* 1000 }

    /// `parentSpanId`, else the first CHILD_OF reference in the same trace, else the first
    /// FOLLOWS_FROM one in the same trace, else none (jaeger's `Span.ParentSpanID`).
    static func parentSpanID(_ s: JaegerSpanFields, references: some Sequence<JaegerSpanRef>) -> Int64 {
        if s.parentSpanID != 0 { return s.parentSpanID }
        var followsFrom: Int64?
        for ref in references where ref.traceIDHigh == s.traceIDHigh && ref.traceIDLow == s.traceIDLow {
            if ref.refType == JaegerSpanRef.childOf { return ref.spanID }
            if followsFrom == nil && ref.refType == 1 { followsFrom = ref.spanID }
        }
        return followsFrom ?? 0
    }

    /// Every reference but the CHILD_OF ones to the chosen parent, tagged `opentracing.ref_type`.
    static func links(_ refs: [JaegerSpanRef], excluding parent: Int64) -> [SpanLink] {
        var links: [SpanLink] = []
        for ref in refs where ref.isLink(parent: parent) {
            links.append(SpanLink(
                traceID: TraceID(high: UInt64(bitPattern: ref.traceIDHigh), low: UInt64(bitPattern: ref.traceIDLow)),
                spanID: SpanID(UInt64(bitPattern: ref.spanID)),
                attributes: [KeyValue(JaegerSpanRef.refTypeKey, .string(ref.refTypeName))]))
        }
        return links
    }

    static func spanKind(_ value: String) -> SpanKind {
        switch value {
        case "client": .client
        case "server": .server
        case "producer": .producer
        case "consumer": .consumer
        case "internal": .internal
        default: .unspecified
        }
    }
}
