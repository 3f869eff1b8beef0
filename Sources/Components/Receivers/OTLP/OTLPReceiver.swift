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
    private let authenticators: [ServerAuthenticatorSlot]

    init(_ context: ComponentContext, _ config: Config, next: any TraceConsumer) throws {
        let metrics = ReceiverTransportMetrics(context)
        var slots: [ServerAuthenticatorSlot] = []
        grpcServer = try config.grpc.map { grpc in
            let service = OTLPGRPCService(next: metrics.counting(next, transport: "grpc"), failed: metrics.failed(transport: "grpc"),
                                          logger: context.logger, includeMetadata: grpc.includeMetadata)
            let handler = service.handler(maxReceiveMessageSize: grpc.maxReceiveMessageBytes)
                .authenticated(by: grpc.auth, slots: &slots, refused: metrics.unauthenticated(transport: "grpc"))
            return HTTPServer(configuration: try grpc.serverConfiguration(admission: context.admission, logger: context.logger), logger: context.logger,
                              handler: handler)
        }
        httpServer = try config.http.map { http in
            let handler = OTLPHTTPHandler(config: http, next: metrics.counting(next, transport: "http"),
                                          failed: metrics.failed(transport: "http"), logger: context.logger)
                .authenticated(by: http.server.auth, slots: &slots, cors: http.cors, refused: metrics.unauthenticated(transport: "http"))
            return HTTPServer(configuration: try http.server.serverConfiguration(admission: context.admission, logger: context.logger), logger: context.logger,
                              handler: handler)
        }
        authenticators = slots
    }

    /// Finds the servers' authenticators, then starts.
    public func start(host: any ComponentHost) throws {
        try authenticators.bind(host)
        try start()
    }

    public func start() throws {
        try authenticators.requireBound()
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
