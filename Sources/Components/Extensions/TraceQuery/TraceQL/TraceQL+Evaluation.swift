import Glibc
import TraceModel

/// Evaluates a query over one stored trace. A spanset filter selects the spans for which its
/// condition holds; `&&` between spansets needs both non-empty and joins their spans, `||` joins
/// whatever matched. Spans are named by their position in `StoredTrace.forEachSpan` order.
extension TraceQLQuery {
    /// The matching spans' positions in ascending order, or nil when the trace does not match.
    public func matchingSpans(in trace: StoredTrace) -> [Int]? {
        switch self {
        case .filter(let condition):
            var matched: [Int] = []
            var position = 0
            if condition.readsOnlyResourceAndTrace {
                // Once per resource, not per span.
                withUnsafePointer(to: Span()) { noSpan in
                    for rs in trace.resourceSpans {
                        let count = rs.spanCount
                        if condition.holds(noSpan, rs.resource, trace) { matched.append(contentsOf: position..<position + count) }
                        position += count
                    }
                }
            } else {
                trace.forEachSpan { span, resource in
                    if condition.holds(span, resource, trace) { matched.append(position) }
                    position += 1
                }
            }
            return matched.isEmpty ? nil : matched
        case .and(let a, let b):
            guard let left = a.matchingSpans(in: trace), let right = b.matchingSpans(in: trace) else { return nil }
            return Self.union(left, right)
        case .or(let a, let b):
            switch (a.matchingSpans(in: trace), b.matchingSpans(in: trace)) {
            case (nil, nil): return nil
            case (let left?, nil): return left
            case (nil, let right?): return right
            case (let left?, let right?): return Self.union(left, right)
            }
        }
    }

    static func union(_ a: [Int], _ b: [Int]) -> [Int] {
        var out: [Int] = []
        out.reserveCapacity(a.count + b.count)
        var i = 0, j = 0
        while i < a.count || j < b.count {
            if j == b.count || (i < a.count && a[i] < b[j]) {
                out.append(a[i]); i += 1
            } else if i == a.count || b[j] < a[i] {
                out.append(b[j]); j += 1
            } else {
                out.append(a[i]); i += 1; j += 1
            }
        }
        return out
    }

    /// The attributes the query's conditions name, for the spans a search answer shows.
    public var referencedAttributes: [(AttributeScope, String)] {
        var out: [(AttributeScope, String)] = []
        func visit(_ c: SpanCondition) {
            switch c {
            case .always: break
            case .comparison(let comparison):
                if case .attribute(let scope, let name) = comparison.field, !out.contains(where: { $0 == (scope, name) }) {
                    out.append((scope, name))
                }
            case .and(let a, let b), .or(let a, let b): visit(a); visit(b)
            }
        }
        func visit(_ q: TraceQLQuery) {
            switch q {
            case .filter(let c): visit(c)
            case .and(let a, let b), .or(let a, let b): visit(a); visit(b)
            }
        }
        visit(self)
        return out
    }
}

extension SpanCondition {
    /// Whether the condition reads resource attributes and trace-level intrinsics only.
    var readsOnlyResourceAndTrace: Bool {
        switch self {
        case .always: true
        case .comparison(let c):
            switch c.field {
            case .attribute(.resource, _), .intrinsic(.rootName), .intrinsic(.rootServiceName), .intrinsic(.traceDuration): true
            default: false
            }
        case .and(let a, let b), .or(let a, let b): a.readsOnlyResourceAndTrace && b.readsOnlyResourceAndTrace
        }
    }

    @inline(__always)
    func holds(_ span: UnsafePointer<Span>, _ resource: Resource, _ trace: StoredTrace) -> Bool {
        switch self {
        case .always(let value): value
        case .comparison(let c): c.holds(span, resource, trace)
        case .and(let a, let b): a.holds(span, resource, trace) && b.holds(span, resource, trace)
        case .or(let a, let b): a.holds(span, resource, trace) || b.holds(span, resource, trace)
        }
    }
}

