@testable import Components
import Config
import Diagnostics
import Testing
import TraceModel

private func policy(_ yaml: String) throws -> SamplingPolicy {
    let r = try ConfigReader(try YAMLParser.parse(yaml, file: "t"), path: "policies[0]", file: "t")
    let config = try SamplingPolicyConfig.parse(r, level: .top)
    try r.finish()
    return SamplingPolicy(config)
}

private let logger = Logger(component: "test", sink: LogSink(level: .error) { _ in })
private let t0: UInt64 = 1_700_000_000_000_000_000

private func trace(_ spans: [Span], resource: [KeyValue] = [], id: TraceID = TraceID(high: 1, low: 1)) -> TraceUnderDecision {
    TraceUnderDecision(id: id, spanCount: spans.count, resourceSpans: [
        ResourceSpans(resource: Resource(attributes: resource), scopeSpans: [ScopeSpans(spans: spans)]),
    ])
}

private func span(startMs: UInt64 = 0, endMs: UInt64 = 1, _ attributes: [KeyValue] = [], status: StatusCode = .unset,
                  traceState: String = "", events: [SpanEvent] = []) -> Span {
    Span(traceState: traceState, name: "op", startTimeUnixNano: t0 + startMs * 1_000_000, endTimeUnixNano: t0 + endMs * 1_000_000,
         attributes: attributes, events: events, status: Status(code: status))
}

private func decide(_ p: SamplingPolicy, _ t: TraceUnderDecision, second: Int64 = 100) throws -> SamplingDecision {
    try p.evaluate(t, second: second, logger: logger)
}

@Suite struct TailSamplingPolicyTests {
    @Test func latency_measuresEarliestStartToLatestEnd() throws {
        let p = try policy("{name: l, type: latency, latency: {threshold_ms: 100}}")
        #expect(try decide(p, trace([span(startMs: 0, endMs: 60), span(startMs: 50, endMs: 100)])) == .sampled)
        #expect(try decide(p, trace([span(startMs: 0, endMs: 99)])) == .notSampled)
        let window = try policy("{name: l, type: latency, latency: {threshold_ms: 100, upper_threshold_ms: 200}}")
        #expect(try decide(window, trace([span(startMs: 0, endMs: 100)])) == .notSampled, "the lower bound is exclusive with an upper one")
        #expect(try decide(window, trace([span(startMs: 0, endMs: 150)])) == .sampled)
        #expect(try decide(window, trace([span(startMs: 0, endMs: 250)])) == .notSampled)
    }

    @Test func stringAttribute_matchesResourceOrSpan_exactlyOrByRegex() throws {
        let exact = try policy("{name: s, type: string_attribute, string_attribute: {key: k, values: [a, b]}}")
        #expect(try decide(exact, trace([span()], resource: [KeyValue("k", .string("b"))])) == .sampled)
        #expect(try decide(exact, trace([span([KeyValue("k", .string("a"))])])) == .sampled)
        #expect(try decide(exact, trace([span([KeyValue("k", .string("ab"))])])) == .notSampled)
        #expect(try decide(exact, trace([span([KeyValue("k", .int(1))])])) == .notSampled)
        let regex = try policy("{name: s, type: string_attribute, string_attribute: {key: k, values: ['^/v1/.+'], enabled_regex_matching: true}}")
        for _ in 0..<2 { // the second pass answers from the cache
            #expect(try decide(regex, trace([span([KeyValue("k", .string("/v1/users"))])])) == .sampled)
            #expect(try decide(regex, trace([span([KeyValue("k", .string("/v2/users"))])])) == .notSampled)
        }
    }

    @Test func invertMatch_givesInvertedDecisions() throws {
        let p = try policy("{name: s, type: string_attribute, string_attribute: {key: k, values: [health], invert_match: true}}")
        #expect(try decide(p, trace([span([KeyValue("k", .string("health"))])])) == .invertNotSampled)
        #expect(try decide(p, trace([span([KeyValue("k", .string("cart"))])])) == .invertSampled)
        #expect(try decide(p, trace([span()])) == .invertSampled, "an absent key samples under invert_match")
        let numeric = try policy("{name: n, type: numeric_attribute, numeric_attribute: {key: code, min_value: 500, invert_match: true}}")
        #expect(try decide(numeric, trace([span([KeyValue("code", .int(503))])])) == .invertNotSampled)
        let boolean = try policy("{name: b, type: boolean_attribute, boolean_attribute: {key: f, value: true, invert_match: true}}")
        #expect(try decide(boolean, trace([span([KeyValue("f", .bool(false))])])) == .invertSampled)
    }

