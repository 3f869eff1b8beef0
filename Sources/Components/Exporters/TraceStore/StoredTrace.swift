import TraceModel

/// One trace as the store holds it: immutable, so a search reads it without a lock. More spans
/// of the trace make a new record (`adding`) that takes this one's place.
public final class StoredTrace: Sendable {
    public let traceID: TraceID
    public let resourceSpans: [ResourceSpans]
    public let spanCount: Int
    /// Bytes of span data held (`RetainedSize`), without the record itself.
    public let bytes: Int
    public let startUnixNano: UInt64
    public let endUnixNano: UInt64
    public let root: RootSpan?
    /// Monotonic time the first spans arrived: retention and eviction order.
    public let firstSeenNano: UInt64
    /// One per fragment (`TermFilter`).
    public let termFilters: [TermFilter]
    /// One per fragment.
    public let attributeKeys: [AttributeKeys]
    /// The longest and shortest span: searches by duration skip traces these rule out.
    public let longestSpanNanos: UInt64
    public let shortestSpanNanos: UInt64

    /// The root span's name and service: the span without a parent, the earliest if several.
    public struct RootSpan: Sendable, Equatable {
        public var name: String
        public var serviceName: String
        public var startUnixNano: UInt64
    }

    /// The record, its slot and its dictionary entry.
    static let recordOverhead = 160

    init(_ fragment: TraceFragment, firstSeenNano: UInt64) {
        traceID = fragment.traceID
        resourceSpans = fragment.resourceSpans
        spanCount = fragment.spanCount
        bytes = fragment.bytes
        let bounds = Self.bounds(fragment.resourceSpans)
        startUnixNano = bounds.start
        endUnixNano = bounds.end
        root = Self.root(fragment.resourceSpans)
        self.firstSeenNano = firstSeenNano
        termFilters = [fragment.terms]
        attributeKeys = [fragment.attributeKeys]
        longestSpanNanos = bounds.longest
        shortestSpanNanos = bounds.shortest
    }

    private init(_ old: StoredTrace, adding fragment: TraceFragment) {
        traceID = old.traceID
        resourceSpans = old.resourceSpans + fragment.resourceSpans
        spanCount = old.spanCount + fragment.spanCount
        bytes = old.bytes + fragment.bytes
        let bounds = Self.bounds(fragment.resourceSpans)
        startUnixNano = min(old.startUnixNano, bounds.start)
        endUnixNano = max(old.endUnixNano, bounds.end)
        let newRoot = Self.root(fragment.resourceSpans)
        if let a = old.root, let b = newRoot {
            root = b.startUnixNano < a.startUnixNano ? b : a
        } else {
            root = old.root ?? newRoot
        }
        firstSeenNano = old.firstSeenNano
        termFilters = old.termFilters + [fragment.terms]
        attributeKeys = old.attributeKeys + [fragment.attributeKeys]
        longestSpanNanos = max(old.longestSpanNanos, bounds.longest)
        shortestSpanNanos = min(old.shortestSpanNanos, bounds.shortest)
    }

    func adding(_ fragment: TraceFragment) -> StoredTrace {
        StoredTrace(self, adding: fragment)
    }

    public var durationNanos: UInt64 { endUnixNano > startUnixNano ? endUnixNano - startUnixNano : 0 }

    /// Whether some fragment may hold `term`.
    public func mayContain(_ term: UInt64) -> Bool {
        termFilters.contains { $0.mayContain(term) }
    }

    /// Calls `body` with every span and its resource, in stored order. The span is lent by
    /// address: a copy would retain each of its strings and arrays, which dominates a scan.
    @inline(__always)
    public func forEachSpan(_ body: (_ span: UnsafePointer<Span>, _ resource: Resource) -> Void) {
        for resourceSpans in resourceSpans {
            let resource = resourceSpans.resource
            for scopeSpans in resourceSpans.scopeSpans {
                scopeSpans.spans.withUnsafeBufferPointer { spans in
                    guard let base = spans.baseAddress else { return }
                    for i in 0..<spans.count { body(base + i, resource) }
                }
            }
        }
    }

    private static func bounds(_ resourceSpans: [ResourceSpans]) -> (start: UInt64, end: UInt64, longest: UInt64, shortest: UInt64) {
        var start = UInt64.max, end: UInt64 = 0, longest: UInt64 = 0, shortest = UInt64.max
        for rs in resourceSpans {
            for ss in rs.scopeSpans {
                for span in ss.spans {
                    start = min(start, span.startTimeUnixNano)
                    end = max(end, span.endTimeUnixNano, span.startTimeUnixNano)
                    let duration = span.durationNanos
                    longest = max(longest, duration)
                    shortest = min(shortest, duration)
                }
            }
        }
        return (start == .max ? 0 : start, end, longest, shortest)
    }

    private static func root(_ resourceSpans: [ResourceSpans]) -> RootSpan? {
        var best: RootSpan?
        for rs in resourceSpans {
            for ss in rs.scopeSpans {
                for span in ss.spans where span.parentSpanID.isZero {
                    if let b = best, b.startUnixNano <= span.startTimeUnixNano { continue }
                    best = RootSpan(name: span.name, serviceName: rs.resource.serviceName, startUnixNano: span.startTimeUnixNano)
                }
            }
        }
        return best
    }
}

extension Span {
    /// End minus start; 0 when the end is not after the start.
    public var durationNanos: UInt64 { endTimeUnixNano > startTimeUnixNano ? endTimeUnixNano - startTimeUnixNano : 0 }
}

extension Resource {
    /// The `service.name` attribute's string, "" when absent.
    public var serviceName: String { attributes[key: "service.name"]?.stringValue ?? "" }
}
