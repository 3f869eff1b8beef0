import Dispatch
import Kubernetes
import Synchronization
import WireFormats

/// The processor's local view of the cluster, fed by informers and read for every resource.
final class K8sMetadataStore: Sendable {
    struct Workload: Sendable, Equatable {
        var name: String
        var uid: String
    }

    struct Namespace: Sendable {
        var labels: [String: String]
        var annotations: [String: String]
    }

    private struct State {
        var pods: [String: K8sPod] = [:]
        /// Pod identifier (`K8sPodIdentifier.key`) → pod uid.
        var index: [String: String] = [:]
        /// ReplicaSet uid → the Deployment that controls it.
        var deployments: [String: Workload] = [:]
        var namespaces: [String: Namespace] = [:]
    }

    private let state = Mutex(State())
    private let identifiers: @Sendable (K8sPod) -> [String]
    private let prepare: @Sendable (inout K8sPod) -> Void
    /// As upstream: a deleted pod stays known this long, for spans it sent just before it ended.
    let deleteGracePeriod: Double

    /// `prepare` sets what the processor's rules make of a pod (`ignored`, `attributes`) once,
    /// when it arrives; `identifiers` are the keys it is found by.
    init(deleteGracePeriod: Double = 120, prepare: @escaping @Sendable (inout K8sPod) -> Void, identifiers: @escaping @Sendable (K8sPod) -> [String]) {
        self.deleteGracePeriod = deleteGracePeriod
        self.prepare = prepare
        self.identifiers = identifiers
    }

    func pod(_ identifier: String) -> K8sPod? {
        state.withLock { s in
            guard let uid = s.index[identifier], let pod = s.pods[uid], !pod.ignored else { return nil }
            return pod
        }
    }

    func deployment(ofReplicaSet uid: String) -> Workload? { state.withLock { $0.deployments[uid] } }

    func namespace(_ name: String) -> Namespace? { state.withLock { $0.namespaces[name] } }

    var podCount: Int { state.withLock { $0.pods.count } }

    // MARK: Informer changes

    func applyPods(_ change: KubernetesInformer.Change) {
        switch change {
        case let .replaced(objects):
            let pods = objects.compactMap(makePod)
            let current = Set(pods.map(\.uid))
            let gone = state.withLock { s in s.pods.keys.filter { !current.contains($0) } }
            for pod in pods { upsert(pod) }
            for uid in gone { scheduleRemoval(uid) }
        case let .upserted(object):
            if let pod = makePod(object) { upsert(pod) }
        case let .deleted(object):
            if let uid = object["metadata", "uid"]?.string { scheduleRemoval(uid) }
        }
    }

    func applyReplicaSets(_ change: KubernetesInformer.Change) {
        func deployment(_ object: JSONValue) -> Workload? {
            let owner = object["metadata", "ownerReferences"]?.array.first { $0["kind"]?.string == "Deployment" && $0["controller"] == .bool(true) }
            guard let owner, let name = owner["name"]?.string else { return nil }
            return Workload(name: name, uid: owner["uid"]?.string ?? "")
        }
        state.withLock { s in
            switch change {
            case let .replaced(objects):
                s.deployments = [:]
                for o in objects { if let uid = o["metadata", "uid"]?.string { s.deployments[uid] = deployment(o) } }
            case let .upserted(o):
                if let uid = o["metadata", "uid"]?.string { s.deployments[uid] = deployment(o) }
            case let .deleted(o):
                if let uid = o["metadata", "uid"]?.string { s.deployments[uid] = nil }
            }
        }
    }

    func applyNamespaces(_ change: KubernetesInformer.Change) {
        func namespace(_ o: JSONValue) -> Namespace {
            Namespace(labels: o["metadata", "labels"]?.stringMembers ?? [:], annotations: o["metadata", "annotations"]?.stringMembers ?? [:])
        }
        state.withLock { s in
            switch change {
            case let .replaced(objects):
                s.namespaces = [:]
                for o in objects { if let name = o["metadata", "name"]?.string { s.namespaces[name] = namespace(o) } }
            case let .upserted(o):
                if let name = o["metadata", "name"]?.string { s.namespaces[name] = namespace(o) }
            case let .deleted(o):
                if let name = o["metadata", "name"]?.string { s.namespaces[name] = nil }
            }
        }
    }

    private func makePod(_ object: JSONValue) -> K8sPod? {
        guard var pod = K8sPod(object) else { return nil }
        prepare(&pod)
        return pod
    }

    /// Indexes `pod` under each of its identifiers; one another pod holds passes to it unless
    /// that pod started later (a reused IP goes to the newest pod).
    private func upsert(_ pod: K8sPod) {
        let keys = identifiers(pod)
        state.withLock { s in
            if let old = s.pods[pod.uid] { unindex(old, &s) }
            s.pods[pod.uid] = pod
            for key in keys {
                if let holder = s.index[key], holder != pod.uid, let other = s.pods[holder], other.startTime > pod.startTime { continue }
                s.index[key] = pod.uid
            }
        }
    }

    private func unindex(_ pod: K8sPod, _ s: inout State) {
        for key in identifiers(pod) where s.index[key] == pod.uid { s.index[key] = nil }
    }

    private func scheduleRemoval(_ uid: String) {
        guard let version = state.withLock({ $0.pods[uid]?.resourceVersion }) else { return }
        guard deleteGracePeriod > 0 else { return remove(uid, version: version) }
        DispatchQueue.global().asyncAfter(deadline: .now() + deleteGracePeriod) { [weak self] in
            self?.remove(uid, version: version)
        }
    }

    private func remove(_ uid: String, version: String) {
        state.withLock { s in
            // A pod that came back (same uid, newer version) stays.
            guard let pod = s.pods[uid], pod.resourceVersion == version else { return }
            unindex(pod, &s)
            s.pods[uid] = nil
        }
    }
}
