import Config

extension TraceStoreExporter {
    public struct Config: Sendable, Equatable {
        public var limits = TraceStore.Limits()

        public init() {}

        public static func parse(_ r: ConfigReader) throws(ConfigError) -> Config {
            var c = Config()
            if let bytes = try r.int("max_bytes") {
                guard bytes > 0 else { throw r.error("max_bytes", "must be positive") }
                c.limits.maxBytes = bytes
            }
            if let traces = try r.int("max_traces") {
                guard traces > 0 else { throw r.error("max_traces", "must be positive") }
                c.limits.maxTraces = traces
            }
            if let perTrace = try r.int("max_bytes_per_trace") {
                guard perTrace > 0 else { throw r.error("max_bytes_per_trace", "must be positive") }
                c.limits.maxBytesPerTrace = perTrace
            }
            if let retention = try r.duration("retention") {
                guard retention > .zero else { throw r.error("retention", "must be positive") }
                let (seconds, attoseconds) = retention.components
                c.limits.retentionNanos = UInt64(seconds) * 1_000_000_000 + UInt64(attoseconds / 1_000_000_000)
            }
            return c
        }
    }
}
