import TraceModel

extension DebugTraceFormatter {
    /// The `detailed` block (`otlptext.NewTextTracesMarshaler`): every line ends with "\n"; an
    /// empty batch gives "".
    public static func detailed(_ batch: TraceBatch) -> String {
        var out = ""
        out.reserveCapacity(estimatedSize(batch, bytesPerSpan: 640))
        for (i, rs) in batch.resourceSpans.enumerated() {
            appendResource(rs, index: i, to: &out)
        }
        return out
    }

    static func appendResource(_ rs: ResourceSpans, index: Int, to out: inout String) {
        line(&out, "ResourceSpans #", String(index))
        line(&out, "Resource SchemaURL: ", rs.schemaURL)
        appendAttributes("Resource attributes", rs.resource.attributes, prefix: "     ->", to: &out)
        // Resource entity refs (≥ v0.133) are not part of the model, so never printed.
        for (j, ss) in rs.scopeSpans.enumerated() {
            appendScope(ss, index: j, to: &out)
        }
    }

    static func appendScope(_ ss: ScopeSpans, index: Int, to out: inout String) {
        line(&out, "ScopeSpans #", String(index))
        line(&out, "ScopeSpans SchemaURL: ", ss.schemaURL)
        out.append("InstrumentationScope ")
        out.append(ss.scope.name)
        line(&out, " ", ss.scope.version)
        appendAttributes("InstrumentationScope attributes", ss.scope.attributes, prefix: "     ->", to: &out)
        for (k, span) in ss.spans.enumerated() {
            appendSpan(span, index: k, to: &out)
        }
    }

    static func appendSpan(_ span: Span, index: Int, to out: inout String) {
        line(&out, "Span #", String(index))
        field(&out, "Trace ID", idString(span.traceID))
        field(&out, "Parent ID", idString(span.parentSpanID))
        field(&out, "ID", idString(span.spanID))
        field(&out, "Name", span.name)
        field(&out, "Kind", kindName(span.kind))
        if !span.traceState.isEmpty { field(&out, "TraceState", span.traceState) }
        timeField(&out, "Start time", span.startTimeUnixNano)
        timeField(&out, "End time", span.endTimeUnixNano)
        field(&out, "Status code", statusName(span.status.code))
        field(&out, "Status message", span.status.message)
        field(&out, "DroppedAttributesCount", String(span.droppedAttributesCount))
        field(&out, "DroppedEventsCount", String(span.droppedEventsCount))
        field(&out, "DroppedLinksCount", String(span.droppedLinksCount))
        appendAttributes("Attributes", span.attributes, prefix: "     ->", to: &out)
        appendEvents(span.events, to: &out)
        appendLinks(span.links, to: &out)
    }

    static func appendEvents(_ events: [SpanEvent], to out: inout String) {
        guard !events.isEmpty else { return }
        out.append("Events:\n")
        for (n, event) in events.enumerated() {
            line(&out, "SpanEvent #", String(n))
            line(&out, "     -> Name: ", event.name)
            out.append("     -> Timestamp: ")
            GoFormatting.appendTime(unixNano: event.timeUnixNano, to: &out)
            out.append("\n")
            line(&out, "     -> DroppedAttributesCount: ", String(event.droppedAttributesCount))
            appendAttributes("     -> Attributes:", event.attributes, prefix: "          ->", to: &out)
        }
    }

    static func appendLinks(_ links: [SpanLink], to out: inout String) {
        guard !links.isEmpty else { return }
        out.append("Links:\n")
        for (n, link) in links.enumerated() {
            line(&out, "SpanLink #", String(n))
            line(&out, "     -> Trace ID: ", idString(link.traceID))
            line(&out, "     -> ID: ", idString(link.spanID))
            line(&out, "     -> TraceState: ", link.traceState)
            line(&out, "     -> DroppedAttributesCount: ", String(link.droppedAttributesCount))
            appendAttributes("     -> Attributes:", link.attributes, prefix: "          ->", to: &out)
        }
    }

    /// `logAttributes`: "<header>:" then one `<prefix> key: Type(AsString)` line per attribute, in
    /// wire order (duplicates included); nothing at all when there are none.
    static func appendAttributes(_ header: String, _ attributes: [KeyValue], prefix: String, to out: inout String) {
        guard !attributes.isEmpty else { return }
        line(&out, header, ":")
        for kv in attributes {
            out.append(prefix)
            out.append(" ")
            out.append(kv.key)
            out.append(": ")
            out.append(typeName(kv.value))
            out.append("(")
            appendAsString(kv.value, to: &out)
            out.append(")\n")
        }
    }

    /// `logAttr`: `"    %-15s: %s"`.
    static func field(_ out: inout String, _ label: String, _ value: String) {
        fieldLabel(&out, label)
        out.append(value)
        out.append("\n")
    }

    static func timeField(_ out: inout String, _ label: String, _ unixNano: UInt64) {
        fieldLabel(&out, label)
        GoFormatting.appendTime(unixNano: unixNano, to: &out)
        out.append("\n")
    }

    static func fieldLabel(_ out: inout String, _ label: String) {
        out.append("    ")
        out.append(label)
        let width = label.unicodeScalars.count  // fmt pads by runes
        if width < 15 { out.append(contentsOf: padding.prefix(15 - width)) }
        out.append(": ")
    }

    private static let padding = "               "  // 15 spaces

    static func line(_ out: inout String, _ head: String, _ tail: String) {
        out.append(head)
        out.append(tail)
        out.append("\n")
    }
}