extension SpanComparison {
    func holds(_ span: UnsafePointer<Span>, _ resource: Resource, _ trace: StoredTrace) -> Bool {
        switch field {
        case .intrinsic(let intrinsic):
            return holds(intrinsic, span, trace)
        case .attribute(.span, let key):
            return holds(span.pointee.attributes.value(of: key))
        case .attribute(.resource, let key):
            return holds(resource.attributes.value(of: key))
        case .attribute(.any, let key):
            return holds(span.pointee.attributes.value(of: key) ?? resource.attributes.value(of: key))
        }
    }

    private func holds(_ intrinsic: TraceQLIntrinsic, _ span: UnsafePointer<Span>, _ trace: StoredTrace) -> Bool {
        switch intrinsic {
        case .name: return holds(.string(span.pointee.name))
        case .statusMessage: return holds(.string(span.pointee.status.message))
        case .rootName: return holds(trace.root.map { .string($0.name) })
        case .rootServiceName: return holds(trace.root.map { .string($0.serviceName) })
        case .duration:
            return holds(nanoseconds: span.pointee.durationNanos)
        case .traceDuration: return holds(nanoseconds: trace.durationNanos)
        case .status:
            guard case .status(let code) = value else { return op == .notEqual && value != .nil }
            return (span.pointee.status.code == code) == (op == .equal)
        case .kind:
            guard case .kind(let kind) = value else { return op == .notEqual && value != .nil }
            return (span.pointee.kind == kind) == (op == .equal)
        }
    }

    private func holds(nanoseconds: UInt64) -> Bool {
        switch value {
        case .duration(let limit), .int(let limit): ordered(Int64(clamping: nanoseconds), limit)
        case .nil: op == .notEqual
        default: false
        }
    }

    /// An absent value matches only `= nil`; a value of another type than the literal never matches.
    func holds(_ attribute: AnyValue?) -> Bool {
        if value == .nil { return (attribute == nil) == (op == .equal) }
        guard let attribute else { return false }
        switch (attribute, value) {
        case (.string(let s), .string(let literal)):
            switch op {
            case .matches: return pattern?.matches(s) ?? false
            case .notMatches: return !(pattern?.matches(s) ?? true)
            case .contains: return s.containsBytes(of: literal)
            default: return ordered(s, literal)
            }
        case (.int(let a), .int(let b)): return ordered(a, b)
        case (.int(let a), .float(let b)): return ordered(Double(a), b)
        case (.double(let a), .float(let b)): return ordered(a, b)
        case (.double(let a), .int(let b)): return ordered(a, Double(b))
        case (.bool(let a), .bool(let b)): return op == .equal ? a == b : op == .notEqual && a != b
        default: return false
        }
    }

    @inline(__always)
    private func ordered<T: Comparable>(_ a: T, _ b: T) -> Bool {
        switch op {
        case .equal: a == b
        case .notEqual: a != b
        case .greater: a > b
        case .greaterOrEqual: a >= b
        case .less: a < b
        case .lessOrEqual: a <= b
        case .matches, .notMatches, .contains: false
        }
    }
}

extension String {
    /// Byte-wise substring search (`String.contains` compares Characters, far slower).
    func containsBytes(of needle: String) -> Bool {
        var haystack = self
        var needle = needle
        return haystack.withUTF8 { h in
            needle.withUTF8 { n in
                guard n.count > 0 else { return true }
                guard h.count >= n.count else { return false }
                for start in 0...(h.count - n.count) where h[start] == n[0] {
                    if memcmp(h.baseAddress! + start, n.baseAddress!, n.count) == 0 { return true }
                }
                return false
            }
        }
    }
}

extension Array where Element == KeyValue {
    /// The value of the first attribute with this key, read in place: `first(where:)` copies
    /// every element it passes, retaining its key and value.
    @inline(__always)
    func value(of key: String) -> AnyValue? {
        withUnsafeBufferPointer { attributes in
            for i in attributes.indices where attributes[i].key == key { return attributes[i].value }
            return nil
        }
    }
}
