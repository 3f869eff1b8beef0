import Diagnostics
import TraceModel

/// The spans of a Zipkin v1 thrift body — a TBinaryProtocol `list<Span>` of zipkinCore.thrift
/// (wire-formats.md §6.3) — read as the Collector's zipkinv1 translator reads them: each binary
/// annotation becomes an attribute of its `annotation_type`.
enum ZipkinV1ThriftDecoder {
    static func decodeSpans(_ bytes: UnsafeRawBufferPointer, options: ZipkinDecodeOptions, arena: TextArena) throws(ZipkinDecodeError) -> [ZipkinV1Span] {
        var decoder = ZipkinV1ThriftSpanDecoder(reader: ThriftBinaryReader(bytes, maxDepth: options.maxDepth), arena: arena)
        let count = try decoder.run { r throws(ThriftDecodeError) in try r.readListHeader(of: .struct) }
        var spans: [ZipkinV1Span] = []
        spans.reserveCapacity(count)
        for index in 0..<count {
            do throws(ZipkinDecodeError) {
                spans.append(try decoder.span())
            } catch {
                throw error.inSpan(index)
            }
        }
        let left = decoder.reader.remaining
        if left > 0 { throw ZipkinDecodeError("\(left) bytes after the list of spans", offset: decoder.reader.offset) }
        return spans
    }
}

/// The zipkinCore.thrift struct decoders. Known fields must have the IDL's type; unknown fields
/// are skipped.
struct ZipkinV1ThriftSpanDecoder {
    var reader: ThriftBinaryReader
    /// Where the text the decoder makes goes (base64 of BYTES values).
    let arena: TextArena

    @inline(__always)
    mutating func run<T>(_ body: (inout ThriftBinaryReader) throws(ThriftDecodeError) -> T) throws(ZipkinDecodeError) -> T {
        do throws(ThriftDecodeError) {
            return try body(&reader)
        } catch {
            throw ZipkinDecodeError(error)
        }
    }

    /// Calls `field` for each field of a struct, adding `name(id)` to the path of any error.
    private mutating func forEachField(
        _ name: (Int16) -> String, _ field: (inout ZipkinV1ThriftSpanDecoder, ThriftFieldHeader) throws(ZipkinDecodeError) -> Void
    ) throws(ZipkinDecodeError) {
        let mark = try run { r throws(ThriftDecodeError) in try r.beginStruct() }
        while let header = try run({ r throws(ThriftDecodeError) in try r.readFieldHeader() }) {
            try inZipkinField(name(header.id)) { () throws(ZipkinDecodeError) in try field(&self, header) }
        }
        reader.endStruct(mark)
    }

    private mutating func value<T>(
        _ header: ThriftFieldHeader, _ type: ThriftType, _ read: (inout ThriftBinaryReader) throws(ThriftDecodeError) -> T
    ) throws(ZipkinDecodeError) -> T {
        try run { r throws(ThriftDecodeError) in
            try r.expect(header, type)
            return try read(&r)
        }
    }

    private mutating func skip(_ header: ThriftFieldHeader) throws(ZipkinDecodeError) {
        try run { r throws(ThriftDecodeError) in try r.skip(header.type) }
    }

    private mutating func list(_ header: ThriftFieldHeader, _ element: (inout ZipkinV1ThriftSpanDecoder) throws(ZipkinDecodeError) -> Void) throws(ZipkinDecodeError) {
        let count = try value(header, .list) { r throws(ThriftDecodeError) in try r.readListHeader(of: .struct) }
        try run { r throws(ThriftDecodeError) in try r.enterContainer() }
        for index in 0..<count {
            try inZipkinField("[\(index)]") { () throws(ZipkinDecodeError) in try element(&self) }
        }
        reader.leaveContainer()
    }

    private static func spanFieldName(_ id: Int16) -> String {
        switch id {
        case 1: "trace_id"
        case 3: "name"
        case 4: "id"
        case 5: "parent_id"
        case 6: "annotations"
        case 8: "binary_annotations"
        case 10: "timestamp"
        case 11: "duration"
        case 12: "trace_id_high"
        default: "field \(id)"
        }
    }

