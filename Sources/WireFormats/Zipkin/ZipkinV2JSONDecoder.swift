import TraceModel

/// The spans of a Zipkin v2 JSON `ListOfSpans` (wire-formats.md §6.1), read straight from the
/// body bytes. Keys are matched without making strings of them, ignoring ASCII case as upstream's
/// Go decoder does; unknown keys are skipped.
enum ZipkinV2JSONDecoder {
    static func decodeSpans(_ bytes: UnsafeRawBufferPointer, options: ZipkinDecodeOptions, arena: TextArena) throws(ZipkinDecodeError) -> [ZipkinSpan] {
        var reader = ZipkinJSONReader(bytes, maxDepth: options.maxDepth, arena: arena)
        var spans: [ZipkinSpan] = []
        // A span of the Istio kind takes about 1.5 KB of JSON.
        spans.reserveCapacity(min(bytes.count / 512 + 1, 4096))
        try reader.forEachSpan { r, _ throws(ZipkinDecodeError) in spans.append(try r.v2Span()) }
        return spans
    }
}

extension ZipkinJSONReader {
    private static let spanKeys = JSONMemberNames([
        "kind", "timestamp", "duration", "localendpoint", "remoteendpoint", "annotations", "tags", "debug", "shared",
    ])

    mutating func v2Span() throws(ZipkinDecodeError) -> ZipkinSpan {
        var span = ZipkinSpan()
        var ids = ZipkinSpanIdentity()
        try forEachMember { r, key throws(ZipkinDecodeError) in
            if try r.identityMember(key, into: &ids) { return }
            switch key.index(in: Self.spanKeys) {
            case 0: span.kind = try r.withStringBytes { ZipkinSpanKind(name: $0) }
            case 1: span.timestamp = try r.unsignedInteger()
            case 2: span.duration = try r.unsignedInteger()
            case 3: span.localEndpoint = try r.endpoint()
            case 4: span.remoteEndpoint = try r.endpoint()
            case 5: span.annotations = try r.annotations()
            case 6: try r.tags(into: &span.tags)
            case 7, 8: _ = try r.bool()
            default: try r.skip()
            }
        }
        (span.traceID, span.id) = try ids.required()
        (span.parentID, span.name) = (ids.parentID, ids.name)
        span.marksAbsentTimestamp = span.timestamp == 0
        // Moved out: the member closure captured `span`, so returning it would copy it.
        var result = ZipkinSpan()
        swap(&result, &span)
        return result
    }

    /// `[{timestamp, value}]`; each timestamp at least 1, as upstream requires.
    private mutating func annotations() throws(ZipkinDecodeError) -> [ZipkinAnnotation] {
        var annotations: [ZipkinAnnotation] = []
        try forEachElement { r throws(ZipkinDecodeError) in
            var annotation = ZipkinAnnotation(timestamp: 0, value: "")
            try r.forEachMember { r, key throws(ZipkinDecodeError) in
                if key.matches("timestamp") {
                    annotation.timestamp = try r.unsignedInteger()
                } else if key.matches("value") {
                    annotation.value = try r.string()
                } else {
                    try r.skip()
                }
            }
            guard annotation.timestamp >= 1 else { throw ZipkinDecodeError("must be at least 1", field: "timestamp") }
            annotations.append(annotation)
        }
        return annotations
    }
}
