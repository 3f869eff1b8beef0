import TraceModel

/// The `jaeger.thrift` struct decoders, generic over the protocol. Known fields must have the
/// IDL's type and required fields must be present (as the Go thrift code checks); unknown
/// fields are skipped by type.
struct JaegerBatchDecoder<Reader: ThriftReader> {
    var reader: Reader

    init(reader: Reader) {
        self.reader = reader
    }

    mutating func decodeEmitBatch() throws(ThriftDecodeError) -> TraceBatch {
        let header = try reader.readMessageHeader()
        guard header.name == "emitBatch" else {
            throw ThriftDecodeError(.unexpectedMessage("method '\(header.name)' is not served, only 'emitBatch'"), at: 0)
        }
        guard header.type == .call || header.type == .oneway else {
            throw ThriftDecodeError(.unexpectedMessage("message type \(header.type) for emitBatch, expected call or oneway"), at: 0)
        }
        let start = reader.offset
        let mark = try reader.beginStruct()
        var batch: TraceBatch?
        while let field = try reader.readFieldHeader() {
            guard field.id == 1 else {
                try reader.skip(field.type)
                continue
            }
            try reader.expect(field, .struct)
            batch = try inThriftField("emitBatch.batch") { () throws(ThriftDecodeError) in try decodeBatch() }
        }
        reader.endStruct(mark)
        guard let batch else { throw ThriftDecodeError(.missingRequiredField("batch"), at: start).within("emitBatch") }
        return batch
    }

    mutating func decodeBatch() throws(ThriftDecodeError) -> TraceBatch {
        let start = reader.offset
        let mark = try reader.beginStruct()
        var resource: Resource?
        var spans: JaegerTranslatedSpans?
        var spanListCount = 0
        while let field = try reader.readFieldHeader() {
            switch field.id {
            case 1:
                try reader.expect(field, .struct)
                resource = try inThriftField("process") { () throws(ThriftDecodeError) in try decodeProcess() }
            case 2:
                try reader.expect(field, .list)
                spanListCount = try reader.readListHeader(of: .struct)
                var translated = JaegerTranslatedSpans(spanCount: spanListCount, bodySize: reader.remaining)
                for i in 0..<spanListCount {
                    try inThriftField("spans[\(i)]") { () throws(ThriftDecodeError) in try decodeSpan(into: &translated) }
                }
                spans = translated
            default:
                try reader.skip(field.type)
            }
        }
        reader.endStruct(mark)
        guard let resource else { throw ThriftDecodeError(.missingRequiredField("process"), at: start) }
        guard let spans else { throw ThriftDecodeError(.missingRequiredField("spans"), at: start) }
        return spans.batch(resource: resource, hadSpanList: spanListCount != 0)
    }

    private mutating func decodeProcess() throws(ThriftDecodeError) -> Resource {
        let start = reader.offset
        let mark = try reader.beginStruct()
        var serviceName: String?
        var tags: [KeyValue]?
        while let field = try reader.readFieldHeader() {
            switch field.id {
            case 1:
                try reader.expect(field, .binary)
                serviceName = try inThriftField("serviceName") { () throws(ThriftDecodeError) in try reader.readString() }
            case 2:
                try reader.expect(field, .list)
                var list = JaegerAttributes<JaegerThriftTag>(capacity: 0)
                try decodeTags("tags", into: &list)
                tags = list.list.map(\.attribute)
            default:
                try reader.skip(field.type)
            }
        }
        reader.endStruct(mark)
        guard let serviceName else { throw ThriftDecodeError(.missingRequiredField("serviceName"), at: start) }
        return JaegerTranslation.resource(serviceName: serviceName, tags: tags)
    }

    private mutating func decodeSpan(into spans: inout JaegerTranslatedSpans) throws(ThriftDecodeError) {
        let start = reader.offset
        let mark = try reader.beginStruct()
        var read = SpanRead()
        spans.beginSpan()
        while let field = try reader.readFieldHeader() {
            try decodeSpanField(field, into: &read, spans: &spans)
        }
        reader.endStruct(mark)
        try read.seen.check(RequiredFields.span, at: start)
        spans.endSpan(read.fields, name: read.name, hasReferences: read.hasReferences, hasTags: read.hasTags, hasLogs: read.hasLogs)
    }

