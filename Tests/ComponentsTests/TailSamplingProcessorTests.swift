@testable import Components
import Config
import Pipeline
import SwiftletTestKit
import Testing
import TraceModel
import WireFormats

private func parseConfig(_ yaml: String) throws -> TailSamplingProcessor.Config {
    try parseComponentConfig(TailSamplingProcessor.Config.parse, yaml)
}

extension ManualClock {
    func advance(seconds: Double) { now += UInt64(seconds * 1e9) }
}

private func configError(_ yaml: String) -> String {
    do {
        _ = try parseConfig(yaml)
        return ""
    } catch {
        return "\(error)"
    }
}

/// A processor on a manual clock, its sink and its metrics.
private struct Harness {
    let processor: TailSamplingProcessor
    let sink = SinkConsumer()
    let clock = ManualClock()
    let metrics = SelfMetrics()
    let log = CapturedLog()

    init(_ yaml: String, id: String = "tail_sampling") throws {
        let ctx = ComponentContext(id: try ComponentID(parsing: id), kind: .processor, logger: log.logger(id), status: ServiceStatus(), metrics: metrics)
        let clock = clock
        processor = TailSamplingProcessor(ctx, try parseConfig(yaml), next: sink, clock: { clock.now })
    }

    /// Moves the clock past `decision_wait` and ticks.
    func decide(after seconds: Double = 1.5) {
        clock.advance(seconds: seconds)
        processor.tick()
    }

    var sampledTraces: Set<UInt64> { Set(sink.allSpans.map(\.traceID.low)) }

    func counter(_ name: String, _ labels: KeyValuePairs<String, String> = ["processor": "tail_sampling"]) -> Int {
        metrics.counter(TailSamplingMetrics.prefix + name, help: "", labels: labels).current
    }
}

private let start: UInt64 = 1_700_000_000_000_000_000

private func span(trace: UInt64, id: UInt64, name: String = "op", ms: UInt64 = 10, status: StatusCode = .unset,
                  attributes: [KeyValue] = [], traceState: String = "") -> Span {
    Span(traceID: TraceID(high: 1, low: trace), spanID: SpanID(id), traceState: traceState, name: name,
         startTimeUnixNano: start, endTimeUnixNano: start + ms * 1_000_000, attributes: attributes, status: Status(code: status))
}

private func batch(_ spans: [Span], resource: [KeyValue] = [KeyValue("service.name", .string("shop"))]) -> TraceBatch {
    TraceBatch(resourceSpans: [ResourceSpans(resource: Resource(attributes: resource),
                                             scopeSpans: [ScopeSpans(scope: InstrumentationScope(name: "lib"), spans: spans)])])
}

/// The batch as an OTLP receiver hands it on: decoded from protobuf, each resource keeping its bytes.
private func received(_ batch: TraceBatch) throws -> TraceBatch {
    try OTLPProtoDecoder.decodeExportRequest(OTLPProtoEncoder.encodeExportRequest(batch)).batch
}

private let errorsOnly = """
    decision_wait: 1s
    policies:
      - {name: errors, type: status_code, status_code: {status_codes: [ERROR]}}
    """

@Suite struct TailSamplingConfigTests {
    @Test func config_hasUpstreamDefaults() throws {
        let c = try parseConfig("policies: [{name: a, type: always_sample}]")
        #expect(c.decisionWait == .seconds(30))
        #expect(c.numTraces == 50_000)
        #expect(c.sampledCacheSize == 0 && c.nonSampledCacheSize == 0)
        #expect(c.policies.count == 1)
    }

    @Test func config_refusesWhatUpstreamRefuses() {
        #expect(configError("policies: [{name: a, type: status_code, status_code: {status_codes: [BAD]}}]")
            .contains("unknown status code \"BAD\", supported: OK, ERROR, UNSET"))
        #expect(configError("policies: [{name: a, type: status_code}]").contains("expected at least one status code"))
        #expect(configError("policies: [{type: always_sample}]").contains("policy name cannot be empty"))
        #expect(configError("policies: [{name: a, type: always_sample}, {name: a, type: always_sample}]").contains("duplicate policy name \"a\""))
        #expect(configError("policies: [{name: a, type: nope}]").contains("unknown sampling policy type nope"))
        #expect(configError("policies: [{name: a, type: numeric_attribute, numeric_attribute: {key: k}}]").contains("min_value or max_value"))
        #expect(configError("policies: [{name: a, type: ottl_condition, ottl_condition: {}}]").contains("at least one OTTL condition"))
        #expect(configError("policies: [{name: a, type: string_attribute, string_attribute: {key: k, values: ['(x'], enabled_regex_matching: true}}]")
            .contains("values"))
        #expect(configError("num_traces: 0\npolicies: [{name: a, type: always_sample}]").contains("num_traces"))
    }

    @Test func config_namesWhatSwiftletLeavesOut() {
        #expect(configError("block_on_overflow: true\npolicies: []").contains("block_on_overflow is not supported"))
        #expect(configError("policies: [{name: a, type: and, and: {and_sub_policy: [{name: d, type: drop}]}}]")
            .contains("unknown sampling policy type drop"), "drop is a top-level policy only")
        #expect(configError("policies: [{name: a, type: latency, latency: {threshold_ms: 1, lower: 2}}]").contains("unknown key 'lower'"))
    }
}

