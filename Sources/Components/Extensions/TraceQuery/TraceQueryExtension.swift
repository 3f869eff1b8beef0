import Config
import Diagnostics
import Pipeline
import Transport

/// `trace_query` extension: Tempo's HTTP query API, and the trace viewer at `/`, over a
/// `tracestore` exporter's traces, so Grafana's Tempo data source can point at Swiftlet.
/// Extensions start before exporters, so the store is looked up per request
/// (`TraceStoreDirectory`); until it runs, trace and search requests answer 503.
public final class TraceQueryExtension: Component {
    public static let factory = ComponentFactory.extension("trace_query", .development, parse: Config.parse) { ctx, config in
        try TraceQueryExtension(ctx, config)
    }

    public struct Config: Sendable, Equatable {
        public var endpoint = "localhost:3200"
        /// The `tracestore` exporter to serve; nil: the only one there is.
        public var store: ComponentID?
        /// As confighttp's `tls`: HTTPS on the same port.
        public var tls: TLSConfiguration?

        public init() {}

        public static func parse(_ r: ConfigReader) throws(ConfigError) -> Config {
            var c = Config()
            c.endpoint = try r.string("endpoint") ?? c.endpoint
            do { _ = try Endpoint(parsing: c.endpoint) } catch { throw r.error("endpoint", "\(error)") }
            if let store = try r.string("store") {
                do { c.store = try ComponentID(parsing: store) } catch { throw r.error("store", "\(error)") }
                guard c.store?.type == "tracestore" else { throw r.error("store", "must name a tracestore exporter, like tracestore or tracestore/local") }
            }
            c.tls = try TLSSettings.parseServer(r)
            return c
        }
    }

    private let server: HTTPServer
    private let logger: Logger
    private let endpoint: Endpoint
    private let scheme: String

    init(_ context: ComponentContext, _ config: Config, directory: TraceStoreDirectory = .shared) throws {
        logger = context.logger
        endpoint = try Endpoint(parsing: config.endpoint)
        let storeID = config.store
        let handler = TraceQueryHandler { directory.store(storeID) }
        var configuration = HTTPServer.Configuration(endpoint: try Endpoint(parsing: config.endpoint), maxRequestBodySize: 1 << 20)
        configuration.tls = try config.tls.map { try TLSContext($0, role: .server, alpn: [], logger: context.logger) }
        scheme = config.tls == nil ? "http" : "https"
        server = HTTPServer(configuration: configuration, logger: context.logger, handler: handler)
    }

    public func start() throws {
        try server.start()
        // An empty host listens everywhere; the URL names this machine then.
        let host = endpoint.host.isEmpty || endpoint.host == "0.0.0.0" || endpoint.host == "::" ? "localhost" : endpoint.host
        let shownHost = host.contains(":") ? "[\(host)]" : host
        logger.info("Trace viewer and Tempo API", ["url": "\(scheme)://\(shownHost):\(server.boundPort)/"])
    }

    public func shutdown() { server.shutdown(deadlineSeconds: 1) }

    public var boundPort: Int { server.boundPort }
}
