import TraceModel

/// A `jaeger.api_v2.KeyValue` as read: every value field is kept, as the Go model keeps them
/// (`getAndDeleteTag` reads `v_str` whatever the type, and a process compares by all of them).
struct JaegerProtoTag: Hashable {
    var key = ""
    var vType: Int32 = 0
    var vStr = ""
    var vBool = false
    var vInt64: Int64 = 0
    var vFloat64Bits: UInt64 = 0
    var vBinary: [UInt8] = []

    /// ValueType: STRING 0, BOOL 1, INT64 2, FLOAT64 3, BINARY 4 (`jTagsToInternalAttributes`).
    var attribute: KeyValue {
        switch vType {
        case 0: KeyValue(key, .string(vStr))
        case 1: KeyValue(key, .bool(vBool))
        case 2: KeyValue(key, .int(vInt64))
        case 3: KeyValue(key, .double(Double(bitPattern: vFloat64Bits)))
        case 4: KeyValue(key, .bytes(vBinary))
        default: KeyValue(key, .string("<Unknown Jaeger TagType \"\(vType)\">"))
        }
    }

    static func attributes(_ tags: [JaegerProtoTag]) -> [KeyValue] {
        var attributes = JaegerAttributes<KeyValue>(capacity: tags.count)
        for tag in tags { attributes.put(tag.attribute) }
        return attributes.list
    }
}

/// A `jaeger.api_v2.Process`. Two spans share a resource when their processes are equal in
/// every field (upstream groups by a hash of the marshalled process).
struct JaegerProtoProcess: Hashable {
    var serviceName = ""
    var tags: [JaegerProtoTag] = []
}

/// A `jaeger.api_v2.Span` as read, before translation.
struct JaegerProtoSpan {
    var fields = JaegerSpanFields()
    /// `start_time` in Unix nanoseconds as Go's `time.Time.UnixNano` gives it (wrapping).
    var startTimeUnixNano = JaegerProtoTime.absentTimestamp
    var durationNanoseconds: Int64 = 0
    var rawTags: [JaegerProtoTag] = []
    var process: JaegerProtoProcess?
    /// `process_id`, `warnings` and unknown fields: not translated, but a span holding any of
    /// them is not blank.
    var hasUntranslatedContent = false

    /// Every field at its default (upstream skips such a span).
    var isBlank: Bool {
        let f = fields
        return f.traceIDLow == 0 && f.traceIDHigh == 0 && f.spanID == 0 && f.operationName.isEmpty && f.references == nil
            && f.flags == 0 && startTimeUnixNano == JaegerProtoTime.absentTimestamp && durationNanoseconds == 0
            && rawTags.isEmpty && f.logs == nil && process == nil && !hasUntranslatedContent
    }
}

/// `google.protobuf.Timestamp` and `Duration` as gogoproto's `stdtime` / `stdduration` read them.
enum JaegerProtoTime {
    /// Go's zero `time.Time` (0001-01-01) in Unix seconds: an absent timestamp.
    static let zeroTimeUnixSeconds: Int64 = -62_135_596_800
    /// 10000-01-01 in Unix seconds: the first second a Timestamp may not hold.
    static let endUnixSeconds: Int64 = 253_402_300_800
    /// ±10,000 years: the seconds a Duration may hold.
    static let maxDurationSeconds: Int64 = 315_576_000_000

    /// `time.Time{}.UnixNano()`, wrapped as Go computes it.
    static let absentTimestamp = unixNano(seconds: zeroTimeUnixSeconds, nanos: 0)

    static func unixNano(seconds: Int64, nanos: Int32) -> UInt64 {
        UInt64(bitPattern: seconds &* 1_000_000_000 &+ Int64(nanos))
    }

    /// Unix nanoseconds; refused out of 0001-01-01 ..< 10000-01-01 as `TimestampFromProto` does.
    static func timestamp(seconds: Int64, nanos: Int32, at offset: Int) throws(ProtoDecodeError) -> UInt64 {
        var problem: String?
        if seconds < zeroTimeUnixSeconds { problem = "timestamp seconds \(seconds) before 0001-01-01" }
        if seconds >= endUnixSeconds { problem = "timestamp seconds \(seconds) after 10000-01-01" }
        if nanos < 0 || nanos >= 1_000_000_000 { problem = "timestamp nanos \(nanos) out of range" }
        if let problem { throw ProtoDecodeError(.invalidValue(problem), at: offset) }
        return unixNano(seconds: seconds, nanos: nanos)
    }

    /// Nanoseconds; refused as `DurationFromProto` does (±10,000 years, nanos of the seconds' sign,
    /// and within a Go `time.Duration`).
    static func duration(seconds: Int64, nanos: Int32, at offset: Int) throws(ProtoDecodeError) -> Int64 {
        var problem: String?
        if seconds < -maxDurationSeconds || seconds > maxDurationSeconds { problem = "duration seconds \(seconds) out of range" }
        if nanos <= -1_000_000_000 || nanos >= 1_000_000_000 { problem = "duration nanos \(nanos) out of range" }
        if (seconds < 0 && nanos > 0) || (seconds > 0 && nanos < 0) {
            problem = "duration seconds \(seconds) and nanos \(nanos) have different signs"
        }
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        let (total, overflowNanos) = whole.addingReportingOverflow(Int64(nanos))
        if problem == nil && (overflow || overflowNanos) { problem = "duration of \(seconds) s does not fit in int64 nanoseconds" }
        if let problem { throw ProtoDecodeError(.invalidValue(problem), at: offset) }
        return total
    }
}
