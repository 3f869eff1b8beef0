import Config
import Diagnostics
import Pipeline
import TraceModel
import Transport
import WireFormats

/// `otlp_http` (and its older name `otlphttp`): OTLP/HTTP, protobuf or JSON, to `<endpoint>/v1/traces`.
public enum OTLPHTTPExporter {
    public static let factory = ComponentFactory.exporter("otlp_http", .stable, parse: Config.parse, make: make)
    public static let legacyFactory = ComponentFactory.exporter("otlphttp", .stable, parse: Config.parse, make: make)

    public enum Encoding: String, Sendable { case proto, json }

    public struct Config: Sendable, Equatable {
        var url: ClientURL?
        public var encoding = Encoding.proto
        public var settings = OTLPExporterSettings(timeout: .seconds(30))

        public static func parse(_ r: ConfigReader) throws(ConfigError) -> Config {
            var c = Config()
            let endpoint = try r.string("endpoint")
            let tracesEndpoint = try r.string("traces_endpoint")
            guard let text = tracesEndpoint ?? endpoint, !text.isEmpty else {
                throw r.error("endpoint", "must be set (the base URL; /v1/traces is appended), or traces_endpoint")
            }
            do throws(ClientURLError) {
                var url = try ClientURL(parsing: text, defaultPort: nil)
                guard url.scheme == "http" || url.scheme == "https" else {
                    throw ClientURLError(text: text, reason: "the URL needs a scheme, http:// or https://")
                }
                if tracesEndpoint == nil {
                    url.path = (url.path.hasSuffix("/") ? String(url.path.dropLast()) : url.path) + "/v1/traces"
                } else if url.path.isEmpty {
                    url.path = "/"
                }
                c.url = url
            } catch {
                throw r.error(tracesEndpoint == nil ? "endpoint" : "traces_endpoint", error.description)
            }
            c.settings.tls = try TLSSettings.parseClient(r, scheme: c.url?.scheme, insecureKeyDecides: false)
            if let text = try r.string("encoding") {
                guard let e = Encoding(rawValue: text) else { throw r.error("encoding", "expected proto or json, got \"\(text)\"") }
                c.encoding = e
            }
            try c.settings.read(r, compressions: ["gzip", "zstd", "deflate", "zlib"])
            _ = try r.int("write_buffer_size")
            _ = try r.int("read_buffer_size")
            _ = try r.duration("idle_conn_timeout")
            _ = try r.int("max_idle_conns")
            _ = try r.int("max_idle_conns_per_host")
            return c
        }
    }

    static func make(_ context: ComponentContext, _ config: Config) throws -> any Component & TraceConsumer {
        guard let url = config.url else { throw ClientURLError(text: "", reason: "no endpoint") }
        let auth = config.settings.auth.map(ClientAuthenticatorSlot.init)
        let tls = try config.settings.tls.map { try TLSContext($0, role: .client, alpn: ["http/1.1"], logger: context.logger) }
        let sender = OTLPHTTPSender(url: url, encoding: config.encoding, settings: config.settings, tls: tls, auth: auth,
                                    logger: context.logger)
        return OTLPExporter(context, settings: config.settings, sender: sender, auth: auth, writesProtobuf: config.encoding == .proto)
    }
}

/// POSTs export requests over pooled HTTP/1.1 keep-alive connections.
struct OTLPHTTPSender: ExportSender {
    private let client: HTTP1Client
    private let path: String
    private let headers: [(String, String)]
    private let timeout: Double
    private let auth: ClientAuthenticatorSlot?

    init(url: ClientURL, encoding: OTLPHTTPExporter.Encoding, settings: OTLPExporterSettings, tls: TLSContext?,
         auth: ClientAuthenticatorSlot?, logger: Logger) {
        self.auth = auth
        client = HTTP1Client(endpoint: url.endpoint, connectTimeout: settings.timeout.seconds, tls: tls, logger: logger)
        path = url.path
        timeout = settings.timeout.seconds
        var headers = [("Content-Type", encoding == .json ? "application/json" : "application/x-protobuf"),
                       ("User-Agent", "swiftlet")]
        if let compression = settings.compression { headers.append(("Content-Encoding", compression.token)) }
        self.headers = headers + settings.metadata
    }

    func send(_ request: ExportRequest, completion: @escaping @Sendable (SendOutcome) -> Void) {
        let headers = auth?.headers(adding: headers) ?? headers
        // The body is compressed already (OTLPExporter's prepare step).
        client.send(HTTPClientRequest(path: path, headers: headers, body: request.body), timeout: timeout) { result in
            switch result {
            case let .failure(error):
                if case .malformedResponse = error { return completion(.permanent(error.description)) }
                completion(.retryable(error.description, retryAfter: nil))
            case let .success(response):
                completion(Self.outcome(response))
            }
        }
    }

    /// 2xx succeeds; 429, 502, 503, 504 are retried honouring `Retry-After` (OTLP specification,
    /// "OTLP/HTTP Throttling"); anything else is permanent.
    static func outcome(_ response: HTTPClientResponse) -> SendOutcome {
        if (200..<300).contains(response.status) { return .success }
        let text = String(decoding: response.body.prefix(512), as: UTF8.self)
        let message = "HTTP \(response.status): \(text)"
        switch response.status {
        case 429, 502, 503, 504:
            return .retryable(message, retryAfter: response.headers["retry-after"].flatMap(retryAfter))
        default:
            return .permanent(message)
        }
    }

    /// `Retry-After` in seconds (an HTTP-date is left to the backoff).
    static func retryAfter(_ text: String) -> Duration? {
        guard let seconds = Int(Substring(text).trimmingWhiteSpace()), seconds >= 0 else { return nil }
        return .seconds(seconds)
    }

    func close() { client.close() }
}
