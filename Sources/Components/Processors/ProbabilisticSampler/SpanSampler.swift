import TraceModel

/// The per-span decision of `probabilistic_sampler`, as upstream makes it: find the span's
/// randomness and its arriving threshold, check they agree, pick a threshold for the mode (or
/// keep / drop everything on an error, by `fail_closed`), let `sampling.priority` override it,
/// and keep the span when the randomness reaches the threshold.
struct SpanSampler: Sendable {
    enum Method: Equatable, Sendable {
        case never
        case hashSeed(seed: UInt32, threshold: SamplingThreshold)
        case equalizing(SamplingThreshold)
        case proportional(ratio: Double, precision: Int)
    }

    /// Where the randomness came from: the `policy` attribute of the sampled-count metric.
    enum Policy: String, CaseIterable, Sendable {
        case traceIDHash = "trace_id_hash"
        case traceIDW3C = "trace_id_w3c"
        case samplingRandomness = "sampling_randomness"
        case samplingPriority = "sampling_priority"
        case missingRandomness = "missing_randomness"
    }

    struct Outcome: Equatable {
        var sampled: Bool
        var policy: Policy
        /// The span's new tracestate, when it is kept and its tracestate could be read.
        var traceState: String?
        /// What went wrong reading the span; `routine` ones are upstream's sampler errors (logged
        /// at debug), the others tracestate syntax (logged at info).
        var error: String?
        var routine = true
    }

    let method: Method
    let failClosed: Bool

    init(method: Method, failClosed: Bool) {
        self.method = method
        self.failClosed = failClosed
    }

    init(_ config: ProbabilisticSampler.Config) {
        self.init(method: Self.method(config), failClosed: config.failClosed)
    }

    static func method(_ config: ProbabilisticSampler.Config) -> Method {
        let pct = min(config.samplingPercentage, 100)
        guard pct > 0 else { return .never }
        let ratio = max(Double(pct) / 100, SamplingThreshold.minProbability)
        switch config.mode {
        case .equalizing:
            return .equalizing(SamplingThreshold(probability: ratio, precision: config.samplingPrecision) ?? .always)
        case .proportional:
            return .proportional(ratio: ratio, precision: config.samplingPrecision)
        case .hashSeed:
            // Upstream's arithmetic, kept for the same decisions: float32 product, truncated.
            let kept = UInt32(pct * (Float(HashSeedHash.buckets) / 100))
            guard kept > 0 else { return .never }
            let threshold = SamplingThreshold(unsigned: UInt64(HashSeedHash.buckets - kept) << 42)
            return .hashSeed(seed: config.hashSeed, threshold: threshold)
        }
    }

    func decide(_ span: Span) -> Outcome {
        var source = randomness(span)
        if source.error == nil { source.error = Self.inconsistency(&source) }
        var threshold = source.error == nil ? threshold(source.carrier) : (failClosed ? .never : .always)
        var policy = source.policy
        switch SamplingPriority(span) {
        case .drop: (threshold, policy) = (.never, .samplingPriority)
        case .keep: (threshold, policy) = (.always, .samplingPriority)
        case nil: break
        }
        var outcome = Outcome(sampled: threshold.shouldSample(source.randomness ?? .allProbabilities), policy: policy,
                              error: source.error?.description, routine: source.error?.routine ?? true)
        if outcome.sampled, var carrier = source.carrier {
            // Refused when it would raise the arriving probability: the tracestate keeps its `th`.
            _ = carrier.ot.updateThreshold(threshold)
            outcome.traceState = carrier.serialized
        }
        return outcome
    }

    private func threshold(_ carrier: W3CTraceState?) -> SamplingThreshold {
        switch method {
        case .never: return .never
        case let .hashSeed(_, threshold): return threshold
        case let .equalizing(threshold):
            return max(threshold, carrier?.ot.threshold ?? .always)
        case let .proportional(ratio, precision):
            let arriving = carrier?.ot.threshold?.probability ?? 1
            return SamplingThreshold(probability: arriving * ratio, precision: precision) ?? .never
        }
    }
}
