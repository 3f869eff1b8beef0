import TraceModel

/// The spans of a Zipkin v1 JSON list (wire-formats.md §6.3), each converted to v2.
enum ZipkinV1JSONDecoder {
    static func decodeSpans(_ bytes: UnsafeRawBufferPointer, options: ZipkinDecodeOptions, arena: TextArena) throws(ZipkinDecodeError) -> [ZipkinSpan] {
        var reader = ZipkinJSONReader(bytes, maxDepth: options.maxDepth, arena: arena)
        var spans: [ZipkinSpan] = []
        try reader.forEachSpan { r, _ throws(ZipkinDecodeError) in ZipkinV1Converter.convert(try r.v1Span(), arena: arena, into: &spans) }
        return spans
    }
}

extension ZipkinJSONReader {
    private static let v1SpanKeys = JSONMemberNames(["timestamp", "duration", "annotations", "binaryannotations", "debug"])

    mutating func v1Span() throws(ZipkinDecodeError) -> ZipkinV1Span {
        var span = ZipkinV1Span()
        var ids = ZipkinSpanIdentity()
        try forEachMember { r, key throws(ZipkinDecodeError) in
            if try r.identityMember(key, into: &ids) { return }
            switch key.index(in: Self.v1SpanKeys) {
            case 0: span.timestamp = try r.unsignedInteger()
            case 1: span.duration = try r.unsignedInteger()
            case 2: try r.forEachElement { r throws(ZipkinDecodeError) in span.annotations.append(try r.v1Annotation()) }
            case 3:
                try r.forEachElement { r throws(ZipkinDecodeError) in
                    if let annotation = try r.v1BinaryAnnotation() { span.binaryAnnotations.append(annotation) }
                }
            case 4: _ = try r.bool()
            default: try r.skip()
            }
        }
        (span.traceID, span.id) = try ids.required()
        (span.parentID, span.name) = (ids.parentID, ids.name)
        return span
    }

    /// `{timestamp, value, endpoint}`; timestamp and value are required.
    private mutating func v1Annotation() throws(ZipkinDecodeError) -> ZipkinV1Annotation {
        var timestamp: UInt64?
        var value: String?
        var endpoint: ZipkinEndpoint?
        try forEachMember { r, key throws(ZipkinDecodeError) in
            if key.matches("timestamp") {
                timestamp = try r.unsignedInteger()
            } else if key.matches("value") {
                value = try r.string()
            } else if key.matches("endpoint") {
                endpoint = try r.endpoint()
            } else {
                try r.skip()
            }
        }
        guard let timestamp else { throw ZipkinDecodeError("is required", field: "timestamp") }
        guard let value else { throw ZipkinDecodeError("is required", field: "value") }
        return ZipkinV1Annotation(timestamp: timestamp, value: value, endpoint: endpoint)
    }

    /// `{key, value, endpoint}`: a string value is a tag; `true` under `ca`, `sa` or `ma` with an
    /// endpoint is an address; other values are dropped, as Zipkin's v1 reader drops them.
    private mutating func v1BinaryAnnotation() throws(ZipkinDecodeError) -> ZipkinV1BinaryAnnotation? {
        var key: String?
        var stringValue: String?
        var boolValue: Bool?
        var endpoint: ZipkinEndpoint?
        try forEachMember { r, name throws(ZipkinDecodeError) in
            if name.matches("key") {
                key = try r.string()
            } else if name.matches("value") {
                switch try r.run({ j throws(JSONDecodeError) in try j.peek() }) {
                case UInt8(ascii: "\""): stringValue = try r.string()
                case UInt8(ascii: "t"), UInt8(ascii: "f"): boolValue = try r.bool()
                default: try r.skip()
                }
            } else if name.matches("endpoint") {
                endpoint = try r.endpoint()
            } else {
                try r.skip()
            }
        }
        guard let key else { throw ZipkinDecodeError("is required", field: "key") }
        if let stringValue { return ZipkinV1BinaryAnnotation(key: key, value: stringValue, endpoint: endpoint) }
        if boolValue == true, endpoint != nil, key == "ca" || key == "sa" || key == "ma" {
            return ZipkinV1BinaryAnnotation(key: key, value: nil, endpoint: endpoint)
        }
        return nil
    }
}
