import TraceModel

extension DebugTraceFormatter {
    /// The `normal` block (`normal.NewNormalTracesMarshaler`): a `ResourceTraces` line per
    /// resource, a `ScopeTraces` line per scope, one line per span.
    ///
    /// Upstream numbers `ScopeTraces #` with the resource index, not the scope index; that is
    /// reproduced here.
    public static func normal(_ batch: TraceBatch) -> String {
        var out = ""
        out.reserveCapacity(estimatedSize(batch, bytesPerSpan: 96))
        for (i, rs) in batch.resourceSpans.enumerated() {
            out.append("ResourceTraces #")
            out.append(String(i))
            if !rs.schemaURL.isEmpty { bracketed(&out, rs.schemaURL) }
            appendKeyValues(rs.resource.attributes, to: &out)
            out.append("\n")
            for ss in rs.scopeSpans {
                appendScopeLine(ss, resourceIndex: i, to: &out)
                for span in ss.spans { appendSpanLine(span, to: &out) }
            }
        }
        return out
    }

    /// `ScopeTraces #i[ name][@version][ [schema]][ k=v ...]`.
    static func appendScopeLine(_ ss: ScopeSpans, resourceIndex: Int, to out: inout String) {
        out.append("ScopeTraces #")
        out.append(String(resourceIndex))
        let scope = ss.scope
        if !scope.name.isEmpty || !scope.version.isEmpty || !ss.schemaURL.isEmpty { out.append(" ") }
        out.append(scope.name)
        if !scope.version.isEmpty {
            out.append("@")
            out.append(scope.version)
        }
        if !ss.schemaURL.isEmpty {
            if !scope.name.isEmpty || !scope.version.isEmpty { out.append(" ") }
            out.append("[")
            out.append(ss.schemaURL)
            out.append("]")
        }
        appendKeyValues(scope.attributes, to: &out)
        out.append("\n")
    }

    /// `<name> <trace id> <span id>[ k=v ...]`.
    static func appendSpanLine(_ span: Span, to out: inout String) {
        out.append(span.name)
        out.append(" ")
        out.append(idString(span.traceID))
        out.append(" ")
        out.append(idString(span.spanID))
        appendKeyValues(span.attributes, to: &out)
        out.append("\n")
    }

    /// ` k=v k=v` with `AsString` values, or nothing.
    static func appendKeyValues(_ attributes: [KeyValue], to out: inout String) {
        for kv in attributes {
            out.append(" ")
            out.append(kv.key)
            out.append("=")
            appendAsString(kv.value, to: &out)
        }
    }

    static func bracketed(_ out: inout String, _ text: String) {
        out.append(" [")
        out.append(text)
        out.append("]")
    }
}
