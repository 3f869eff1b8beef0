import TraceModel

/// Encodes OTLP/JSON: lowerCamelCase keys, lowercase hex ids, 64-bit integers as strings, enums
/// as integers, defaults omitted (AnyValue members always written).
public enum OTLPJSONEncoder {
    public static func encodeExportRequest(_ batch: TraceBatch) -> [UInt8] {
        var w = JSONWriter(capacity: 256 + batch.spanCount * 256)
        w.beginObject()
        w.key("resourceSpans")
        w.beginArray()
        for resourceSpans in batch.resourceSpans { OTLPJSONWrites.resourceSpans(resourceSpans, .otlp, &w) }
        w.endArray()
        w.endObject()
        return w.bytes
    }

    /// `[ResourceSpans…]` as a JSON array in `dialect`.
    public static func writeResourceSpans(_ list: [ResourceSpans], _ dialect: OTLPJSONDialect, _ w: inout JSONWriter) {
        w.beginArray()
        for resourceSpans in list { OTLPJSONWrites.resourceSpans(resourceSpans, dialect, &w) }
        w.endArray()
    }

    /// `[KeyValue…]` as OTLP/JSON.
    public static func writeAttributes(_ values: [KeyValue], _ w: inout JSONWriter) {
        OTLPJSONWrites.keyValueArray(values, &w)
    }

    /// `{"partialSuccess":{}}` when nothing was rejected, as the Go collector answers.
    public static func encodeExportResponse(rejectedSpans: Int64, errorMessage: String) -> [UInt8] {
        var w = JSONWriter(capacity: 64 + errorMessage.utf8.count)
        w.beginObject()
        w.key("partialSuccess")
        w.beginObject()
        if rejectedSpans != 0 {
            w.key("rejectedSpans")
            w.quotedNumber(rejectedSpans)
        }
        if !errorMessage.isEmpty {
            w.key("errorMessage")
            w.string(errorMessage)
        }
        w.endObject()
        w.endObject()
        return w.bytes
    }

    /// google.rpc.Status as JSON (`code` omitted when 0).
    public static func encodeStatus(code: Int32, message: String) -> [UInt8] {
        var w = JSONWriter(capacity: 64 + message.utf8.count)
        w.beginObject()
        if code != 0 {
            w.key("code")
            w.number(code)
        }
        if !message.isEmpty {
            w.key("message")
            w.string(message)
        }
        w.endObject()
        return w.bytes
    }
}

/// How ids and enums are spelled. `.otlp` is the OTLP/JSON specification's (hex ids, enums as
/// integers); `.protoJSON` is the proto3 JSON mapping as gogo's jsonpb writes it, which Tempo's
/// HTTP API answers with (base64 ids, enums by name).
public enum OTLPJSONDialect: Sendable {
    case otlp, protoJSON
}

enum OTLPJSONWrites {
    static func resourceSpans(_ value: ResourceSpans, _ dialect: OTLPJSONDialect, _ w: inout JSONWriter) {
        w.beginObject()
        w.key("resource")
        w.beginObject()
        attributes(value.resource.attributes, &w)
        uint32("droppedAttributesCount", value.resource.droppedAttributesCount, &w)
        w.endObject()
        array("scopeSpans", value.scopeSpans, &w) { scopeSpans($0, dialect, &$1) }
        string("schemaUrl", value.schemaURL, &w)
        w.endObject()
    }

    static func scopeSpans(_ value: ScopeSpans, _ dialect: OTLPJSONDialect, _ w: inout JSONWriter) {
        w.beginObject()
        w.key("scope")
        w.beginObject()
        string("name", value.scope.name, &w)
        string("version", value.scope.version, &w)
        attributes(value.scope.attributes, &w)
        uint32("droppedAttributesCount", value.scope.droppedAttributesCount, &w)
        w.endObject()
        array("spans", value.spans, &w) { span($0, dialect, &$1) }
        string("schemaUrl", value.schemaURL, &w)
        w.endObject()
    }

    static func span(_ value: Span, _ dialect: OTLPJSONDialect, _ w: inout JSONWriter) {
        w.beginObject()
        traceID(value.traceID, dialect, &w)
        spanID("spanId", value.spanID, dialect, &w)
        string("traceState", value.traceState, &w)
        spanID("parentSpanId", value.parentSpanID, dialect, &w)
        uint32("flags", value.flags, &w)
        string("name", value.name, &w)
        if value.kind.rawValue != 0 {
            w.key("kind")
            enumValue(value.kind.rawValue, dialect == .protoJSON ? spanKindNames : [], &w)
        }
        uint64("startTimeUnixNano", value.startTimeUnixNano, &w)
        uint64("endTimeUnixNano", value.endTimeUnixNano, &w)
        attributes(value.attributes, &w)
        uint32("droppedAttributesCount", value.droppedAttributesCount, &w)
        array("events", value.events, &w, Self.event)
        uint32("droppedEventsCount", value.droppedEventsCount, &w)
        array("links", value.links, &w) { link($0, dialect, &$1) }
        uint32("droppedLinksCount", value.droppedLinksCount, &w)
        if value.status != Status() { status(value.status, dialect, &w) }
        w.endObject()
    }