    /// A span's scalar fields and which of its lists it had; the lists go to `JaegerTranslatedSpans`.
    private struct SpanRead {
        var fields = JaegerSpanFields()
        var name = UnsafeRawBufferPointer(start: nil, count: 0)
        var seen = RequiredFields()
        var hasReferences = false
        var hasTags = false
        var hasLogs = false
    }

    private mutating func decodeSpanField(_ field: ThriftFieldHeader, into s: inout SpanRead, spans: inout JaegerTranslatedSpans) throws(ThriftDecodeError) {
        switch field.id {
        case 1: s.fields.traceIDLow = try i64(field)
        case 2: s.fields.traceIDHigh = try i64(field)
        case 3: s.fields.spanID = try i64(field)
        case 4: s.fields.parentSpanID = try i64(field)
        case 5:
            try reader.expect(field, .binary)
            s.name = try inThriftField("operationName") { () throws(ThriftDecodeError) in try readUTF8() }
        case 6:
            try reader.expect(field, .list)
            try decodeReferences(into: &spans.references)
            s.hasReferences = true
        case 7:
            try reader.expect(field, .i32)
            s.fields.flags = try reader.readI32()
        case 8: s.fields.startTime = try i64(field)
        case 9: s.fields.duration = try i64(field)
        case 10:
            try reader.expect(field, .list)
            try decodeTags("tags", into: &spans.tags)
            s.hasTags = true
        case 11:
            try reader.expect(field, .list)
            try decodeLogs(into: &spans)
            s.hasLogs = true
        default:
            try reader.skip(field.type)
            return
        }
        s.seen.insert(field.id)
    }

    private mutating func i64(_ field: ThriftFieldHeader) throws(ThriftDecodeError) -> Int64 {
        try reader.expect(field, .i64)
        return try reader.readI64()
    }

    /// A string field's bytes in place, checked as `readString` checks them.
    private mutating func readUTF8() throws(ThriftDecodeError) -> UnsafeRawBufferPointer {
        let start = reader.offset
        let bytes = try reader.readBinary()
        guard UTF8Text.isValid(bytes.assumingMemoryBound(to: UInt8.self)) else { throw ThriftDecodeError(.invalidUTF8, at: start) }
        return bytes
    }

    private mutating func decodeReferences(into refs: inout [JaegerSpanRef]) throws(ThriftDecodeError) {
        let count = try reader.readListHeader(of: .struct)
        refs.removeAll(keepingCapacity: true)
        for i in 0..<count {
            refs.append(try inThriftField("references[\(i)]") { () throws(ThriftDecodeError) in try decodeSpanRef() })
        }
    }

    private mutating func decodeSpanRef() throws(ThriftDecodeError) -> JaegerSpanRef {
        let start = reader.offset
        let mark = try reader.beginStruct()
        var ref = JaegerSpanRef()
        var seen = RequiredFields()
        while let field = try reader.readFieldHeader() {
            switch field.id {
            case 1:
                try reader.expect(field, .i32)
                ref.refType = try reader.readI32()
            case 2: ref.traceIDLow = try i64(field)
            case 3: ref.traceIDHigh = try i64(field)
            case 4: ref.spanID = try i64(field)
            default:
                try reader.skip(field.type)
                continue
            }
            seen.insert(field.id)
        }
        reader.endStruct(mark)
        try seen.check(RequiredFields.spanRef, at: start)
        return ref
    }

    private mutating func decodeLogs(into spans: inout JaegerTranslatedSpans) throws(ThriftDecodeError) {
        let count = try reader.readListHeader(of: .struct)
        spans.beginLogs(capacity: count)
        for i in 0..<count {
            try inThriftField("logs[\(i)]") { () throws(ThriftDecodeError) in try decodeLog(into: &spans) }
        }
    }