@Suite struct TailSamplingProcessorTests {
    @Test func erroringTrace_isSampledWhole_afterDecisionWait_andOthersAreNot() throws {
        let h = try Harness(errorsOnly)
        try h.processor.consume(received(batch([span(trace: 1, id: 1), span(trace: 2, id: 2)])))
        try h.processor.consume(received(batch([span(trace: 1, id: 3, status: .error), span(trace: 2, id: 4, status: .ok)])))
        h.decide(after: 0.5)
        #expect(h.sink.spanCount == 0, "decided before decision_wait")
        h.decide(after: 1)
        #expect(h.sampledTraces == [1])
        #expect(Set(h.sink.allSpans.map(\.spanID.value)) == [1, 3])
        #expect(h.sink.batches.allSatisfy { $0.resourceSpans.allSatisfy { $0.resource.attributes == [KeyValue("service.name", .string("shop"))] } })
        #expect(h.counter("global_count_traces_sampled", ["processor": "tail_sampling", "sampled": "true", "decision": "sampled"]) == 1)
        #expect(h.counter("global_count_traces_sampled", ["processor": "tail_sampling", "sampled": "false", "decision": "not_sampled"]) == 1)
        #expect(h.counter("count_traces_sampled", ["processor": "tail_sampling", "policy": "errors", "sampled": "true", "decision": "sampled"]) == 1)
        #expect(h.counter("new_trace_id_received") == 2)
    }

    @Test func sampledTrace_keepsItsReceivedBytes() throws {
        let h = try Harness(errorsOnly)
        let input = try received(batch([span(trace: 1, id: 1, status: .error)]))
        try h.processor.consume(input)
        h.decide()
        // The policy read the spans, yet the exporter is handed the received bytes to forward.
        let out = try #require(h.sink.batches.first?.resourceSpans.first)
        #expect(out.encoded.map { Array($0.storage.bytes[$0.range]) } == input.resourceSpans[0].encoded.map { Array($0.storage.bytes[$0.range]) })
    }

    @Test func lateSpans_followTheDecision_whileTheTraceIsHeld() throws {
        let h = try Harness(errorsOnly)
        try h.processor.consume(batch([span(trace: 1, id: 1, status: .error), span(trace: 2, id: 2)]))
        h.decide()
        h.sink.reset()
        h.clock.advance(seconds: 3)
        try h.processor.consume(batch([span(trace: 1, id: 5), span(trace: 2, id: 6, status: .error)]))
        h.processor.tick()
        #expect(h.sink.allSpans.map(\.spanID.value) == [5], "a late span of a dropped trace stays dropped, even erroring")
        let age = h.metrics.histogram(TailSamplingMetrics.prefix + "sampling_late_span_age", help: "", labels: ["processor": "tail_sampling"],
                                      bounds: TailSamplingMetrics.defaultBounds)
        #expect(h.metrics.render().contains("sampling_late_span_age_count{processor=\"tail_sampling\"} 2"), "\(age)")
    }

    @Test func decisionCache_releasesTheTrace_andLateSpansFollowIt() throws {
        let h = try Harness(errorsOnly + "\ndecision_cache: {sampled_cache_size: 10, non_sampled_cache_size: 10}")
        try h.processor.consume(batch([span(trace: 1, id: 1, status: .error), span(trace: 2, id: 2)]))
        h.decide()
        #expect(h.counter("new_trace_id_received") == 2)
        h.sink.reset()
        try h.processor.consume(batch([span(trace: 1, id: 5), span(trace: 2, id: 6, status: .error)]))
        h.processor.tick()
        #expect(h.sink.allSpans.map(\.spanID.value) == [5])
        #expect(h.counter("early_releases_from_cache_decision", ["processor": "tail_sampling", "sampled": "true"]) == 1)
        #expect(h.counter("early_releases_from_cache_decision", ["processor": "tail_sampling", "sampled": "false"]) == 1)
        #expect(h.counter("new_trace_id_received") == 2, "a cached trace is not filed again")
    }

    @Test func numTraces_boundsTheTable_andCountsTracesDroppedBeforeTheirDecision() throws {
        let h = try Harness("num_traces: 3\n" + errorsOnly)
        for trace in UInt64(1)...5 {
            try h.processor.consume(batch([span(trace: trace, id: trace, status: .error)]))
            h.clock.advance(seconds: 0.01)
        }
        #expect(h.counter("sampling_trace_dropped_too_early") == 2)
        h.decide()
        #expect(h.sampledTraces == [3, 4, 5])
        // Decided traces stay (for late spans) until new ones push them out, uncounted.
        for trace in UInt64(6)...8 { try h.processor.consume(batch([span(trace: trace, id: trace)])) }
        #expect(h.counter("sampling_trace_dropped_too_early") == 2)
    }

