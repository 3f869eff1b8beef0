import TraceModel

extension ResourceSpans {
    /// Edits the resource alone. A value whose spans were never decoded (OTLP protobuf in, the
    /// model not built) stays so: only its `resource` field is decoded, and the message is
    /// written again from the edited resource and the other fields' bytes as received, so
    /// forwarding it costs a copy, not decoding and encoding every span. Any other value is
    /// edited in its model.
    public mutating func editResource(_ body: (inout Resource) -> Void) {
        guard isDeferred, let encoded, let parts = Self.split(encoded) else { return body(&resource) }
        var edited = parts.resource
        body(&edited)
        guard edited != parts.resource else { return }
        let rest = parts.others.reduce(0) { $0 + $1.count }
        let bytes = encoded.withUnsafeBytes { raw in
            ProtoWriter.withBuffer(size: ProtoSize.lengthDelimited(1, OTLPProtoSizes.resource(edited)) + rest) { w in
                for range in parts.others.reversed() { w.writeRaw(UnsafeRawBufferPointer(rebasing: raw[range])) }
                w.writeMessageField(1) { OTLPProtoWrites.resource(edited, &$0) }
            }
        }
        let limits = OTLPDecodeLimits()
        self = ResourceSpans(deferred: EncodedBytes(EncodedBytes.Storage(bytes), 0..<bytes.count), spanCount: spanCount) { encoded in
            OTLPProtoDecoder.model(of: encoded, limits: limits)
        }
    }

    /// The resource (every `resource` field merged, as protobuf reads a repeated singular
    /// message) and the byte ranges of all other fields, in order; nil if the bytes do not read,
    /// which validated bytes always do.
    private static func split(_ encoded: EncodedBytes) -> (resource: Resource, others: [Range<Int>])? {
        encoded.withUnsafeBytes { raw in
            var reader = ProtoReader(raw)
            var resource = Resource()
            var others: [Range<Int>] = []
            let decoder = OTLPProtoTraceDecoder(limits: OTLPDecodeLimits())
            do throws(ProtoDecodeError) {
                while !reader.isAtEnd {
                    let tag = try reader.readTag()
                    if tag.field == 1 {
                        var sub = try reader.message(tag)
                        try decoder.decodeResource(&sub, into: &resource)
                    } else {
                        try reader.skip(wireType: tag.wireType)
                        others.append(tag.start..<reader.position)
                    }
                }
            } catch {
                return nil
            }
            return (resource, others)
        }
    }
}
