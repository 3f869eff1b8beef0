import Diagnostics
import Pipeline
import Transport

/// `otlp` receiver: OTLP/HTTP on `protocols::http` (default `localhost:4318`).
public final class OTLPReceiver: Component {
    public static let factory = ComponentFactory.receiver("otlp", .stable, parse: Config.parse) { ctx, config, next in
        try OTLPReceiver(ctx, config, next: next)
    }

    private let httpServer: HTTPServer?

    init(_ context: ComponentContext, _ config: Config, next: any TraceConsumer) throws {
        httpServer = try config.http.map { http in
            let serverConfig = HTTPServer.Configuration(
                endpoint: try Endpoint(parsing: http.endpoint),
                maxRequestBodySize: http.maxRequestBodySize,
                headerReadTimeout: http.readHeaderTimeout.seconds,
                idleTimeout: http.idleTimeout.seconds)
            return HTTPServer(
                configuration: serverConfig, logger: context.logger,
                handler: OTLPHTTPHandler(config: http, next: next, logger: context.logger))
        }
    }

    public func start() throws {
        try httpServer?.start()
    }

    public func shutdown() {
        httpServer?.shutdown(deadlineSeconds: 5)
    }
}

extension Duration {
    /// The duration in (fractional) seconds.
    var seconds: Double {
        let (s, attos) = components
        return Double(s) + Double(attos) / 1e18
    }
}
