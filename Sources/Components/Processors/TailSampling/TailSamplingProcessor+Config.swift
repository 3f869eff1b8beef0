import Config

extension TailSamplingProcessor {
    /// `processors::tail_sampling`, with upstream's keys and defaults.
    struct Config: Sendable {
        /// From a trace's first span to its decision.
        var decisionWait: Duration = .seconds(30)
        /// Traces held at once, decided or not; a new trace beyond it pushes out the oldest.
        var numTraces = 50_000
        /// Only sizes the table up front.
        var expectedNewTracesPerSec = 0
        /// `decision_cache`: trace ids remembered after their spans are released; 0 is off.
        var sampledCacheSize = 0
        var nonSampledCacheSize = 0
        var policies: [SamplingPolicyConfig] = []
        /// Stop evaluating at the first policy that samples.
        var sampleOnFirstMatch = false

        static func parse(_ r: ConfigReader) throws(ConfigError) -> Config {
            var c = Config()
            c.decisionWait = try r.duration("decision_wait") ?? c.decisionWait
            c.numTraces = try r.int("num_traces") ?? c.numTraces
            c.expectedNewTracesPerSec = try r.int("expected_new_traces_per_sec") ?? 0
            if let cache = try r.child("decision_cache") {
                c.sampledCacheSize = try cache.int("sampled_cache_size") ?? 0
                c.nonSampledCacheSize = try cache.int("non_sampled_cache_size") ?? 0
                guard c.sampledCacheSize >= 0 else { throw cache.error("sampled_cache_size", "must not be negative") }
                guard c.nonSampledCacheSize >= 0 else { throw cache.error("non_sampled_cache_size", "must not be negative") }
            }
            c.sampleOnFirstMatch = try r.bool("sample_on_first_match") ?? false
            try refuseUnsupported(r)
            guard c.decisionWait > .zero else { throw r.error("decision_wait", "must be greater than 0") }
            guard c.numTraces > 0 else { throw r.error("num_traces", "must be greater than 0") }
            guard c.expectedNewTracesPerSec >= 0 else { throw r.error("expected_new_traces_per_sec", "must not be negative") }
            c.policies = try SamplingPolicyConfig.parseList(r, "policies", level: .top)
            return c
        }

        /// Upstream keys Swiftlet does not implement: an error naming each, never a silent default.
        private static func refuseUnsupported(_ r: ConfigReader) throws(ConfigError) {
            for key in ["block_on_overflow", "drop_pending_traces_on_shutdown", "maximum_trace_size_bytes"] where r.node(key) != nil {
                throw r.error(key, "\(key) is not supported by Swiftlet's tail_sampling; remove it")
            }
        }
    }
}