    static func event(_ value: SpanEvent, _ w: inout JSONWriter) {
        w.beginObject()
        uint64("timeUnixNano", value.timeUnixNano, &w)
        string("name", value.name, &w)
        attributes(value.attributes, &w)
        uint32("droppedAttributesCount", value.droppedAttributesCount, &w)
        w.endObject()
    }

    static func link(_ value: SpanLink, _ dialect: OTLPJSONDialect, _ w: inout JSONWriter) {
        w.beginObject()
        traceID(value.traceID, dialect, &w)
        spanID("spanId", value.spanID, dialect, &w)
        string("traceState", value.traceState, &w)
        attributes(value.attributes, &w)
        uint32("droppedAttributesCount", value.droppedAttributesCount, &w)
        uint32("flags", value.flags, &w)
        w.endObject()
    }

    static func status(_ value: Status, _ dialect: OTLPJSONDialect, _ w: inout JSONWriter) {
        w.key("status")
        w.beginObject()
        string("message", value.message, &w)
        if value.code.rawValue != 0 {
            w.key("code")
            enumValue(value.code.rawValue, dialect == .protoJSON ? statusCodeNames : [], &w)
        }
        w.endObject()
    }

    static func attributes(_ values: [KeyValue], _ w: inout JSONWriter) {
        guard !values.isEmpty else { return }
        w.key("attributes")
        keyValueArray(values, &w)
    }

    /// `"key":[…]`, left out when there are no items (proto3 JSON omits empty repeated fields).
    static func array<T>(_ key: StaticString, _ items: [T], _ w: inout JSONWriter, _ write: (T, inout JSONWriter) -> Void) {
        guard !items.isEmpty else { return }
        w.key(key)
        w.beginArray()
        for item in items { write(item, &w) }
        w.endArray()
    }

    static func keyValueArray(_ values: [KeyValue], _ w: inout JSONWriter) {
        w.beginArray()
        for attribute in values {
            w.beginObject()
            w.key("key")
            w.string(attribute.key)
            w.key("value")
            anyValue(attribute.value, &w)
            w.endObject()
        }
        w.endArray()
    }

    static func anyValue(_ value: AnyValue, _ w: inout JSONWriter) {
        w.beginObject()
        switch value {
        case .empty: break
        case .string(let s):
            w.key("stringValue")
            w.string(s)
        case .bool(let b):
            w.key("boolValue")
            w.bool(b)
        case .int(let i):
            w.key("intValue")
            w.quotedNumber(i)
        case .double(let d):
            w.key("doubleValue")
            w.double(d)
        case .bytes(let b):
            w.key("bytesValue")
            w.quotedASCII(Base64.encode(b))
        case .array(let values):
            w.key("arrayValue")
            w.beginObject()
            w.key("values")
            w.beginArray()
            for element in values { anyValue(element, &w) }
            w.endArray()
            w.endObject()
        case .kvlist(let values):
            w.key("kvlistValue")
            w.beginObject()
            w.key("values")
            keyValueArray(values, &w)
            w.endObject()
        }
        w.endObject()
    }

    private static func traceID(_ id: TraceID, _ dialect: OTLPJSONDialect, _ w: inout JSONWriter) {
        guard !id.isZero else { return }
        w.key("traceId")
        w.quotedASCII(dialect == .protoJSON ? Base64.encode(id.bytes) : Array(id.hex.utf8))
    }

    private static func spanID(_ key: StaticString, _ id: SpanID, _ dialect: OTLPJSONDialect, _ w: inout JSONWriter) {
        guard !id.isZero else { return }
        w.key(key)
        w.quotedASCII(dialect == .protoJSON ? Base64.encode(id.bytes) : Array(id.hex.utf8))
    }

    static let spanKindNames = ["SPAN_KIND_UNSPECIFIED", "SPAN_KIND_INTERNAL", "SPAN_KIND_SERVER", "SPAN_KIND_CLIENT",
                                "SPAN_KIND_PRODUCER", "SPAN_KIND_CONSUMER"]
    static let statusCodeNames = ["STATUS_CODE_UNSET", "STATUS_CODE_OK", "STATUS_CODE_ERROR"]

    /// By name when `names` has one for the number (jsonpb writes unknown numbers as integers).
    private static func enumValue(_ number: Int32, _ names: [String], _ w: inout JSONWriter) {
        if number >= 0, Int(number) < names.count {
            w.quotedASCII(Array(names[Int(number)].utf8))
        } else {
            w.number(number)
        }
    }

    private static func string(_ key: StaticString, _ value: String, _ w: inout JSONWriter) {
        guard !value.isEmpty else { return }
        w.key(key)
        w.string(value)
    }

    private static func uint32(_ key: StaticString, _ value: UInt32, _ w: inout JSONWriter) {
        guard value != 0 else { return }
        w.key(key)
        w.number(value)
    }

    private static func uint64(_ key: StaticString, _ value: UInt64, _ w: inout JSONWriter) {
        guard value != 0 else { return }
        w.key(key)
        w.quotedNumber(value)
    }
}