    private mutating func decodeLog(into spans: inout JaegerTranslatedSpans) throws(ThriftDecodeError) {
        let start = reader.offset
        let mark = try reader.beginStruct()
        var timestamp: Int64?
        var hasFields = false
        while let field = try reader.readFieldHeader() {
            switch field.id {
            case 1: timestamp = try i64(field)
            case 2:
                try reader.expect(field, .list)
                try decodeTags("fields", into: &spans.fields)
                hasFields = true
            default:
                try reader.skip(field.type)
            }
        }
        reader.endStruct(mark)
        guard let timestamp else { throw ThriftDecodeError(.missingRequiredField("timestamp"), at: start) }
        guard hasFields else { throw ThriftDecodeError(.missingRequiredField("fields"), at: start) }
        spans.appendEvent(timestamp: timestamp)
    }

    /// A `list<Tag>`, put as `pcommon.Map` puts them (a repeated key keeps its first position and
    /// takes the last value).
    private mutating func decodeTags(_ name: String, into tags: inout JaegerAttributes<JaegerThriftTag>) throws(ThriftDecodeError) {
        let count = try inThriftField(name) { () throws(ThriftDecodeError) in try reader.readListHeader(of: .struct) }
        tags.reset(capacity: count)
        for i in 0..<count {
            tags.put(try inThriftField("\(name)[\(i)]") { () throws(ThriftDecodeError) in try decodeTag() })
        }
    }

    /// Only the value the tag's `vType` names is kept (and UTF-8 checked, for a string).
    private mutating func decodeTag() throws(ThriftDecodeError) -> JaegerThriftTag {
        if let tag = canonicalBinaryTag() { return tag }
        let start = reader.offset
        let mark = try reader.beginStruct()
        var key: UnsafeRawBufferPointer?
        var vType: Int32?
        var values = JaegerTagValues()
        while let field = try reader.readFieldHeader() {
            switch field.id {
            case 1:
                try reader.expect(field, .binary)
                key = try inThriftField("key") { () throws(ThriftDecodeError) in try readUTF8() }
            case 2:
                try reader.expect(field, .i32)
                vType = try reader.readI32()
            case 3:
                try reader.expect(field, .binary)
                values.stringOffset = reader.offset
                values.string = try reader.readBinary()
            case 4:
                try reader.expect(field, .double)
                values.double = try reader.readDouble()
            case 5:
                try reader.expect(field, .bool)
                values.bool = try reader.readBool()
            case 6: values.long = try i64(field)
            case 7:
                try reader.expect(field, .binary)
                values.binary = try reader.readBinary()
            default:
                try reader.skip(field.type)
            }
        }
        reader.endStruct(mark)
        guard let key else { throw ThriftDecodeError(.missingRequiredField("key"), at: start) }
        guard let vType else { throw ThriftDecodeError(.missingRequiredField("vType"), at: start) }
        return try inThriftField(String(decoding: key, as: UTF8.self)) { () throws(ThriftDecodeError) in
            try values.tag(key: key, vType, at: start)
        }
    }
}

/// Which of a struct's required fields (by id, 1-based) were read.
struct RequiredFields {
    private var bits: UInt32 = 0

    mutating func insert(_ id: Int16) {
        if id > 0 && id <= 32 { bits |= 1 << UInt32(id - 1) }
    }

    /// Throws for the first of `required` (field id, name) that was not read.
    func check(_ required: KeyValuePairs<Int16, StaticString>, at offset: Int) throws(ThriftDecodeError) {
        for (id, name) in required where bits & (1 << UInt32(id - 1)) == 0 {
            throw ThriftDecodeError(.missingRequiredField("\(name)"), at: offset)
        }
    }

    /// jaeger.thrift's required fields of Span and SpanRef.
    static let span: KeyValuePairs<Int16, StaticString> = [
        1: "traceIdLow", 2: "traceIdHigh", 3: "spanId", 4: "parentSpanId", 5: "operationName", 7: "flags",
        8: "startTime", 9: "duration",
    ]
    static let spanRef: KeyValuePairs<Int16, StaticString> = [1: "refType", 2: "traceIdLow", 3: "traceIdHigh", 4: "spanId"]
}
