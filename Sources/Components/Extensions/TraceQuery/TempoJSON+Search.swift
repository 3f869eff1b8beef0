import TraceModel
import WireFormats

extension TempoJSON {
    /// `SearchResponse`: each trace's `TraceSearchMetadata` with one spanset, written both as
    /// `spanSets` and as the deprecated `spanSet`, as Tempo's engine fills both.
    static func searchResponse(_ result: TraceSearch.Result, _ search: TraceSearch) -> [UInt8] {
        var w = JSONWriter(capacity: 256 + result.matches.count * 512)
        let shown = search.query.referencedAttributes.filter { $0 != (.resource, "service.name") } + [(.resource, "service.name")]
        w.beginObject()
        w.key("traces")
        w.beginArray()
        for match in result.matches { traceMetadata(match, search.spansPerSpanSet, shown, &w) }
        w.endArray()
        w.key("metrics")
        w.beginObject()
        w.key("inspectedTraces")
        w.number(result.inspectedTraces)
        w.key("inspectedBytes")
        w.quotedNumber(result.inspectedBytes)
        w.key("completedJobs")
        w.number(1)
        w.key("totalJobs")
        w.number(1)
        w.key("inspectedSpans")
        w.quotedNumber(result.inspectedSpans)
        w.endObject()
        w.endObject()
        return w.bytes
    }

    private static func traceMetadata(_ match: TraceSearch.Match, _ spansPerSpanSet: Int, _ shown: [(AttributeScope, String)],
                                      _ w: inout JSONWriter) {
        let trace = match.trace
        w.beginObject()
        w.key("traceID")
        w.string(trimmedHex(trace.traceID))
        w.key("rootServiceName")
        w.string(trace.root?.serviceName ?? rootNotYetReceived)
        w.key("rootTraceName")
        w.string(trace.root?.name ?? rootNotYetReceived)
        w.key("startTimeUnixNano")
        w.quotedNumber(trace.startUnixNano)
        let durationMs = trace.durationNanos / 1_000_000
        if durationMs > 0 {
            w.key("durationMs")
            w.number(min(durationMs, UInt64(UInt32.max)))
        }
        var spanSet = JSONWriter(capacity: 256)
        self.spanSet(match, spansPerSpanSet, shown, &spanSet)
        w.key("spanSet")
        w.rawValue(spanSet.bytes)
        w.key("spanSets")
        w.beginArray()
        w.rawValue(spanSet.bytes)
        w.endArray()
        serviceStats(trace, &w)
        w.endObject()
    }

    /// Tempo's text for a trace whose root span has not arrived (`pkg/search/util.go`).
    static let rootNotYetReceived = "<root span not yet received>"

    private static func spanSet(_ match: TraceSearch.Match, _ limit: Int, _ shown: [(AttributeScope, String)], _ w: inout JSONWriter) {
        w.beginObject()
        w.key("spans")
        w.beginArray()
        var position = 0
        var next = 0
        match.trace.forEachSpan { span, resource in
            defer { position += 1 }
            guard next < min(limit, match.spans.count), match.spans[next] == position else { return }
            next += 1
            self.span(span.pointee, resource, shown, &w)
        }
        w.endArray()
        w.key("matched")
        w.number(match.spans.count)
        w.endObject()
    }

    private static func span(_ span: Span, _ resource: Resource, _ shown: [(AttributeScope, String)], _ w: inout JSONWriter) {
        w.beginObject()
        w.key("spanID")
        w.string(span.spanID.hex)
        if !span.name.isEmpty {
            w.key("name")
            w.string(span.name)
        }
        w.key("startTimeUnixNano")
        w.quotedNumber(span.startTimeUnixNano)
        w.key("durationNanos")
        w.quotedNumber(span.durationNanos)
        var attributes: [KeyValue] = []
        for (scope, key) in shown {
            let value = scope == .resource ? nil : span.attributes[key: key]
            if let value = value ?? (scope == .span ? nil : resource.attributes[key: key]) {
                attributes.append(KeyValue(key, value))
            }
        }
        if !attributes.isEmpty {
            w.key("attributes")
            OTLPJSONEncoder.writeAttributes(attributes, &w)
        }
        w.endObject()
    }

    /// `serviceStats`: spans and error spans per service.
    private static func serviceStats(_ trace: StoredTrace, _ w: inout JSONWriter) {
        var stats: [(service: String, spans: Int, errors: Int)] = []
        for rs in trace.resourceSpans {
            let service = rs.resource.serviceName
            let spans = rs.spanCount
            let errors = rs.scopeSpans.reduce(0) { $0 + $1.spans.count { $0.status.code == .error } }
            if let i = stats.firstIndex(where: { $0.service == service }) {
                stats[i].spans += spans
                stats[i].errors += errors
            } else {
                stats.append((service, spans, errors))
            }
        }
        w.key("serviceStats")
        w.beginObject()
        for entry in stats {
            w.dynamicKey(entry.service)
            w.beginObject()
            w.key("spanCount")
            w.number(entry.spans)
            if entry.errors > 0 {
                w.key("errorCount")
                w.number(entry.errors)
            }
            w.endObject()
        }
        w.endObject()
    }

    /// Tempo's `TraceIDToHexString`: lowercase hex without leading zeros.
    static func trimmedHex(_ id: TraceID) -> String {
        let hex = id.hex
        let trimmed = hex.drop { $0 == "0" }
        return String(trimmed)
    }
}
