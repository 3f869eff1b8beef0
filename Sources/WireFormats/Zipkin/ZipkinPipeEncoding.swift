import TraceModel

/// The `|`-separated forms upstream's Zipkin exporter writes events and links in, read back:
/// annotation `name|{json attributes}|droppedCount` and tag `otlp.link.<i>` =
/// `traceId|spanId|traceState|{json attributes}|droppedCount` (a JSON part containing `|` spans
/// several fields, which are joined again).
enum ZipkinPipeEncoding {
    static func event(_ annotation: ZipkinAnnotation) throws(ZipkinDecodeError) -> SpanEvent {
        let (time, overflow) = annotation.timestamp.multipliedReportingOverflow(by: 1000)
        guard !overflow else { throw ZipkinDecodeError("is too large for nanoseconds since 1970", field: "timestamp") }
        var event = SpanEvent(timeUnixNano: time, name: annotation.value)
        guard annotation.value.utf8.contains(UInt8(ascii: "|")) else { return event }
        let parts = annotation.value.split(separator: "|", omittingEmptySubsequences: false)
        event.name = String(parts[0])
        guard parts.count >= 3 else { return event }
        event.attributes = try jsonAttributes(parts[1..<(parts.count - 1)].joined(separator: "|"))
        event.droppedAttributesCount = try droppedCount(parts[parts.count - 1])
        return event
    }

    /// nil for fewer than five parts, which upstream ignores.
    static func link(_ value: String) throws(ZipkinDecodeError) -> SpanLink? {
        let parts = value.split(separator: "|", omittingEmptySubsequences: false)
        guard parts.count >= 5 else { return nil }
        var link = SpanLink()
        link.traceID = try id(parts[0], digits: 32) { TraceID(hexDigits: $0) } ?? .zero
        link.spanID = try id(parts[1], digits: 16) { SpanID(hexDigits: $0) } ?? .zero
        link.traceState = String(parts[2])
        link.attributes = try jsonAttributes(parts[3..<(parts.count - 1)].joined(separator: "|"))
        link.droppedAttributesCount = try droppedCount(parts[parts.count - 1])
        return link
    }

    /// Hex in optional quotes; empty is no id.
    private static func id<ID>(_ text: Substring, digits: Int, _ parse: (UnsafeRawBufferPointer) -> ID?) throws(ZipkinDecodeError) -> ID? {
        var hex = text
        if hex.count >= 2, hex.first == "\"", hex.last == "\"" { hex = hex.dropFirst().dropLast() }
        if hex.isEmpty { return nil }
        var string = String(hex)
        let id = string.withUTF8 { $0.count == digits ? parse(UnsafeRawBufferPointer($0)) : nil }
        guard let id else { throw ZipkinDecodeError("invalid id \"\(hex)\" in link") }
        return id
    }

    /// Go's `strconv.ParseUint(s, 10, 32)`: decimal digits only.
    private static func droppedCount(_ text: Substring) throws(ZipkinDecodeError) -> UInt32 {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }), let count = UInt32(text) else {
            throw ZipkinDecodeError("invalid dropped attributes count \"\(text)\"")
        }
        return count
    }

    /// A JSON object read as Go reads it into `map[string]interface{}`: strings, booleans and
    /// numbers (integral ones as ints) are kept, other values dropped; `null` is no attributes.
    static func jsonAttributes(_ text: String) throws(ZipkinDecodeError) -> [KeyValue] {
        var utf8 = Array(text.utf8)
        let result = utf8.withUnsafeMutableBytes { bytes in
            Result { () throws(ZipkinDecodeError) in try jsonAttributes(UnsafeRawBufferPointer(bytes)) }
        }
        return try result.get()
    }

    private static func jsonAttributes(_ bytes: UnsafeRawBufferPointer) throws(ZipkinDecodeError) -> [KeyValue] {
        var reader = ZipkinJSONReader(bytes, maxDepth: 64, arena: TextArena())
        var attributes: [KeyValue] = []
        try reader.run { r throws(JSONDecodeError) in
            r.skipWhitespace()
            guard r.position < r.end else { throw JSONDecodeError(.emptyBody, at: 0) }
            if try r.consumeNull() { return }
            try r.beginObject()
            var first = true
            while let key = try r.nextKey(&first) {
                switch try r.peek() {
                case UInt8(ascii: "\""): attributes.put(key, .string(try r.readString()))
                case UInt8(ascii: "t"), UInt8(ascii: "f"): attributes.put(key, .bool(try r.readBool()))
                case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                    let start = r.position
                    guard let value = try r.readNumberToken().double, value.isFinite else { throw JSONDecodeError(.invalidNumber, at: start) }
                    attributes.put(key, integral(value) ?? .double(value))
                default: try r.skipValue(depthLeft: 64, limit: 64)
                }
            }
            r.skipWhitespace()
            guard r.position == r.end else { throw JSONDecodeError(.trailingGarbage, at: r.position) }
        }
        return attributes
    }

    private static func integral(_ value: Double) -> AnyValue? {
        guard value.rounded(.towardZero) == value else { return nil }
        guard let int = Int64(exactly: value) else { return .int(value < 0 ? .min : .max) }
        return .int(int)
    }
}

extension ZipkinTranslator {
    static func events(_ annotations: [ZipkinAnnotation]) throws(ZipkinDecodeError) -> [SpanEvent] {
        var events: [SpanEvent] = []
        events.reserveCapacity(annotations.count)
        for (index, annotation) in annotations.enumerated() {
            events.append(try inZipkinField("[\(index)]") { () throws(ZipkinDecodeError) in try ZipkinPipeEncoding.event(annotation) })
        }
        return events
    }
}
