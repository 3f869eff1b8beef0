import Config
import Diagnostics
import Pipeline
import TraceModel

/// `probabilistic_sampler` processor for traces: keeps each span or drops it by its trace's
/// randomness (so a trace's spans share one fate), in upstream's three modes, and writes the
/// threshold it kept a span at into the span's tracestate. Scopes and resources left empty go, and
/// a batch left empty is not passed on.
final class ProbabilisticSampler: SpanEditingProcessor {
    static let factory = ComponentFactory.processor("probabilistic_sampler", .beta, parse: Config.parse) { ctx, config, next in
        ProbabilisticSampler(ctx, config, next: next)
    }

    static let countMetric = "otelcol_processor_probabilistic_sampler_count_traces_sampled"

    let sampler: SpanSampler
    private let logger: Logger
    private let metrics: SelfMetrics
    private let processorID: String
    let next: any TraceConsumer

    init(_ context: ComponentContext, _ config: Config, next: any TraceConsumer) {
        sampler = SpanSampler(config)
        logger = context.logger
        metrics = context.metrics
        processorID = context.id.description
        self.next = next
        for key in config.logsOnlyKeys {
            logger.warn("\(key) applies to logs only and is not used: Swiftlet carries traces only")
        }
    }

    func consume(_ batch: TraceBatch) throws(ConsumerError) {
        var batch = batch
        process(&batch)
        guard !batch.resourceSpans.isEmpty else { return }
        try next.consume(batch)
    }

    func process(_ batch: inout TraceBatch) {
        var tally = Tally()
        for r in batch.resourceSpans.indices {
            for s in batch.resourceSpans[r].scopeSpans.indices {
                batch.resourceSpans[r].scopeSpans[s].spans = sample(batch.resourceSpans[r].scopeSpans[s].spans, &tally)
            }
            batch.resourceSpans[r].scopeSpans.removeAll { $0.spans.isEmpty }
        }
        batch.resourceSpans.removeAll { $0.scopeSpans.isEmpty }
        record(tally)
    }

    private func sample(_ spans: [Span], _ tally: inout Tally) -> [Span] {
        var kept: [Span] = []
        for var span in spans {
            let outcome = sampler.decide(span)
            tally.add(outcome)
            if let error = outcome.error {
                logger.log(outcome.routine ? .debug : .info, "traces sampler", ["error": error])
            }
            guard outcome.sampled else { continue }
            if let traceState = outcome.traceState { span.traceState = traceState }
            kept.append(span)
        }
        return kept
    }

    private func record(_ tally: Tally) {
        for (i, count) in tally.counts.enumerated() where count > 0 {
            let policy = SpanSampler.Policy.allCases[i / 2].rawValue
            let sampled = i % 2 == 1 ? "true" : "false"
            metrics.counter(Self.countMetric, help: "Count of spans that were sampled or not",
                            labels: ["processor": processorID, "policy": policy, "sampled": sampled]).add(count)
        }
    }

    /// Spans decided in one batch, by policy and outcome.
    struct Tally {
        var counts = [Int](repeating: 0, count: 2 * SpanSampler.Policy.allCases.count)

        mutating func add(_ outcome: SpanSampler.Outcome) {
            let policy = SpanSampler.Policy.allCases.firstIndex(of: outcome.policy) ?? 0
            counts[2 * policy + (outcome.sampled ? 1 : 0)] += 1
        }
    }
}
