import TraceModel

/// A Bloom filter over what equality searches ask for (`key=value` of span and resource
/// attributes, span name, status, kind), one per stored fragment: a search skips a trace whose
/// filters rule out a term its query needs, without reading the spans. False positives only cost
/// a scan; there are no false negatives.
public struct TermFilter: Sendable {
    private var bits: [UInt64]

    /// About 12 bits a term with 3 probes: under 1 % false positives.
    init(capacity terms: Int) {
        var words = 4
        while words * 64 < terms * 12, words < 1024 { words *= 2 }
        bits = [UInt64](repeating: 0, count: words)
    }

    var byteCount: Int { RetainedSize.array(bits) }

    mutating func insert(_ term: UInt64) {
        let mask = UInt64(bits.count * 64 - 1)
        let step = (term >> 32) | 1
        for i in 0..<UInt64(3) {
            let bit = (term &+ i &* step) & mask
            bits[Int(bit >> 6)] |= 1 << (bit & 63)
        }
    }

    public func mayContain(_ term: UInt64) -> Bool {
        let mask = UInt64(bits.count * 64 - 1)
        let step = (term >> 32) | 1
        for i in 0..<UInt64(3) {
            let bit = (term &+ i &* step) & mask
            if bits[Int(bit >> 6)] & (1 << (bit & 63)) == 0 { return false }
        }
        return true
    }

    /// The terms of one fragment's spans and resources.
    static func of(_ resourceSpans: [ResourceSpans]) -> TermFilter {
        var terms = Set<UInt64>()
        for rs in resourceSpans {
            for kv in rs.resource.attributes { if let t = SearchTerm.attribute(kv.key, kv.value) { terms.insert(t) } }
            for ss in rs.scopeSpans {
                for span in ss.spans {
                    terms.insert(SearchTerm.name(span.name))
                    terms.insert(SearchTerm.status(span.status.code))
                    terms.insert(SearchTerm.kind(span.kind))
                    for kv in span.attributes { if let t = SearchTerm.attribute(kv.key, kv.value) { terms.insert(t) } }
                }
            }
        }
        var filter = TermFilter(capacity: terms.count)
        for t in terms { filter.insert(t) }
        return filter
    }
}

/// The hash of one searchable fact. Attribute terms do not say the scope, so that `.key` finds
/// them either way.
public enum SearchTerm {
    public static func attribute(_ key: String, _ value: AnyValue) -> UInt64? {
        var h = Hasher()
        h.combine(key)
        switch value {
        case .string(let s): h.combine(0 as UInt8); h.combine(s)
        case .int(let i): h.combine(1 as UInt8); h.combine(i)
        case .bool(let b): h.combine(2 as UInt8); h.combine(b)
        // A whole double equals the int literal of the same value: it is filed as that int.
        case .double(let d) where d.rounded() == d && abs(d) < 9e18: h.combine(1 as UInt8); h.combine(Int64(d))
        default: return nil
        }
        return UInt64(bitPattern: Int64(h.finalize()))
    }

    public static func name(_ name: String) -> UInt64 { hash(3, name) }
    public static func status(_ code: StatusCode) -> UInt64 { hash(4, code.rawValue) }
    public static func kind(_ kind: SpanKind) -> UInt64 { hash(5, kind.rawValue) }

    private static func hash(_ tag: UInt8, _ value: some Hashable) -> UInt64 {
        var h = Hasher()
        h.combine(tag)
        h.combine(value)
        return UInt64(bitPattern: Int64(h.finalize()))
    }
}
