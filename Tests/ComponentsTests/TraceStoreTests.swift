@testable import Components
import Pipeline
import Testing
import TraceModel

@Test func traceStore_joinsSpansOfOneTrace_fromSeveralBatchesAndServices() throws {
    let store = TraceStore()
    store.insert(storeBatch(service: "front", [storeSpan(trace: 1, span: 1, name: "GET /"), storeSpan(trace: 2, span: 5)]))
    store.insert(storeBatch(service: "back", [storeSpan(trace: 1, span: 2, parent: 1, name: "query", startMs: 5, durationMs: 50)]))
    let trace = try #require(store.trace(TraceID(high: 0, low: 1)))
    #expect(trace.spanCount == 2)
    #expect(trace.resourceSpans.map(\.resource.serviceName) == ["front", "back"])
    #expect(trace.root == StoredTrace.RootSpan(name: "GET /", serviceName: "front", startUnixNano: storeEpochNano))
    #expect(trace.durationNanos == 55_000_000)
    #expect(store.usage.traces == 2)
    #expect(store.usage.spans == 3)
    #expect(store.trace(TraceID(high: 0, low: 3)) == nil)
}

@Test func traceStore_keepsResourceAndScopeOfEachSpan_whenABatchMixesTraces() throws {
    let store = TraceStore()
    var batch = storeBatch(service: "a", [storeSpan(trace: 1, span: 1), storeSpan(trace: 2, span: 2), storeSpan(trace: 1, span: 3)])
    batch.append(contentsOf: storeBatch(service: "b", [storeSpan(trace: 1, span: 4)]))
    store.insert(batch)
    let trace = try #require(store.trace(TraceID(high: 0, low: 1)))
    #expect(trace.resourceSpans.count == 2)
    #expect(trace.resourceSpans[0].scopeSpans[0].spans.map(\.spanID.value) == [1, 3])
    #expect(trace.resourceSpans[0].scopeSpans[0].scope.name == "test")
    #expect(trace.resourceSpans[1].scopeSpans[0].spans.map(\.spanID.value) == [4])
}

@Test func traceStore_evictsOldestTraces_whenOverMaxTraces() {
    let store = TraceStore(limits: TraceStore.Limits(maxTraces: 3))
    for id in UInt64(1)...5 { store.insert(storeBatch(service: "s", [storeSpan(trace: id, span: id)])) }
    // Spans arriving for a kept trace do not make it younger: eviction is by first arrival.
    store.insert(storeBatch(service: "s", [storeSpan(trace: 3, span: 30)]))
    store.insert(storeBatch(service: "s", [storeSpan(trace: 6, span: 6)]))
    #expect(store.snapshot().map(\.traceID.low) == [4, 5, 6])
    #expect(store.usage.evictedTraces == 3)
}

@Test func traceStore_staysWithinMaxBytes_underAFlood_andAccountsToZeroWhenAllIsEvicted() {
    let maxBytes = 200_000
    let store = TraceStore(limits: TraceStore.Limits(maxBytes: maxBytes))
    let payload = String(repeating: "x", count: 300)
    for id in UInt64(1)...2_000 {
        store.insert(storeBatch(service: "s", [storeSpan(trace: id, span: id, attributes: [KeyValue("payload", .string(payload))])]))
        #expect(store.usage.bytes <= maxBytes)
    }
    let usage = store.usage
    #expect(usage.traces > 50 && usage.traces < 2_000)
    #expect(store.snapshot().last?.traceID.low == 2_000)
    #expect(store.snapshot().first?.traceID.low == UInt64(2_000 - usage.traces + 1))
    // A fragment larger than the store is dropped, and evicts nothing.
    let huge = String(repeating: "y", count: maxBytes)
    store.insert(storeBatch(service: "s", [storeSpan(trace: 9_999, span: 1, attributes: [KeyValue("payload", .string(huge))])]))
    #expect(store.trace(TraceID(high: 0, low: 9_999)) == nil)
    #expect(store.usage.traces == usage.traces)
}

@Test func traceStore_bytesReturnToZero_afterEvictionOfEverything() {
    let store = TraceStore(limits: TraceStore.Limits(maxTraces: 1))
    store.insert(storeBatch(service: "s", [storeSpan(trace: 1, span: 1, attributes: [KeyValue("k", .string(String(repeating: "v", count: 100)))])]))
    store.insert(storeBatch(service: "s", [storeSpan(trace: 1, span: 2)]))
    let one = store.usage.bytes
    #expect(one > 100)
    store.insert(storeBatch(service: "s", [storeSpan(trace: 2, span: 3)]))
    store.insert(storeBatch(service: "s", [storeSpan(trace: 3, span: 4)]))
    let kept = store.trace(TraceID(high: 0, low: 3))!
    // What evictions subtracted is what insertion added: only the kept trace is left counted.
    #expect(store.usage.bytes == kept.bytes + StoredTrace.recordOverhead)
    #expect(kept.bytes > RetainedSize.of(kept.resourceSpans), "the search summaries count too")
}

