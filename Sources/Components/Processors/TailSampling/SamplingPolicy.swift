import TraceModel

/// What one policy says of a trace. The inverted kinds come from `invert_match` and weigh
/// differently when the processor combines decisions (`SamplingDecision.combine`); `dropped`
/// comes from a `drop` policy.
enum SamplingDecision: Sendable, Equatable {
    case notSampled, sampled, invertNotSampled, invertSampled, dropped

    /// Whether it counts as sampled in the `sampled` metric label, as upstream's `decisionToAttributes`.
    var isSampled: Bool { self == .sampled || self == .invertSampled }

    /// Its `decision` metric label's index: not_sampled, sampled, dropped.
    var labelIndex: Int { self == .dropped ? 2 : isSampled ? 1 : 0 }

    /// processor.go `makeDecision`: a drop wins over everything, then an inverted not-sample;
    /// then any sample; then an inverted sample if no policy said not-sample; else not sampled.
    static func combine(_ decisions: [SamplingDecision]) -> Bool {
        if decisions.contains(.dropped) || decisions.contains(.invertNotSampled) { return false }
        if decisions.contains(.sampled) { return true }
        return decisions.contains(.invertSampled) && !decisions.contains(.notSampled)
    }
}

/// A trace at its decision: every span held for it, and their count.
struct TraceUnderDecision {
    var id: TraceID
    var spanCount: Int
    var resourceSpans: [ResourceSpans]
}

/// A configured policy with the state it keeps between decisions (the rate limiters' counters,
/// the regex matches it remembers). Only the processor's decision queue evaluates it.
final class SamplingPolicy: @unchecked Sendable {
    let name: String
    let rule: SamplingPolicyConfig.Rule
    let children: [SamplingPolicy]
    /// For a composite, each child's spans-per-second share.
    let childShares: [Int64]
    /// For `probabilistic`: the hash at or below which a trace is sampled.
    let threshold: UInt64
    /// rate_limiting and composite: the wall-clock second counted, and spans sampled in it (per child for composite).
    var currentSecond: Int64 = 0
    var spansInSecond: [Int64]
    /// string_attribute with regexes: recent values and whether they matched.
    var regexMatches: LRUCache<String, Bool>

    init(_ config: SamplingPolicyConfig) {
        name = config.name
        rule = config.rule
        var children: [SamplingPolicy] = []
        var shares: [Int64] = []
        var threshold: UInt64 = 0
        var cacheSize = 1
        switch config.rule {
        case .and(let subs), .drop(let subs): children = subs.map(SamplingPolicy.init)
        case .composite(_, let subs):
            children = subs.map { SamplingPolicy($0.policy) }
            shares = subs.map(\.spansPerSecond)
        case .probabilistic(_, let percentage): threshold = ProbabilisticThreshold.threshold(ratio: percentage / 100)
        case .stringAttribute(_, _, _, let size, _): cacheSize = size
        default: break
        }
        self.children = children
        childShares = shares
        self.threshold = threshold
        spansInSecond = Array(repeating: 0, count: max(1, shares.count))
        regexMatches = LRUCache(capacity: cacheSize)
    }
}

/// probabilistic.go: the sampling ratio scaled onto the 64-bit hash space.
enum ProbabilisticThreshold {
    /// `calculateThreshold`: MaxUint64 times `ratio` as Go's `big.Float` computes it (the product
    /// rounded to nearest even at 64 bits of mantissa), then truncated; saturates at both ends.
    static func threshold(ratio: Double) -> UInt64 {
        guard ratio > 0, ratio.isFinite else { return ratio == .infinity ? .max : 0 }
        guard ratio < 1 else { return .max }
        let mantissa = UInt128(ratio.significandBitPattern | (ratio.isNormal ? 1 << 52 : 0))
        let exponent = ratio.isNormal ? Int(ratio.exponent) - 52 : -1074
        let product = UInt128(UInt64.max) * mantissa
        let extra = max(0, (128 - product.leadingZeroBitCount) - 64)
        var rounded = product >> extra
        if extra > 0 {
            let rest = product & ((1 << extra) - 1)
            let half = UInt128(1) << (extra - 1)
            if rest > half || (rest == half && rounded & 1 == 1) { rounded += 1 }
        }
        let shift = extra + exponent
        guard shift < 0 else { return .max }
        return UInt64(clamping: -shift >= 128 ? 0 : rounded >> -shift)
    }

    /// `hashTraceID`: 64-bit FNV-1a over the salt's bytes, then the trace id's 16 bytes.
    static func hash(salt: String, _ traceID: TraceID) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in Array(salt.utf8) + traceID.bytes {
            h ^= UInt64(byte)
            h = h &* 0x0000_0100_0000_01b3
        }
        return h
    }
}
