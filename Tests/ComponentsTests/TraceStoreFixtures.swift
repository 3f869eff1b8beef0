@testable import Components
import Config
import TraceModel

/// A span of trace `trace` for store and query tests; times in ms after a fixed epoch.
func storeSpan(trace: UInt64, span: UInt64, parent: UInt64 = 0, name: String = "op", startMs: UInt64 = 0, durationMs: UInt64 = 10,
               status: StatusCode = .unset, kind: SpanKind = .server, attributes: [KeyValue] = []) -> Span {
    let start = storeEpochNano + startMs * 1_000_000
    return Span(traceID: TraceID(high: 0, low: trace), spanID: SpanID(span), parentSpanID: SpanID(parent), name: name, kind: kind,
                startTimeUnixNano: start, endTimeUnixNano: start + durationMs * 1_000_000, attributes: attributes,
                status: Status(code: status))
}

let storeEpochNano: UInt64 = 1_700_000_000_000_000_000

/// One resource (`service`) holding `spans`.
func storeBatch(service: String, _ spans: [Span], resourceAttributes: [KeyValue] = []) -> TraceBatch {
    TraceBatch(resourceSpans: [ResourceSpans(
        resource: Resource(attributes: [KeyValue("service.name", .string(service))] + resourceAttributes),
        scopeSpans: [ScopeSpans(scope: InstrumentationScope(name: "test"), spans: spans)])])
}

/// A clock tests move by hand.
final class ManualClock: @unchecked Sendable {
    // Touched by one test at a time.
    var now: UInt64 = 1_000_000_000
}

/// Reads `yaml` with a component's config parser and rejects unknown keys, as the service does.
func parseComponentConfig<C>(_ parse: (ConfigReader) throws(ConfigError) -> C, _ yaml: String) throws -> C {
    let reader = try ConfigReader(try YAMLParser.parse(yaml, file: "t"), path: "component", file: "t")
    let config = try parse(reader)
    try reader.finish()
    return config
}
