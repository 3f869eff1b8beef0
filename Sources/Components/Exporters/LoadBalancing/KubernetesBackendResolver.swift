import Diagnostics
import Kubernetes
import Synchronization
import WireFormats

/// `k8s`: the Service's EndpointSlices (label `kubernetes.io/service-name`), by list + watch
/// with the pod's service-account credentials. Each ready address (an endpoint whose
/// `conditions.ready` is not false, as the EndpointSlice API defines an unset condition) gives
/// one backend per configured port: `ip:port`, or with `return_hostnames`
/// `hostname.service.namespace:port` (an endpoint without a hostname is then left out).
final class KubernetesBackendResolver: BackendResolver {
    private let name: String
    private let namespace: String
    private let ports: [Int]
    private let returnHostnames: Bool
    private let timeout: Duration
    private let publisher: BackendListPublisher
    private let logger: Logger
    /// Each slice's backends, by slice name.
    private let slices = Mutex<[String: [String]]>([:])
    private let running = Mutex<(KubernetesClient, KubernetesInformer)?>(nil)

    init(name: String, namespace: String?, ports: [Int], timeout: Duration, returnHostnames: Bool, publisher: BackendListPublisher, logger: Logger) {
        self.name = name
        self.namespace = namespace ?? Self.ownNamespace(logger: logger)
        self.ports = ports
        self.timeout = timeout
        self.returnHostnames = returnHostnames
        self.publisher = publisher
        self.logger = logger
    }

    /// The collector's own namespace from its service account, else `default`, as upstream.
    private static func ownNamespace(logger: Logger) -> String {
        if let namespace = KubernetesAPIConfig.podNamespace() { return namespace }
        logger.warn(#"could not determine the namespace for this collector, will use "default" as the namespace"#)
        return "default"
    }

    func start(onChange: @escaping @Sendable ([String]) -> Void) throws {
        publisher.connect(onChange)
        let client: KubernetesClient
        do {
            client = try KubernetesClient(try KubernetesAPIConfig.resolve(.serviceAccount), logger: logger)
        } catch {
            throw KubernetesError("loadbalancing: \(error.description)")
        }
        let resource = KubernetesInformer.Resource(path: "/apis/discovery.k8s.io/v1/namespaces/\(namespace)/endpointslices",
                                                   labelSelector: "kubernetes.io/service-name=\(name)")
        let informer = KubernetesInformer(client: client, resource: resource, logger: logger) { [weak self] change in self?.apply(change) }
        running.withLock { $0 = (client, informer) }
        informer.start()
        if !informer.waitForSync(timeout: timeout.seconds) {
            logger.warn("endpoints informer not synced within the resolver's timeout; backends follow once it is", ["service": "\(name).\(namespace)"])
        }
    }

    func apply(_ change: KubernetesInformer.Change) {
        let all: [String] = slices.withLock { s in
            switch change {
            case let .replaced(objects):
                s = [:]
                for o in objects { s[o["metadata", "name"]?.string ?? ""] = backends(of: o) }
            case let .upserted(o):
                s[o["metadata", "name"]?.string ?? ""] = backends(of: o)
            case let .deleted(o):
                s[o["metadata", "name"]?.string ?? ""] = nil
            }
            return s.values.flatMap { $0 }
        }
        publisher.resolved(all)
    }

    func backends(of slice: JSONValue) -> [String] {
        var out: [String] = []
        for endpoint in slice["endpoints"]?.array ?? [] where endpoint["conditions", "ready"] != .bool(false) {
            let hosts: [String]
            if returnHostnames {
                guard let hostname = endpoint["hostname"]?.string, !hostname.isEmpty else {
                    logger.warn("Endpoints object missing hostnames", ["slice": slice["metadata", "name"]?.string ?? ""])
                    continue
                }
                hosts = ["\(hostname).\(name).\(namespace)"]
            } else {
                hosts = endpoint["addresses"]?.array.compactMap(\.string).map { $0.contains(":") ? "[\($0)]" : $0 } ?? []
            }
            for host in hosts {
                for port in ports { out.append("\(host):\(port)") }
            }
        }
        return out
    }

    func shutdown() {
        publisher.disconnect()
        guard let (client, informer) = running.withLock({ r in defer { r = nil }; return r }) else { return }
        informer.stop()
        client.close()
    }
}