@Test func traceStore_dropsTracesOlderThanRetention() {
    let clock = ManualClock()
    let store = TraceStore(limits: TraceStore.Limits(retentionNanos: 60_000_000_000), clock: { clock.now })
    store.insert(storeBatch(service: "s", [storeSpan(trace: 1, span: 1)]))
    clock.now += 30_000_000_000
    store.insert(storeBatch(service: "s", [storeSpan(trace: 2, span: 2)]))
    clock.now += 40_000_000_000
    #expect(store.snapshot().map(\.traceID.low) == [2])
    #expect(store.trace(TraceID(high: 0, low: 1)) == nil)
}

@Test func retainedSize_countsHeapStringsAndArrays_notInlineOnes() {
    #expect(RetainedSize.string("short") == 0)
    #expect(RetainedSize.string(String(repeating: "a", count: 100)) == RetainedSize.heapBlock + 100)
    #expect(RetainedSize.attributes([]) == 0)
    let attributes = [KeyValue("k", .string(String(repeating: "a", count: 20)))]
    #expect(RetainedSize.attributes(attributes) == RetainedSize.heapBlock + attributes.capacity * MemoryLayout<KeyValue>.stride + RetainedSize.heapBlock + 20)
}

@Test func traceStoreExporter_config_readsLimits_andRefusesBadValues() throws {
    let config = try parseComponentConfig(TraceStoreExporter.Config.parse, "max_bytes: 1000\nmax_traces: 10\nretention: 1m\n")
    #expect(config.limits == TraceStore.Limits(maxBytes: 1000, maxTraces: 10, retentionNanos: 60_000_000_000))
    #expect(try parseComponentConfig(TraceStoreExporter.Config.parse, "max_bytes_per_trace: 2000\n").limits.maxBytesPerTrace == 2000)
    #expect(try parseComponentConfig(TraceStoreExporter.Config.parse, "").limits == TraceStore.Limits())
    #expect(throws: (any Error).self) { try parseComponentConfig(TraceStoreExporter.Config.parse, "max_bytes: 0\n") }
    #expect(throws: (any Error).self) { try parseComponentConfig(TraceStoreExporter.Config.parse, "retention: soon\n") }
    #expect(throws: (any Error).self) { try parseComponentConfig(TraceStoreExporter.Config.parse, "max_byte: 10\n") }
}

@Test func traceStoreDirectory_findsTheOnlyStore_orTheNamedOne_andForgetsOnlyItsOwnEntry() {
    let directory = TraceStoreDirectory()
    guard case .missing = directory.store(nil) else { Issue.record("an empty directory found a store"); return }
    let a = TraceStore(), b = TraceStore()
    directory.register(a, as: ComponentID(type: "tracestore"))
    guard case .found(let only) = directory.store(nil), only === a else { Issue.record("the only store not found"); return }
    directory.register(b, as: ComponentID(type: "tracestore", name: "two"))
    guard case .missing(let reason) = directory.store(nil) else { Issue.record("ambiguous lookup answered"); return }
    #expect(reason.contains("tracestore, tracestore/two"))
    guard case .found(let named) = directory.store(ComponentID(type: "tracestore", name: "two")), named === b else {
        Issue.record("named store not found"); return
    }
    directory.unregister(b, as: ComponentID(type: "tracestore"))
    guard case .found = directory.store(ComponentID(type: "tracestore")) else { Issue.record("another store's unregister removed it"); return }
}

@Test func traceStore_dropsSpansPastMaxBytesPerTrace_andKeepsTheRest() throws {
    let store = TraceStore(limits: TraceStore.Limits(maxBytesPerTrace: 4_000))
    let value = String(repeating: "v", count: 1_000)
    for span in UInt64(1)...10 {
        store.insert(storeBatch(service: "s", [storeSpan(trace: 1, span: span, attributes: [KeyValue("k", .string(value))])]))
    }
    store.insert(storeBatch(service: "s", [storeSpan(trace: 2, span: 99)]))
    let kept = try #require(store.trace(TraceID(high: 0, low: 1)))
    #expect(kept.bytes <= 4_000)
    #expect(kept.spanCount >= 1 && kept.spanCount < 10)
    #expect(store.usage.droppedSpans == 10 - kept.spanCount)
    #expect(store.trace(TraceID(high: 0, low: 2)) != nil)
}
