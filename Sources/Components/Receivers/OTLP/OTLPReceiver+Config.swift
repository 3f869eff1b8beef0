import Config
import Pipeline
import Transport

extension OTLPReceiver.Config: ReferencesExtensions {
    var extensionIDs: [ComponentID] { [grpc?.auth, http?.server.auth].compactMap { $0?.authenticator } }
}

extension OTLPReceiver {
    /// `receivers::otlp`. A protocol is on when its key is present, even with no value.
    public struct Config: Sendable, Equatable {
        public var grpc: GRPCServerSettings?
        public var http: HTTPConfig?

        public init(grpc: GRPCServerSettings? = nil, http: HTTPConfig? = HTTPConfig()) {
            self.grpc = grpc
            self.http = http
        }

        public static func parse(_ reader: ConfigReader) throws(ConfigError) -> Config {
            guard let protocols = try reader.child("protocols") else {
                throw reader.error("protocols", "must specify at least one protocol when using the OTLP receiver")
            }
            let grpc = try protocols.child("grpc").map { r throws(ConfigError) in
                let settings = try GRPCServerSettings.parse(r, defaultEndpoint: "localhost:4317")
                try r.finish()
                return settings
            }
            let http = try protocols.child("http").map { r throws(ConfigError) in
                let settings = try HTTPConfig.parse(r)
                try r.finish()
                return settings
            }
            try protocols.finish()
            guard grpc != nil || http != nil else {
                throw reader.error("protocols", "must specify at least one protocol when using the OTLP receiver")
            }
            return Config(grpc: grpc, http: http)
        }
    }

    /// `protocols::http`: the confighttp server options Swiftlet implements plus the signal paths.
    public struct HTTPConfig: Sendable, Equatable {
        /// The confighttp options every HTTP receiver shares (endpoint, body limit, timeouts, CORS).
        public var server = HTTPServerSettings(endpoint: "localhost:4318")
        public var tracesURLPath = "/v1/traces"
        public var metricsURLPath = "/v1/metrics"
        public var logsURLPath = "/v1/logs"

        public init() {}

        public var cors: CORSConfig? {
            get { server.cors }
            set { server.cors = newValue }
        }

        static func parse(_ r: ConfigReader) throws(ConfigError) -> HTTPConfig {
            var c = HTTPConfig()
            c.server = try HTTPServerSettings.parse(r, defaultEndpoint: c.server.endpoint)
            c.tracesURLPath = sanitizedPath(try r.string("traces_url_path") ?? c.tracesURLPath)
            c.metricsURLPath = sanitizedPath(try r.string("metrics_url_path") ?? c.metricsURLPath)
            c.logsURLPath = sanitizedPath(try r.string("logs_url_path") ?? c.logsURLPath)
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
        try r.finish()
        return c
    }
}
