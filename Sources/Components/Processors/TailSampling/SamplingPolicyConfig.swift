import Config
import TraceModel

/// One entry of `policies` (or of an `and` / `composite` policy's sub-policies), as read: its
/// name and what it checks. Values only; the processor builds a `SamplingPolicy` from it, so
/// counters of rate-limiting policies are never shared between processors.
struct SamplingPolicyConfig: Sendable {
    var name: String
    var rule: Rule

    var isDrop: Bool {
        if case .drop = rule { return true }
        return false
    }

    indirect enum Rule: Sendable {
        case alwaysSample
        case latency(thresholdMs: Int64, upperThresholdMs: Int64)
        /// Upstream reads a bound of 0 as "no bound": `Int64.min` / `Int64.max` instead.
        case numericAttribute(key: String, minValue: Int64, maxValue: Int64, invertMatch: Bool)
        case probabilistic(hashSalt: String, samplingPercentage: Double)
        case statusCode([StatusCode])
        /// `regexes` nil: exact matching against `values`.
        case stringAttribute(key: String, values: Set<String>, regexes: [GoRegexp]?, cacheMaxSize: Int, invertMatch: Bool)
        case rateLimiting(spansPerSecond: Int64)
        case spanCount(minSpans: Int64, maxSpans: Int64)
        case traceState(key: String, values: Set<String>)
        case booleanAttribute(key: String, value: Bool, invertMatch: Bool)
        case ottlCondition(errorMode: OTTLErrorMode, span: [OTTLBoolean], spanEvent: [OTTLBoolean])
        case and([SamplingPolicyConfig])
        /// Sub-policies as `and` takes them; the trace is dropped when all of them sample it.
        case drop([SamplingPolicyConfig])
        /// Sub-policies in `composite_sub_policy` order, each with its spans-per-second share.
        case composite(maxTotalSpansPerSecond: Int64, subPolicies: [(policy: SamplingPolicyConfig, spansPerSecond: Int64)])
    }

    /// Where a policy list sits: `and` and `drop` take only the plain policies, `composite` also `and`.
    enum Level {
        case top, compositeSub, andSub

        var allowsAnd: Bool { self != .andSub }
    }

    static func parseList(_ r: ConfigReader, _ key: String, level: Level) throws(ConfigError) -> [SamplingPolicyConfig] {
        var names: Set<String> = []
        var out: [SamplingPolicyConfig] = []
        for entry in try r.mappingList(key) ?? [] {
            let policy = try parse(entry, level: level)
            // upstream checks names of top-level policies only (loadSamplingPolicy).
            if level == .top {
                guard !policy.name.isEmpty else { throw entry.error("name", "policy name cannot be empty") }
                guard names.insert(policy.name).inserted else { throw entry.error("name", "duplicate policy name \"\(policy.name)\"") }
            }
            out.append(policy)
        }
        return out
    }

    static func parse(_ r: ConfigReader, level: Level) throws(ConfigError) -> SamplingPolicyConfig {
        let name = try r.string("name") ?? ""
        let type = try r.string("type") ?? ""
        return SamplingPolicyConfig(name: name, rule: try rule(type, r, level: level))
    }

    private static func rule(_ type: String, _ r: ConfigReader, level: Level) throws(ConfigError) -> Rule {
        switch type {
        case "always_sample": return .alwaysSample
        case "and" where level.allowsAnd:
            return .and(try parseList(try section(r, "and"), "and_sub_policy", level: .andSub))
        case "composite" where level == .top: return try composite(try section(r, "composite"))
        case "drop" where level == .top: return .drop(try parseList(try section(r, "drop"), "drop_sub_policy", level: .andSub))
        default:
            guard let parse = sharedRules[type] else { throw r.error("type", "unknown sampling policy type \(type)") }
            return try parse(try section(r, type))
        }
    }

    /// The mapping under `key`; an empty one when absent, so each policy's own checks apply.
    private static func section(_ r: ConfigReader, _ key: String) throws(ConfigError) -> ConfigReader {
        if let child = try r.child(key) { return child }
        return try ConfigReader(.null, path: r.path + "::" + key, file: r.file)
    }

    /// The policies `and` and `composite` may hold, by type: each reads the mapping under its type's key.
    private static let sharedRules: [String: @Sendable (ConfigReader) throws(ConfigError) -> Rule] = [
        "latency": { c throws(ConfigError) in
            .latency(thresholdMs: Int64(try c.int("threshold_ms") ?? 0), upperThresholdMs: Int64(try c.int("upper_threshold_ms") ?? 0))
        },
        "numeric_attribute": numericAttribute,
        "probabilistic": { c throws(ConfigError) in
            .probabilistic(hashSalt: try c.string("hash_salt") ?? "", samplingPercentage: try c.double("sampling_percentage") ?? 0)
        },
        "status_code": statusCode,
        "string_attribute": stringAttribute,
        "rate_limiting": { c throws(ConfigError) in .rateLimiting(spansPerSecond: Int64(try c.int("spans_per_second") ?? 0)) },
        "span_count": { c throws(ConfigError) in
            .spanCount(minSpans: Int64(try c.int("min_spans") ?? 0), maxSpans: Int64(try c.int("max_spans") ?? 0))
        },
        "trace_state": traceState,
        "boolean_attribute": { c throws(ConfigError) in
            .booleanAttribute(key: try c.string("key") ?? "", value: try c.bool("value") ?? false, invertMatch: try c.bool("invert_match") ?? false)
        },
        "ottl_condition": ottlCondition,
    ]

