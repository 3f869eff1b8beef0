import TraceModel

extension SpanSampler {
    /// A span's randomness (nil: missing), where it came from, its parsed tracestate (nil when it
    /// is not to be rewritten) and what went wrong.
    struct Source {
        var randomness: SamplingRandomness?
        var policy: Policy
        var carrier: W3CTraceState?
        var error: SamplerError?
    }

    enum SamplerError: Error, CustomStringConvertible {
        case missingRandomness
        case inconsistentThreshold
        case randomnessInUse
        case thresholdInUse
        case traceState(TraceStateError)

        var description: String {
            switch self {
            case .missingRandomness: "missing randomness"
            case .inconsistentThreshold: "inconsistent arriving threshold: item should not have been sampled"
            case .randomnessInUse: "item has sampling randomness, equalizing or proportional mode recommended"
            case .thresholdInUse: "item has sampling threshold, equalizing or proportional mode recommended"
            case .traceState(let e): e.description
            }
        }

        var routine: Bool {
            if case .traceState = self { return false }
            return true
        }
    }

    func randomness(_ span: Span) -> Source {
        let parsed: W3CTraceState
        do {
            parsed = try W3CTraceState(parsing: span.traceState)
        } catch {
            return unreadable(span, error)
        }
        switch method {
        case .never: return Source(randomness: .allProbabilities, policy: .samplingPriority, carrier: parsed)
        case let .hashSeed(seed, _): return Self.hashed(span, seed: seed, parsed)
        case .equalizing, .proportional: return Self.consistent(span, parsed)
        }
    }

    /// The tracestate could not be read: it is left as it came, whatever the decision. (Upstream's
    /// `never` sampler would rewrite what it managed to read; Swiftlet leaves it alone.)
    private func unreadable(_ span: Span, _ error: TraceStateError) -> Source {
        var source = switch method {
        case .never: Source(randomness: .allProbabilities, policy: .samplingPriority)
        case let .hashSeed(seed, _): Self.hashedRandomness(span, seed: seed)
        case .equalizing, .proportional: Source(randomness: nil, policy: .missingRandomness)
        }
        source.error = .traceState(error)
        return source
    }

    private static func hashedRandomness(_ span: Span, seed: UInt32) -> Source {
        span.traceID.isZero ? Source(randomness: nil, policy: .missingRandomness)
            : Source(randomness: HashSeedHash.randomness(span.traceID, seed: seed), policy: .traceIDHash)
    }

    /// `hash_seed` leaves alone a tracestate that already carries `rv` or `th` (an error, so
    /// `fail_closed` decides); otherwise it records the hash's randomness as `rv`.
    private static func hashed(_ span: Span, seed: UInt32, _ parsed: W3CTraceState) -> Source {
        var source = hashedRandomness(span, seed: seed)
        if parsed.ot.randomness != nil {
            source.error = .randomnessInUse
        } else if parsed.ot.threshold != nil {
            source.error = .thresholdInUse
        } else {
            source.carrier = parsed
            source.carrier?.ot.setRandomness(source.randomness ?? .allProbabilities)
        }
        return source
    }

    /// The consistent modes take `rv` when present, else the trace ID's low 56 bits.
    private static func consistent(_ span: Span, _ parsed: W3CTraceState) -> Source {
        if let rv = parsed.ot.randomness {
            return Source(randomness: rv, policy: .samplingRandomness, carrier: parsed)
        }
        if span.traceID.isZero { return Source(randomness: nil, policy: .missingRandomness, carrier: parsed) }
        return Source(randomness: SamplingRandomness(traceID: span.traceID), policy: .traceIDW3C, carrier: parsed)
    }

    /// An arriving `th` the randomness does not reach means the span should not have been kept
    /// upstream: the `th` is cleared, and the error lets `fail_closed` decide.
    static func inconsistency(_ source: inout Source) -> SamplerError? {
        guard let randomness = source.randomness else { return .missingRandomness }
        guard let threshold = source.carrier?.ot.threshold, !threshold.shouldSample(randomness) else { return nil }
        source.carrier?.ot.clearThreshold()
        return .inconsistentThreshold
    }
}
