import TraceModel

/// Decodes OTLP/JSON `ExportTraceServiceRequest` (wire-formats.md §3): lowerCamelCase and
/// snake_case keys, unknown keys skipped, `null` = unset, duplicate keys last wins.
public enum OTLPJSONDecoder {
    public static func decodeExportRequest(
        _ bytes: UnsafeRawBufferPointer, limits: OTLPDecodeLimits = .init()
    ) throws(JSONDecodeError) -> OTLPDecodeResult {
        var reader = JSONReader(bytes)
        reader.skipWhitespace()
        guard reader.position < reader.end else { throw JSONDecodeError(.emptyBody, at: 0) }
        var decoder = OTLPJSONTraceDecoder(limits: limits)
        let batch = try decoder.decodeRequest(&reader)
        reader.skipWhitespace()
        guard reader.position == reader.end else { throw JSONDecodeError(.trailingGarbage, at: reader.position) }
        return decoder.rejections.result(batch)
    }

    public static func decodeExportRequest(
        _ bytes: [UInt8], limits: OTLPDecodeLimits = .init()
    ) throws(JSONDecodeError) -> OTLPDecodeResult {
        let result = bytes.withUnsafeBytes { buffer in
            Result { () throws(JSONDecodeError) in try decodeExportRequest(buffer, limits: limits) }
        }
        return try result.get()
    }
}

struct OTLPJSONTraceDecoder {
    let limits: OTLPDecodeLimits
    var rejections = SpanRejections()

    init(limits: OTLPDecodeLimits) {
        self.limits = limits
    }

    func skip(_ reader: inout JSONReader) throws(JSONDecodeError) {
        try reader.skipValue(depthLeft: limits.maxDepth, limit: limits.maxDepth)
    }

    /// Calls `member` for each key of an object whose value is not null, adding the key to the
    /// path of any error.
    func forEachMember(
        _ reader: inout JSONReader, _ member: (String, inout JSONReader) throws(JSONDecodeError) -> Void
    ) throws(JSONDecodeError) {
        try reader.beginObject()
        var first = true
        while let key = try reader.nextKey(&first) {
            if try reader.consumeNull() { continue }
            try inKey(key) { () throws(JSONDecodeError) in try member(key, &reader) }
        }
    }

    /// Calls `element` for each element of an array, adding `[index]` to the path of any error.
    func forEachElement(
        _ reader: inout JSONReader, _ element: (Int, inout JSONReader) throws(JSONDecodeError) -> Void
    ) throws(JSONDecodeError) {
        try reader.beginArray()
        var first = true
        var index = 0
        while try reader.nextElement(&first) {
            try inKey("[\(index)]") { () throws(JSONDecodeError) in try element(index, &reader) }
            index += 1
        }
    }

    mutating func decodeRequest(_ reader: inout JSONReader) throws(JSONDecodeError) -> TraceBatch {
        var batch = TraceBatch()
        var decoder = self
        try forEachMember(&reader) { (key, reader) throws(JSONDecodeError) in
            switch key {
            case "resourceSpans", "resource_spans":
                var list: [ResourceSpans] = []
                try forEachElement(&reader) { (index, reader) throws(JSONDecodeError) in
                    list.append(try decoder.decodeResourceSpans(&reader, index: index))
                }
                batch.resourceSpans = list
            default: try skip(&reader)
            }
        }
        self = decoder
        return batch
    }

    mutating func decodeResourceSpans(_ reader: inout JSONReader, index: Int) throws(JSONDecodeError) -> ResourceSpans {
        var value = ResourceSpans()
        var current: [ScopeSpans] = []
        var legacy: [ScopeSpans] = []
        var decoder = self
        try forEachMember(&reader) { (key, reader) throws(JSONDecodeError) in
            switch key {
            case "resource": value.resource = try decoder.decodeResource(&reader)
            case "scopeSpans", "scope_spans":
                current = try decoder.decodeScopeSpansList(&reader, resource: index, legacy: false)
            case "instrumentationLibrarySpans", "instrumentation_library_spans":
                // Retired field 1000, read as ScopeSpans.
                legacy = try decoder.decodeScopeSpansList(&reader, resource: index, legacy: true)
            case "schemaUrl", "schema_url": value.schemaURL = try reader.readString()
            default: try decoder.skip(&reader)
            }
        }
        self = decoder
        value.scopeSpans = current + legacy
        return value
    }

    mutating func decodeScopeSpansList(_ reader: inout JSONReader, resource: Int, legacy: Bool) throws(JSONDecodeError) -> [ScopeSpans] {
        var list: [ScopeSpans] = []
        var decoder = self
        try forEachElement(&reader) { (index, reader) throws(JSONDecodeError) in
            list.append(try decoder.decodeScopeSpans(&reader, legacy: legacy, resource: resource, scope: index))
        }
        self = decoder
        return list
    }

    mutating func decodeScopeSpans(_ reader: inout JSONReader, legacy: Bool, resource: Int, scope: Int) throws(JSONDecodeError) -> ScopeSpans {
        var value = ScopeSpans()
        var decoder = self
        try forEachMember(&reader) { (key, reader) throws(JSONDecodeError) in
            switch key {
            case "scope" where !legacy, "instrumentationLibrary" where legacy, "instrumentation_library" where legacy:
                value.scope = try decoder.decodeScope(&reader, legacy: legacy)
            case "spans":
                var spans: [Span] = []
                try forEachElement(&reader) { (index, reader) throws(JSONDecodeError) in
                    var facts = SpanIDFacts()
                    let span = try decoder.decodeSpan(&reader, facts: &facts)
                    if let problem = SpanValidation.problem(span: span, facts: facts) {
                        decoder.rejections.reject(resource: resource, scope: scope, span: index, problem: problem)
                    } else {
                        spans.append(span)
                    }
                }
                value.spans = spans
            case "schemaUrl", "schema_url": value.schemaURL = try reader.readString()
            default: try decoder.skip(&reader)
            }
        }
        self = decoder
        return value
    }

    func decodeScope(_ reader: inout JSONReader, legacy: Bool) throws(JSONDecodeError) -> InstrumentationScope {
        var scope = InstrumentationScope()
        try forEachMember(&reader) { (key, reader) throws(JSONDecodeError) in
            switch key {
            case "name": scope.name = try reader.readString()
            case "version": scope.version = try reader.readString()
            case "attributes" where !legacy: scope.attributes = try decodeAttributes(&reader, depth: 0)
            case "droppedAttributesCount" where !legacy, "dropped_attributes_count" where !legacy:
                scope.droppedAttributesCount = try reader.readUInt32()
            default: try skip(&reader)
            }
        }
        return scope
    }

    func decodeResource(_ reader: inout JSONReader) throws(JSONDecodeError) -> Resource {
        var resource = Resource()
        try forEachMember(&reader) { (key, reader) throws(JSONDecodeError) in
            switch key {
            case "attributes": resource.attributes = try decodeAttributes(&reader, depth: 0)
            case "droppedAttributesCount", "dropped_attributes_count": resource.droppedAttributesCount = try reader.readUInt32()
            default: try skip(&reader)  // includes entityRefs, not kept in the model
            }
        }
        return resource
    }
}
