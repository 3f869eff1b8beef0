import TraceModel

/// Decodes `ExportTraceServiceRequest` protobuf into the span model.
public enum OTLPProtoDecoder {
    public static func decodeExportRequest(
        _ bytes: UnsafeRawBufferPointer, limits: OTLPDecodeLimits = .init()
    ) throws(ProtoDecodeError) -> OTLPDecodeResult {
        var decoder = OTLPProtoTraceDecoder(limits: limits)
        var reader = ProtoReader(bytes)
        let batch = try decoder.decodeRequest(&reader)
        return decoder.rejections.result(batch)
    }

    /// As above; each `ResourceSpans` whose spans are all valid also keeps its bytes
    /// (`ResourceSpans.encoded`) so an OTLP exporter can forward them without encoding again.
    public static func decodeExportRequest(
        _ bytes: [UInt8], limits: OTLPDecodeLimits = .init()
    ) throws(ProtoDecodeError) -> OTLPDecodeResult {
        let storage = EncodedBytes.Storage(bytes)
        // withUnsafeBytes is rethrows (untyped); carry the typed error out in a Result.
        let result = bytes.withUnsafeBytes { buffer in
            Result { () throws(ProtoDecodeError) in
                var decoder = OTLPProtoTraceDecoder(limits: limits)
                decoder.keepEncoding = storage
                var reader = ProtoReader(buffer)
                let batch = try decoder.decodeRequest(&reader)
                return decoder.rejections.result(batch)
            }
        }
        return try result.get()
    }
}

extension OTLPProtoDecoder {
    /// The model of a `ResourceSpans` that validated (`OTLPProtoValidator`), or that another
    /// format was translated into (`JaegerTranslatedSpans`), so decoding succeeds. A translation
    /// keeps spans whatever their ids, as upstream's translators do: `checksIDs` false, since
    /// OTLP's id rules (`SpanValidation`) are for OTLP input.
    static func model(of encoded: EncodedBytes, limits: OTLPDecodeLimits, checksIDs: Bool = true) -> ResourceSpans {
        encoded.withUnsafeBytes { buffer in
            var decoder = OTLPProtoTraceDecoder(limits: limits)
            decoder.checksIDs = checksIDs
            var reader = ProtoReader(buffer)
            var value = ResourceSpans()
            do throws(ProtoDecodeError) {
                try decoder.decodeResourceSpans(&reader, into: &value, index: 0)
            } catch {
                assertionFailure("a validated ResourceSpans failed to decode: \(error)")
            }
            return value
        }
    }
}

/// The decoding pass: message decoders for the trace messages. Singular sub-messages decode
/// *into* an existing value, so a repeated record merges as protobuf requires.
struct OTLPProtoTraceDecoder {
    let limits: OTLPDecodeLimits
    var rejections = SpanRejections()
    /// The body being decoded, when each valid `ResourceSpans` should keep its bytes.
    var keepEncoding: EncodedBytes.Storage?
    /// Whether spans with ids OTLP refuses (`SpanValidation`) are dropped and counted.
    var checksIDs = true

    init(limits: OTLPDecodeLimits) {
        self.limits = limits
    }

    mutating func decodeRequest(_ reader: inout ProtoReader) throws(ProtoDecodeError) -> TraceBatch {
        var batch = TraceBatch()
        while !reader.isAtEnd {
            let tag = try reader.readTag()
            guard tag.field == 1 else {
                try reader.skip(wireType: tag.wireType)
                continue
            }
            let index = batch.resourceSpans.count
            if let storage = keepEncoding, let deferred = try deferredResourceSpans(&reader, tag, storage) {
                batch.resourceSpans.append(deferred)
                continue
            }
            var resourceSpans = ResourceSpans()
            let rejectedBefore = rejections.count
            var content = 0..<0
            try inField("resource_spans[\(index)]") { () throws(ProtoDecodeError) in
                var sub = try reader.message(tag)
                content = sub.position..<sub.end
                try decodeResourceSpans(&sub, into: &resourceSpans, index: index)
            }
            if let storage = keepEncoding, rejections.count == rejectedBefore {
                resourceSpans.encoded = EncodedBytes(storage, content)
            }
            batch.resourceSpans.append(resourceSpans)
        }
        return batch
    }