    private static func numericAttribute(_ c: ConfigReader) throws(ConfigError) -> Rule {
        let minValue = Int64(try c.int("min_value") ?? 0)
        let maxValue = Int64(try c.int("max_value") ?? 0)
        guard minValue != 0 || maxValue != 0 else { throw c.error(nil, "at least one of min_value or max_value must be set") }
        return .numericAttribute(key: try c.string("key") ?? "", minValue: minValue == 0 ? .min : minValue,
                                 maxValue: maxValue == 0 ? .max : maxValue, invertMatch: try c.bool("invert_match") ?? false)
    }

    private static func statusCode(_ c: ConfigReader) throws(ConfigError) -> Rule {
        let names = try c.stringList("status_codes") ?? []
        guard !names.isEmpty else { throw c.error("status_codes", "expected at least one status code to filter on") }
        var codes: [StatusCode] = []
        for name in names {
            switch name {
            case "OK": codes.append(.ok)
            case "ERROR": codes.append(.error)
            case "UNSET": codes.append(.unset)
            default: throw c.error("status_codes", "unknown status code \"\(name)\", supported: OK, ERROR, UNSET")
            }
        }
        return .statusCode(codes)
    }

    private static func stringAttribute(_ c: ConfigReader) throws(ConfigError) -> Rule {
        let key = try c.string("key") ?? ""
        let values = try c.stringList("values") ?? []
        let regex = try c.bool("enabled_regex_matching") ?? false
        let cacheMaxSize = try c.int("cache_max_size") ?? 0
        let invert = try c.bool("invert_match") ?? false
        guard regex else {
            return .stringAttribute(key: key, values: Set(values.filter { !$0.isEmpty }), regexes: nil, cacheMaxSize: 0, invertMatch: invert)
        }
        var regexes: [GoRegexp] = []
        for value in values {
            do {
                regexes.append(try GoRegexp(value))
            } catch {
                throw c.error("values", error.description)
            }
        }
        // string_tag_filter.go: defaultCacheSize 128 where cache_max_size is not positive.
        return .stringAttribute(key: key, values: [], regexes: regexes, cacheMaxSize: cacheMaxSize > 0 ? cacheMaxSize : 128, invertMatch: invert)
    }

    private static func traceState(_ c: ConfigReader) throws(ConfigError) -> Rule {
        let key = try c.string("key") ?? ""
        // trace_state_filter.go: a member ("key=value") longer than 256 characters cannot match.
        let values = (try c.stringList("values") ?? []).filter { !$0.isEmpty && key.utf8.count + $0.utf8.count < 256 }
        return .traceState(key: key, values: Set(values))
    }

    private static func ottlCondition(_ c: ConfigReader) throws(ConfigError) -> Rule {
        let errorMode = try OTTLErrorMode.parse(c, default: .propagate)
        let span = try c.ottlList("span") { t throws(OTTLConfigError) in try OTTLCompiler.condition(t, in: .span) } ?? []
        let events = try c.ottlList("spanevent") { t throws(OTTLConfigError) in try OTTLCompiler.condition(t, in: .spanevent) } ?? []
        guard !span.isEmpty || !events.isEmpty else { throw c.error(nil, "expected at least one OTTL condition to filter on") }
        return .ottlCondition(errorMode: errorMode, span: span, spanEvent: events)
    }

    /// composite_helper.go: a sub-policy's share is `percent` of the total, the total divided
    /// evenly for a `rate_allocation` entry without a positive percent, and 0 when it has no entry.
    private static func composite(_ c: ConfigReader) throws(ConfigError) -> Rule {
        let total = Int64(try c.int("max_total_spans_per_second") ?? 0)
        _ = try c.stringList("policy_order")
        let subs = try parseList(c, "composite_sub_policy", level: .compositeSub)
        var shares: [String: Int64] = [:]
        for allocation in try c.mappingList("rate_allocation") ?? [] {
            let policy = try allocation.string("policy") ?? ""
            let percent = Int64(try allocation.int("percent") ?? 0)
            let evenShare = subs.isEmpty ? 0 : Double(total) / Double(subs.count)
            shares[policy] = Int64(percent > 0 ? Double(percent) / 100 * Double(total) : evenShare)
        }
        return .composite(maxTotalSpansPerSecond: total, subPolicies: subs.map { ($0, shares[$0.name] ?? 0) })
    }
}
