/// The persistent queue's own gauges and counter, beside exporterhelper's queue size and capacity.
struct PersistentQueueMetrics: Sendable {
    let sizeBytes: SelfMetrics.Gauge
    let capacityBytes: SelfMetrics.Gauge
    let corruptRecords: SelfMetrics.Counter

    init(_ metrics: SelfMetrics, exporter: String) {
        let labels: KeyValuePairs<String, String> = ["exporter": exporter]
        sizeBytes = metrics.gauge("swiftlet_exporter_queue_size_bytes", help: "Bytes the persistent sending queue holds on disk.", labels: labels)
        capacityBytes = metrics.gauge("swiftlet_exporter_queue_capacity_bytes", help: "Bytes the persistent sending queue may hold on disk.", labels: labels)
        corruptRecords = metrics.counter("swiftlet_exporter_queue_corrupt_records", help: "Records of the persistent sending queue skipped because they did not check out (torn or corrupt).", labels: labels)
    }
}
