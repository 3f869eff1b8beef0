import TraceModel

/// A `jaeger.thrift` Span's fields as read, before translation.
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

    var refType: Int32 = 0
    var traceIDLow: Int64 = 0
    var traceIDHigh: Int64 = 0
    var spanID: Int64 = 0
}

/// A Tag's optional value fields, kept in place until `vType` says which one counts.
struct JaegerTagValues {
    var string: UnsafeRawBufferPointer?
    var stringOffset = 0
    var double: Double?
    var bool: Bool?
    var long: Int64?
    var binary: UnsafeRawBufferPointer?

    /// TagType: STRING 0, DOUBLE 1, BOOL 2, LONG 3, BINARY 4. An absent value reads as the
    /// zero value, as the Go getters return it. An unknown type is refused.
    func value(_ vType: Int32, at offset: Int) throws(ThriftDecodeError) -> AnyValue {
        switch vType {
        case 0:
            guard let string, !string.isEmpty else { return .string("") }
            guard let text = UTF8Text.string(string.assumingMemoryBound(to: UInt8.self)) else {
                throw ThriftDecodeError(.invalidUTF8, at: stringOffset)
            }
            return .string(text)
        case 1: return .double(double ?? 0)
        case 2: return .bool(bool ?? false)
        case 3: return .int(long ?? 0)
        case 4: return .bytes(binary.map { [UInt8]($0) } ?? [])
        default: throw ThriftDecodeError(.unknownEnumValue(name: "TagType", value: vType), at: offset)
        }
    }
}

/// Tags put one by one into an attribute list as `pcommon.Map` puts them: a repeated key keeps
/// its first position and takes the last value.
struct JaegerAttributes {
    private(set) var list: [KeyValue] = []
    /// A long list gets an index, so that forged input cannot make putting quadratic.
    private var index: [AttributeKey: Int]?

    init(capacity: Int) {
        list.reserveCapacity(capacity)
        if capacity > 32 { index = [:] }
    }

    /// Keys put so far: a key it has not seen is appended without comparing it to every key
    /// before it (tags rarely repeat).
    private var seen = TagKeyFilter()

    mutating func put(_ tag: KeyValue) {
        put(tag, mayRepeat: seen.insert(tag.key))
    }

    /// `keyBytes`, the key as it was on the wire, spare making bytes of the string again.
    mutating func put(_ tag: KeyValue, keyBytes: UnsafeRawBufferPointer) {
        put(tag, mayRepeat: seen.insert(keyBytes))
    }

    private mutating func put(_ tag: KeyValue, mayRepeat: Bool) {
        if index == nil {
            if mayRepeat {
                list.put(tag.key, tag.value)
            } else {
                list.append(tag)
            }
        } else if let at = index?[AttributeKey(tag.key)] {
            list[at].value = tag.value
        } else {
            index?[AttributeKey(tag.key)] = list.count
            list.append(tag)
        }
    }
}

/// The rules of the Collector's Jaeger translator (`ThriftToTraces`, wire-formats §8.2).
enum JaegerTranslation {
    /// One ResourceSpans; a ScopeSpans with an empty scope only when the batch had spans.
    static func batch(resource: Resource, spans: [Span]?) -> TraceBatch {
        var rs = ResourceSpans(resource: resource)
        if let spans { rs.scopeSpans = [ScopeSpans(spans: spans)] }
        return TraceBatch(resourceSpans: [rs])
    }

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

    static func event(timestamp: Int64, fields: [KeyValue]) -> SpanEvent {
        event(timeUnixNano: nanoseconds(timestamp), fields: fields)
    }

    /// The `event` field names the event and is removed; without it the name is empty.
    static func event(timeUnixNano: UInt64, fields: [KeyValue]) -> SpanEvent {
        var attributes = fields
        let name = attributes.swapRemove("event")?.stringValue ?? ""
        return SpanEvent(timeUnixNano: timeUnixNano, name: name, attributes: attributes)
    }

    /// nil for a blank span (every field zero or absent), which upstream skips.
    static func span(_ s: JaegerSpanFields) -> Span? {
        if isBlank(s) { return nil }
        return span(s, startTimeUnixNano: nanoseconds(s.startTime), endTimeUnixNano: nanoseconds(s.startTime &+ s.duration))
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
        let parent = parentSpanID(s)
        span.parentSpanID = SpanID(UInt64(bitPattern: parent))
        span.attributes = s.tags ?? []
        var tags = JaegerSpecialTags(span.attributes)
        if let kind = tags.remove(.spanKind, from: &span.attributes) { span.kind = spanKind(kind.stringValue) }
        applyStatus(&span, &tags)
        span.events = s.logs ?? []
        span.links = links(s.references ?? [], excluding: parent)
        return span
    }

    private static func isBlank(_ s: JaegerSpanFields) -> Bool {
        s.traceIDLow == 0 && s.traceIDHigh == 0 && s.spanID == 0 && s.parentSpanID == 0 && s.operationName.isEmpty
            && s.references == nil && s.flags == 0 && s.startTime == 0 && s.duration == 0 && s.tags == nil && s.logs == nil
    }

    /// Epoch microseconds to nanoseconds, wrapping as Go's unsigned arithmetic does.
    static func nanoseconds(_ microseconds: Int64) -> UInt64 { UInt64(bitPattern: microseconds) &* 1000 }

    /// `parentSpanId`, else the first CHILD_OF reference in the same trace, else the first
    /// FOLLOWS_FROM one in the same trace, else none (jaeger's `Span.ParentSpanID`).
    static func parentSpanID(_ s: JaegerSpanFields) -> Int64 {
        if s.parentSpanID != 0 { return s.parentSpanID }
        var followsFrom: Int64?
        for ref in s.references ?? [] where ref.traceIDHigh == s.traceIDHigh && ref.traceIDLow == s.traceIDLow {
            if ref.refType == JaegerSpanRef.childOf { return ref.spanID }
            if followsFrom == nil && ref.refType == 1 { followsFrom = ref.spanID }
        }
        return followsFrom ?? 0
    }

    /// Every reference but the CHILD_OF ones to the chosen parent, tagged `opentracing.ref_type`.
    static func links(_ refs: [JaegerSpanRef], excluding parent: Int64) -> [SpanLink] {
        var links: [SpanLink] = []
        for ref in refs where !(ref.spanID == parent && ref.refType == JaegerSpanRef.childOf) {
            links.append(SpanLink(
                traceID: TraceID(high: UInt64(bitPattern: ref.traceIDHigh), low: UInt64(bitPattern: ref.traceIDLow)),
                spanID: SpanID(UInt64(bitPattern: ref.spanID)),
                attributes: [KeyValue("opentracing.ref_type", .string(ref.refType == JaegerSpanRef.childOf ? "child_of" : "follows_from"))]))
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
