import Diagnostics
import Pipeline
import Transport
import WireFormats

/// `zipkin` receiver: Zipkin v1 and v2 over HTTP on `endpoint` (default `localhost:9411`), every
/// path served as upstream serves it.
public final class ZipkinReceiver: HandsOverConnections {
    public static let factory = ComponentFactory.receiver("zipkin", .beta, parse: Config.parse) { ctx, config, next in
        try ZipkinReceiver(ctx, config, next: next)
    }

    private let httpServer: HTTPServer

    init(_ context: ComponentContext, _ config: Config, next: any TraceConsumer) throws {
        let handler = ZipkinHTTPHandler(
            next: next, metrics: ReceiverTransportMetrics(context), options: ZipkinDecodeOptions(parseStringTags: config.parseStringTags),
            logger: context.logger, cors: config.server.cors)
        httpServer = HTTPServer(configuration: try config.server.serverConfiguration(admission: context.admission, logger: context.logger), logger: context.logger, handler: handler)
    }

    /// The port actually bound (useful with port 0).
    var boundPort: Int { httpServer.boundPort }

    public func start() throws {
        try httpServer.start()
    }

    public func shutdown() {
        httpServer.shutdown(deadlineSeconds: 5)
    }

    public func handOver() { httpServer.handOver() }

    public var hasOpenConnections: Bool { httpServer.openConnections > 0 }
}
