/// The tail sampler's self-metrics, named as upstream's `metadata.yaml` names them (Prometheus
/// form), each also labelled with the processor's id.
struct TailSamplingMetrics: Sendable {
    /// `count_traces_sampled` per top-level policy, by `SamplingDecision.labelIndex`.
    let tracesByPolicy: [[SelfMetrics.Counter]]
    /// `global_count_traces_sampled`, by `SamplingDecision.labelIndex`.
    let tracesGlobal: [SelfMetrics.Counter]
    let droppedTooEarly: SelfMetrics.Counter
    let evaluationErrors: SelfMetrics.Counter
    let newTraces: SelfMetrics.Counter
    /// `early_releases_from_cache_decision` (spans): [not sampled, sampled].
    let cacheReleases: [SelfMetrics.Counter]
    let tracesOnMemory: SelfMetrics.Gauge
    let lateSpanAge: SelfMetrics.Histogram
    let removalAge: SelfMetrics.Histogram
    let timerLatency: SelfMetrics.Histogram

    static let prefix = "otelcol_processor_tail_sampling_"
    /// The OpenTelemetry SDK's default explicit bucket bounds, which upstream's histograms use.
    static let defaultBounds: [Double] = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000]

    /// `policyLabels`: upstream's `policy` label, the policy's name prefixed with the processor's
    /// name and a dot when it has one.
    init(_ metrics: SelfMetrics, processor: String, policyLabels: [String]) {
        let p = Self.prefix
        // processor.go decisionToAttributes, in `SamplingDecision.labelIndex` order.
        let decisions = [("false", "not_sampled"), ("true", "sampled"), ("false", "dropped")]
        tracesByPolicy = policyLabels.map { policy in
            decisions.map { sampled, decision in
                metrics.counter(p + "count_traces_sampled", help: "Count of traces that were sampled or not per sampling policy",
                                labels: ["processor": processor, "policy": policy, "sampled": sampled, "decision": decision])
            }
        }
        tracesGlobal = decisions.map { sampled, decision in
            metrics.counter(p + "global_count_traces_sampled", help: "Global count of traces that were sampled or not by at least one policy",
                            labels: ["processor": processor, "sampled": sampled, "decision": decision])
        }
        cacheReleases = ["false", "true"].map { sampled in
            metrics.counter(p + "early_releases_from_cache_decision", help: "Number of spans that were able to be immediately released due to a decision cache hit.",
                            labels: ["processor": processor, "sampled": sampled])
        }
        let labels: KeyValuePairs<String, String> = ["processor": processor]
        droppedTooEarly = metrics.counter(p + "sampling_trace_dropped_too_early",
                                          help: "Count of traces that needed to be dropped before the configured wait time", labels: labels)
        evaluationErrors = metrics.counter(p + "sampling_policy_evaluation_error", help: "Count of sampling policy evaluation errors", labels: labels)
        newTraces = metrics.counter(p + "new_trace_id_received", help: "Counts the arrival of new traces", labels: labels)
        tracesOnMemory = metrics.gauge(p + "sampling_traces_on_memory", help: "Tracks the number of traces current on memory", labels: labels)
        lateSpanAge = metrics.histogram(p + "sampling_late_span_age", help: "Time (in seconds) from the sampling decision was taken and the arrival of a late span",
                                        labels: labels, bounds: Self.defaultBounds)
        removalAge = metrics.histogram(p + "sampling_trace_removal_age", help: "Time (in seconds) from arrival of a new trace until its removal from memory",
                                       labels: labels, bounds: Self.defaultBounds)
        timerLatency = metrics.histogram(p + "sampling_decision_timer_latency", help: "Latency (in milliseconds) of each run of the sampling decision timer",
                                         labels: labels, bounds: Self.defaultBounds)
    }
}
