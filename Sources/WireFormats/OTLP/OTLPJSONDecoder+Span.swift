import TraceModel

extension OTLPJSONTraceDecoder {
    static let spanKindNames = [
        "SPAN_KIND_UNSPECIFIED", "SPAN_KIND_INTERNAL", "SPAN_KIND_SERVER", "SPAN_KIND_CLIENT", "SPAN_KIND_PRODUCER",
        "SPAN_KIND_CONSUMER",
    ]
    static let statusCodeNames = ["STATUS_CODE_UNSET", "STATUS_CODE_OK", "STATUS_CODE_ERROR"]

    func decodeSpan(_ reader: inout JSONReader, facts: inout SpanIDFacts) throws(JSONDecodeError) -> Span {
        var span = Span()
        try forEachMember(&reader) { (key, reader) throws(JSONDecodeError) in
            switch key {
            case "traceId", "trace_id": span.traceID = try readTraceID(&reader, facts: &facts)
            case "spanId", "span_id": span.spanID = try readSpanID(&reader, "span_id", \.spanIDByteCount, facts: &facts)
            case "parentSpanId", "parent_span_id":
                span.parentSpanID = try readSpanID(&reader, "parent_span_id", \.parentSpanIDByteCount, facts: &facts)
            case "traceState", "trace_state": span.traceState = try reader.readString()
            case "flags": span.flags = try reader.readUInt32()
            case "name": span.name = try reader.readString()
            case "kind": span.kind = SpanKind(rawValue: try reader.readEnum(names: Self.spanKindNames))
            case "startTimeUnixNano", "start_time_unix_nano": span.startTimeUnixNano = try reader.readUInt64()
            case "endTimeUnixNano", "end_time_unix_nano": span.endTimeUnixNano = try reader.readUInt64()
            case "attributes": span.attributes = try decodeAttributes(&reader, depth: 0)
            case "droppedAttributesCount", "dropped_attributes_count": span.droppedAttributesCount = try reader.readUInt32()
            case "events":
                var events: [SpanEvent] = []
                try forEachElement(&reader) { (_, reader) throws(JSONDecodeError) in events.append(try decodeEvent(&reader)) }
                span.events = events
            case "droppedEventsCount", "dropped_events_count": span.droppedEventsCount = try reader.readUInt32()
            case "links":
                var links: [SpanLink] = []
                facts.linkProblem = nil
                try forEachElement(&reader) { (index, reader) throws(JSONDecodeError) in
                    var linkFacts = SpanIDFacts()
                    let link = try decodeLink(&reader, facts: &linkFacts)
                    if facts.linkProblem == nil {
                        facts.linkProblem = SpanValidation.linkProblem(link: link, facts: linkFacts, index: index)
                    }
                    links.append(link)
                }
                span.links = links
            case "droppedLinksCount", "dropped_links_count": span.droppedLinksCount = try reader.readUInt32()
            case "status": span.status = try decodeStatus(&reader)
            default: try skip(&reader)
            }
        }
        return span
    }

    /// Hex in either case. Invalid hex is not an error: it is recorded so the span is rejected.
    func readHexID(_ reader: inout JSONReader, field: String, facts: inout SpanIDFacts) throws(JSONDecodeError) -> [UInt8] {
        let text = try reader.readString().utf8
        guard text.count % 2 == 0 else {
            if facts.invalidHexField == nil { facts.invalidHexField = field }
            return []
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.count / 2)
        var high: UInt8?
        for c in text {
            guard let digit = hexDigitValue(c) else {
                if facts.invalidHexField == nil { facts.invalidHexField = field }
                return []
            }
            if let h = high {
                bytes.append(h << 4 | digit)
                high = nil
            } else {
                high = digit
            }
        }
        return bytes
    }

    func decodeEvent(_ reader: inout JSONReader) throws(JSONDecodeError) -> SpanEvent {
        var event = SpanEvent()
        try forEachMember(&reader) { (key, reader) throws(JSONDecodeError) in
            switch key {
            case "timeUnixNano", "time_unix_nano": event.timeUnixNano = try reader.readUInt64()
            case "name": event.name = try reader.readString()
            case "attributes": event.attributes = try decodeAttributes(&reader, depth: 0)
            case "droppedAttributesCount", "dropped_attributes_count": event.droppedAttributesCount = try reader.readUInt32()
            default: try skip(&reader)
            }
        }
        return event
    }

