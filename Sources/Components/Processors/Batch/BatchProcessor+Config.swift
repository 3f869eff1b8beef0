import Config

extension BatchProcessor {
    /// `processors::batch`, with upstream's defaults.
    public struct Config: Sendable, Equatable {
        /// Spans that trigger a send; a trigger, not a cap.
        public var sendBatchSize = 8192
        /// Largest batch sent; 0 means no cap. Larger batches are split.
        public var sendBatchMaxSize = 0
        /// How long spans may wait before they are sent anyway; 0 sends at once.
        public var timeout: Duration = .milliseconds(200)

        public init(sendBatchSize: Int = 8192, sendBatchMaxSize: Int = 0, timeout: Duration = .milliseconds(200)) {
            self.sendBatchSize = sendBatchSize
            self.sendBatchMaxSize = sendBatchMaxSize
            self.timeout = timeout
        }

        public static func parse(_ r: ConfigReader) throws(ConfigError) -> Config {
            var c = Config()
            c.sendBatchSize = try r.int("send_batch_size") ?? c.sendBatchSize
            c.sendBatchMaxSize = try r.int("send_batch_max_size") ?? c.sendBatchMaxSize
            c.timeout = try r.duration("timeout") ?? c.timeout
            if let keys = try r.stringList("metadata_keys"), !keys.isEmpty {
                throw r.error("metadata_keys", "batching by client metadata is not supported by Swiftlet; remove metadata_keys")
            }
            _ = try r.int("metadata_cardinality_limit")
            guard c.sendBatchSize >= 0 else { throw r.error("send_batch_size", "must not be negative") }
            guard c.timeout >= .zero else { throw r.error("timeout", "must not be negative") }
            guard c.sendBatchMaxSize == 0 || c.sendBatchMaxSize >= c.sendBatchSize else {
                throw r.error("send_batch_max_size", "must be greater or equal to send_batch_size")
            }
            return c
        }
    }
}
