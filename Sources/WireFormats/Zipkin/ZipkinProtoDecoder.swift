import Diagnostics
import TraceModel

/// The spans of a zipkin.proto3 `ListOfSpans` (wire-formats.md §6.2).
/// Unlike upstream, an 8-byte `trace_id` (Envoy's HTTP_PROTO with 64-bit ids) is accepted and
/// padded to 16 bytes like a 16-hex-digit id in JSON.
enum ZipkinProtoDecoder {
    static func decodeSpans(_ bytes: UnsafeRawBufferPointer, options: ZipkinDecodeOptions, arena: TextArena) throws(ZipkinDecodeError) -> [ZipkinSpan] {
        var reader = ZipkinProtoReader(ProtoReader(bytes))
        var spans: [ZipkinSpan] = []
        spans.reserveCapacity(min(bytes.count / 256 + 1, 4096))
        while !reader.proto.isAtEnd {
            let tag = try reader.run { r throws(ProtoDecodeError) in try r.readTag() }
            guard tag.field == 1 else {
                try reader.run { r throws(ProtoDecodeError) in try r.skip(wireType: tag.wireType) }
                continue
            }
            let index = spans.count
            var span = ZipkinProtoReader(try reader.run { r throws(ProtoDecodeError) in try r.message(tag) })
            do throws(ZipkinDecodeError) {
                spans.append(try span.span(arena: arena))
            } catch {
                throw error.inSpan(index)
            }
        }
        return spans
    }
}

/// A `ProtoReader` whose errors are `ZipkinDecodeError`s.
struct ZipkinProtoReader {
    var proto: ProtoReader

    init(_ proto: ProtoReader) {
        self.proto = proto
    }

    @inline(__always)
    mutating func run<T>(_ body: (inout ProtoReader) throws(ProtoDecodeError) -> T) throws(ZipkinDecodeError) -> T {
        do throws(ProtoDecodeError) {
            return try body(&proto)
        } catch {
            throw ZipkinDecodeError(error)
        }
    }

    /// Calls `field` for each record with its tag until the end of this (sub)message.
    mutating func forEachField(_ field: (inout ZipkinProtoReader, ProtoTag) throws(ZipkinDecodeError) -> Void) throws(ZipkinDecodeError) {
        while !proto.isAtEnd {
            let tag = try run { r throws(ProtoDecodeError) in try r.readTag() }
            try field(&self, tag)
        }
    }

    mutating func skip(_ tag: ProtoTag) throws(ZipkinDecodeError) {
        try run { r throws(ProtoDecodeError) in try r.skip(wireType: tag.wireType) }
    }

    private mutating func string(_ tag: ProtoTag) throws(ZipkinDecodeError) -> String {
        try run { r throws(ProtoDecodeError) in try r.string(tag) }
    }

    private mutating func bytes(_ tag: ProtoTag) throws(ZipkinDecodeError) -> UnsafeRawBufferPointer {
        try run { r throws(ProtoDecodeError) in try r.message(tag).unreadBytes }
    }

    /// Runs `body` on a reader of the sub-message the record holds.
    private mutating func submessage<T>(_ tag: ProtoTag, _ body: (inout ZipkinProtoReader) throws(ZipkinDecodeError) -> T) throws(ZipkinDecodeError) -> T {
        var reader = ZipkinProtoReader(try run { r throws(ProtoDecodeError) in try r.message(tag) })
        return try body(&reader)
    }

    mutating func span(arena: TextArena) throws(ZipkinDecodeError) -> ZipkinSpan {
        var span = ZipkinSpan()
        var hasID = false
        var hasTraceID = false
        var tagFilter = TagKeyFilter()
        try forEachField { r, tag throws(ZipkinDecodeError) in
            switch tag.field {
            case 1:
                span.traceID = try inZipkinField("trace_id") { () throws(ZipkinDecodeError) in try Self.traceID(r.bytes(tag)) }
                hasTraceID = true
            case 2: span.parentID = try inZipkinField("parent_id") { () throws(ZipkinDecodeError) in try Self.spanID(r.bytes(tag), allowingEmpty: true) }
            case 3:
                span.id = try inZipkinField("id") { () throws(ZipkinDecodeError) in try Self.spanID(r.bytes(tag), allowingEmpty: false) }
                hasID = true
            case 4: span.kind = Self.kind(try r.run { p throws(ProtoDecodeError) in try p.uint64(tag) })
            case 5: span.name = try inZipkinField("name") { () throws(ZipkinDecodeError) in try r.string(tag) }
            case 6: span.timestamp = try inZipkinField("timestamp") { () throws(ZipkinDecodeError) in try r.run { p throws(ProtoDecodeError) in try p.fixed64(tag) } }
            case 7: span.duration = try inZipkinField("duration") { () throws(ZipkinDecodeError) in try r.run { p throws(ProtoDecodeError) in try p.uint64(tag) } }
            case 8: span.localEndpoint = try inZipkinField("local_endpoint") { () throws(ZipkinDecodeError) in try r.submessage(tag) { m throws(ZipkinDecodeError) in try m.endpoint() } }
            case 9: span.remoteEndpoint = try inZipkinField("remote_endpoint") { () throws(ZipkinDecodeError) in try r.submessage(tag) { m throws(ZipkinDecodeError) in try m.endpoint() } }
            case 10:
                let index = span.annotations.count
                span.annotations.append(try inZipkinField("annotations[\(index)]") { () throws(ZipkinDecodeError) in try r.submessage(tag) { m throws(ZipkinDecodeError) in try m.annotation() } })
            case 11:
                let entry = try inZipkinField("tags") { () throws(ZipkinDecodeError) in try r.submessage(tag) { m throws(ZipkinDecodeError) in try m.tag() } }
                span.tags.put(ZipkinTag(key: arena.copy(entry.key), value: arena.copy(entry.value)), seen: &tagFilter)
            case 12, 13: _ = try r.run { p throws(ProtoDecodeError) in try p.uint64(tag) }
            default: try r.skip(tag)
            }
        }
        guard hasTraceID else { throw ZipkinDecodeError("is required", field: "trace_id") }
        guard hasID else { throw ZipkinDecodeError("is required", field: "id") }
        return span
    }

