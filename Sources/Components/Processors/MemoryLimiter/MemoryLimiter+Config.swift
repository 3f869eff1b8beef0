import Config

extension MemoryLimiter {
    /// `processors::memory_limiter`, with upstream's rules: a positive `check_interval`, and the
    /// limit either in MiB or as a percentage of the available memory.
    public struct Config: Sendable, Equatable {
        public var checkInterval: Duration = .zero
        public var limitMiB: UInt64 = 0
        public var spikeLimitMiB: UInt64 = 0
        public var limitPercentage: UInt64 = 0
        public var spikeLimitPercentage: UInt64 = 0

        public init() {}

        public static func parse(_ r: ConfigReader) throws(ConfigError) -> Config {
            var c = Config()
            c.checkInterval = try r.duration("check_interval") ?? .zero
            c.limitMiB = try nonNegative(r, "limit_mib")
            c.spikeLimitMiB = try nonNegative(r, "spike_limit_mib")
            c.limitPercentage = try nonNegative(r, "limit_percentage")
            c.spikeLimitPercentage = try nonNegative(r, "spike_limit_percentage")
            guard c.checkInterval > .zero else { throw r.error("check_interval", "must be greater than zero") }
            if c.limitMiB > 0 {
                guard c.spikeLimitMiB < c.limitMiB else { throw r.error("spike_limit_mib", "must be smaller than limit_mib") }
            } else if c.limitPercentage > 0 {
                guard c.limitPercentage <= 100, c.spikeLimitPercentage < c.limitPercentage else {
                    throw r.error("limit_percentage", "limit_percentage must be at most 100 and greater than spike_limit_percentage")
                }
            } else {
                throw r.error("limit_mib", "either limit_mib or limit_percentage must be set")
            }
            return c
        }

        static func nonNegative(_ r: ConfigReader, _ key: String) throws(ConfigError) -> UInt64 {
            guard let v = try r.int(key) else { return 0 }
            guard v >= 0 else { throw r.error(key, "must not be negative") }
            return UInt64(v)
        }

        /// Hard and soft limits in bytes. The spike defaults to 20 % of the limit, as upstream.
        func limits(totalMemory: UInt64) throws -> Limits {
            let hard = limitMiB > 0 ? limitMiB << 20 : totalMemory / 100 * limitPercentage
            let spike: UInt64
            if limitMiB > 0 {
                spike = spikeLimitMiB > 0 ? spikeLimitMiB << 20 : hard / 5
            } else {
                spike = spikeLimitPercentage > 0 ? totalMemory / 100 * spikeLimitPercentage : hard / 5
            }
            return Limits(hardBytes: hard, softBytes: hard - min(spike, hard))
        }
    }
}
