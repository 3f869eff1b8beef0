import TraceModel

extension JaegerProtoModelDecoder {
    /// `Span { trace_id = 1; span_id = 2; operation_name = 3; references = 4; flags = 5;
    /// start_time = 6; duration = 7; tags = 8; logs = 9; process = 10; process_id = 11; warnings = 12 }`.
    func decodeSpan(_ reader: inout ProtoReader, into span: inout JaegerProtoSpan) throws(ProtoDecodeError) {
        while !reader.isAtEnd {
            let tag = try reader.readTag()
            switch tag.field {
            case 1: (span.fields.traceIDHigh, span.fields.traceIDLow) = try traceID(&reader, tag)
            case 2: span.fields.spanID = try spanID(&reader, tag)
            case 3: span.fields.operationName = try inField("operation_name") { () throws(ProtoDecodeError) in try reader.string(tag) }
            case 4: try append("references", to: &span.fields.references, &reader, tag, decodeSpanRef)
            case 5: span.fields.flags = Int32(bitPattern: try inField("flags") { () throws(ProtoDecodeError) in try reader.uint32(tag) })
            case 6: span.startTimeUnixNano = try inField("start_time") { () throws(ProtoDecodeError) in try decodeTimestamp(&reader, tag) }
            case 7: span.durationNanoseconds = try inField("duration") { () throws(ProtoDecodeError) in try decodeDuration(&reader, tag) }
            case 8: span.rawTags.append(try decodeTag(&reader, tag, name: "tags[\(span.rawTags.count)]"))
            case 9: try append("logs", to: &span.fields.logs, &reader, tag, decodeLog)
            case 10:
                var merged = span.process ?? JaegerProtoProcess()
                try inField("process") { () throws(ProtoDecodeError) in
                    var sub = try reader.message(tag)
                    try decodeProcess(&sub, into: &merged)
                }
                span.process = merged
            case 11, 12:
                // process_id and warnings are not translated; their bytes need not be text here.
                let payload = try inField(tag.field == 11 ? "process_id" : "warnings") { () throws(ProtoDecodeError) in try reader.message(tag) }
                if tag.field == 12 || payload.remaining > 0 { span.hasUntranslatedContent = true }
            default:
                try reader.skip(wireType: tag.wireType)
                span.hasUntranslatedContent = true
            }
        }
    }

    /// Decodes one element of a repeated message field; the list exists once it has one.
    private func append<Element>(
        _ name: String, to list: inout [Element]?, _ reader: inout ProtoReader, _ tag: ProtoTag,
        _ decode: (inout ProtoReader) throws(ProtoDecodeError) -> Element
    ) throws(ProtoDecodeError) {
        let element = try inField("\(name)[\(list?.count ?? 0)]") { () throws(ProtoDecodeError) in
            var sub = try reader.message(tag)
            return try decode(&sub)
        }
        if list == nil { list = [] }
        list?.append(element)
    }

    /// `SpanRef { bytes trace_id = 1; bytes span_id = 2; SpanRefType ref_type = 3 }`.
    private func decodeSpanRef(_ reader: inout ProtoReader) throws(ProtoDecodeError) -> JaegerSpanRef {
        var ref = JaegerSpanRef()
        while !reader.isAtEnd {
            let tag = try reader.readTag()
            switch tag.field {
            case 1: (ref.traceIDHigh, ref.traceIDLow) = try traceID(&reader, tag)
            case 2: ref.spanID = try spanID(&reader, tag)
            case 3: ref.refType = try inField("ref_type") { () throws(ProtoDecodeError) in try reader.int32(tag) }
            default: try reader.skip(wireType: tag.wireType)
            }
        }
        return ref
    }

    /// `Log { Timestamp timestamp = 1; repeated KeyValue fields = 2 }` as an event.
    private func decodeLog(_ reader: inout ProtoReader) throws(ProtoDecodeError) -> SpanEvent {
        var timestamp = JaegerProtoTime.absentTimestamp
        var fields: [JaegerProtoTag] = []
        while !reader.isAtEnd {
            let tag = try reader.readTag()
            switch tag.field {
            case 1: timestamp = try inField("timestamp") { () throws(ProtoDecodeError) in try decodeTimestamp(&reader, tag) }
            case 2: fields.append(try decodeTag(&reader, tag, name: "fields[\(fields.count)]"))
            default: try reader.skip(wireType: tag.wireType)
            }
        }
        return JaegerTranslation.event(timeUnixNano: timestamp, fields: JaegerProtoTag.attributes(fields))
    }

    /// 16 bytes (high ‖ low, big-endian) or 8 (low only), as jaeger's `TraceIDFromBytes` takes them.
    private func traceID(_ reader: inout ProtoReader, _ tag: ProtoTag) throws(ProtoDecodeError) -> (high: Int64, low: Int64) {
        try inField("trace_id") { () throws(ProtoDecodeError) in
            let id = try reader.message(tag).unreadBytes
            if let long = TraceID(bytes: id) { return (Int64(bitPattern: long.high), Int64(bitPattern: long.low)) }
            if let short = SpanID(bytes: id) { return (0, Int64(bitPattern: short.value)) }
            throw ProtoDecodeError(.invalidValue("invalid length \(id.count) for a trace id, expected 16 or 8 bytes"), at: tag.start)
        }
    }

    /// Exactly 8 bytes, big-endian (`SpanIDFromBytes`).
    private func spanID(_ reader: inout ProtoReader, _ tag: ProtoTag) throws(ProtoDecodeError) -> Int64 {
        try inField("span_id") { () throws(ProtoDecodeError) in
            let id = try reader.message(tag).unreadBytes
            guard let spanID = SpanID(bytes: id) else {
                throw ProtoDecodeError(.invalidValue("invalid length \(id.count) for a span id, expected 8 bytes"), at: tag.start)
            }
            return Int64(bitPattern: spanID.value)
        }
    }
}