    func decodeLink(_ reader: inout JSONReader, facts: inout SpanIDFacts) throws(JSONDecodeError) -> SpanLink {
        var link = SpanLink()
        try forEachMember(&reader) { (key, reader) throws(JSONDecodeError) in
            switch key {
            case "traceId", "trace_id": link.traceID = try readTraceID(&reader, facts: &facts)
            case "spanId", "span_id": link.spanID = try readSpanID(&reader, "span_id", \.spanIDByteCount, facts: &facts)
            case "traceState", "trace_state": link.traceState = try reader.readString()
            case "attributes": link.attributes = try decodeAttributes(&reader, depth: 0)
            case "droppedAttributesCount", "dropped_attributes_count": link.droppedAttributesCount = try reader.readUInt32()
            case "flags": link.flags = try reader.readUInt32()
            default: try skip(&reader)
            }
        }
        return link
    }

    func decodeStatus(_ reader: inout JSONReader) throws(JSONDecodeError) -> Status {
        var status = Status()
        try forEachMember(&reader) { (key, reader) throws(JSONDecodeError) in
            switch key {
            case "message": status.message = try reader.readString()
            case "code": status.code = StatusCode(rawValue: try reader.readEnum(names: Self.statusCodeNames))
            default: try skip(&reader)
            }
        }
        return status
    }

    func decodeAttributes(_ reader: inout JSONReader, depth: Int) throws(JSONDecodeError) -> [KeyValue] {
        var attributes: [KeyValue] = []
        try forEachElement(&reader) { (_, reader) throws(JSONDecodeError) in
            var attribute = KeyValue("", .empty)
            try forEachMember(&reader) { (key, reader) throws(JSONDecodeError) in
                switch key {
                case "key": attribute.key = try reader.readString()
                case "value": attribute.value = try decodeAnyValue(&reader, depth: depth + 1)
                default: try skip(&reader)
                }
            }
            attributes.append(attribute)
        }
        return attributes
    }

    /// `{}` is the empty value; if several members appear the last wins.
    func decodeAnyValue(_ reader: inout JSONReader, depth: Int) throws(JSONDecodeError) -> AnyValue {
        guard depth <= limits.maxDepth else { throw JSONDecodeError(.depthLimit(limits.maxDepth), at: reader.position) }
        var value = AnyValue.empty
        try forEachMember(&reader) { (key, reader) throws(JSONDecodeError) in
            switch key {
            case "stringValue", "string_value": value = .string(try reader.readString())
            case "boolValue", "bool_value": value = .bool(try reader.readBool())
            case "intValue", "int_value": value = .int(try reader.readInt64())
            case "doubleValue", "double_value": value = .double(try reader.readDouble())
            case "bytesValue", "bytes_value": value = .bytes(try reader.readBase64())
            case "arrayValue", "array_value":
                var values: [AnyValue] = []
                try forEachMember(&reader) { (key, reader) throws(JSONDecodeError) in
                    guard key == "values" else { return try skip(&reader) }
                    values = []
                    try forEachElement(&reader) { (_, reader) throws(JSONDecodeError) in
                        values.append(try decodeAnyValue(&reader, depth: depth + 1))
                    }
                }
                value = .array(values)
            case "kvlistValue", "kvlist_value":
                var values: [KeyValue] = []
                try forEachMember(&reader) { (key, reader) throws(JSONDecodeError) in
                    guard key == "values" else { return try skip(&reader) }
                    values = try decodeAttributes(&reader, depth: depth)
                }
                value = .kvlist(values)
            default: try skip(&reader)
            }
        }
        return value
    }

    /// A hex id. Its length goes to the validation facts; an id of the wrong length reads as zero
    /// here and rejects the span there.
    private func readTraceID(_ reader: inout JSONReader, facts: inout SpanIDFacts) throws(JSONDecodeError) -> TraceID {
        let id = try readHexID(&reader, field: "trace_id", facts: &facts)
        facts.traceIDByteCount = id.count
        return TraceID(bytes: id) ?? .zero
    }

    private func readSpanID(
        _ reader: inout JSONReader, _ field: String, _ byteCount: WritableKeyPath<SpanIDFacts, Int>, facts: inout SpanIDFacts
    ) throws(JSONDecodeError) -> SpanID {
        let id = try readHexID(&reader, field: field, facts: &facts)
        facts[keyPath: byteCount] = id.count
        return SpanID(bytes: id) ?? .zero
    }
}
