@testable import Components
import Config
import Pipeline
import SwiftletTestKit
import Synchronization
import Testing

private func limiterConfig(_ yaml: String) throws -> MemoryLimiter.Config {
    let reader = try ConfigReader(try YAMLParser.parse(yaml, file: "t"), path: "processors::memory_limiter", file: "t")
    let c = try MemoryLimiter.Config.parse(reader)
    try reader.finish()
    return c
}

@Test func memoryLimiter_computesLimitsFromMiBOrPercentages() throws {
    let mib = try limiterConfig("check_interval: 1s\nlimit_mib: 100\nspike_limit_mib: 30\n")
    #expect(try mib.limits(totalMemory: 0) == .init(hardBytes: 100 << 20, softBytes: 70 << 20))
    let defaultSpike = try limiterConfig("check_interval: 1s\nlimit_mib: 100\n")
    #expect(try defaultSpike.limits(totalMemory: 0).softBytes == (100 << 20) - (100 << 20) / 5)
    let pct = try limiterConfig("check_interval: 5s\nlimit_percentage: 80\nspike_limit_percentage: 25\n")
    #expect(try pct.limits(totalMemory: 1000 << 20) == .init(hardBytes: 800 << 20, softBytes: 550 << 20))
}

@Test func memoryLimiter_rejectsConfigsUpstreamRejects() {
    for yaml in ["limit_mib: 100\n", "check_interval: 1s\n", "check_interval: 1s\nlimit_mib: 10\nspike_limit_mib: 10\n"] {
        #expect(throws: ConfigError.self, "\(yaml)") { try limiterConfig(yaml) }
    }
}

@Test func memoryLimiter_refusesWithRetryAfter_whileAboveTheSoftLimit() throws {
    let rss = Atomic<UInt64>(10 << 20)
    let sink = SinkConsumer()
    let limiter = try MemoryLimiter(context("memory_limiter", .processor), try limiterConfig("check_interval: 2s\nlimit_mib: 100\nspike_limit_mib: 20\n"),
                                    next: sink, totalMemory: 0, readRSS: { rss.load(ordering: .relaxed) })
    try limiter.consume(sampleBatch(spans: 1))
    rss.store(90 << 20, ordering: .relaxed)
    limiter.check()
    #expect(throws: ConsumerError.refused("data refused due to high memory usage", retryAfterSeconds: 2)) {
        try limiter.consume(sampleBatch(spans: 1))
    }
    rss.store(50 << 20, ordering: .relaxed)
    limiter.check()
    try limiter.consume(sampleBatch(spans: 1))
    #expect(sink.spanCount == 2)
}
