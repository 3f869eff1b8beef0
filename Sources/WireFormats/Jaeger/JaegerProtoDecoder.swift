import TraceModel

/// Decodes the Jaeger protobuf model (`jaeger.api_v2`, jaeger-idl `proto/api_v2/model.proto` and
/// `collector.proto`) into the span model, translated as the Collector's `ProtoToTraces` does.
/// Errors name the field path, e.g. `batch.spans[2].start_time`.
public enum JaegerProtoDecoder {
    /// `PostSpansRequest { Batch batch = 1 }`: the message of `CollectorService/PostSpans`.
    public static func decodePostSpansRequest(_ bytes: UnsafeRawBufferPointer) throws(ProtoDecodeError) -> TraceBatch {
        var decoder = JaegerProtoModelDecoder()
        var reader = ProtoReader(bytes)
        try decoder.decodeRequest(&reader)
        return JaegerProtoTranslation.batch(process: decoder.process, spans: decoder.spans)
    }

    public static func decodePostSpansRequest(_ bytes: [UInt8]) throws(ProtoDecodeError) -> TraceBatch {
        // withUnsafeBytes is rethrows (untyped); carry the typed error out in a Result.
        let result = bytes.withUnsafeBytes { buffer in
            Result { () throws(ProtoDecodeError) in try decodePostSpansRequest(buffer) }
        }
        return try result.get()
    }
}

/// The message decoders. A singular message field that repeats merges into the value read so
/// far, as protobuf requires (gogoproto's `Batch`, `Process`); a Timestamp or Duration replaces it.
struct JaegerProtoModelDecoder {
    var process: JaegerProtoProcess?
    var spans: [JaegerProtoSpan] = []

    mutating func decodeRequest(_ reader: inout ProtoReader) throws(ProtoDecodeError) {
        while !reader.isAtEnd {
            let tag = try reader.readTag()
            guard tag.field == 1 else {
                try reader.skip(wireType: tag.wireType)
                continue
            }
            try inField("batch") { () throws(ProtoDecodeError) in
                var sub = try reader.message(tag)
                try decodeBatch(&sub)
            }
        }
    }

    /// `Batch { repeated Span spans = 1; Process process = 2 }`.
    mutating func decodeBatch(_ reader: inout ProtoReader) throws(ProtoDecodeError) {
        while !reader.isAtEnd {
            let tag = try reader.readTag()
            switch tag.field {
            case 1:
                var span = JaegerProtoSpan()
                try inField("spans[\(spans.count)]") { () throws(ProtoDecodeError) in
                    var sub = try reader.message(tag)
                    try decodeSpan(&sub, into: &span)
                }
                spans.append(span)
            case 2:
                var merged = process ?? JaegerProtoProcess()
                try inField("process") { () throws(ProtoDecodeError) in
                    var sub = try reader.message(tag)
                    try decodeProcess(&sub, into: &merged)
                }
                process = merged
            default:
                try reader.skip(wireType: tag.wireType)
            }
        }
    }

    /// `Process { string service_name = 1; repeated KeyValue tags = 2 }`.
    func decodeProcess(_ reader: inout ProtoReader, into process: inout JaegerProtoProcess) throws(ProtoDecodeError) {
        while !reader.isAtEnd {
            let tag = try reader.readTag()
            switch tag.field {
            case 1: process.serviceName = try inField("service_name") { () throws(ProtoDecodeError) in try reader.string(tag) }
            case 2: process.tags.append(try decodeTag(&reader, tag, name: "tags[\(process.tags.count)]"))
            default: try reader.skip(wireType: tag.wireType)
            }
        }
    }

    /// One `KeyValue { key = 1; v_type = 2; v_str = 3; v_bool = 4; v_int64 = 5; v_float64 = 6; v_binary = 7 }`.
    func decodeTag(_ reader: inout ProtoReader, _ tag: ProtoTag, name: @autoclosure () -> String) throws(ProtoDecodeError) -> JaegerProtoTag {
        var value = JaegerProtoTag()
        try inField(name()) { () throws(ProtoDecodeError) in
            var sub = try reader.message(tag)
            while !sub.isAtEnd {
                let field = try sub.readTag()
                try decodeTagField(&sub, field, into: &value)
            }
        }
        return value
    }

    private func decodeTagField(_ reader: inout ProtoReader, _ tag: ProtoTag, into value: inout JaegerProtoTag) throws(ProtoDecodeError) {
        switch tag.field {
        case 1: value.key = try inField("key") { () throws(ProtoDecodeError) in try reader.string(tag) }
        case 2: value.vType = try inField("v_type") { () throws(ProtoDecodeError) in try reader.int32(tag) }
        case 3: value.vStr = try inField("v_str") { () throws(ProtoDecodeError) in try reader.string(tag) }
        case 4: value.vBool = try inField("v_bool") { () throws(ProtoDecodeError) in try reader.uint64(tag) } != 0
        case 5: value.vInt64 = Int64(bitPattern: try inField("v_int64") { () throws(ProtoDecodeError) in try reader.uint64(tag) })
        case 6: value.vFloat64Bits = try inField("v_float64") { () throws(ProtoDecodeError) in try reader.fixed64(tag) }
        case 7: value.vBinary = try inField("v_binary") { () throws(ProtoDecodeError) in try reader.bytes(tag) }
        default: try reader.skip(wireType: tag.wireType)
        }
    }

    /// `google.protobuf.Timestamp { int64 seconds = 1; int32 nanos = 2 }` in Unix nanoseconds.
    func decodeTimestamp(_ reader: inout ProtoReader, _ tag: ProtoTag) throws(ProtoDecodeError) -> UInt64 {
        let (seconds, nanos) = try decodeSecondsAndNanos(&reader, tag)
        return try JaegerProtoTime.timestamp(seconds: seconds, nanos: nanos, at: tag.start)
    }

    /// `google.protobuf.Duration` in nanoseconds, refused as gogoproto's `DurationFromProto` does.
    func decodeDuration(_ reader: inout ProtoReader, _ tag: ProtoTag) throws(ProtoDecodeError) -> Int64 {
        let (seconds, nanos) = try decodeSecondsAndNanos(&reader, tag)
        return try JaegerProtoTime.duration(seconds: seconds, nanos: nanos, at: tag.start)
    }

    private func decodeSecondsAndNanos(_ reader: inout ProtoReader, _ tag: ProtoTag) throws(ProtoDecodeError) -> (Int64, Int32) {
        var sub = try reader.message(tag)
        var seconds: Int64 = 0
        var nanos: Int32 = 0
        while !sub.isAtEnd {
            let field = try sub.readTag()
            switch field.field {
            case 1: seconds = Int64(bitPattern: try inField("seconds") { () throws(ProtoDecodeError) in try sub.uint64(field) })
            case 2: nanos = try inField("nanos") { () throws(ProtoDecodeError) in try sub.int32(field) }
            default: try sub.skip(wireType: field.wireType)
            }
        }
        return (seconds, nanos)
    }
}
