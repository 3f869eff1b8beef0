import WireFormats

/// What the processor keeps of a Kubernetes Pod object (core/v1): the attributes it adds,
/// computed once when the pod is listed or changes, and what lookups need.
struct K8sPod: Sendable {
    struct Owner: Sendable {
        var kind: String
        var name: String
        var uid: String
    }

    struct Container: Sendable {
        var name: String
        var image: String
        /// Runtime ids (`containerd://` stripped) by restart count, from `status.containerStatuses`.
        var ids: [(restartCount: Int, id: String)] = []
    }

    var uid: String
    var name: String
    var namespace: String
    var podIP: String
    var hostNetwork: Bool
    var nodeName: String
    var hostname: String
    var creationTimestamp: String
    /// `status.startTime`: a newer pod takes over an identifier (a reused IP) from an older one.
    var startTime: String
    var resourceVersion: String
    var labels: [String: String]
    var annotations: [String: String]
    var owners: [Owner]
    var containers: [Container]
    /// Pods the processor must not describe: the ignore annotation, or a name `exclude` matches.
    var ignored = false
    /// The attributes that depend on the pod alone, in the order they are added; set by the
    /// processor (its `extract` rules) when the pod arrives.
    var attributes: [(key: String, value: String)] = []

    func attribute(_ key: String) -> String? { attributes.first { $0.key == key }?.value }

    init?(_ object: JSONValue) {
        guard let uid = object["metadata", "uid"]?.string else { return nil }
        self.uid = uid
        name = object["metadata", "name"]?.string ?? ""
        namespace = object["metadata", "namespace"]?.string ?? ""
        podIP = object["status", "podIP"]?.string ?? ""
        hostNetwork = object["spec", "hostNetwork"] == .bool(true)
        nodeName = object["spec", "nodeName"]?.string ?? ""
        hostname = object["spec", "hostname"]?.string ?? ""
        creationTimestamp = object["metadata", "creationTimestamp"]?.string ?? ""
        startTime = object["status", "startTime"]?.string ?? ""
        resourceVersion = object["metadata", "resourceVersion"]?.string ?? ""
        labels = object["metadata", "labels"]?.stringMembers ?? [:]
        annotations = object["metadata", "annotations"]?.stringMembers ?? [:]
        owners = (object["metadata", "ownerReferences"]?.array ?? []).map {
            Owner(kind: $0["kind"]?.string ?? "", name: $0["name"]?.string ?? "", uid: $0["uid"]?.string ?? "")
        }
        containers = []
        for list in ["initContainers", "containers"] {
            for c in object["spec", list]?.array ?? [] {
                containers.append(Container(name: c["name"]?.string ?? "", image: c["image"]?.string ?? ""))
            }
        }
        for list in ["initContainerStatuses", "containerStatuses"] {
            for s in object["status", list]?.array ?? [] {
                guard let i = containers.firstIndex(where: { $0.name == s["name"]?.string }), let id = s["containerID"]?.string, !id.isEmpty else { continue }
                let bare = id.split(separator: "/", omittingEmptySubsequences: false).count > 2 && id.contains(":/")
                    ? String(id.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false)[2]) : id
                containers[i].ids.append((s["restartCount"]?.int ?? 0, bare))
            }
        }
    }

    func owner(_ kind: String) -> Owner? { owners.first { $0.kind == kind } }
}

/// A container image reference as the Collector splits it (`distribution/reference`, not
/// normalised): the name as written, registry and path included; the tag, "latest" when none.
struct K8sImageName: Equatable {
    var name: String
    var tag: String

    init?(_ image: String) {
        guard !image.isEmpty else { return nil }
        var rest = Substring(image)
        if let at = rest.firstIndex(of: "@") { rest = rest[..<at] }
        // A tag follows the last ':' after the last '/' (a ':' before it is a registry port).
        let lastSlash = rest.lastIndex(of: "/") ?? rest.startIndex
        if let colon = rest[lastSlash...].lastIndex(of: ":") {
            name = String(rest[..<colon])
            tag = String(rest[rest.index(after: colon)...])
        } else {
            name = String(rest)
            tag = "latest"
        }
        guard !name.isEmpty, !tag.isEmpty else { return nil }
    }
}
