import TraceModel

/// The spans of a Zipkin v1 JSON list (wire-formats.md §6.3), read as the Collector's zipkinv1
/// translator reads them: binary annotation values are strings (typed under `parse_string_tags`);
/// `lc` becomes `component`.
enum ZipkinV1JSONDecoder {
    static func decodeSpans(_ bytes: UnsafeRawBufferPointer, options: ZipkinDecodeOptions, arena: TextArena) throws(ZipkinDecodeError) -> [ZipkinV1Span] {
        var reader = ZipkinJSONReader(bytes, maxDepth: options.maxDepth, arena: arena)
        var spans: [ZipkinV1Span] = []
        try reader.forEachSpan { r, _ throws(ZipkinDecodeError) in spans.append(try r.v1Span(parsingStringTags: options.parseStringTags)) }
        return spans
    }
}

extension ZipkinJSONReader {
    private static let v1SpanKeys = JSONMemberNames(["timestamp", "duration", "annotations", "binaryannotations", "debug"])

    mutating func v1Span(parsingStringTags: Bool) throws(ZipkinDecodeError) -> ZipkinV1Span {
        var span = ZipkinV1Span()
        var ids = ZipkinSpanIdentity()
        try forEachMember { r, key throws(ZipkinDecodeError) in
            if try r.identityMember(key, into: &ids) { return }
            switch key.index(in: Self.v1SpanKeys) {
            case 0:
                let timestamp = try r.unsignedInteger()
                span.timestamp = timestamp == 0 ? nil : timestamp
            case 1: span.duration = try r.unsignedInteger()
            case 2:
                // A repeated member replaces the list, as Go's decoder fills a slice anew.
                span.annotations.removeAll()
                try r.forEachElement { r throws(ZipkinDecodeError) in
                    if let annotation = try r.v1Annotation() { span.annotations.append(annotation) }
                }
            case 3:
                (span.attributes, span.binaryAnnotationServiceName, span.localComponent) = ([], "", "")
                try r.forEachElement { r throws(ZipkinDecodeError) in try r.v1BinaryAnnotation(into: &span, parsingStringTags: parsingStringTags) }
            case 4: _ = try r.bool()
            default: try r.skip()
            }
        }
        (span.traceID, span.id) = try ids.required()
        (span.parentID, span.name) = (ids.parentID, ids.name)
        return span
    }

    /// `{timestamp, value, endpoint}`; nil for `null` or an empty value, which upstream skips.
    private mutating func v1Annotation() throws(ZipkinDecodeError) -> ZipkinV1Annotation? {
        if try run({ r throws(JSONDecodeError) in try r.consumeNull() }) { return nil }
        var annotation = ZipkinV1Annotation(timestamp: 0, value: "", endpoint: nil)
        try forEachMember { r, key throws(ZipkinDecodeError) in
            if key.matches("timestamp") {
                annotation.timestamp = try r.unsignedInteger()
            } else if key.matches("value") {
                annotation.value = try r.repeatedString()
            } else if key.matches("endpoint") {
                annotation.endpoint = try r.v1Endpoint()
            } else {
                try r.skip()
            }
        }
        return annotation.value.isEmpty ? nil : annotation
    }

    /// `{key, value, endpoint}` as an attribute. The value is a string; `true`/`false` (which
    /// Zipkin's own v1 JSON writes for `sa`/`ca`/`ma`) is taken as a thrift BOOL is, a Bool.
    private mutating func v1BinaryAnnotation(into span: inout ZipkinV1Span, parsingStringTags: Bool) throws(ZipkinDecodeError) {
        if try run({ r throws(JSONDecodeError) in try r.consumeNull() }) { throw ZipkinDecodeError("must be an object, not null") }
        var key = UnsafeRawBufferPointer(start: nil, count: 0)
        var value = V1Value.text(UnsafeRawBufferPointer(start: nil, count: 0))
        try forEachMember { r, name throws(ZipkinDecodeError) in
            if name.matches("key") {
                key = try r.text()
            } else if name.matches("value") {
                value = try r.v1Value()
            } else if name.matches("endpoint") {
                let serviceName = try r.v1Endpoint().serviceName
                if !serviceName.isEmpty { span.binaryAnnotationServiceName = serviceName }
            } else {
                try r.skip()
            }
        }
        if key.hasSameBytes(as: "lc") {
            key = AttributeRef.key("component")
            span.localComponent = value.text
        }
        switch value {
        case .text(let text): span.attributes.append(ZipkinTags.attribute(key, text, parsingStringTags: parsingStringTags))
        case .bool(let b): span.attributes.append(.bool(key, b))
        }
    }

    private enum V1Value {
        case text(UnsafeRawBufferPointer)
        case bool(Bool)

        var text: String {
            switch self {
            case .text(let bytes): String(decoding: bytes, as: UTF8.self)
            case .bool(let b): b ? "true" : "false"
            }
        }
    }

    private mutating func v1Value() throws(ZipkinDecodeError) -> V1Value {
        let start = json.position
        switch try run({ r throws(JSONDecodeError) in try r.peek() }) {
        case UInt8(ascii: "\""): return .text(try text())
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool(try bool())
        default: throw ZipkinDecodeError("must be a string or a boolean", offset: start)
        }
    }

    /// `{serviceName, ipv4, ipv6, port}`, the addresses kept as written and the port a signed
    /// 32-bit number, as upstream's v1 endpoint holds them.
    private mutating func v1Endpoint() throws(ZipkinDecodeError) -> ZipkinV1Endpoint {
        var endpoint = ZipkinV1Endpoint()
        try forEachMember { r, key throws(ZipkinDecodeError) in
            switch key.index(in: Self.v1EndpointKeys) {
            case 0: endpoint.serviceName = try r.repeatedString()
            case 1: endpoint.ipv4 = try r.repeatedString()
            case 2: endpoint.ipv6 = try r.repeatedString()
            case 3:
                let start = r.json.position
                let number = try r.run { r throws(JSONDecodeError) in try r.readNumberToken() }
                guard let port = number.int64.flatMap({ Int32(exactly: $0) }) else {
                    throw ZipkinDecodeError("must be an integer of at most 32 bits", offset: start)
                }
                endpoint.port = port
            default: try r.skip()
            }
        }
        return endpoint
    }

    private static let v1EndpointKeys = JSONMemberNames(["servicename", "ipv4", "ipv6", "port"])
}
