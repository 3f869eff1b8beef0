import Config
import Diagnostics
import Pipeline
import Transport

/// `health_check` extension: answers on `endpoint` + `path` with 200 and
/// `{"status":"Server available","upSince":…,"uptime":…}` once every component has started, and
/// 503 with `"Server not available"` before that and during shutdown, as upstream does.
public final class HealthCheckExtension: Component {
    public static let factory = ComponentFactory.extension("health_check", .beta, parse: Config.parse) { ctx, config in
        try HealthCheckExtension(ctx, config)
    }

    public struct Config: Sendable, Equatable {
        public var endpoint = "localhost:13133"
        public var path = "/"
        /// Optional fixed bodies instead of the JSON status.
        public var healthyBody: String?
        public var unhealthyBody: String?
        /// confighttp's `tls`: HTTPS on the same port.
        public var tls: TLSConfiguration?

        public init() {}

        public static func parse(_ r: ConfigReader) throws(ConfigError) -> Config {
            var c = Config()
            c.endpoint = try r.string("endpoint") ?? c.endpoint
            do { _ = try Endpoint(parsing: c.endpoint) } catch { throw r.error("endpoint", "\(error)") }
            c.path = try r.string("path") ?? c.path
            guard c.path.hasPrefix("/") else { throw r.error("path", "must start with '/'") }
            c.tls = try TLSSettings.parseServer(r)
            if let body = try r.child("response_body") {
                c.healthyBody = try body.string("healthy")
                c.unhealthyBody = try body.string("unhealthy")
                try body.finish()
            }
            if let pipeline = try r.child("check_collector_pipeline") {
                // Documented as broken upstream (contrib #11780); accepted so configs load, but off.
                guard try pipeline.bool("enabled") != true else {
                    throw pipeline.error("enabled", "check_collector_pipeline is not supported (it is broken upstream); remove it")
                }
                _ = try pipeline.duration("interval")
                _ = try pipeline.int("exporter_failure_threshold")
                try pipeline.finish()
            }
            return c
        }
    }

    private let server: HTTPServer

    init(_ context: ComponentContext, _ config: Config) throws {
        var configuration = HTTPServer.Configuration(endpoint: try Endpoint(parsing: config.endpoint))
        configuration.tls = try config.tls.map { try TLSContext($0, role: .server, alpn: [], logger: context.logger) }
        server = HTTPServer(configuration: configuration, logger: context.logger,
                            handler: HealthHandler(config: config, status: context.status))
    }

    public func start() throws {
        try server.start()
    }

    public func shutdown() { server.shutdown(deadlineSeconds: 1) }

    public var boundPort: Int { server.boundPort }
}

struct HealthHandler: HTTPHandler {
    let config: HealthCheckExtension.Config
    let status: ServiceStatus

    func handle(_ request: HTTPRequest) -> HTTPResponse {
        guard request.path == config.path else { return .text(404, "404 page not found") }
        guard request.method == "GET" || request.method == "HEAD" else {
            return .text(405, "405 method not allowed, supported: [GET]")
        }
        let ready = status.phase == .ready
        let json: String
        if ready {
            let upSince = CivilTime(unixNano: status.upSinceUnixNano).rfc3339Nano
            json = config.healthyBody ?? #"{"status":"Server available","upSince":"\#(upSince)","uptime":"\#(GoDurationFormat.string(nanoseconds: status.uptimeNano))"}"#
        } else {
            json = config.unhealthyBody ?? #"{"status":"Server not available","upSince":"0001-01-01T00:00:00Z","uptime":""}"#
        }
        let contentType = (ready ? config.healthyBody : config.unhealthyBody) == nil ? "application/json" : "text/plain; charset=utf-8"
        return HTTPResponse(status: ready ? 200 : 503, headers: [("Content-Type", contentType)],
                            body: request.method == "HEAD" ? [] : Array(json.utf8))
    }
}
