/// The embedded default configuration: the same text as `config/default.yaml` (a test keeps the
/// two equal).
public enum DefaultConfig {
    public static let yaml = """
        # Swiftlet's default configuration, embedded in the binary and used when no --config is given.
        # It is the OpenTelemetry Collector distribution's default trace pipeline, restricted to the
        # receivers Swiftlet serves today. Endpoints bind localhost, as upstream's defaults do.
        # For a look at spans on this machine it also keeps recent traces in memory (tracestore) and
        # serves them with a viewer and Tempo's HTTP API at http://localhost:3200/ (trace_query).
        extensions:
          health_check:
          trace_query:

        receivers:
          otlp:
            protocols:
              grpc:
              http:
          jaeger:
            protocols:
              grpc:
              thrift_binary:
              thrift_compact:
              thrift_http:
          zipkin:

        processors:
          memory_limiter:
            check_interval: 5s
            limit_percentage: 80
            spike_limit_percentage: 25
          batch:

        exporters:
          debug:
            verbosity: detailed
          tracestore:

        service:
          extensions: [health_check, trace_query]
          pipelines:
            traces:
              receivers: [otlp, jaeger, zipkin]
              processors: [memory_limiter, batch]
              exporters: [debug, tracestore]
        """
}