    @Test func combine_followsUpstreamsPrecedence() {
        #expect(SamplingDecision.combine([.sampled, .invertNotSampled]) == false, "an inverted not-sample wins")
        #expect(SamplingDecision.combine([.notSampled, .sampled]) == true)
        #expect(SamplingDecision.combine([.invertSampled]) == true)
        #expect(SamplingDecision.combine([.invertSampled, .notSampled]) == false)
        #expect(SamplingDecision.combine([]) == false)
        #expect(SamplingDecision.combine([.sampled, .dropped]) == false, "a drop wins over everything")
    }

    @Test func numericAttribute_treatsZeroAsNoBound_andNonIntsAsZero() throws {
        let p = try policy("{name: n, type: numeric_attribute, numeric_attribute: {key: code, min_value: 400}}")
        #expect(try decide(p, trace([span([KeyValue("code", .int(1_000_000))])])) == .sampled)
        #expect(try decide(p, trace([span([KeyValue("code", .int(399))])])) == .notSampled)
        let upTo = try policy("{name: n, type: numeric_attribute, numeric_attribute: {key: code, max_value: 10}}")
        #expect(try decide(upTo, trace([span([KeyValue("code", .string("x"))])])) == .sampled, "Value.Int() of a string is 0")
        let reversed = try policy("{name: n, type: numeric_attribute, numeric_attribute: {key: code, min_value: 10, max_value: 5}}")
        #expect(try decide(reversed, trace([span([KeyValue("code", .int(7))])])) == .notSampled)
    }

    @Test func statusCode_spanCount_traceState_boolean() throws {
        let status = try policy("{name: s, type: status_code, status_code: {status_codes: [ERROR, UNSET]}}")
        #expect(try decide(status, trace([span(status: .ok), span(status: .unset)])) == .sampled)
        #expect(try decide(status, trace([span(status: .ok)])) == .notSampled)
        let count = try policy("{name: c, type: span_count, span_count: {min_spans: 2, max_spans: 3}}")
        #expect(try decide(count, trace([span()])) == .notSampled)
        #expect(try decide(count, trace([span(), span(), span()])) == .sampled)
        #expect(try decide(count, trace(Array(repeating: span(), count: 4))) == .notSampled)
        let state = try policy("{name: t, type: trace_state, trace_state: {key: vendor, values: [gold]}}")
        #expect(try decide(state, trace([span(traceState: "other=1, vendor=gold")])) == .sampled)
        #expect(try decide(state, trace([span(traceState: "vendor=silver")])) == .notSampled)
        #expect(try decide(state, trace([span(traceState: "vendor=gold,=bad")])) == .notSampled, "an invalid tracestate matches nothing")
        let flag = try policy("{name: b, type: boolean_attribute, boolean_attribute: {key: force, value: true}}")
        #expect(try decide(flag, trace([span()], resource: [KeyValue("force", .bool(true))])) == .sampled)
        #expect(try decide(flag, trace([span([KeyValue("force", .string("true"))])])) == .notSampled)
    }

    @Test func ottlCondition_matchesSpansAndEvents_andPropagatesErrorsByDefault() throws {
        let p = try policy("""
            {name: o, type: ottl_condition, ottl_condition: {error_mode: ignore, span: ['attributes["tier"] == "gold"'], spanevent: ['name == "retry"']}}
            """)
        #expect(try decide(p, trace([span([KeyValue("tier", .string("gold"))])])) == .sampled)
        #expect(try decide(p, trace([span(events: [SpanEvent(name: "retry")])])) == .sampled)
        #expect(try decide(p, trace([span(events: [SpanEvent(name: "log")])])) == .notSampled)
        // Len of a missing attribute fails: without error_mode that is upstream's Error decision.
        let failing = try policy("{name: o, type: ottl_condition, ottl_condition: {span: ['Len(attributes[\"missing\"]) > 5']}}")
        #expect(throws: OTTLError.self) { try decide(failing, trace([span()])) }
        let ignoring = try policy("{name: o, type: ottl_condition, ottl_condition: {error_mode: ignore, span: ['Len(attributes[\"missing\"]) > 5', 'name == \"op\"']}}")
        #expect(try decide(ignoring, trace([span()])) == .sampled, "an ignored failure goes on to the next condition")
    }

    @Test func rateLimiting_samplesWhileTheSecondsSpansStayBelowTheLimit() throws {
        let p = try policy("{name: r, type: rate_limiting, rate_limiting: {spans_per_second: 5}}")
        let two = trace([span(), span()])
        #expect(try decide(p, two, second: 1) == .sampled)
        #expect(try decide(p, two, second: 1) == .sampled)
        #expect(try decide(p, two, second: 1) == .notSampled, "6 spans is not below 5")
        #expect(try decide(p, trace([span()]), second: 1) == .notSampled, "5 is not below 5")
        #expect(try decide(p, two, second: 2) == .sampled, "a new second starts over")
    }

