import TraceModel

/// The `jaeger.thrift` struct decoders, generic over the protocol. Known fields must have the
/// IDL's type and required fields must be present (as the Go thrift code checks); unknown
/// fields are skipped by type.
struct JaegerBatchDecoder<Reader: ThriftReader> {
    var reader: Reader
    /// Tag keys and operation names: they repeat from span to span.
    private var repeated = StringInterner()

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
        var spans: [Span]?
        var spanCount = 0
        while let field = try reader.readFieldHeader() {
            switch field.id {
            case 1:
                try reader.expect(field, .struct)
                resource = try inThriftField("process") { () throws(ThriftDecodeError) in try decodeProcess() }
            case 2:
                try reader.expect(field, .list)
                (spans, spanCount) = try decodeSpans()
            default:
                try reader.skip(field.type)
            }
        }
        reader.endStruct(mark)
        guard let resource else { throw ThriftDecodeError(.missingRequiredField("process"), at: start) }
        guard let spans else { throw ThriftDecodeError(.missingRequiredField("spans"), at: start) }
        return JaegerTranslation.batch(resource: resource, spans: spanCount == 0 ? nil : spans)
    }

    /// The spans, without blank ones (which upstream skips), and how many the list held.
    private mutating func decodeSpans() throws(ThriftDecodeError) -> ([Span], Int) {
        let count = try reader.readListHeader(of: .struct)
        var spans: [Span] = []
        spans.reserveCapacity(count)
        for i in 0..<count {
            if let span = try inThriftField("spans[\(i)]", { () throws(ThriftDecodeError) in try decodeSpan() }) {
                spans.append(span)
            }
        }
        return (spans, count)
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
                tags = try decodeTags("tags")
            default:
                try reader.skip(field.type)
            }
        }
        reader.endStruct(mark)
        guard let serviceName else { throw ThriftDecodeError(.missingRequiredField("serviceName"), at: start) }
        return JaegerTranslation.resource(serviceName: serviceName, tags: tags)
    }

    private mutating func decodeSpan() throws(ThriftDecodeError) -> Span? {
        let start = reader.offset
        let mark = try reader.beginStruct()
        var fields = JaegerSpanFields()
        var seen = RequiredFields()
        while let field = try reader.readFieldHeader() {
            try decodeSpanField(field, into: &fields, seen: &seen)
        }
        reader.endStruct(mark)
        try seen.check(RequiredFields.span, at: start)
        return JaegerTranslation.span(fields)
    }

    private mutating func decodeSpanField(_ field: ThriftFieldHeader, into s: inout JaegerSpanFields, seen: inout RequiredFields) throws(ThriftDecodeError) {
        switch field.id {
        case 1: s.traceIDLow = try i64(field)
        case 2: s.traceIDHigh = try i64(field)
        case 3: s.spanID = try i64(field)
        case 4: s.parentSpanID = try i64(field)
        case 5:
            try reader.expect(field, .binary)
            s.operationName = try inThriftField("operationName") { () throws(ThriftDecodeError) in try repeatedString() }
        case 6:
            try reader.expect(field, .list)
            s.references = try decodeReferences()
        case 7:
            try reader.expect(field, .i32)
            s.flags = try reader.readI32()
        case 8: s.startTime = try i64(field)
        case 9: s.duration = try i64(field)
        case 10:
            try reader.expect(field, .list)
            s.tags = try decodeTags("tags")
        case 11:
            try reader.expect(field, .list)
            s.logs = try decodeLogs()
        default:
            try reader.skip(field.type)
            return
        }
        seen.insert(field.id)
    }

    private mutating func i64(_ field: ThriftFieldHeader) throws(ThriftDecodeError) -> Int64 {
        try reader.expect(field, .i64)
        return try reader.readI64()
    }

    private mutating func decodeReferences() throws(ThriftDecodeError) -> [JaegerSpanRef] {
        let count = try reader.readListHeader(of: .struct)
        var refs: [JaegerSpanRef] = []
        refs.reserveCapacity(count)
        for i in 0..<count {
            refs.append(try inThriftField("references[\(i)]") { () throws(ThriftDecodeError) in try decodeSpanRef() })
        }
        return refs
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

    private mutating func decodeLogs() throws(ThriftDecodeError) -> [SpanEvent] {
        let count = try reader.readListHeader(of: .struct)
        var events: [SpanEvent] = []
        events.reserveCapacity(count)
        for i in 0..<count {
            events.append(try inThriftField("logs[\(i)]") { () throws(ThriftDecodeError) in try decodeLog() })
        }
        return events
    }

    private mutating func decodeLog() throws(ThriftDecodeError) -> SpanEvent {
        let start = reader.offset
        let mark = try reader.beginStruct()
        var timestamp: Int64?
        var fields: [KeyValue]?
        while let field = try reader.readFieldHeader() {
            switch field.id {
            case 1: timestamp = try i64(field)
            case 2:
                try reader.expect(field, .list)
                fields = try decodeTags("fields")
            default:
                try reader.skip(field.type)
            }
        }
        reader.endStruct(mark)
        guard let timestamp else { throw ThriftDecodeError(.missingRequiredField("timestamp"), at: start) }
        guard let fields else { throw ThriftDecodeError(.missingRequiredField("fields"), at: start) }
        return JaegerTranslation.event(timestamp: timestamp, fields: fields)
    }

    /// A `list<Tag>` as attributes, put as `pcommon.Map` puts them (a repeated key keeps its
    /// first position and takes the last value).
    private mutating func decodeTags(_ name: String) throws(ThriftDecodeError) -> [KeyValue] {
        let count = try inThriftField(name) { () throws(ThriftDecodeError) in try reader.readListHeader(of: .struct) }
        var attributes = JaegerAttributes(capacity: count)
        for i in 0..<count {
            let (tag, keyBytes) = try inThriftField("\(name)[\(i)]") { () throws(ThriftDecodeError) in try decodeTag() }
            attributes.put(tag, keyBytes: keyBytes)
        }
        return attributes.list
    }

    /// A string that likely repeats in the batch (see `StringInterner`), checked as `readString` checks.
    private mutating func repeatedString() throws(ThriftDecodeError) -> String {
        let start = reader.offset
        guard let text = repeated.string(try reader.readBinary()) else { throw ThriftDecodeError(.invalidUTF8, at: start) }
        return text
    }

    /// Only the value the tag's `vType` names is kept (and UTF-8 checked, for a string); with the
    /// key's bytes in the body.
    private mutating func decodeTag() throws(ThriftDecodeError) -> (KeyValue, UnsafeRawBufferPointer) {
        let start = reader.offset
        let mark = try reader.beginStruct()
        var key: String?
        var keyBytes = UnsafeRawBufferPointer(start: nil, count: 0)
        var vType: Int32?
        var tag = JaegerTagValues()
        while let field = try reader.readFieldHeader() {
            switch field.id {
            case 1:
                try reader.expect(field, .binary)
                let keyStart = reader.offset
                keyBytes = try inThriftField("key") { () throws(ThriftDecodeError) in try reader.readBinary() }
                guard let text = repeated.string(keyBytes) else { throw ThriftDecodeError(.invalidUTF8, at: keyStart).within("key") }
                key = text
            case 2:
                try reader.expect(field, .i32)
                vType = try reader.readI32()
            case 3:
                try reader.expect(field, .binary)
                tag.stringOffset = reader.offset
                tag.string = try reader.readBinary()
            case 4:
                try reader.expect(field, .double)
                tag.double = try reader.readDouble()
            case 5:
                try reader.expect(field, .bool)
                tag.bool = try reader.readBool()
            case 6: tag.long = try i64(field)
            case 7:
                try reader.expect(field, .binary)
                tag.binary = try reader.readBinary()
            default:
                try reader.skip(field.type)
            }
        }
        reader.endStruct(mark)
        guard let key else { throw ThriftDecodeError(.missingRequiredField("key"), at: start) }
        guard let vType else { throw ThriftDecodeError(.missingRequiredField("vType"), at: start) }
        return (KeyValue(key, try inThriftField(key) { () throws(ThriftDecodeError) in try tag.value(vType, at: start) }), keyBytes)
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
