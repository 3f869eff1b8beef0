import TraceModel

/// The spans of a Zipkin v1 thrift body — a TBinaryProtocol `list<Span>` of zipkinCore.thrift
/// (wire-formats.md §6.3) — each converted to v2.
/// Binary annotations are read as Zipkin's own v1 reader reads them: STRING values become tags,
/// a BOOL true under `ca`/`sa`/`ma` with a host is the remote endpoint, other types are dropped.
enum ZipkinV1ThriftDecoder {
    static func decodeSpans(_ bytes: UnsafeRawBufferPointer, options: ZipkinDecodeOptions, arena: TextArena) throws(ZipkinDecodeError) -> [ZipkinSpan] {
        var decoder = ZipkinV1ThriftSpanDecoder(reader: ThriftBinaryReader(bytes, maxDepth: options.maxDepth))
        let count = try decoder.run { r throws(ThriftDecodeError) in try r.readListHeader(of: .struct) }
        var spans: [ZipkinSpan] = []
        spans.reserveCapacity(count)
        for index in 0..<count {
            do throws(ZipkinDecodeError) {
                ZipkinV1Converter.convert(try decoder.span(), arena: arena, into: &spans)
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
            case 8:
                try d.list(header) { d throws(ZipkinDecodeError) in
                    if let annotation = try d.binaryAnnotation() { span.binaryAnnotations.append(annotation) }
                }
            case 10: span.timestamp = try d.microseconds(header)
            case 11: span.duration = try d.microseconds(header)
            case 12: traceIDHigh = try d.value(header, .i64) { r throws(ThriftDecodeError) in try r.readI64() }
            default: try d.skip(header)
            }
        }
        span.traceID = TraceID(high: UInt64(bitPattern: traceIDHigh), low: UInt64(bitPattern: traceIDLow))
        guard traceIDLow != 0 else { throw ZipkinDecodeError("is required and must not be zero", field: "trace_id") }
        guard id != 0 else { throw ZipkinDecodeError("is required and must not be zero", field: "id") }
        span.id = SpanID(UInt64(bitPattern: id))
        return span
    }

    private mutating func microseconds(_ header: ThriftFieldHeader) throws(ZipkinDecodeError) -> UInt64 {
        let value = try self.value(header, .i64) { r throws(ThriftDecodeError) in try r.readI64() }
        guard value >= 0 else { throw ZipkinDecodeError("must not be negative") }
        return UInt64(value)
    }

    /// nil for an annotation without a timestamp or value, which Zipkin's reader drops.
    private mutating func annotation() throws(ZipkinDecodeError) -> ZipkinV1Annotation? {
        var timestamp: UInt64 = 0
        var value: String?
        var endpoint: ZipkinEndpoint?
        let names = { (id: Int16) -> String in id == 1 ? "timestamp" : id == 2 ? "value" : id == 3 ? "host" : "field \(id)" }
        try forEachField(names) { d, header throws(ZipkinDecodeError) in
            switch header.id {
            case 1: timestamp = try d.microseconds(header)
            case 2: value = try d.value(header, .binary) { r throws(ThriftDecodeError) in try r.readString() }
            case 3:
                try d.run { r throws(ThriftDecodeError) in try r.expect(header, .struct) }
                endpoint = try d.endpoint()
            default: try d.skip(header)
            }
        }
        guard timestamp != 0, let value else { return nil }
        return ZipkinV1Annotation(timestamp: timestamp, value: value, endpoint: endpoint)
    }

    private mutating func binaryAnnotation() throws(ZipkinDecodeError) -> ZipkinV1BinaryAnnotation? {
        var key: String?
        var value: [UInt8]?
        var type: Int32?
        var endpoint: ZipkinEndpoint?
        let names = { (id: Int16) -> String in
            id == 1 ? "key" : id == 2 ? "value" : id == 3 ? "annotation_type" : id == 4 ? "host" : "field \(id)"
        }
        try forEachField(names) { d, header throws(ZipkinDecodeError) in
            switch header.id {
            case 1: key = try d.value(header, .binary) { r throws(ThriftDecodeError) in try r.readString() }
            case 2: value = try d.value(header, .binary) { r throws(ThriftDecodeError) in try r.readBytes() }
            case 3: type = try d.value(header, .i32) { r throws(ThriftDecodeError) in try r.readI32() }
            case 4:
                try d.run { r throws(ThriftDecodeError) in try r.expect(header, .struct) }
                endpoint = try d.endpoint()
            default: try d.skip(header)
            }
        }
        guard let key, let value else { return nil }
        switch type {
        case 6:
            guard let text = value.withUnsafeBufferPointer(UTF8Text.string) else {
                throw ZipkinDecodeError("invalid UTF-8 in string", field: "value")
            }
            return ZipkinV1BinaryAnnotation(key: key, value: text, endpoint: endpoint)
        case 0 where value == [1] && endpoint != nil && (key == "ca" || key == "sa" || key == "ma"):
            return ZipkinV1BinaryAnnotation(key: key, value: nil, endpoint: endpoint)
        default:
            return nil
        }
    }

    /// ipv4 is a packed big-endian `i32` (0 = none), port an `i16` read as unsigned, ipv6 16 bytes.
    private mutating func endpoint() throws(ZipkinDecodeError) -> ZipkinEndpoint? {
        var endpoint = ZipkinEndpoint()
        let names = { (id: Int16) -> String in
            id == 1 ? "ipv4" : id == 2 ? "port" : id == 3 ? "service_name" : id == 4 ? "ipv6" : "field \(id)"
        }
        try forEachField(names) { d, header throws(ZipkinDecodeError) in
            switch header.id {
            case 1:
                let packed = try d.value(header, .i32) { r throws(ThriftDecodeError) in try r.readI32() }
                endpoint.ipv4 = packed == 0 ? nil : IPAddressText.format(packedIPv4: packed)
            case 2: endpoint.port = UInt16(bitPattern: try d.value(header, .i16) { r throws(ThriftDecodeError) in try r.readI16() })
            case 3: endpoint.serviceName = try d.value(header, .binary) { r throws(ThriftDecodeError) in try r.readString() }
            case 4:
                let bytes = try d.value(header, .binary) { r throws(ThriftDecodeError) in try r.readBytes() }
                endpoint.ipv6 = bytes.count == 16 ? IPAddressText.format(bytes) : nil
            default: try d.skip(header)
            }
        }
        return endpoint.isEmpty ? nil : endpoint
    }
}
