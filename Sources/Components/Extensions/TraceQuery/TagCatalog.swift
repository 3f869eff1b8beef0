import TraceModel

/// Attribute names and values seen in the newest traces, for the tag APIs. Bounded: at most
/// `maxSpans` spans are read (newest first) and `maxValues` distinct values kept, as Tempo bounds
/// its tag queries by bytes.
struct TagCatalog {
    static let maxSpans = 250_000
    static let maxValues = 1_000

    /// Sorted attribute keys per scope.
    static func names(_ traces: [StoredTrace]) -> (span: [String], resource: [String]) {
        var span = Set<String>()
        var resource = Set<String>()
        var read = 0
        for trace in traces.reversed() where read < maxSpans {
            read += trace.spanCount
            for keys in trace.attributeKeys {
                for key in keys.span { span.insert(key) }
                for key in keys.resource { resource.insert(key) }
            }
        }
        return (span.sorted(), resource.sorted())
    }

    /// Distinct values of one field, in first-seen order (newest traces first).
    static func values(of field: TraceQLField, in traces: [StoredTrace]) -> [AnyValue] {
        var seen = Set<TagValueKey>()
        var out: [AnyValue] = []
        var read = 0
        for trace in traces.reversed() where read < maxSpans && out.count < maxValues {
            read += trace.spanCount
            if case .attribute(.resource, let key) = field {
                for rs in trace.resourceSpans where out.count < maxValues {
                    if let value = rs.resource.attributes[key: key], let k = TagValueKey(value), seen.insert(k).inserted { out.append(value) }
                }
                continue
            }
            trace.forEachSpan { span, resource in
                guard out.count < maxValues, let value = Self.value(of: field, span.pointee, resource, trace), let key = TagValueKey(value) else { return }
                if seen.insert(key).inserted { out.append(value) }
            }
        }
        return out
    }

    private static func value(of field: TraceQLField, _ span: Span, _ resource: Resource, _ trace: StoredTrace) -> AnyValue? {
        switch field {
        case .attribute(.span, let key): return span.attributes[key: key]
        case .attribute(.resource, let key): return resource.attributes[key: key]
        case .attribute(.any, let key): return span.attributes[key: key] ?? resource.attributes[key: key]
        case .intrinsic(.name): return .string(span.name)
        case .intrinsic(.statusMessage): return span.status.message.isEmpty ? nil : .string(span.status.message)
        case .intrinsic(.rootName): return trace.root.map { .string($0.name) }
        case .intrinsic(.rootServiceName): return trace.root.map { .string($0.serviceName) }
        case .intrinsic(.status): return .int(Int64(span.status.code.rawValue))
        case .intrinsic(.kind): return .int(Int64(span.kind.rawValue))
        case .intrinsic(.duration), .intrinsic(.traceDuration): return nil
        }
    }
}

/// A scalar value as a set member; arrays and maps are not listed.
enum TagValueKey: Hashable {
    case string(String), int(Int64), double(UInt64), bool(Bool)

    init?(_ value: AnyValue) {
        switch value {
        case .string(let s): self = .string(s)
        case .int(let i): self = .int(i)
        case .double(let d): self = .double(d.bitPattern)
        case .bool(let b): self = .bool(b)
        default: return nil
        }
    }
}
