@testable import Components
import Testing

@Test func selfMetrics_renderCountersGaugesAndHistograms_inTheTextFormat() {
    let m = SelfMetrics()
    m.counter("otelcol_receiver_accepted_spans", help: "h", labels: ["receiver": "otlp", "transport": "http"]).add(5)
    m.gauge("otelcol_exporter_queue_size", help: "q", labels: ["exporter": "otlp"]).set(3)
    let h = m.histogram("otelcol_processor_batch_batch_send_size", help: "b", labels: ["processor": "batch"], bounds: [10, 100])
    for v in [1, 10, 11, 500] { h.observe(v) }
    let text = m.render()
    #expect(text.contains("# TYPE otelcol_receiver_accepted_spans counter\notelcol_receiver_accepted_spans{receiver=\"otlp\",transport=\"http\"} 5\n"))
    #expect(text.contains("# TYPE otelcol_exporter_queue_size gauge\notelcol_exporter_queue_size{exporter=\"otlp\"} 3\n"))
    #expect(text.contains("""
        # TYPE otelcol_processor_batch_batch_send_size histogram
        otelcol_processor_batch_batch_send_size_bucket{processor="batch",le="10"} 2
        otelcol_processor_batch_batch_send_size_bucket{processor="batch",le="100"} 3
        otelcol_processor_batch_batch_send_size_bucket{processor="batch",le="+Inf"} 4
        otelcol_processor_batch_batch_send_size_sum{processor="batch"} 522
        otelcol_processor_batch_batch_send_size_count{processor="batch"} 4

        """))
    #expect(text.contains("otelcol_process_uptime ") && text.contains("otelcol_process_memory_rss ") && text.contains("otelcol_process_cpu_seconds "))
}

@Test func selfMetrics_escapeLabelValues_andReuseASeries() {
    let m = SelfMetrics()
    let a = m.counter("c", help: "h", labels: ["receiver": "zip\"kin\\a\nb"])
    let b = m.counter("c", help: "h", labels: ["receiver": "zip\"kin\\a\nb"])
    a.add(1)
    b.add(2)
    #expect(m.render().contains("c{receiver=\"zip\\\"kin\\\\a\\nb\"} 3\n"))
}
