import TraceModel

extension OTLPProtoTraceDecoder {
    func decodeSpan(_ reader: inout ProtoReader, into span: inout Span, facts: inout SpanIDFacts) throws(ProtoDecodeError) {
        while !reader.isAtEnd {
            let tag = try reader.readTag()
            switch tag.field {
            case 1: span.traceID = try traceID(&reader, tag, byteCount: &facts.traceIDByteCount)
            case 2: span.spanID = try spanID("span_id", &reader, tag, byteCount: &facts.spanIDByteCount)
            case 3: span.traceState = try inField("trace_state") { () throws(ProtoDecodeError) in try reader.string(tag) }
            case 4: span.parentSpanID = try spanID("parent_span_id", &reader, tag, byteCount: &facts.parentSpanIDByteCount)
            case 5: span.name = try inField("name") { () throws(ProtoDecodeError) in try reader.string(tag) }
            case 6: span.kind = SpanKind(rawValue: try inField("kind") { () throws(ProtoDecodeError) in try reader.int32(tag) })
            case 7: span.startTimeUnixNano = try inField("start_time_unix_nano") { () throws(ProtoDecodeError) in try reader.fixed64(tag) }
            case 8: span.endTimeUnixNano = try inField("end_time_unix_nano") { () throws(ProtoDecodeError) in try reader.fixed64(tag) }
            case 9: try decodeAttribute(&reader, tag, into: &span.attributes)
            case 10:
                span.droppedAttributesCount = try inField("dropped_attributes_count") { () throws(ProtoDecodeError) in try reader.uint32(tag) }
            case 11:
                let index = span.events.count
                var event = SpanEvent()
                try inField("events[\(index)]") { () throws(ProtoDecodeError) in
                    var sub = try reader.message(tag)
                    try decodeEvent(&sub, into: &event)
                }
                span.events.append(event)
            case 12:
                span.droppedEventsCount = try inField("dropped_events_count") { () throws(ProtoDecodeError) in try reader.uint32(tag) }
            case 13:
                let index = span.links.count
                var link = SpanLink()
                var linkFacts = SpanIDFacts()
                try inField("links[\(index)]") { () throws(ProtoDecodeError) in
                    var sub = try reader.message(tag)
                    try decodeLink(&sub, into: &link, facts: &linkFacts)
                }
                if facts.linkProblem == nil {
                    facts.linkProblem = SpanValidation.linkProblem(link: link, facts: linkFacts, index: index)
                }
                span.links.append(link)
            case 14:
                span.droppedLinksCount = try inField("dropped_links_count") { () throws(ProtoDecodeError) in try reader.uint32(tag) }
            case 15:
                try inField("status") { () throws(ProtoDecodeError) in
                    var sub = try reader.message(tag)
                    try decodeStatus(&sub, into: &span.status)
                }
            case 16: span.flags = try inField("flags") { () throws(ProtoDecodeError) in try reader.fixed32(tag) }
            default: try reader.skip(wireType: tag.wireType)
            }
        }
    }

    func decodeEvent(_ reader: inout ProtoReader, into event: inout SpanEvent) throws(ProtoDecodeError) {
        while !reader.isAtEnd {
            let tag = try reader.readTag()
            switch tag.field {
            case 1: event.timeUnixNano = try inField("time_unix_nano") { () throws(ProtoDecodeError) in try reader.fixed64(tag) }
            case 2: event.name = try inField("name") { () throws(ProtoDecodeError) in try reader.string(tag) }
            case 3: try decodeAttribute(&reader, tag, into: &event.attributes)
            case 4:
                event.droppedAttributesCount = try inField("dropped_attributes_count") { () throws(ProtoDecodeError) in try reader.uint32(tag) }
            default: try reader.skip(wireType: tag.wireType)
            }
        }
    }

    func decodeLink(_ reader: inout ProtoReader, into link: inout SpanLink, facts: inout SpanIDFacts) throws(ProtoDecodeError) {
        while !reader.isAtEnd {
            let tag = try reader.readTag()
            switch tag.field {
            case 1: link.traceID = try traceID(&reader, tag, byteCount: &facts.traceIDByteCount)
            case 2: link.spanID = try spanID("span_id", &reader, tag, byteCount: &facts.spanIDByteCount)
            case 3: link.traceState = try inField("trace_state") { () throws(ProtoDecodeError) in try reader.string(tag) }
            case 4: try decodeAttribute(&reader, tag, into: &link.attributes, name: "attributes")
            case 5:
                link.droppedAttributesCount = try inField("dropped_attributes_count") { () throws(ProtoDecodeError) in try reader.uint32(tag) }
            case 6: link.flags = try inField("flags") { () throws(ProtoDecodeError) in try reader.fixed32(tag) }
            default: try reader.skip(wireType: tag.wireType)
            }
        }
    }

    func decodeStatus(_ reader: inout ProtoReader, into status: inout Status) throws(ProtoDecodeError) {
        while !reader.isAtEnd {
            let tag = try reader.readTag()
            switch tag.field {
            case 2: status.message = try inField("message") { () throws(ProtoDecodeError) in try reader.string(tag) }
            case 3: status.code = StatusCode(rawValue: try inField("code") { () throws(ProtoDecodeError) in try reader.int32(tag) })
            default: try reader.skip(wireType: tag.wireType)  // includes the retired deprecated_code (1)
            }
        }
    }

    /// An id field. Its length goes to the validation facts; an id of the wrong length reads as zero
    /// here and rejects the span there.
    private func traceID(_ reader: inout ProtoReader, _ tag: (field: UInt32, wireType: UInt8, start: Int), byteCount: inout Int) throws(ProtoDecodeError) -> TraceID {
        try inField("trace_id") { () throws(ProtoDecodeError) in
            let id = try reader.message(tag).unreadBytes
            byteCount = id.count
            return TraceID(bytes: id) ?? .zero
        }
    }

    private func spanID(_ name: String, _ reader: inout ProtoReader, _ tag: (field: UInt32, wireType: UInt8, start: Int), byteCount: inout Int) throws(ProtoDecodeError) -> SpanID {
        try inField(name) { () throws(ProtoDecodeError) in
            let id = try reader.message(tag).unreadBytes
            byteCount = id.count
            return SpanID(bytes: id) ?? .zero
        }
    }
}
