import TraceModel

/// Zipkin spans as `ZipkinTranslator` translates them, kept in flat tables whose attributes point
/// into the request body (or the decode's `TextArena`), then written straight as OTLP
/// `ResourceSpans`, one per service: no span model is built on the way to an OTLP exporter. A
/// consumer that needs the model decodes it from those bytes (`ResourceSpans(deferred:)`).
struct ZipkinTranslatedSpans {
    struct Span {
        var fields: TranslatedSpan
        var attributes: Range<Int> = 0..<0
        var events: Range<Int> = 0..<0
        var links: Range<Int> = 0..<0
        /// The encoded size of the OTLP `Span`.
        var size = 0
    }

    /// One `ResourceSpans`: a service's resource and its scopes, each with a run of `spans`.
    struct Group {
        var resource: Resource
        var scopes: [(scope: InstrumentationScope, spans: Range<Int>)]
    }

    private(set) var spans: [Span] = []
    private(set) var attributes: [AttributeRef] = []
    private(set) var events: [SpanEvent] = []
    private(set) var links: [SpanLink] = []

    init(spanCount: Int) {
        spans.reserveCapacity(spanCount)
        attributes.reserveCapacity(spanCount * 16)
    }

    /// Appends a translated span with its attributes, events and links.
    mutating func append(_ span: consuming Span, attributes spanAttributes: [AttributeRef], events spanEvents: [SpanEvent], links spanLinks: [SpanLink]) {
        span.attributes = attributes.count..<(attributes.count + spanAttributes.count)
        attributes.append(contentsOf: spanAttributes)
        span.events = events.count..<(events.count + spanEvents.count)
        events.append(contentsOf: spanEvents)
        span.links = links.count..<(links.count + spanLinks.count)
        links.append(contentsOf: spanLinks)
        span.size = size(of: span)
        spans.append(consume span)
    }

    /// The group as a `ResourceSpans` carrying its encoding, its model left to be decoded from it.
    func resourceSpans(_ group: Group) -> ResourceSpans {
        let bytes = encodeResourceSpans(group)
        let spanCount = group.scopes.reduce(0) { $0 + $1.spans.count }
        return ResourceSpans(deferred: EncodedBytes(EncodedBytes.Storage(bytes), 0..<bytes.count), spanCount: spanCount) { encoded in
            OTLPProtoDecoder.model(of: encoded, limits: OTLPDecodeLimits(), checksIDs: false)
        }
    }
}
