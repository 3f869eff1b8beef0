import Config
import Pipeline
import Transport

extension JaegerReceiver.Config: ReferencesExtensions {
    var extensionIDs: [ComponentID] { [thriftHTTP?.auth, grpc?.auth].compactMap { $0?.authenticator } }
}

extension JaegerReceiver {
    /// `receivers::jaeger`. No protocol is on unless listed under `protocols`.
    public struct Config: Sendable, Equatable {
        public var thriftHTTP: HTTPServerSettings?
        public var thriftCompact: UDPConfig?
        public var thriftBinary: UDPConfig?
        public var grpc: GRPCServerSettings?

        public init(thriftHTTP: HTTPServerSettings? = nil, thriftCompact: UDPConfig? = nil, thriftBinary: UDPConfig? = nil,
                    grpc: GRPCServerSettings? = nil) {
            self.thriftHTTP = thriftHTTP
            self.thriftCompact = thriftCompact
            self.thriftBinary = thriftBinary
            self.grpc = grpc
        }

        static let missingProtocols = "must specify at least one protocol when using the Jaeger receiver"

        public static func parse(_ reader: ConfigReader) throws(ConfigError) -> Config {
            guard let protocols = try reader.child("protocols") else { throw reader.error("protocols", missingProtocols) }
            if reader.has("remote_sampling") {
                throw reader.error("remote_sampling", "remote sampling was removed from the Jaeger receiver upstream (v0.61.0); use the jaegerremotesampling extension")
            }
            var config = Config()
            if let r = try protocols.child("thrift_http") {
                config.thriftHTTP = try HTTPServerSettings.parse(r, defaultEndpoint: "localhost:14268")
                try r.finish()
            }
            config.thriftCompact = try protocols.child("thrift_compact").map { r throws(ConfigError) in try UDPConfig.parse(r, defaultEndpoint: "localhost:6831") }
            config.thriftBinary = try protocols.child("thrift_binary").map { r throws(ConfigError) in try UDPConfig.parse(r, defaultEndpoint: "localhost:6832") }
            config.grpc = try protocols.child("grpc").map { r throws(ConfigError) in
                let settings = try GRPCServerSettings.parse(r, defaultEndpoint: "localhost:14250")
                try r.finish()
                return settings
            }
            try protocols.finish()
            guard config.thriftHTTP != nil || config.thriftCompact != nil || config.thriftBinary != nil || config.grpc != nil else {
                throw reader.error("protocols", missingProtocols)
            }
            return config
        }
    }

    /// `protocols::thrift_compact` / `thrift_binary`: the agent's UDP server options, as upstream.
    public struct UDPConfig: Sendable, Equatable {
        public var endpoint: String
        public var queueSize = 1_000
        public var maxPacketSize = 65_000
        public var workers = 10
        /// `SO_RCVBUF`; 0 keeps the system default.
        public var socketBufferSize = 0

        public init(endpoint: String) {
            self.endpoint = endpoint
        }

        static func parse(_ r: ConfigReader, defaultEndpoint: String) throws(ConfigError) -> UDPConfig {
            var c = UDPConfig(endpoint: try parseEndpoint(r, default: defaultEndpoint))
            c.queueSize = try positive(r, "queue_size", atMost: 1 << 20) ?? c.queueSize
            // An IP datagram carries at most 65535 bytes.
            c.maxPacketSize = try positive(r, "max_packet_size", atMost: 65_535) ?? c.maxPacketSize
            c.workers = try positive(r, "workers", atMost: 1_024) ?? c.workers
            if let size = try r.int("socket_buffer_size") {
                guard size >= 0 else { throw r.error("socket_buffer_size", "must not be negative") }
                c.socketBufferSize = size
            }
            try r.finish()
            return c
        }

        /// 0 means "the default", as upstream reads these options.
        private static func positive(_ r: ConfigReader, _ key: String, atMost limit: Int) throws(ConfigError) -> Int? {
            guard let value = try r.int(key) else { return nil }
            guard value >= 0 else { throw r.error(key, "must not be negative") }
            guard value <= limit else { throw r.error(key, "must be at most \(limit)") }
            return value == 0 ? nil : value
        }

        func listenerConfiguration() throws(SocketError) -> UDPListener.Configuration {
            UDPListener.Configuration(
                endpoint: try Endpoint(parsing: endpoint), maxPacketSize: maxPacketSize, queueSize: queueSize,
                workers: workers, socketBufferSize: socketBufferSize)
        }
    }
}
