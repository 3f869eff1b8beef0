/// An exporter's self-metrics, with upstream's names: spans counted as sent once the backend
/// accepted them, as failed once dropped.
struct ExporterMetrics: Sendable {
    let sent: SelfMetrics.Counter
    let sendFailed: SelfMetrics.Counter
    let enqueueFailed: SelfMetrics.Counter
    let queueSize: SelfMetrics.Gauge
    let queueCapacity: SelfMetrics.Gauge
    let inFlight: SelfMetrics.Gauge

    init(_ context: ComponentContext) {
        let m = context.metrics
        let labels: KeyValuePairs<String, String> = ["exporter": context.id.description]
        sent = m.counter("otelcol_exporter_sent_spans", help: "Number of spans successfully sent to destination.", labels: labels)
        sendFailed = m.counter("otelcol_exporter_send_failed_spans", help: "Number of spans in failed attempts to send to destination.", labels: labels)
        enqueueFailed = m.counter("otelcol_exporter_enqueue_failed_spans", help: "Number of spans failed to be added to the sending queue.", labels: labels)
        queueSize = m.gauge("otelcol_exporter_queue_size", help: "Current size of the retry queue (in batches).", labels: labels)
        queueCapacity = m.gauge("otelcol_exporter_queue_capacity", help: "Fixed capacity of the retry queue (in batches).", labels: labels)
        inFlight = m.gauge("otelcol_exporter_in_flight_requests", help: "Number of requests being sent to the destination.", labels: labels)
    }
}

/// An exporter that counts its own sent and failed spans (when the backend answers), so the
/// service does not count them when they are merely queued.
protocol SelfCountingExporter {}