    @Test func composite_allocatesTheRateByPolicy_inSubPolicyOrder() throws {
        let p = try policy("""
            {name: c, type: composite, composite: {max_total_spans_per_second: 10, policy_order: [errors, rest],
              composite_sub_policy: [{name: errors, type: status_code, status_code: {status_codes: [ERROR]}}, {name: rest, type: always_sample}],
              rate_allocation: [{policy: errors, percent: 50}, {policy: rest, percent: 30}]}}
            """)
        let erroring = trace([span(status: .error), span(status: .error)])
        let plain = trace([span(), span()])
        #expect(try decide(p, erroring, second: 1) == .sampled)  // errors: 2 of 5
        #expect(try decide(p, erroring, second: 1) == .sampled)  // 4 of 5
        #expect(try decide(p, erroring, second: 1) == .notSampled, "6 exceeds the errors share; rest is not asked")
        #expect(try decide(p, plain, second: 1) == .sampled)     // rest: 2 of 3
        #expect(try decide(p, plain, second: 1) == .notSampled)
        #expect(try decide(p, trace([span()]), second: 1) == .sampled, "a smaller trace still fits")
        #expect(try decide(p, erroring, second: 2) == .sampled)
    }

    @Test func composite_givesNothingToASubPolicyWithoutAnAllocation() throws {
        let p = try policy("""
            {name: c, type: composite, composite: {max_total_spans_per_second: 100,
              composite_sub_policy: [{name: a, type: always_sample}], rate_allocation: []}}
            """)
        #expect(try decide(p, trace([span()])) == .notSampled)
    }

    @Test func and_needsEverySubPolicy() throws {
        let p = try policy("""
            {name: a, type: and, and: {and_sub_policy: [
              {name: s, type: string_attribute, string_attribute: {key: service.name, values: [shop]}},
              {name: e, type: status_code, status_code: {status_codes: [ERROR]}}]}}
            """)
        let shop = [KeyValue("service.name", .string("shop"))]
        #expect(try decide(p, trace([span(status: .error)], resource: shop)) == .sampled)
        #expect(try decide(p, trace([span()], resource: shop)) == .notSampled)
        #expect(try decide(p, trace([span(status: .error)])) == .notSampled)
    }

    /// Vectors computed independently of this code: FNV-1a 64 over the salt and the id bytes, and
    /// MaxUint64 × ratio with a 64-bit mantissa product (Go's big.Float), truncated.
    @Test func probabilistic_hashesAndThresholdsAsUpstream() throws {
        let id = TraceID(hex: "0102030405060708090a0b0c0d0e0f10")!
        #expect(ProbabilisticThreshold.hash(salt: "default-hash-seed", id) == 15_838_989_281_584_434_349)
        #expect(ProbabilisticThreshold.hash(salt: "test-salt", id) == 643_542_913_863_792_944)
        #expect(ProbabilisticThreshold.hash(salt: "default-hash-seed", TraceID(hex: "4bf92f3577b34da6a3ce929d0e0e4736")!) == 11_908_981_664_384_643_253)
        #expect(ProbabilisticThreshold.threshold(ratio: 0.33) == 6_087_425_544_324_152_319)
        #expect(ProbabilisticThreshold.threshold(ratio: 0.25) == 4_611_686_018_427_387_903)
        #expect(ProbabilisticThreshold.threshold(ratio: 0.1) == 1_844_674_407_370_955_263)
        #expect(ProbabilisticThreshold.threshold(ratio: 0.001) == 18_446_744_073_709_551)
        #expect(ProbabilisticThreshold.threshold(ratio: 1e-10) == 1_844_674_407)
        #expect(ProbabilisticThreshold.threshold(ratio: 1.5) == .max && ProbabilisticThreshold.threshold(ratio: -0.5) == 0)
    }

    /// upstream's TestProbabilisticSampling: the effective rate within 0.2 points over 100,000 ids.
    @Test(arguments: [(100.0, "", 100.0), (0, "", 0), (25, "", 25), (33, "", 33), (33, "test-salt", 33), (-50, "", 0), (150, "", 100)])
    func probabilistic_samplesTheConfiguredShare(percentage: Double, salt: String, expected: Double) throws {
        let p = try policy("{name: p, type: probabilistic, probabilistic: {sampling_percentage: \(percentage), hash_salt: '\(salt)'}}")
        var state: UInt64 = 1
        var sampled = 0
        for _ in 0..<100_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let id = TraceID(high: state, low: state.byteSwapped ^ 0x9e37_79b9_7f4a_7c15)
            if try decide(p, TraceUnderDecision(id: id, spanCount: 1, resourceSpans: [])) == .sampled { sampled += 1 }
        }
        #expect(abs(Double(sampled) / 1000 - expected) <= 0.2)
    }
}