    mutating func span() throws(ZipkinDecodeError) -> ZipkinV1Span {
        var span = ZipkinV1Span()
        var traceIDLow: Int64 = 0
        var traceIDHigh: Int64 = 0
        var id: Int64 = 0
        try forEachField(Self.spanFieldName) { d, header throws(ZipkinDecodeError) in
            switch header.id {
            case 1: traceIDLow = try d.value(header, .i64) { r throws(ThriftDecodeError) in try r.readI64() }
            case 3: span.name = try d.value(header, .binary) { r throws(ThriftDecodeError) in try r.readString() }
            case 4: id = try d.value(header, .i64) { r throws(ThriftDecodeError) in try r.readI64() }
            case 5: span.parentID = SpanID(UInt64(bitPattern: try d.value(header, .i64) { r throws(ThriftDecodeError) in try r.readI64() }))
            case 6:
                try d.list(header) { d throws(ZipkinDecodeError) in
                    if let annotation = try d.annotation() { span.annotations.append(annotation) }
                }
            case 8: try d.list(header) { d throws(ZipkinDecodeError) in try d.binaryAnnotation(into: &span) }
            case 10: span.timestamp = try d.microseconds(header)
            case 11: span.duration = try d.microseconds(header)
            case 12: traceIDHigh = try d.value(header, .i64) { r throws(ThriftDecodeError) in try r.readI64() }
            default: try d.skip(header)
            }
        }
        span.traceID = TraceID(high: UInt64(bitPattern: traceIDHigh), low: UInt64(bitPattern: traceIDLow))
        // Upstream passes zero ids on; OTLP calls them invalid.
        guard !span.traceID.isZero else { throw ZipkinDecodeError("is required and must not be zero", field: "trace_id") }
        guard id != 0 else { throw ZipkinDecodeError("is required and must not be zero", field: "id") }
        span.id = SpanID(UInt64(bitPattern: id))
        return span
    }

    private mutating func microseconds(_ header: ThriftFieldHeader) throws(ZipkinDecodeError) -> UInt64 {
        let value = try self.value(header, .i64) { r throws(ThriftDecodeError) in try r.readI64() }
        guard value >= 0 else { throw ZipkinDecodeError("must not be negative") }
        return UInt64(value)
    }

    /// nil for an annotation without a value, which upstream skips.
    private mutating func annotation() throws(ZipkinDecodeError) -> ZipkinV1Annotation? {
        var annotation = ZipkinV1Annotation(timestamp: 0, value: "", endpoint: nil)
        let names = { (id: Int16) -> String in id == 1 ? "timestamp" : id == 2 ? "value" : id == 3 ? "host" : "field \(id)" }
        try forEachField(names) { d, header throws(ZipkinDecodeError) in
            switch header.id {
            case 1: annotation.timestamp = try d.microseconds(header)
            case 2: annotation.value = try d.value(header, .binary) { r throws(ThriftDecodeError) in try r.readString() }
            case 3:
                try d.run { r throws(ThriftDecodeError) in try r.expect(header, .struct) }
                annotation.endpoint = try d.endpoint()
            default: try d.skip(header)
            }
        }
        return annotation.value.isEmpty ? nil : annotation
    }

