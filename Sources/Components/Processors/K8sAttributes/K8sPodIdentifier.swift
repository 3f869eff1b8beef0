import TraceModel
import Transport

/// The key a resource's pod is looked up by, and the keys a pod is indexed by: the Collector's
/// pod identifier (up to four sources, each a connection IP or a resource attribute's value).
struct K8sPodIdentifier: Equatable {
    typealias Source = K8sAttributesProcessor.AssociationSource

    var key: String
    /// The value of the first source, when it is a connection (an IP): `k8s.pod.ip` is set from it.
    var value: String
    var isConnection: Bool

    init(key: String, value: String, isConnection: Bool) {
        self.key = key
        self.value = value
        self.isConnection = isConnection
    }

    static func key(_ parts: [(Source, String)]) -> String {
        parts.map { "\($0.0.from.rawValue)|\($0.0.name)|\($0.1)" }.joined(separator: "\u{1}")
    }

    /// The identifier of a resource: the first association all of whose sources have a value.
    /// With none configured: `k8s.pod.ip`, `ip`, the connection, then `host.name` if it is an IP,
    /// each matched against pod IPs.
    init?(resource attributes: [KeyValue], peerIP: String, associations: [[Source]]) {
        func attribute(_ name: String) -> String {
            attributes.first { $0.hasKey(name) }?.value.stringValue ?? ""
        }
        if associations.isEmpty {
            let hostName = attribute("host.name")
            let candidates = [attribute("k8s.pod.ip"), attribute("ip"), peerIP, Endpoint.isIPAddress(hostName) ? hostName : ""]
            guard let ip = candidates.first(where: { !$0.isEmpty }) else { return nil }
            self.init(key: Self.key([(Source(from: .connection, name: ""), ip)]), value: ip, isConnection: true)
            return
        }
        for sources in associations {
            var parts: [(Source, String)] = []
            for source in sources {
                var value = source.from == .connection ? peerIP : attribute(source.name)
                if source.from == .resourceAttribute, source.name == "host.name", !Endpoint.isIPAddress(value) { value = "" }
                guard !value.isEmpty else { break }
                parts.append((source, value))
            }
            guard parts.count == sources.count else { continue }
            self.init(key: Self.key(parts), value: parts[0].1, isConnection: sources[0].from == .connection)
            return
        }
        return nil
    }

    /// Every key `pod` is found by: one per association its fields fill, and always its uid and,
    /// unless it shares the node's network, its IP.
    static func keys(of pod: K8sPod, associations: [[Source]]) -> [String] {
        let ip = pod.hostNetwork ? "" : pod.podIP
        var keys: [String] = []
        for sources in associations {
            var combinations: [[(Source, String)]] = [[]]
            for source in sources {
                let values = podValues(pod, source, ip: ip)
                combinations = combinations.flatMap { prefix in values.map { prefix + [(source, $0)] } }
            }
            keys += combinations.filter { !$0.isEmpty }.map(key)
        }
        keys.append(key([(Source(from: .resourceAttribute, name: "k8s.pod.uid"), pod.uid)]))
        if !ip.isEmpty {
            keys.append(key([(Source(from: .connection, name: ""), ip)]))
            keys.append(key([(Source(from: .resourceAttribute, name: "k8s.pod.ip"), ip)]))
        }
        return keys
    }

    private static func podValues(_ pod: K8sPod, _ source: Source, ip: String) -> [String] {
        let values: [String]
        switch (source.from, source.name) {
        case (.connection, _), (.resourceAttribute, "host.name"), (.resourceAttribute, "k8s.pod.ip"): values = [ip]
        case (.resourceAttribute, "k8s.namespace.name"): values = [pod.namespace]
        case (.resourceAttribute, "k8s.pod.name"): values = [pod.name]
        case (.resourceAttribute, "k8s.pod.uid"): values = [pod.uid]
        case (.resourceAttribute, "container.id"): values = pod.containers.flatMap { $0.ids.map(\.id) }
        case let (.resourceAttribute, name): values = [pod.attribute(name) ?? ""]
        }
        return values.filter { !$0.isEmpty }
    }
}
