import Diagnostics
import TraceModel

extension SamplingPolicy {
    /// This policy's decision on `trace`, as upstream's evaluator of the same type decides;
    /// `second` is the wall-clock second the rate limiters count in. Throws what an OTTL
    /// condition threw under `error_mode: propagate` (upstream's Error decision).
    func evaluate(_ trace: TraceUnderDecision, second: Int64, logger: Logger) throws(OTTLError) -> SamplingDecision {
        switch rule {
        case .alwaysSample: return .sampled
        case .latency(let lower, let upper): return decide(Self.latencyMatches(trace, lower, upper))
        case .numericAttribute(let key, let minValue, let maxValue, let invert):
            return attributeDecision(trace, key, invert: invert) { value, _ in value.goInt >= minValue && value.goInt <= maxValue }
        case .probabilistic(let salt, _):
            // probabilistic.go: defaultHashSalt where hash_salt is empty.
            return decide(ProbabilisticThreshold.hash(salt: salt.isEmpty ? "default-hash-seed" : salt, trace.id) <= threshold)
        case .statusCode(let codes): return decide(anySpan(trace) { codes.contains($0.status.code) })
        case .stringAttribute(let key, _, _, _, let invert):
            return attributeDecision(trace, key, invert: invert) { value, onSpan in
                let text = value.stringValue
                // string_tag_filter.go: a span's value must be non-empty to match; a resource's need not.
                return !(onSpan && text.isEmpty) && stringMatches(text)
            }
        case .rateLimiting(let limit): return rateLimited(trace, limit, second: second)
        case .spanCount(let minSpans, let maxSpans):
            let n = Int64(trace.spanCount)
            return decide(n >= minSpans && (maxSpans == 0 || n <= maxSpans))
        case .traceState(let key, let values): return decide(anySpan(trace) { Self.traceStateValue($0.traceState, key).map { values.contains($0) } ?? false })
        case .booleanAttribute(let key, let expected, let invert):
            return attributeDecision(trace, key, invert: invert) { value, _ in value.goBool == expected }
        case .ottlCondition(let mode, let span, let events):
            return decide(try OTTLSampling(errorMode: mode, span: span, spanEvent: events, logger: logger).matches(trace))
        case .and: return try allSample(trace, second: second, logger: logger) ? .sampled : .notSampled
        case .drop: return try allSample(trace, second: second, logger: logger) ? .dropped : .notSampled
        case .composite(let total, _): return try composite(trace, total: total, second: second, logger: logger)
        }
    }

    private func decide(_ sampled: Bool) -> SamplingDecision { sampled ? .sampled : .notSampled }

    private func anySpan(_ trace: TraceUnderDecision, _ condition: (Span) -> Bool) -> Bool {
        trace.resourceSpans.contains { $0.scopeSpans.contains { $0.spans.contains(where: condition) } }
    }

    /// util.go `hasResourceOrSpanWithCondition`, or with `invert` its inverse: InvertNotSampled
    /// as soon as the resource or a span matches, InvertSampled when nothing did. `matches` gets
    /// the attribute's value and whether it is a span's.
    private func attributeDecision(_ trace: TraceUnderDecision, _ key: String, invert: Bool,
                                   _ matches: (AnyValue, Bool) -> Bool) -> SamplingDecision {
        func holds(_ attributes: [KeyValue], onSpan: Bool) -> Bool {
            guard let value = attributes.first(where: { $0.hasKey(key) })?.value else { return false }
            return matches(value, onSpan)
        }
        for rs in trace.resourceSpans {
            let found = holds(rs.resource.attributes, onSpan: false)
                || rs.scopeSpans.contains { $0.spans.contains { holds($0.attributes, onSpan: true) } }
            if found { return invert ? .invertNotSampled : .sampled }
        }
        return invert ? .invertSampled : .notSampled
    }

    private func stringMatches(_ text: String) -> Bool {
        guard case .stringAttribute(_, let values, let regexes, _, _) = rule else { return false }
        guard let regexes else { return values.contains(text) }
        if let known = regexMatches.get(text) { return known }
        let matched = regexes.contains { $0.matches(text) }
        regexMatches.put(text, matched)
        return matched
    }

