import TraceModel

extension K8sAttributesProcessor {
    /// What a pod gives on its own, under the `extract` rules: `ignored` and `attributes`.
    static func prepare(_ pod: inout K8sPod, _ config: Config) {
        let ignore = pod.annotations["opentelemetry.io/k8s-processor/ignore"].map { $0.trimmingWhiteSpace().lowercased() == "true" } ?? false
        pod.ignored = ignore || config.excludedPods.contains { $0.matches(pod.name) }
        guard !pod.ignored else {
            pod.labels = [:]
            pod.annotations = [:]
            return
        }
        var out: [(key: String, value: String)] = []
        let wanted = Set(config.metadata)
        func add(_ key: String, _ value: String?) {
            if wanted.contains(key), let value, !value.isEmpty { out.append((key, value)) }
        }
        add("k8s.namespace.name", pod.namespace)
        add("k8s.pod.name", pod.name)
        add("k8s.pod.uid", pod.uid)
        add("k8s.pod.hostname", pod.hostname)
        add("k8s.pod.start_time", pod.creationTimestamp)
        add("k8s.pod.ip", pod.podIP)
        let replicaSet = pod.owner("ReplicaSet")
        add("k8s.replicaset.name", replicaSet?.name)
        add("k8s.replicaset.uid", replicaSet?.uid)
        if config.deploymentNameFromReplicaSet { add("k8s.deployment.name", replicaSet.flatMap { deploymentName(fromReplicaSet: $0.name) }) }
        for kind in ["DaemonSet", "StatefulSet", "Job"] {
            add("k8s.\(kind.lowercased()).name", pod.owner(kind)?.name)
            add("k8s.\(kind.lowercased()).uid", pod.owner(kind)?.uid)
        }
        add("k8s.cronjob.name", pod.owner("Job").flatMap { cronJobName(fromJob: $0.name) })
        add("k8s.node.name", pod.nodeName)
        out += fieldAttributes(config.labels, from: .pod, pod.labels, kind: "labels").map { (key: $0.0, value: $0.1) }
        out += fieldAttributes(config.annotations, from: .pod, pod.annotations, kind: "annotations").map { (key: $0.0, value: $0.1) }
        if config.otelAnnotations {
            let prefix = "resource.opentelemetry.io/"
            for key in pod.annotations.keys.sorted() where key.hasPrefix(prefix) {
                if let value = pod.annotations[key], !value.isEmpty { out.append((String(key.dropFirst(prefix.count)), value)) }
            }
        }
        pod.attributes = out
        // Read once, here: the cache keeps what lookups need, not every pod's labels and annotations.
        pod.labels = [:]
        pod.annotations = [:]
    }

    /// Labels or annotations as the rules taking them (`from`) name them, in key order.
    static func fieldAttributes(_ rules: [FieldRule], from: FieldRule.From, _ fields: [String: String], kind: String) -> [(String, String)] {
        var out: [(String, String)] = []
        for rule in rules where rule.from == from {
            for key in fields.keys.sorted() {
                guard let value = fields[key], !value.isEmpty, let name = rule.attributeName(for: key, kind: kind) else { continue }
                out.append((name, value))
            }
        }
        return out
    }

    /// `deployment_name_from_replicaset`: a Deployment's ReplicaSet is `<deployment>-<10 character hash>`.
    static func deploymentName(fromReplicaSet name: String) -> String? {
        guard let dash = name.lastIndex(of: "-") else { return nil }
        let hash = name[name.index(after: dash)...]
        guard hash.utf8.count == 10, hash.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) }) else { return nil }
        return String(name[..<dash])
    }

    /// A CronJob's Job is `<cronjob>-<digits>` (its scheduled time in minutes).
    static func cronJobName(fromJob name: String) -> String? {
        guard let dash = name.lastIndex(of: "-") else { return nil }
        let digits = name[name.index(after: dash)...]
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return String(name[..<dash])
    }

    /// `k8s.deployment.*` from the ReplicaSet informer's view of the pod's ReplicaSet.
    func addWorkload(of pod: K8sPod, _ add: (String, String) -> Void) {
        guard config.needsReplicaSets, let replicaSet = pod.owner("ReplicaSet"), let deployment = store.deployment(ofReplicaSet: replicaSet.uid) else { return }
        if config.metadata.contains("k8s.deployment.name") && !config.deploymentNameFromReplicaSet { add("k8s.deployment.name", deployment.name) }
        if config.metadata.contains("k8s.deployment.uid") { add("k8s.deployment.uid", deployment.uid) }
    }

    /// The container the resource names (`k8s.container.name`, else `container.id`), or the pod's
    /// only one: its name, image and id.
    func addContainer(of pod: K8sPod, _ attributes: [KeyValue], _ add: (String, String) -> Void) {
        func attribute(_ name: String) -> String { attributes.first { $0.hasKey(name) }?.value.stringValue ?? "" }
        let container: K8sPod.Container?
        if !attribute("k8s.container.name").isEmpty {
            container = pod.containers.first { $0.name == attribute("k8s.container.name") }
        } else if !attribute("container.id").isEmpty {
            container = pod.containers.first { $0.ids.contains { $0.id == attribute("container.id") } }
        } else {
            container = pod.containers.count == 1 ? pod.containers[0] : nil
        }
        guard let container else { return }
        let wanted = config.metadata
        if wanted.contains("k8s.container.name") { add("k8s.container.name", container.name) }
        if let image = K8sImageName(container.image) {
            if wanted.contains("container.image.name") { add("container.image.name", image.name) }
            if wanted.contains("container.image.tag") { add("container.image.tag", image.tag) }
        }
        if wanted.contains("container.id"), attributes.first(where: { $0.hasKey("container.id") }) == nil {
            let restarts = Int(attribute("k8s.container.restart_count")) ?? attributes.first { $0.hasKey("k8s.container.restart_count") }.flatMap {
                if case let .int(n) = $0.value { return Int(n) } else { return nil }
            }
            let id = restarts.flatMap { r in container.ids.first { $0.restartCount == r } } ?? container.ids.max { $0.restartCount < $1.restartCount }
            if let id { add("container.id", id.id) }
        }
    }
}
