import Config

extension ProbabilisticSampler {
    enum Mode: String, Sendable, CaseIterable {
        case hashSeed = "hash_seed"
        case equalizing
        case proportional
    }

    /// `processors::probabilistic_sampler`, with upstream's defaults and validation.
    struct Config: Sendable, Equatable {
        /// Percent of spans kept; above 100 means 100. Upstream reads it as a float32.
        var samplingPercentage: Float = 0
        var hashSeed: UInt32 = 0
        /// Upstream picks `hash_seed` when `mode` is left out.
        var mode = Mode.hashSeed
        /// Drop (rather than keep) a span whose randomness or tracestate cannot be read.
        var failClosed = true
        /// Significant hex digits of the `th` the consistent modes write, 1 to 14.
        var samplingPrecision = 4
        /// Logs-only keys that were set: upstream's traces sampler reads the same config and ignores
        /// them, so Swiftlet accepts them too and says at start that they do nothing.
        var logsOnlyKeys: [String] = []

        static func parse(_ r: ConfigReader) throws(ConfigError) -> Config {
            var c = Config()
            if let pct = try r.double("sampling_percentage") { c.samplingPercentage = Float(pct) }
            c.hashSeed = try parseHashSeed(r) ?? 0
            c.mode = try parseMode(r) ?? .hashSeed
            c.failClosed = try r.bool("fail_closed") ?? true
            c.samplingPrecision = try r.int("sampling_precision") ?? 4
            c.logsOnlyKeys = try parseLogsOnlyKeys(r)
            if let problem = c.problem { throw r.error(nil, problem) }
            return c
        }

        private static func parseHashSeed(_ r: ConfigReader) throws(ConfigError) -> UInt32? {
            guard let seed = try r.int("hash_seed") else { return nil }
            guard let value = UInt32(exactly: seed) else { throw r.error("hash_seed", "expected an unsigned 32-bit integer, got \(seed)") }
            return value
        }

        private static func parseMode(_ r: ConfigReader) throws(ConfigError) -> Mode? {
            guard let text = try r.string("mode"), !text.isEmpty else { return nil }
            guard let mode = Mode(rawValue: text) else { throw r.error("mode", "unsupported sampler mode \"\(text)\"") }
            return mode
        }

        private static func parseLogsOnlyKeys(_ r: ConfigReader) throws(ConfigError) -> [String] {
            if let source = try r.string("attribute_source"), !source.isEmpty, source != "traceID", source != "record" {
                throw r.error("attribute_source", "invalid attribute source: \(source). Expected: traceID or record")
            }
            var set: [String] = []
            for key in ["attribute_source", "from_attribute", "sampling_priority"] {
                guard let value = try r.string(key), !value.isEmpty, !(key == "attribute_source" && value == "traceID") else { continue }
                set.append(key)
            }
            return set
        }

        /// Upstream's `Validate`, in its order; nil when valid. A negative precision, which
        /// upstream lets through to undefined rounding, is refused too.
        var problem: String? {
            if samplingPercentage.isNaN || samplingPercentage.isInfinite {
                return "sampling rate is invalid: \(Self.goText(samplingPercentage))%"
            }
            let ratio = Double(samplingPercentage) / 100
            if ratio < 0 { return "sampling rate is negative: \(samplingPercentage)%" }
            if ratio > 0, ratio < SamplingThreshold.minProbability { return "sampling rate is too small: \(samplingPercentage)%" }
            if samplingPrecision <= 0 { return "invalid sampling precision: \(samplingPrecision)" }
            if samplingPrecision > SamplingThreshold.hexDigits {
                return "sampling precision is too great, should be <= 14: \(samplingPrecision)"
            }
            return nil
        }

        private static func goText(_ x: Float) -> String {
            x.isNaN ? "NaN" : (x < 0 ? "-Inf" : "+Inf")
        }
    }
}
