import Config
import Diagnostics
import Pipeline
import TraceModel
import WireFormats

/// `filter` processor for traces: drops each span for which any `traces::span` condition holds
/// (or, the older form, that `spans::include`/`exclude` leave out), and each span event for which
/// any `traces::spanevent` condition holds; scopes and resources left empty go too, and a batch
/// left empty is not passed on.
final class FilterProcessor: SpanEditingProcessor {
    static let factory = ComponentFactory.processor("filter", .alpha, parse: Config.parse) { ctx, config, next in
        FilterProcessor(config, logger: ctx.logger, next: next,
                        filtered: ctx.metrics.counter("otelcol_processor_filter_spans_filtered",
                                                      help: "Number of spans dropped by the filter processor", labels: ["filter": ctx.id.description]))
    }

    struct Config: Sendable {
        var errorMode = OTTLErrorMode.ignore
        var spanConditions: [OTTLBoolean] = []
        var eventConditions: [OTTLBoolean] = []
        var legacy: SpanMatchConfig?
        var otherSignals: [String] = []

        static func parse(_ r: ConfigReader) throws(ConfigError) -> Config {
            var c = Config()
            c.errorMode = try OTTLErrorMode.parse(r)
            if let traces = try r.child("traces") {
                c.spanConditions = try traces.ottlList("span") { t throws(OTTLConfigError) in try OTTLCompiler.condition(t, in: .span) } ?? []
                c.eventConditions = try traces.ottlList("spanevent") { t throws(OTTLConfigError) in try OTTLCompiler.condition(t, in: .spanevent) } ?? []
            }
            if let spans = try r.child("spans") {
                guard c.spanConditions.isEmpty && c.eventConditions.isEmpty else {
                    throw r.error("spans", "cannot use ottl conditions and include/exclude for spans at the same time")
                }
                c.legacy = try SpanMatchConfig.parse(spans)
            }
            // A filter shared with metrics or logs pipelines: Swiftlet carries traces only, so
            // those conditions have nothing to act on; the processor says so when it starts.
            c.otherSignals = ["metrics", "logs"].filter { r.node($0) != nil }
            return c
        }
    }

    private let config: Config
    private let logger: Logger
    /// `processor_filter_spans.filtered` (Prometheus: `otelcol_processor_filter_spans_filtered`), labelled `filter` with the processor's id as upstream.
    private let filtered: SelfMetrics.Counter?
    let next: any TraceConsumer
    /// The span attributes the span conditions read, for deciding from a resource's bytes.
    private let scanned: OTLPProtoSpanScan.Attributes

    init(_ config: Config, logger: Logger, next: any TraceConsumer, filtered: SelfMetrics.Counter? = nil) {
        self.config = config
        self.logger = logger
        self.next = next
        self.filtered = filtered
        var keys: Set<String>? = []
        var fields: Set<String> = []
        for condition in config.spanConditions {
            fields.formUnion(condition.spanFields)
            if let read = condition.spanAttributeKeys { keys?.formUnion(read) } else { keys = nil }
        }
        scanned = OTLPProtoSpanScan.Attributes(keys: keys, fields: fields)
        for signal in config.otherSignals {
            logger.warn("filter conditions for \(signal) are not used: Swiftlet carries traces only")
        }
    }

    func consume(_ batch: TraceBatch) throws(ConsumerError) {
        var batch = batch
        if let error = filter(&batch) { throw .permanent(error.description) }
        guard !batch.resourceSpans.isEmpty else { return }
        try next.consume(batch)
    }

    func process(_ batch: inout TraceBatch) { _ = filter(&batch) }

    /// Filters in place; returns the error that stopped it under `error_mode: propagate`. A
    /// resource nothing is dropped from is only read, so it keeps its received encoding.
    func filter(_ batch: inout TraceBatch) -> OTTLError? {
        var failure: OTTLError?
        var dropped = 0
        defer { if dropped > 0 { filtered?.add(dropped) } }
        for r in batch.resourceSpans.indices {
            if failure == nil, keepsEverySpan(batch.resourceSpans[r]) { continue }
            let rs = batch.resourceSpans[r]
            for s in rs.scopeSpans.indices {
                let scope = rs.scopeSpans[s].scope
                var kept: [Span] = []
                var changed = false
                for span in rs.scopeSpans[s].spans {
                    var ctx = OTTLContext(resource: rs.resource, scope: scope, span: span)
                    if failure == nil, dropsSpan(ctx, &failure) {
                        changed = true
                        dropped += 1
                        continue
                    }
                    if failure == nil, !config.eventConditions.isEmpty, !span.events.isEmpty {
                        var events = span.events
                        events.removeAll { event in
                            ctx.event = event
                            return failure == nil && anyHolds(config.eventConditions, ctx, &failure)
                        }
                        if events.count != span.events.count {
                            ctx.span.events = events
                            changed = true
                        }
                    }
                    kept.append(ctx.span)
                }
                if changed { batch.resourceSpans[r].scopeSpans[s].spans = kept }
            }
            if batch.resourceSpans[r].scopeSpans.contains(where: \.spans.isEmpty) {
                batch.resourceSpans[r].scopeSpans.removeAll { $0.spans.isEmpty }
            }
        }
        // By span count, known without building a model: a resource with no span left goes.
        if batch.resourceSpans.contains(where: { $0.spanCount == 0 }) {
            batch.resourceSpans.removeAll { $0.spanCount == 0 }
        }
        return failure
    }

    /// Whether no span condition holds for any span of a resource whose spans were never decoded,
    /// read from its bytes with only the attributes the conditions read: then it is kept as it
    /// came and no model is built. False whenever that cannot be told so (span events to filter,
    /// the older matcher, a condition that failed, a span that goes): the model decides.
    private func keepsEverySpan(_ rs: ResourceSpans) -> Bool {
        guard config.eventConditions.isEmpty, config.legacy == nil, !config.spanConditions.isEmpty, rs.isDeferred, let encoded = rs.encoded else {
            return false
        }
        var keeps = true
        let read = OTLPProtoSpanScan.forEachSpan(in: encoded, attributes: scanned, context: { resource, scope in
            OTTLContext(resource: resource, scope: scope, span: Span())
        }) { ctx, span in
            ctx.span = span
            for condition in config.spanConditions {
                guard (try? condition.eval(ctx)) == false else {
                    keeps = false
                    return false
                }
            }
            return true
        }
        return read && keeps
    }

    private func dropsSpan(_ ctx: OTTLContext, _ failure: inout OTTLError?) -> Bool {
        if let legacy = config.legacy { return legacy.skips(ctx.span, scope: ctx.scope, resource: ctx.resource) }
        return anyHolds(config.spanConditions, ctx, &failure)
    }

    private func anyHolds(_ conditions: [OTTLBoolean], _ ctx: OTTLContext, _ failure: inout OTTLError?) -> Bool {
        for condition in conditions {
            do throws(OTTLError) {
                if try condition.eval(ctx) { return true }
            } catch {
                if !config.errorMode.handle(error, "condition \"\(condition.text)\"", logger: logger) {
                    failure = error
                    return false
                }
            }
        }
        return false
    }
}