    /// One binary annotation as an attribute of its type (BOOL when absent); a present `host`
    /// sets the span's fallback service name, even to "".
    private mutating func binaryAnnotation(into span: inout ZipkinV1Span) throws(ZipkinDecodeError) {
        var key = UnsafeRawBufferPointer(start: nil, count: 0)
        var value = UnsafeRawBufferPointer(start: nil, count: 0)
        var type: Int32 = 0
        var host: ZipkinV1Endpoint?
        let names = { (id: Int16) -> String in
            id == 1 ? "key" : id == 2 ? "value" : id == 3 ? "annotation_type" : id == 4 ? "host" : "field \(id)"
        }
        try forEachField(names) { d, header throws(ZipkinDecodeError) in
            switch header.id {
            case 1:
                key = try d.value(header, .binary) { r throws(ThriftDecodeError) in try r.readBinary() }
                guard UTF8Text.isValid(key.assumingMemoryBound(to: UInt8.self)) else { throw ZipkinDecodeError("invalid UTF-8 in string") }
            case 2: value = try d.value(header, .binary) { r throws(ThriftDecodeError) in try r.readBinary() }
            case 3: type = try d.value(header, .i32) { r throws(ThriftDecodeError) in try r.readI32() }
            case 4:
                try d.run { r throws(ThriftDecodeError) in try r.expect(header, .struct) }
                host = try d.endpoint()
            default: try d.skip(header)
            }
        }
        if let host { span.binaryAnnotationServiceName = host.serviceName }
        if key.hasSameBytes(as: "lc") {
            key = AttributeRef.key("component")
            span.localComponent = String(decoding: value, as: UTF8.self)
        }
        span.attributes.append(try inZipkinField("value") { () throws(ZipkinDecodeError) in try attribute(key, value, type: type) })
    }

    /// BOOL is true for the one byte 1; BYTES is base64; I16 and I32 read unsigned and I64
    /// signed, big-endian, from the first bytes; a value too short for its number, or an unknown
    /// type, becomes a string saying so in angle brackets — all as upstream's thrift path does.
    private func attribute(_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer, type: Int32) throws(ZipkinDecodeError) -> AttributeRef {
        func bigEndian(_ count: Int) -> UInt64? {
            guard value.count >= count else { return nil }
            return value.prefix(count).reduce(0) { $0 << 8 | UInt64($1) }
        }
        let tooShort = AttributeRef.string(key, AttributeRef.key("<not enough bytes representing the number>"))
        switch type {
        case 0: return .bool(key, value.count == 1 && value[0] == 1)
        case 1: return .string(key, Base64.encode([UInt8](value)).withUnsafeBytes { arena.copy($0) })
        case 2: return bigEndian(2).map { .int(key, Int64($0)) } ?? tooShort
        case 3: return bigEndian(4).map { .int(key, Int64($0)) } ?? tooShort
        case 4: return bigEndian(8).map { .int(key, Int64(bitPattern: $0)) } ?? tooShort
        case 5: return bigEndian(8).map { .double(key, Double(bitPattern: $0)) } ?? tooShort
        case 6:
            guard UTF8Text.isValid(value.assumingMemoryBound(to: UInt8.self)) else { throw ZipkinDecodeError("invalid UTF-8 in string") }
            return .string(key, value)
        default: return .string(key, arena.copy("<unknown zipkin v1 binary annotation type (\(type))>"))
        }
    }

    /// ipv4 is a packed big-endian `i32` (0 = none), port an `i16` taken as signed (upstream
    /// widens Go's `int16`), ipv6 any non-empty bytes printed as Go's `net.IP.String` prints them.
    private mutating func endpoint() throws(ZipkinDecodeError) -> ZipkinV1Endpoint {
        var endpoint = ZipkinV1Endpoint()
        let names = { (id: Int16) -> String in
            id == 1 ? "ipv4" : id == 2 ? "port" : id == 3 ? "service_name" : id == 4 ? "ipv6" : "field \(id)"
        }
        try forEachField(names) { d, header throws(ZipkinDecodeError) in
            switch header.id {
            case 1:
                let packed = try d.value(header, .i32) { r throws(ThriftDecodeError) in try r.readI32() }
                endpoint.ipv4 = packed == 0 ? "" : IPAddressText.format(packedIPv4: packed)
            case 2: endpoint.port = Int32(try d.value(header, .i16) { r throws(ThriftDecodeError) in try r.readI16() })
            case 3: endpoint.serviceName = try d.value(header, .binary) { r throws(ThriftDecodeError) in try r.readString() }
            case 4:
                let bytes = try d.value(header, .binary) { r throws(ThriftDecodeError) in try r.readBinary() }
                endpoint.ipv6 = bytes.isEmpty ? "" : IPAddressText.format(bytes)
            default: try d.skip(header)
            }
        }
        return endpoint
    }
}
