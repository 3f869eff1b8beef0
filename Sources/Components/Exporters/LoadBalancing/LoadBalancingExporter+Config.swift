import Config

extension LoadBalancingExporter {
    /// What decides a span's backend. The Collector's `traceID` and `service`; `resource` routes
    /// by the whole resource (Swiftlet's: upstream takes it for logs and metrics, not traces).
    enum RoutingKey: String, Sendable, CaseIterable {
        case traceID, service, resource
    }

    enum Resolver: Sendable, Equatable {
        /// `static::hostnames`, sorted as upstream sorts them.
        case fixed(hostnames: [String])
        /// `dns`: every A/AAAA record of `hostname`, as `ip:port` (bare `ip` when `port` is empty).
        case dns(hostname: String, port: String, interval: Duration, timeout: Duration)
        /// `k8s::service` (`name.namespace`): the ready addresses of its EndpointSlices, one
        /// backend per address and port.
        case kubernetes(name: String, namespace: String?, ports: [Int], timeout: Duration, returnHostnames: Bool)
    }

    struct Config: Sendable, Equatable {
        var routingKey = RoutingKey.traceID
        var resolver = Resolver.fixed(hostnames: [])
        /// `protocol::otlp`, the template of every backend's `otlp` exporter; its `endpoint` is
        /// the backend's.
        var otlp = OTLPGRPCExporter.Config()
        /// `protocol::otlp::endpoint` was set: upstream ignores it, and so does Swiftlet, saying so.
        var ignoredEndpoint: String?

        static func parse(_ r: ConfigReader) throws(ConfigError) -> Config {
            var c = Config()
            if let key = try r.string("routing_key"), !key.isEmpty {
                guard let parsed = RoutingKey(rawValue: key) else {
                    throw r.error("routing_key", "unsupported routing_key \"\(key)\" for traces; Swiftlet supports "
                        + RoutingKey.allCases.map(\.rawValue).joined(separator: ", "))
                }
                c.routingKey = parsed
            }
            for key in ["routing_attributes", "sending_queue", "retry_on_failure", "timeout"] where r.has(key) {
                throw r.error(key, "is not supported at the top level of loadbalancing: set it under protocol::otlp, where each backend's exporter reads it")
            }
            if let proto = try r.child("protocol"), let otlp = try proto.child("otlp") {
                c.ignoredEndpoint = try otlp.string("endpoint")
                try c.otlp.readSettings(otlp)
                if c.otlp.settings.queue.storage != nil {
                    throw otlp.error("sending_queue::storage", "is not supported for loadbalancing backends: their queues are in memory")
                }
            }
            guard let resolver = try r.child("resolver") else {
                throw r.error("resolver", "must be set: static, dns or k8s")
            }
            c.resolver = try parseResolver(resolver)
            return c
        }

        private static func parseResolver(_ r: ConfigReader) throws(ConfigError) -> Resolver {
            if r.has("aws_cloud_map") {
                throw r.error("aws_cloud_map", "is not supported by Swiftlet: use static, dns or k8s")
            }
            let given = ["static", "dns", "k8s"].filter { r.has($0) }
            guard given.count == 1 else {
                throw r.error(nil, given.isEmpty ? "no resolvers specified for the exporter (static, dns or k8s)" : "only one resolver should be specified")
            }
            if let s = try r.child("static") {
                let hostnames = try s.stringList("hostnames") ?? []
                guard !hostnames.isEmpty else { throw s.error("hostnames", "no endpoints specified for the static resolver") }
                return .fixed(hostnames: hostnames.sorted())
            }
            if let d = try r.child("dns") {
                guard let hostname = try d.string("hostname"), !hostname.isEmpty else {
                    throw d.error("hostname", "no hostname specified to resolve the backends")
                }
                let interval = try d.duration("interval") ?? .seconds(5)
                let timeout = try d.duration("timeout") ?? .seconds(1)
                guard interval > .zero, timeout > .zero else { throw d.error(nil, "interval and timeout must be greater than 0") }
                return .dns(hostname: hostname, port: try d.string("port") ?? "", interval: interval, timeout: timeout)
            }
            let k = try r.child("k8s")!
            guard let service = try k.string("service"), !service.isEmpty else {
                throw k.error("service", "no service specified to resolve the backends")
            }
            let parts = service.split(separator: ".", maxSplits: 1).map(String.init)
            let ports = (try k.stringList("ports") ?? ["4317"]).map { Int($0) ?? 0 }
            guard !ports.isEmpty, ports.allSatisfy({ (1...65535).contains($0) }) else { throw k.error("ports", "must list ports from 1 to 65535") }
            let timeout = try k.duration("timeout") ?? .seconds(1)
            return .kubernetes(name: parts[0], namespace: parts.count > 1 ? parts[1] : nil, ports: ports, timeout: timeout,
                               returnHostnames: try k.bool("return_hostnames") ?? false)
        }
    }
}
