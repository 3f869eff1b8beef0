import Diagnostics
import Pipeline
import Transport

/// `otlp` receiver: OTLP/gRPC on `protocols::grpc` (default `localhost:4317`) and OTLP/HTTP on
/// `protocols::http` (default `localhost:4318`).
public final class OTLPReceiver: HandsOverConnections {
    public static let factory = ComponentFactory.receiver("otlp", .stable, parse: Config.parse) { ctx, config, next in
        try OTLPReceiver(ctx, config, next: next)
    }

    private let grpcServer: HTTPServer?
    private let httpServer: HTTPServer?

    init(_ context: ComponentContext, _ config: Config, next: any TraceConsumer) throws {
        let metrics = ReceiverTransportMetrics(context)
        grpcServer = try config.grpc.map { grpc in
            let service = OTLPGRPCService(next: metrics.counting(next, transport: "grpc"), failed: metrics.failed(transport: "grpc"),
                                          logger: context.logger)
            return HTTPServer(configuration: try grpc.serverConfiguration(admission: context.admission, logger: context.logger), logger: context.logger,
                              handler: service.handler(maxReceiveMessageSize: grpc.maxReceiveMessageBytes))
        }
        httpServer = try config.http.map { http in
            return HTTPServer(
                configuration: try http.server.serverConfiguration(admission: context.admission, logger: context.logger), logger: context.logger,
                handler: OTLPHTTPHandler(config: http, next: metrics.counting(next, transport: "http"),
                                         failed: metrics.failed(transport: "http"), logger: context.logger))
        }
    }

    public func start() throws {
        try grpcServer?.start()
        do {
            try httpServer?.start()
        } catch {
            grpcServer?.shutdown(deadlineSeconds: 0)
            throw error
        }
    }

    public func shutdown() {
        grpcServer?.shutdown(deadlineSeconds: 5)
        httpServer?.shutdown(deadlineSeconds: 5)
    }

    public func handOver() {
        grpcServer?.handOver()
        httpServer?.handOver()
    }

    public var hasOpenConnections: Bool { (grpcServer?.openConnections ?? 0) + (httpServer?.openConnections ?? 0) > 0 }
}

extension Duration {
    /// The duration in (fractional) seconds.
    var seconds: Double {
        let (s, attos) = components
        return Double(s) + Double(attos) / 1e18
    }
}
