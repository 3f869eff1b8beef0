import Config
import Pipeline

/// exporterhelper's `retry_on_failure`, with upstream's defaults.
public struct RetrySettings: Sendable, Equatable {
    public var enabled = true
    public var initialInterval: Duration = .seconds(5)
    public var maxInterval: Duration = .seconds(30)
    /// 0 retries forever.
    public var maxElapsedTime: Duration = .seconds(300)
    public var multiplier = 1.5
    public var randomizationFactor = 0.5

    public init() {}

    static func parse(_ r: ConfigReader?) throws(ConfigError) -> RetrySettings {
        var c = RetrySettings()
        guard let r else { return c }
        c.enabled = try r.bool("enabled") ?? c.enabled
        c.initialInterval = try r.duration("initial_interval") ?? c.initialInterval
        c.maxInterval = try r.duration("max_interval") ?? c.maxInterval
        c.maxElapsedTime = try r.duration("max_elapsed_time") ?? c.maxElapsedTime
        c.multiplier = try r.double("multiplier") ?? c.multiplier
        c.randomizationFactor = try r.double("randomization_factor") ?? c.randomizationFactor
        guard c.multiplier >= 1 else { throw r.error("multiplier", "must be at least 1") }
        guard (0...1).contains(c.randomizationFactor) else { throw r.error("randomization_factor", "must be between 0 and 1") }
        guard c.initialInterval > .zero else { throw r.error("initial_interval", "must be greater than 0") }
        try r.finish()
        return c
    }

    /// The wait before retry number `attempt` (1-based): exponential, capped, with jitter drawn
    /// from [d·(1−f), d·(1+f)] as the Collector's backoff does.
    func backoff(attempt: Int, random: Double = Double.random(in: 0...1)) -> Duration {
        var interval = initialInterval.seconds
        for _ in 1..<max(1, attempt) { interval = min(interval * multiplier, maxInterval.seconds) }
        interval = min(interval, maxInterval.seconds)
        let delta = randomizationFactor * interval
        return .nanoseconds(Int64(((interval - delta) + random * 2 * delta) * 1e9))
    }
}

/// exporterhelper's `sending_queue`: in memory, or on disk with `storage: file_storage[/name]`.
public struct QueueSettings: Sendable, Equatable {
    public var enabled = true
    public var numConsumers = 10
    /// Requests the queue holds.
    public var queueSize = 1000
    /// Upstream waits for room when true; Swiftlet never waits (it would hold a pool thread) and
    /// refuses with a retryable error either way.
    public var blockOnOverflow = false
    /// The `file_storage` extension that holds a persistent queue.
    public var storage: ComponentID?
    /// Bytes a persistent queue may hold on disk (Swiftlet's own key; upstream bounds the
    /// persistent queue by `queue_size` only).
    public var maxSizeBytes = 512 << 20

    public init() {}

    static func parse(_ r: ConfigReader?) throws(ConfigError) -> QueueSettings {
        var c = QueueSettings()
        guard let r else { return c }
        c.enabled = try r.bool("enabled") ?? c.enabled
        c.numConsumers = try r.int("num_consumers") ?? c.numConsumers
        c.queueSize = try r.int("queue_size") ?? c.queueSize
        c.blockOnOverflow = try r.bool("block_on_overflow") ?? c.blockOnOverflow
        if let sizer = try r.string("sizer"), sizer != "requests" {
            throw r.error("sizer", "only \"requests\" is supported, not \"\(sizer)\"")
        }
        if let text = try r.string("storage") {
            do { c.storage = try ComponentID(parsing: text) } catch { throw r.error("storage", error.description) }
            guard c.enabled else { throw r.error("storage", "a persistent queue needs the sending queue enabled") }
        }
        c.maxSizeBytes = try r.int("max_size_bytes") ?? c.maxSizeBytes
        guard c.maxSizeBytes >= 64 << 10 else { throw r.error("max_size_bytes", "must be at least 65536") }
        guard c.numConsumers > 0 else { throw r.error("num_consumers", "must be greater than 0") }
        guard c.queueSize > 0 else { throw r.error("queue_size", "must be greater than 0") }
        try r.finish()
        return c
    }
}
