@testable import Components
import Config
import Dispatch
import Foundation
import Synchronization
import Pipeline
import SwiftletTestKit
import Testing
import TraceModel

private func makeBatch(_ config: BatchProcessor.Config) -> (BatchProcessor, SinkConsumer) {
    let sink = SinkConsumer()
    return (BatchProcessor(context("batch", .processor), config, next: sink), sink)
}

@Test func batch_sendsWhenSendBatchSizeIsReached() {
    let (batch, sink) = makeBatch(.init(sendBatchSize: 10, timeout: .seconds(60)))
    try? batch.consume(sampleBatch(spans: 6, firstID: 1))
    #expect(sink.spanCount == 0)
    try? batch.consume(sampleBatch(spans: 6, firstID: 7))
    #expect(eventually { sink.spanCount == 12 })
    #expect(sink.batches.count == 1)
    batch.shutdown()
}

@Test func batch_sendsAfterTheTimeout() {
    let (batch, sink) = makeBatch(.init(sendBatchSize: 1000, timeout: .milliseconds(50)))
    try? batch.consume(sampleBatch(spans: 3))
    #expect(eventually { sink.spanCount == 3 })
    batch.shutdown()
}

@Test func batch_splitsBatchesLargerThanTheMaxSize() {
    let (batch, sink) = makeBatch(.init(sendBatchSize: 4, sendBatchMaxSize: 4, timeout: .seconds(60)))
    try? batch.consume(sampleBatch(spans: 10))
    batch.shutdown()
    #expect(sink.batches.map(\.spanCount) == [4, 4, 2])
    #expect(spanIDs(sink.batches) == Array(1...10))
    for b in sink.batches {
        #expect(b.resourceSpans[0].resource.attributes[key: "service.name"] == .string("checkout"))
        #expect(b.resourceSpans[0].scopeSpans[0].scope.name == "io.example")
    }
}

@Test func batch_flushesEverythingOnShutdown() {
    let (batch, sink) = makeBatch(.init(sendBatchSize: 1000, timeout: .seconds(60)))
    try? batch.consume(sampleBatch(spans: 5))
    batch.shutdown()
    #expect(sink.spanCount == 5)
    #expect(throws: ConsumerError.self) { try batch.consume(sampleBatch(spans: 1)) }
}

@Test func batch_zeroTimeoutSendsAtOnce() {
    let (batch, sink) = makeBatch(.init(sendBatchSize: 1000, timeout: .zero))
    try? batch.consume(sampleBatch(spans: 2))
    #expect(eventually { sink.spanCount == 2 })
    batch.shutdown()
}

@Test func batch_losesAndDuplicatesNothing_whenRequestsRaceTheTimer() {
    let (batch, sink) = makeBatch(.init(sendBatchSize: 37, timeout: .milliseconds(1)))
    let threads = 8, perThread = 200
    DispatchQueue.concurrentPerform(iterations: threads) { t in
        for i in 0..<perThread {
            try? batch.consume(sampleBatch(spans: 1 + i % 3, firstID: UInt64(t * 1_000_000 + i * 10)))
            if i % 50 == 0 { Thread.sleep(forTimeInterval: 0.002) }
        }
    }
    batch.shutdown()
    let ids = spanIDs(sink.batches)
    var expected: [UInt64] = []
    for t in 0..<threads { for i in 0..<perThread { for k in 0..<(1 + i % 3) { expected.append(UInt64(t * 1_000_000 + i * 10 + k)) } } }
    #expect(ids.count == expected.count)
    #expect(Set(ids) == Set(expected))
}

@Test func batchConfig_rejectsMaxSizeBelowSendBatchSize() throws {
    let reader = try ConfigReader(try YAMLParser.parse("send_batch_size: 100\nsend_batch_max_size: 10\n", file: "t"), path: "processors::batch", file: "t")
    #expect(throws: ConfigError.self) { try BatchProcessor.Config.parse(reader) }
}

@Test func batchConfig_readsUpstreamKeys() throws {
    let reader = try ConfigReader(try YAMLParser.parse("send_batch_size: 100\nsend_batch_max_size: 200\ntimeout: 2s\n", file: "t"), path: "processors::batch", file: "t")
    let c = try BatchProcessor.Config.parse(reader)
    try reader.finish()
    #expect(c == BatchProcessor.Config(sendBatchSize: 100, sendBatchMaxSize: 200, timeout: .seconds(2)))
}

@Test func dispatchInterval_keepsNanoseconds_andSaturatesHugeDurations() {
    #expect(Duration.milliseconds(200).dispatchInterval == .nanoseconds(200_000_000))
    #expect(Duration.seconds(Int64.max).dispatchInterval == .seconds(Int.max))
}

/// Refuses every batch (as an exporter whose queue is full does) until opened.
final class RefusingSink: TraceConsumer, Sendable {
    let sink = SinkConsumer()
    private let open = Atomic<Bool>(false)
    let refusals = Atomic<Int>(0)
    func consume(_ batch: TraceBatch) throws(ConsumerError) {
        guard open.load(ordering: .relaxed) else {
            refusals.add(1, ordering: .relaxed)
            throw ConsumerError.retryable("sending queue is full")
        }
        try sink.consume(batch)
    }
    func openUp() { open.store(true, ordering: .relaxed) }
}

@Test func batch_refusesWithoutBlocking_whenTheExporterKeepsRefusing_thenDeliversEverythingAccepted() {
    let refusing = RefusingSink()
    let batch = BatchProcessor(context("batch", .processor), .init(sendBatchSize: 2, timeout: .seconds(60)), next: refusing, backlogLimit: 10)
    var accepted: [UInt64] = []
    var refused = 0
    let started = ContinuousClock.now
    for i in 0..<40 {
        let id = UInt64(i * 2 + 1)
        do {
            try batch.consume(sampleBatch(spans: 2, firstID: id))
            accepted += [id, id + 1]
        } catch {
            #expect(!error.isPermanent)
            refused += 1
        }
    }
    // Every call returned at once: none waited for the exporter.
    #expect(ContinuousClock.now - started < .seconds(5))
    #expect(refused > 0 && accepted.count <= batch.backlogLimit + 2)
    #expect(eventually(seconds: 2) { refusing.refusals.load(ordering: .relaxed) >= 2 })
    refusing.openUp()
    #expect(eventually(seconds: 5) { refusing.sink.spanCount == accepted.count })
    batch.shutdown()
    #expect(spanIDs(refusing.sink.batches).sorted() == accepted.sorted())
}

@Test func batch_retriesRefusedBatchesOnShutdown() {
    let refusing = RefusingSink()
    let batch = BatchProcessor(context("batch", .processor), .init(sendBatchSize: 100, timeout: .seconds(60)), next: refusing)
    try? batch.consume(sampleBatch(spans: 3))
    DispatchQueue.global().asyncAfter(deadline: .now() + 0.3) { refusing.openUp() }
    batch.shutdown()
    #expect(refusing.sink.spanCount == 3)
}
