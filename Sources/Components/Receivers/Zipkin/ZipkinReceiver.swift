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
    private let authenticators: [ServerAuthenticatorSlot]

    init(_ context: ComponentContext, _ config: Config, next: any TraceConsumer) throws {
        let metrics = ReceiverTransportMetrics(context)
        var slots: [ServerAuthenticatorSlot] = []
        var zipkin = ZipkinHTTPHandler(
            next: next, metrics: metrics, options: ZipkinDecodeOptions(parseStringTags: config.parseStringTags),
            logger: context.logger, cors: config.server.cors)
        zipkin.includeMetadata = config.server.includeMetadata
        let handler = zipkin
            .authenticated(by: config.server.auth, slots: &slots, cors: config.server.cors, refused: metrics.unauthenticated(transport: "http"))
        httpServer = HTTPServer(configuration: try config.server.serverConfiguration(admission: context.admission, logger: context.logger), logger: context.logger, handler: handler)
        authenticators = slots
    }

    /// The port actually bound (useful with port 0).
    var boundPort: Int { httpServer.boundPort }

    /// Finds the server's authenticator, then starts.
    public func start(host: any ComponentHost) throws {
        try authenticators.bind(host)
        try start()
    }

    public func start() throws {
        try authenticators.requireBound()
        try httpServer.start()
    }

    public func shutdown() {
        httpServer.shutdown(deadlineSeconds: 5)
    }

    public func handOver() { httpServer.handOver() }

    public var hasOpenConnections: Bool { httpServer.openConnections > 0 }
}
