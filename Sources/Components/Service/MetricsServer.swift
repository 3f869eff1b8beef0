import Diagnostics
import Pipeline
import Transport

/// Serves `GET /metrics` on `service::telemetry::metrics::address`.
final class MetricsServer: Component {
    private let server: HTTPServer

    init(endpoint: String, metrics: SelfMetrics, logger: Logger) throws {
        server = HTTPServer(
            configuration: HTTPServer.Configuration(endpoint: try Endpoint(parsing: endpoint)),
            logger: logger, handler: Handler(metrics: metrics))
    }

    func start() throws {
        try server.start()
    }

    func shutdown() { server.shutdown(deadlineSeconds: 1) }

    struct Handler: HTTPHandler {
        let metrics: SelfMetrics

        func handle(_ request: HTTPRequest) -> HTTPResponse {
            guard request.path == "/metrics" else { return .text(404, "404 page not found") }
            guard request.method == "GET" else { return .text(405, "405 method not allowed, supported: [GET]") }
            return HTTPResponse(status: 200, headers: [("Content-Type", "text/plain; version=0.0.4; charset=utf-8")],
                                body: Array(metrics.render().utf8))
        }
    }
}