    /// 16 bytes, or 8 for a 64-bit id (accepted and padded, where upstream refuses it).
    private static func traceID(_ bytes: UnsafeRawBufferPointer) throws(ZipkinDecodeError) -> TraceID {
        let id: TraceID
        switch bytes.count {
        case 16: id = TraceID(bytes: bytes) ?? .zero
        case 8: id = TraceID(high: 0, low: SpanID(bytes: bytes)?.value ?? 0)
        default: throw ZipkinDecodeError("must be 16 bytes (or 8 for a 64-bit id), got \(bytes.count)")
        }
        guard !id.isZero else { throw ZipkinDecodeError("must not be all zeros") }
        return id
    }

    private static func spanID(_ bytes: UnsafeRawBufferPointer, allowingEmpty: Bool) throws(ZipkinDecodeError) -> SpanID {
        if bytes.isEmpty && allowingEmpty { return .zero }
        guard let id = SpanID(bytes: bytes) else { throw ZipkinDecodeError("must be 8 bytes, got \(bytes.count)") }
        guard allowingEmpty || !id.isZero else { throw ZipkinDecodeError("must not be all zeros") }
        return id
    }

    /// zipkin.proto numbers kinds CLIENT 1, SERVER 2, PRODUCER 3, CONSUMER 4.
    private static func kind(_ value: UInt64) -> ZipkinSpanKind {
        switch value {
        case 1: .client
        case 2: .server
        case 3: .producer
        case 4: .consumer
        default: .unspecified
        }
    }

    /// Addresses are raw bytes; an empty one is no address.
    private mutating func endpoint() throws(ZipkinDecodeError) -> ZipkinEndpoint? {
        var endpoint = ZipkinEndpoint()
        try forEachField { r, tag throws(ZipkinDecodeError) in
            switch tag.field {
            case 1: endpoint.serviceName = try inZipkinField("service_name") { () throws(ZipkinDecodeError) in try r.string(tag) }
            case 2, 3:
                let address = try inZipkinField(tag.field == 2 ? "ipv4" : "ipv6") { () throws(ZipkinDecodeError) in try r.bytes(tag) }
                let text = address.isEmpty ? nil : IPAddressText.format(address)
                if tag.field == 2 { endpoint.ipv4 = text } else { endpoint.ipv6 = text }
            case 4:
                let port = try inZipkinField("port") { () throws(ZipkinDecodeError) in try r.run { p throws(ProtoDecodeError) in try p.int32(tag) } }
                endpoint.port = UInt16(truncatingIfNeeded: port)
            default: try r.skip(tag)
            }
        }
        return endpoint.isEmpty ? nil : endpoint
    }

    private mutating func annotation() throws(ZipkinDecodeError) -> ZipkinAnnotation {
        var annotation = ZipkinAnnotation(timestamp: 0, value: "")
        try forEachField { r, tag throws(ZipkinDecodeError) in
            switch tag.field {
            case 1: annotation.timestamp = try inZipkinField("timestamp") { () throws(ZipkinDecodeError) in try r.run { p throws(ProtoDecodeError) in try p.fixed64(tag) } }
            case 2: annotation.value = try inZipkinField("value") { () throws(ZipkinDecodeError) in try r.string(tag) }
            default: try r.skip(tag)
            }
        }
        return annotation
    }

    /// A `map<string, string>` entry: key 1, value 2, either may be missing.
    private mutating func tag() throws(ZipkinDecodeError) -> (key: String, value: String) {
        var entry = (key: "", value: "")
        try forEachField { r, tag throws(ZipkinDecodeError) in
            switch tag.field {
            case 1: entry.key = try inZipkinField("key") { () throws(ZipkinDecodeError) in try r.string(tag) }
            case 2: entry.value = try inZipkinField("value") { () throws(ZipkinDecodeError) in try r.string(tag) }
            default: try r.skip(tag)
            }
        }
        return entry
    }
}
