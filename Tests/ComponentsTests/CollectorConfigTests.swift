import Components
import Config
import Foundation
import Pipeline
import Testing

@Test func defaultConfig_isTheSameTextAsConfigDefaultYaml() throws {
    let file = try String(contentsOf: repositoryRoot.appendingPathComponent("config/default.yaml"), encoding: .utf8)
    #expect(file == DefaultConfig.yaml + "\n")
}

@Test func defaultConfig_loadsWithTheUpstreamDefaultPipeline_andTheLocalViewer() throws {
    let config = try loadConfig(DefaultConfig.yaml)
    let traces = try #require(config.pipelines.first)
    #expect(traces.receivers.map(\.description) == ["otlp", "jaeger", "zipkin"])
    #expect(traces.processors.map(\.description) == ["memory_limiter", "batch"])
    #expect(traces.exporters.map(\.description) == ["debug", "tracestore"])
    #expect(config.serviceExtensions.map(\.description) == ["health_check", "trace_query"])
    #expect(config.warnings.isEmpty)
}

let minimalPipeline = """
    service:
      pipelines:
        traces:
          receivers: [otlp]
          exporters: [debug]
    """

@Test func load_namesAMisspeltKeyAndItsPath() {
    let text = problems("""
        receivers:
          otlp:
            protocols:
              htttp:
        exporters:
          debug:
        \(minimalPipeline)
        """)
    #expect(text.contains("htttp"))
    #expect(text.contains("receivers::otlp::protocols"))
}

@Test func load_listsSupportedTypes_forAnUnknownTypeInAPipeline() {
    let text = problems("""
        receivers:
          kafka:
        exporters:
          debug:
        service:
          pipelines:
            traces:
              receivers: [kafka]
              exporters: [debug]
        """)
    #expect(text.contains("receivers::kafka"))
    #expect(text.contains("supported: otlp"))
}

@Test func load_warnsAndSkips_anUnusedComponentOfAnUnknownType() throws {
    let config = try loadConfig("""
        receivers:
          otlp:
            protocols:
              http:
          opencensus:
            endpoint: 0.0.0.0:55678
        exporters:
          debug:
        \(minimalPipeline)
        """)
    #expect(config.warnings.count == 1)
    #expect(config.warnings[0].contains("opencensus"))
    #expect(config.receivers.count == 1)
}

@Test func load_reportsEveryMissingComponent_atOnce() {
    let text = problems("""
        receivers:
          otlp:
            protocols:
              grpc:
              http:
          jaeger:
            protocols:
              grpc:
                tls:
                  cert_file: server.crt
              thrift_http:
          zipkin:
        exporters:
          otlp:
            endpoint: tempo:4317
            tls:
              ca_file: /nonexistent/ca.pem
          logging:
            loglevel: debug
        service:
          pipelines:
            traces:
              receivers: [otlp, jaeger, zipkin]
              processors: []
              exporters: [logging, otlp]
        """)
    let lines = text.split(separator: "\n")
    #expect(lines.count == 2, "\(text)")
    #expect(text.contains("receivers::jaeger::protocols::grpc::tls") && text.contains("key_file"), "\(text)")
    #expect(text.contains("exporters::otlp::tls") && text.contains("ca_file /nonexistent/ca.pem"), "\(text)")
    #expect(!text.contains("receivers::zipkin"), "\(text)")
}

@Test func load_rejectsMetricsPipelines_sayingTracesOnly() {
    let text = problems("""
        receivers:
          otlp:
            protocols:
              http:
        exporters:
          debug:
        service:
          pipelines:
            metrics:
              receivers: [otlp]
              exporters: [debug]
        """)
    #expect(text.contains("traces only"))
    #expect(text.contains("service::pipelines"))
}

@Test func load_rejectsConnectors() {
    let text = problems("""
        connectors:
          spanmetrics:
        receivers:
          otlp:
            protocols:
              http:
        exporters:
          debug:
        \(minimalPipeline)
        """)
    #expect(text.contains("connectors are not supported"))
}

@Test func load_rejectsReferencesToUndefinedComponents() {
    let text = problems("""
        receivers:
          otlp:
            protocols:
              http:
        exporters:
          debug:
        service:
          extensions: [health_check]
          pipelines:
            traces:
              receivers: [otlp]
              processors: [batch]
              exporters: [debug]
        """)
    #expect(text.contains("references processor 'batch'"))
    #expect(text.contains("references extension 'health_check'"))
}

@Test func load_readsTelemetryLevelAndMetricsAddress() throws {
    let config = try loadConfig("""
        receivers:
          otlp:
            protocols:
              http:
        exporters:
          debug:
        service:
          telemetry:
            logs:
              level: warn
            metrics:
              address: 127.0.0.1:9999
          pipelines:
            traces:
              receivers: [otlp]
              exporters: [debug]
        """)
    #expect(config.logLevel == .warn)
    #expect(config.metricsEndpoint == "127.0.0.1:9999")
}

@Test func load_readsTheDeploymentFiles_warningAboutTheUnusedOpenCensusReceiver() throws {
    let dir = repositoryRoot.appendingPathComponent("../shared/reference/deployment")
    for name in ["collector-config.yaml", "otel-collector-cr.yaml"] {
        let url = dir.appendingPathComponent(name)
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return }  // ../shared is optional
        let node = try ConfigSource.load(uri: url.path, environment: [:]) { _ in text }
        let config = try CollectorConfig.load(node, file: name)
        // Besides it, only the deprecated `logging` exporter's name draws a warning.
        #expect(config.warnings.filter { $0.contains("opencensus") }.count == 1, "\(config.warnings)")
        #expect(config.warnings.allSatisfy { $0.contains("opencensus") || $0.contains("deprecated") }, "\(config.warnings)")
    }
}
