import Config
import Transport

extension OTLPReceiver {
    /// `receivers::otlp`. A protocol is on when its key is present, even with no value.
    public struct Config: Sendable, Equatable {
        public var grpc: GRPCConfig?
        public var http: HTTPConfig?

        public init(grpc: GRPCConfig? = nil, http: HTTPConfig? = HTTPConfig()) {
            self.grpc = grpc
            self.http = http
        }

        public static func parse(_ reader: ConfigReader) throws(ConfigError) -> Config {
            guard let protocols = try reader.child("protocols") else {
                throw reader.error("protocols", "must specify at least one protocol when using the OTLP receiver")
            }
            let grpc = try protocols.child("grpc").map { r throws(ConfigError) in try GRPCConfig.parse(r) }
            let http = try protocols.child("http").map { r throws(ConfigError) in try HTTPConfig.parse(r) }
            try protocols.finish()
            guard grpc != nil || http != nil else {
                throw reader.error("protocols", "must specify at least one protocol when using the OTLP receiver")
            }
            return Config(grpc: grpc, http: http)
        }
    }

    /// `protocols::grpc`: the configgrpc server options Swiftlet implements.
    public struct GRPCConfig: Sendable, Equatable {
        public var endpoint = "localhost:4317"
        /// grpc-go's default receive limit, 4 MiB, when unset.
        public var maxRecvMsgSizeMiB = 4
        public var maxConcurrentStreams = 250

        public init() {}

        var maxReceiveMessageBytes: Int { maxRecvMsgSizeMiB << 20 }

        static func parse(_ r: ConfigReader) throws(ConfigError) -> GRPCConfig {
            var c = GRPCConfig()
            c.endpoint = try r.string("endpoint") ?? c.endpoint
            do { _ = try Endpoint(parsing: c.endpoint) } catch {
                throw r.error("endpoint", "\(error)")
            }
            if let transport = try r.string("transport"), transport != "tcp" {
                throw r.error("transport", "only \"tcp\" is supported, not \"\(transport)\"")
            }
            if let size = try r.int("max_recv_msg_size_mib") {
                guard size > 0, size <= 2047 else { throw r.error("max_recv_msg_size_mib", "must be between 1 and 2047") }
                c.maxRecvMsgSizeMiB = size
            }
            if let streams = try r.int("max_concurrent_streams") {
                guard streams >= 0 else { throw r.error("max_concurrent_streams", "must not be negative") }
                c.maxConcurrentStreams = streams == 0 ? c.maxConcurrentStreams : streams
            }
            // Socket buffer hints and metadata passing: accepted as upstream, no effect here.
            _ = try r.int("read_buffer_size")
            _ = try r.int("write_buffer_size")
            _ = try r.bool("include_metadata")
            if r.has("tls") { throw r.error("tls", "TLS is not supported by this version of Swiftlet; terminate TLS in front of it") }
            return c
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