    @Test func aFloodOfNewTraces_neverHoldsMoreThanNumTraces() throws {
        let h = try Harness("num_traces: 100\n" + errorsOnly)
        for first in stride(from: UInt64(0), to: 5000, by: 50) {
            try h.processor.consume(batch((first..<first + 50).map { span(trace: $0, id: $0 + 1) }))
        }
        let onMemory = h.metrics.gauge(TailSamplingMetrics.prefix + "sampling_traces_on_memory", help: "", labels: ["processor": "tail_sampling"])
        #expect(onMemory.current == 100)
        #expect(h.counter("sampling_trace_dropped_too_early") == 4900)
    }

    @Test func spansOfManyTraces_inOneResource_areCutPerTrace() throws {
        let h = try Harness("decision_wait: 1s\npolicies: [{name: s, type: string_attribute, string_attribute: {key: k, values: [yes]}}]")
        let spans = (UInt64(1)...6).map { span(trace: $0 % 3, id: $0, attributes: $0 == 4 ? [KeyValue("k", .string("yes"))] : []) }
        try h.processor.consume(received(batch(spans)))
        h.decide()
        #expect(h.sink.allSpans.map(\.spanID.value).sorted() == [1, 4])
        #expect(h.sink.batches.first?.resourceSpans.first?.scopeSpans.first?.scope.name == "lib")
    }

    @Test func refusedHandOver_isLoggedAndDropped_andTheProcessorGoesOn() throws {
        let h = try Harness(errorsOnly)
        h.sink.fail(with: .retryable("queue full"))
        try h.processor.consume(batch([span(trace: 1, id: 1, status: .error)]))
        h.decide()
        #expect(h.log.text.contains("Error sending spans to destination"))
        h.sink.fail(with: nil)
        try h.processor.consume(batch([span(trace: 2, id: 2, status: .error)]))
        h.decide()
        #expect(h.sampledTraces == [2])
    }

    @Test func shutdown_decidesWhatIsHeld_andRefusesLaterSpans() throws {
        let h = try Harness(errorsOnly)
        try h.processor.consume(batch([span(trace: 1, id: 1, status: .error), span(trace: 2, id: 2)]))
        h.processor.shutdown()
        #expect(h.sampledTraces == [1])
        #expect(throws: ConsumerError.self) { try h.processor.consume(batch([span(trace: 3, id: 3)])) }
    }

    @Test func dropPolicy_winsOverSamples_andIsCountedAsDropped() throws {
        let h = try Harness("""
            decision_wait: 1s
            policies:
              - {name: all, type: always_sample}
              - {name: no-health, type: drop, drop: {drop_sub_policy: [{name: h, type: string_attribute, string_attribute: {key: url.path, values: [/health]}}]}}
            """)
        try h.processor.consume(batch([span(trace: 1, id: 1, attributes: [KeyValue("url.path", .string("/health"))]), span(trace: 2, id: 2)]))
        h.decide()
        #expect(h.sampledTraces == [2])
        #expect(h.counter("count_traces_sampled", ["processor": "tail_sampling", "policy": "no-health", "sampled": "false", "decision": "dropped"]) == 1)
        #expect(h.counter("count_traces_sampled", ["processor": "tail_sampling", "policy": "all", "sampled": "true", "decision": "sampled"]) == 1,
                "the drop is evaluated first and ends the evaluation")
        #expect(h.counter("global_count_traces_sampled", ["processor": "tail_sampling", "sampled": "false", "decision": "dropped"]) == 1)
    }

    @Test func sampleOnFirstMatch_stopsAtTheFirstSample() throws {
        let policies = "policies: [{name: all, type: always_sample}, {name: errors, type: status_code, status_code: {status_codes: [ERROR]}}]"
        for (first, counted) in [(true, 0), (false, 1)] {
            let h = try Harness("decision_wait: 1s\nsample_on_first_match: \(first)\n" + policies)
            try h.processor.consume(batch([span(trace: 1, id: 1)]))
            h.decide()
            #expect(h.sampledTraces == [1])
            #expect(h.counter("count_traces_sampled", ["processor": "tail_sampling", "policy": "errors", "sampled": "false", "decision": "not_sampled"]) == counted)
        }
    }

    @Test func policyLabel_carriesTheProcessorName() throws {
        let h = try Harness(errorsOnly, id: "tail_sampling/edge")
        try h.processor.consume(batch([span(trace: 1, id: 1, status: .error)]))
        h.decide()
        #expect(h.counter("count_traces_sampled", ["processor": "tail_sampling/edge", "policy": "edge.errors", "sampled": "true", "decision": "sampled"]) == 1)
    }
}
