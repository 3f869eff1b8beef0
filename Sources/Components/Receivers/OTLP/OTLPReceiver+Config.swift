import Config
import Transport

extension OTLPReceiver {
    /// `receivers::otlp`. A protocol is on when its key is present, even with no value.
    public struct Config: Sendable, Equatable {
        public var http: HTTPConfig?

        public init(http: HTTPConfig? = HTTPConfig()) {
            self.http = http
        }

        public static func parse(_ reader: ConfigReader) throws(ConfigError) -> Config {
            guard let protocols = try reader.child("protocols") else {
                throw reader.error("protocols", "must specify at least one protocol when using the OTLP receiver")
            }
            if protocols.has("grpc") {
                throw protocols.error("grpc", "OTLP/gRPC (port 4317) is not served by this version of Swiftlet yet; use protocols::http (port 4318)")
            }
            let http = try protocols.child("http").map { r throws(ConfigError) in try HTTPConfig.parse(r) }
            try protocols.finish()
            guard http != nil else {
                throw reader.error("protocols", "must specify at least one protocol when using the OTLP receiver")
            }
            return Config(http: http)
        }
    }

    /// `protocols::http`: the confighttp server options Swiftlet implements plus the signal paths.
    public struct HTTPConfig: Sendable, Equatable {
        public var endpoint = "localhost:4318"
        public var tracesURLPath = "/v1/traces"
        public var metricsURLPath = "/v1/metrics"
        public var logsURLPath = "/v1/logs"
        /// Applied to the body as received and again after decompression (20 MiB as upstream).
        public var maxRequestBodySize = 20 * 1024 * 1024
        public var cors: CORSConfig?
        public var readHeaderTimeout: Duration = .seconds(60)
        public var idleTimeout: Duration = .seconds(60)

        public init() {}

        static func parse(_ r: ConfigReader) throws(ConfigError) -> HTTPConfig {
            var c = HTTPConfig()
            c.endpoint = try r.string("endpoint") ?? c.endpoint
            do { _ = try Endpoint(parsing: c.endpoint) } catch {
                throw r.error("endpoint", "\(error)")
            }
            c.tracesURLPath = sanitizedPath(try r.string("traces_url_path") ?? c.tracesURLPath)
            c.metricsURLPath = sanitizedPath(try r.string("metrics_url_path") ?? c.metricsURLPath)
            c.logsURLPath = sanitizedPath(try r.string("logs_url_path") ?? c.logsURLPath)
            if let size = try r.int("max_request_body_size") {
                guard size > 0 else { throw r.error("max_request_body_size", "must be greater than 0") }
                c.maxRequestBodySize = size
            }
            c.readHeaderTimeout = try r.duration("read_header_timeout") ?? c.readHeaderTimeout
            c.idleTimeout = try r.duration("idle_timeout") ?? c.idleTimeout
            c.cors = try r.child("cors").map { r throws(ConfigError) in try CORSConfig.parse(r) }
            return c
        }

        /// Upstream prefixes a path that lacks its leading slash.
        static func sanitizedPath(_ path: String) -> String { path.hasPrefix("/") ? path : "/" + path }
    }
}

/// confighttp's `cors` block.
public struct CORSConfig: Sendable, Equatable {
    /// Origins allowed to send; `*` matches any run of characters (`https://*.example.com`).
    public var allowedOrigins: [String] = []
    /// Request headers allowed beyond the ones always allowed; `*` allows any.
    public var allowedHeaders: [String] = []
    /// Seconds a browser may cache a preflight answer; 0 leaves it to the browser.
    public var maxAge = 0

    public init(allowedOrigins: [String] = [], allowedHeaders: [String] = [], maxAge: Int = 0) {
        self.allowedOrigins = allowedOrigins
        self.allowedHeaders = allowedHeaders
        self.maxAge = maxAge
    }

    static func parse(_ r: ConfigReader) throws(ConfigError) -> CORSConfig {
        var c = CORSConfig()
        c.allowedOrigins = try r.stringList("allowed_origins") ?? []
        c.allowedHeaders = try r.stringList("allowed_headers") ?? []
        c.maxAge = try r.int("max_age") ?? 0
        return c
    }
}
