import TraceModel

/// The spans of one Thrift `Batch`, translated as the Collector's `ThriftToTraces` translates
/// them, but kept as positions in the request body and written straight into an OTLP
/// `ResourceSpans`: no span model is built on the way to an OTLP exporter. A consumer that needs
/// the model decodes it from those bytes (`ResourceSpans(deferred:)`).
///
/// The decoder reads one span at a time into the scratch lists (`tags`, `fields`, `references`),
/// then `endSpan` translates it and appends it to the flat tables the writer reads.
struct JaegerTranslatedSpans {
    struct Span {
        var fields: TranslatedSpan
        var attributes: Range<Int>
        var events: Range<Int>
        var links: Range<Int>
        /// The encoded size of the OTLP `Span`.
        var size = 0
    }

    struct Event {
        var timeUnixNano: UInt64
        var name: String
        var attributes: Range<Int>
        var size = 0
    }

    private(set) var spans: [Span] = []
    private(set) var attributes: [JaegerThriftTag] = []
    private(set) var events: [Event] = []
    private(set) var eventAttributes: [JaegerThriftTag] = []
    private(set) var links: [SpanLink] = []

    /// The current span's tags, its current log's fields and its references, as read.
    var tags = JaegerAttributes<JaegerThriftTag>(capacity: 0)
    var fields = JaegerAttributes<JaegerThriftTag>(capacity: 0)
    var references: [JaegerSpanRef] = []
    /// Where the current span's events begin (a repeated `logs` field replaces them).
    private var spanEvents = (events: 0, attributes: 0)

    /// Room for `spanCount` spans of up to 16 tags, but not for more tags than `bodySize` bytes
    /// likely hold: growing the table copies it.
    init(spanCount: Int, bodySize: Int) {
        spans.reserveCapacity(spanCount)
        attributes.reserveCapacity(min(spanCount * 16, bodySize / 16))
    }

    mutating func beginSpan() {
        tags.reset(capacity: 0)
        references.removeAll(keepingCapacity: true)
        spanEvents = (events.count, attributes: eventAttributes.count)
    }

    /// Drops the events of an earlier `logs` field of the same span (the last one counts).
    mutating func beginLogs(capacity: Int) {
        events.removeSubrange(spanEvents.events...)
        eventAttributes.removeSubrange(spanEvents.attributes...)
        events.reserveCapacity(events.count + capacity)
    }

    /// A log of the current span, from `fields` as put.
    mutating func appendEvent(timestamp: Int64) {
        var event = Event(timeUnixNano: JaegerTranslation.nanoseconds(timestamp), name: "", attributes: 0..<0)
        event.name = fields.edit { JaegerTranslation.removeEventName(&$0) }
        let start = eventAttributes.count
        eventAttributes.append(contentsOf: fields.list)
        event.attributes = start..<eventAttributes.count
        event.size = Self.size(of: event, eventAttributes)
        events.append(event)
    }

    /// Translates the span read since `beginSpan`: `s` holds its scalar fields, `name` its
    /// operation name, and the flags say which lists it had. A blank span is skipped, as upstream does.
    mutating func endSpan(_ s: JaegerSpanFields, name: UnsafeRawBufferPointer, hasReferences: Bool, hasTags: Bool, hasLogs: Bool) {
        // A blank span has no logs field, so no events to take back.
        if JaegerTranslation.isBlank(s, hasName: !name.isEmpty, hasReferences: hasReferences, hasTags: hasTags, hasLogs: hasLogs) { return }
        let parent = JaegerTranslation.parentSpanID(s, references: references)
        let linkStart = links.count
        links.append(contentsOf: JaegerTranslation.links(references, excluding: parent))
        let (kind, status) = tags.edit { JaegerTranslation.kindAndStatus(&$0) }
        let attributeStart = attributes.count
        attributes.append(contentsOf: tags.list)
        let fields = TranslatedSpan(
            traceID: TraceID(high: UInt64(bitPattern: s.traceIDHigh), low: UInt64(bitPattern: s.traceIDLow)),
            spanID: SpanID(UInt64(bitPattern: s.spanID)),
            parentSpanID: SpanID(UInt64(bitPattern: parent)),
            name: name,
            kind: kind,
            flags: s.flags & 1 == 1 ? 1 : 0,
            startTimeUnixNano: JaegerTranslation.nanoseconds(s.startTime),
            endTimeUnixNano: JaegerTranslation.nanoseconds(s.startTime &+ s.duration),
            status: status ?? Status())
        var span = Span(fields: fields, attributes: attributeStart..<attributes.count, events: spanEvents.events..<events.count,
                        links: linkStart..<links.count)
        span.size = size(of: span)
        spans.append(span)
    }

    /// One `ResourceSpans`; a `ScopeSpans` with an empty scope only when the batch's span list
    /// was not empty (even if every span in it was blank).
    func batch(resource: Resource, hadSpanList: Bool) -> TraceBatch {
        let bytes = encodeResourceSpans(resource, hadSpanList: hadSpanList)
        let encoded = EncodedBytes(EncodedBytes.Storage(bytes), 0..<bytes.count)
        return TraceBatch(resourceSpans: [ResourceSpans(deferred: encoded, spanCount: spans.count) { encoded in
            OTLPProtoDecoder.model(of: encoded, limits: OTLPDecodeLimits(), checksIDs: false)
        }])
    }
}
