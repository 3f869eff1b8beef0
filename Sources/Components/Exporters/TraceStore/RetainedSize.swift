import TraceModel

/// The heap bytes a value holds, counted from its content: inline parts by `MemoryLayout`, each
/// heap buffer (arrays, strings longer than the 15 bytes stored inline) with its header and
/// the allocator's per-block overhead. Counted once when stored and subtracted as counted when
/// evicted, so the total cannot drift. Buffers shared between fragments (a resource's attributes
/// reused for each trace of a request) are counted for each: the count errs high, never low.
enum RetainedSize {
    /// Array header (32) plus malloc's block overhead (16).
    static let heapBlock = 48

    static func of(_ resourceSpans: [ResourceSpans]) -> Int {
        var total = array(resourceSpans)
        for rs in resourceSpans {
            total += attributes(rs.resource.attributes) + string(rs.schemaURL) + array(rs.scopeSpans)
            for ss in rs.scopeSpans {
                total += string(ss.scope.name) + string(ss.scope.version) + attributes(ss.scope.attributes) + string(ss.schemaURL)
                total += array(ss.spans)
                for span in ss.spans { total += of(span) }
            }
        }
        return total
    }

    static func of(_ span: Span) -> Int {
        var total = string(span.name) + string(span.traceState) + string(span.status.message) + attributes(span.attributes)
        total += array(span.events)
        for event in span.events { total += string(event.name) + attributes(event.attributes) }
        total += array(span.links)
        for link in span.links { total += string(link.traceState) + attributes(link.attributes) }
        return total
    }

    static func attributes(_ values: [KeyValue]) -> Int {
        var total = array(values)
        for kv in values { total += string(kv.key) + of(kv.value) }
        return total
    }

    static func of(_ value: AnyValue) -> Int {
        switch value {
        case .empty, .bool, .int, .double: 0
        case .string(let s): string(s)
        case .bytes(let b): array(b)
        case .array(let values): values.reduce(array(values)) { $0 + of($1) }
        case .kvlist(let values): attributes(values)
        }
    }

    static func string(_ s: String) -> Int {
        let count = s.utf8.count
        return count <= 15 ? 0 : heapBlock + count
    }

    static func array<T>(_ values: [T]) -> Int {
        values.isEmpty ? 0 : heapBlock + values.capacity * MemoryLayout<T>.stride
    }
}