    /// latency.go: the running span of the trace (earliest start to latest end, updated span by
    /// span in order) is checked after each span, so a trace is sampled once it first qualifies.
    private static func latencyMatches(_ trace: TraceUnderDecision, _ lower: Int64, _ upper: Int64) -> Bool {
        var minStart: UInt64 = 0
        var maxEnd: UInt64 = 0
        for rs in trace.resourceSpans {
            for scope in rs.scopeSpans {
                for span in scope.spans {
                    if minStart == 0 || span.startTimeUnixNano < minStart { minStart = span.startTimeUnixNano }
                    if maxEnd == 0 || span.endTimeUnixNano > maxEnd { maxEnd = span.endTimeUnixNano }
                    let (ns, overflow) = Int64(truncatingIfNeeded: maxEnd).subtractingReportingOverflow(Int64(truncatingIfNeeded: minStart))
                    let ms = (overflow ? (maxEnd > minStart ? Int64.max : Int64.min) : ns) / 1_000_000
                    if upper == 0 ? ms >= lower : (lower < ms && ms <= upper) { return true }
                }
            }
        }
        return false
    }

    /// The value of `key` in a W3C tracestate (nil when it does not parse or has no such member).
    static func traceStateValue(_ text: String, _ key: String) -> String? {
        guard (try? W3CTraceState(parsing: text)) != nil else { return nil }
        for member in text.split(separator: ",") {
            let trimmed = member.trimmingWhiteSpace()
            guard let eq = trimmed.firstIndex(of: "=") else { continue }
            if trimmed[..<eq] == key { return String(trimmed[trimmed.index(after: eq)...]) }
        }
        return nil
    }

    private func countSecond(_ second: Int64) {
        guard currentSecond != second else { return }
        currentSecond = second
        for i in spansInSecond.indices { spansInSecond[i] = 0 }
    }

    /// rate_limiting.go: sampled while the second's spans, this trace's included, stay strictly below the limit.
    private func rateLimited(_ trace: TraceUnderDecision, _ limit: Int64, second: Int64) -> SamplingDecision {
        countSecond(second)
        let ifSampled = spansInSecond[0] + Int64(trace.spanCount)
        guard ifSampled < limit else { return .notSampled }
        spansInSecond[0] = ifSampled
        return .sampled
    }

    /// and.go, drop.go: true unless a sub-policy says not sampled (inverted or not); an error stops it.
    private func allSample(_ trace: TraceUnderDecision, second: Int64, logger: Logger) throws(OTTLError) -> Bool {
        for child in children {
            let decision = try child.evaluate(trace, second: second, logger: logger)
            if decision == .notSampled || decision == .invertNotSampled { return false }
        }
        return true
    }

    /// composite.go: the first sub-policy (in `composite_sub_policy` order) that samples decides:
    /// sampled if its spans this second, with this trace's, stay within both its share and the
    /// total; otherwise not sampled, and nothing is counted, so a smaller trace may still fit.
    private func composite(_ trace: TraceUnderDecision, total: Int64, second: Int64, logger: Logger) throws(OTTLError) -> SamplingDecision {
        countSecond(second)
        for (i, child) in children.enumerated() {
            let decision = try child.evaluate(trace, second: second, logger: logger)
            guard decision.isSampled else { continue }
            let ifSampled = spansInSecond[i] + Int64(trace.spanCount)
            guard ifSampled <= childShares[i], ifSampled <= total else { return .notSampled }
            spansInSecond[i] = ifSampled
            return .sampled
        }
        return .notSampled
    }
}

extension AnyValue {
    /// pcommon `Value.Int()`: the integer of an int value, 0 for any other kind.
    var goInt: Int64 {
        if case .int(let i) = self { return i }
        return 0
    }

    /// pcommon `Value.Bool()`: false for any kind but bool.
    var goBool: Bool {
        if case .bool(let b) = self { return b }
        return false
    }
}
