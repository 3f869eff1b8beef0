import TraceModel

/// The Collector's `ProtoToTraces` (wire-formats §8.2, proto path): the Thrift rules, plus a span's
/// own process overriding the batch's, the scope from `otel.scope.*` tags and `w3c.tracestate`
/// as the trace state.
enum JaegerProtoTranslation {
    /// The service name upstream's translators write for a resource without one; read back as no resource.
    static let noServiceName = "OTLPResourceNoServiceName"

    /// One ResourceSpans per distinct process (`regroup`): the batch's first, then the spans' own
    /// in order of first appearance (upstream's order is a Go map's). The batch's group is left
    /// out when it has neither a process nor spans.
    static func batch(process: JaegerProtoProcess?, spans: [JaegerProtoSpan]) -> TraceBatch {
        var groups: [(process: JaegerProtoProcess?, spans: [JaegerProtoSpan])] = [(process, [])]
        var groupIndex: [JaegerProtoProcess?: Int] = [process: 0]
        for span in spans {
            let key = span.process ?? process
            if let at = groupIndex[key] {
                groups[at].spans.append(span)
            } else {
                groupIndex[key] = groups.count
                groups.append((key, [span]))
            }
        }
        var batch = TraceBatch()
        for group in groups where group.process != nil || !group.spans.isEmpty {
            var resourceSpans = ResourceSpans(resource: resource(group.process))
            resourceSpans.scopeSpans = scopeSpans(group.spans)
            batch.resourceSpans.append(resourceSpans)
        }
        return batch
    }

    static func resource(_ process: JaegerProtoProcess?) -> Resource {
        guard let process, process.serviceName != noServiceName else { return Resource() }
        let tags = process.tags.isEmpty ? nil : JaegerProtoTag.attributes(process.tags)
        return JaegerTranslation.resource(serviceName: process.serviceName, tags: tags)
    }

    /// One ScopeSpans per distinct (name, version), in order of first appearance; blank spans skipped.
    static func scopeSpans(_ spans: [JaegerProtoSpan]) -> [ScopeSpans] {
        var scopes: [ScopeSpans] = []
        var scopeIndex: [ScopeKey: Int] = [:]
        for var raw in spans where !raw.isBlank {
            let scope = takeScope(&raw.rawTags)
            let key = ScopeKey(name: scope.name, version: scope.version)
            let span = span(raw)
            if let at = scopeIndex[key] {
                scopes[at].spans.append(span)
            } else {
                scopeIndex[key] = scopes.count
                scopes.append(ScopeSpans(scope: scope, spans: [span]))
            }
        }
        return scopes
    }

    static func span(_ raw: JaegerProtoSpan) -> Span {
        var fields = raw.fields
        fields.tags = JaegerProtoTag.attributes(raw.rawTags)
        var span = JaegerTranslation.span(
            fields, startTimeUnixNano: raw.startTimeUnixNano,
            endTimeUnixNano: raw.startTimeUnixNano &+ UInt64(bitPattern: raw.durationNanoseconds))
        if let traceState = span.attributes.swapRemove("w3c.tracestate") {
            span.traceState = traceState.stringValue
        }
        return span
    }

    /// The scope named by the span's `otel.scope.name` tag (with `otel.scope.version`), or else by
    /// the older `otel.library.name` (with `otel.library.version`); the tags used are removed
    /// before the rest become attributes (`getScope`, which reads `v_str` whatever the type).
    static func takeScope(_ tags: inout [JaegerProtoTag]) -> InstrumentationScope {
        for (nameKey, versionKey) in [("otel.scope.name", "otel.scope.version"), ("otel.library.name", "otel.library.version")] {
            guard let name = take(nameKey, from: &tags) else { continue }
            return InstrumentationScope(name: name, version: take(versionKey, from: &tags) ?? "")
        }
        return InstrumentationScope()
    }

    private static func take(_ key: String, from tags: inout [JaegerProtoTag]) -> String? {
        guard let i = tags.firstIndex(where: { $0.key == key }) else { return nil }
        return tags.remove(at: i).vStr
    }

    private struct ScopeKey: Hashable {
        var name: String
        var version: String
    }
}