    /// A `ResourceSpans` that validates, left undecoded until something needs its model; nil
    /// (the reader unmoved) when it does not validate and the decoder must look.
    private func deferredResourceSpans(_ reader: inout ProtoReader, _ tag: ProtoTag, _ storage: EncodedBytes.Storage) throws(ProtoDecodeError) -> ResourceSpans? {
        guard tag.wireType == WireType.len else { return nil }
        var ahead = reader
        let content = try ahead.readLengthDelimited()
        var validator = OTLPProtoValidator(maxDepth: limits.maxDepth)
        guard validator.validResourceSpans(content) else { return nil }
        reader = ahead
        let limits = self.limits
        return ResourceSpans(deferred: EncodedBytes(storage, content.position..<content.end), spanCount: validator.spanCount) { encoded in
            OTLPProtoDecoder.model(of: encoded, limits: limits)
        }
    }

    mutating func decodeResourceSpans(_ reader: inout ProtoReader, into value: inout ResourceSpans, index: Int) throws(ProtoDecodeError) {
        while !reader.isAtEnd {
            let tag = try reader.readTag()
            switch tag.field {
            case 1:
                try inField("resource") { () throws(ProtoDecodeError) in
                    var sub = try reader.message(tag)
                    try decodeResource(&sub, into: &value.resource)
                }
            case 2, 1000:
                // 1000 is the retired `instrumentation_library_spans`, read as ScopeSpans.
                let scopeIndex = value.scopeSpans.count
                let name = tag.field == 2 ? "scope_spans" : "instrumentation_library_spans"
                var scopeSpans = ScopeSpans()
                try inField("\(name)[\(scopeIndex)]") { () throws(ProtoDecodeError) in
                    var sub = try reader.message(tag)
                    try decodeScopeSpans(&sub, into: &scopeSpans, legacy: tag.field == 1000, resource: index, scope: scopeIndex)
                }
                value.scopeSpans.append(scopeSpans)
            case 3:
                value.schemaURL = try inField("schema_url") { () throws(ProtoDecodeError) in try reader.string(tag) }
            default:
                try reader.skip(wireType: tag.wireType)
            }
        }
    }

    mutating func decodeScopeSpans(
        _ reader: inout ProtoReader, into value: inout ScopeSpans, legacy: Bool, resource: Int, scope: Int
    ) throws(ProtoDecodeError) {
        var spanIndex = 0
        while !reader.isAtEnd {
            let tag = try reader.readTag()
            switch tag.field {
            case 1:
                try inField(legacy ? "instrumentation_library" : "scope") { () throws(ProtoDecodeError) in
                    var sub = try reader.message(tag)
                    try decodeScope(&sub, into: &value.scope, legacy: legacy)
                }
            case 2:
                var span = Span()
                var facts = SpanIDFacts()
                try inField("spans[\(spanIndex)]") { () throws(ProtoDecodeError) in
                    var sub = try reader.message(tag)
                    try decodeSpan(&sub, into: &span, facts: &facts)
                }
                if checksIDs, let problem = SpanValidation.problem(span: span, facts: facts) {
                    rejections.reject(resource: resource, scope: scope, span: spanIndex, problem: problem)
                } else {
                    value.spans.append(span)
                }
                spanIndex += 1
            case 3:
                value.schemaURL = try inField("schema_url") { () throws(ProtoDecodeError) in try reader.string(tag) }
            default:
                try reader.skip(wireType: tag.wireType)
            }
        }
    }

    /// `legacy`: InstrumentationLibrary {name = 1, version = 2}, a subset of the scope's fields.
    func decodeScope(_ reader: inout ProtoReader, into scope: inout InstrumentationScope, legacy: Bool) throws(ProtoDecodeError) {
        while !reader.isAtEnd {
            let tag = try reader.readTag()
            switch (tag.field, legacy) {
            case (1, _): scope.name = try inField("name") { () throws(ProtoDecodeError) in try reader.string(tag) }
            case (2, _): scope.version = try inField("version") { () throws(ProtoDecodeError) in try reader.string(tag) }
            case (3, false): try decodeAttribute(&reader, tag, into: &scope.attributes)
            case (4, false):
                scope.droppedAttributesCount = try inField("dropped_attributes_count") { () throws(ProtoDecodeError) in try reader.uint32(tag) }
            default: try reader.skip(wireType: tag.wireType)
            }
        }
    }

    func decodeResource(_ reader: inout ProtoReader, into resource: inout Resource) throws(ProtoDecodeError) {
        while !reader.isAtEnd {
            let tag = try reader.readTag()
            switch tag.field {
            case 1: try decodeAttribute(&reader, tag, into: &resource.attributes)
            case 2:
                resource.droppedAttributesCount = try inField("dropped_attributes_count") { () throws(ProtoDecodeError) in try reader.uint32(tag) }
            default: try reader.skip(wireType: tag.wireType)  // includes entity_refs (3), not kept in the model
            }
        }
    }
}
