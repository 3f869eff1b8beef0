import Config
import Diagnostics
import Kubernetes
import Pipeline
import Synchronization
import TraceModel
import Transport
import WireFormats

/// `k8sattributes` processor: finds the pod that sent each resource's spans — by the request's
/// peer IP or a resource attribute, as `pod_association` says — and adds that pod's metadata as
/// resource attributes, from a local cache the Kubernetes API fills by list + watch. A value the
/// resource already has (not empty) is kept. Before the cache is filled spans pass unchanged.
final class K8sAttributesProcessor: SpanEditingProcessor {
    static let factory = makeFactory("k8sattributes")
    /// The name newer Collectors give it; both load.
    static let aliasFactory = makeFactory("k8s_attributes")

    private static func makeFactory(_ type: String) -> ComponentFactory {
        ComponentFactory.processor(type, .beta, parse: Config.parse) { ctx, config, next in
            K8sAttributesProcessor(config, logger: ctx.logger, next: next)
        }
    }

    let config: Config
    private let logger: Logger
    let next: any TraceConsumer
    let store: K8sMetadataStore
    private let running = Mutex<(client: KubernetesClient, informers: [KubernetesInformer])?>(nil)

    init(_ config: Config, logger: Logger, next: any TraceConsumer, deleteGracePeriod: Double = 120) {
        self.config = config
        self.logger = logger
        self.next = next
        store = K8sMetadataStore(deleteGracePeriod: deleteGracePeriod,
                                 prepare: { [config] pod in K8sAttributesProcessor.prepare(&pod, config) },
                                 identifiers: { [config] pod in K8sPodIdentifier.keys(of: pod, associations: config.associations) })
    }

    func start() throws {
        guard !config.passthrough else { return }
        let api: KubernetesAPIConfig
        let client: KubernetesClient
        do {
            api = try KubernetesAPIConfig.resolve(config.authType, context: config.context)
            client = try KubernetesClient(api, logger: logger)
        } catch {
            throw KubernetesError("k8sattributes: \(error.description)")
        }
        let scope = config.namespace.isEmpty ? "" : "/namespaces/\(config.namespace)"
        var informers = [KubernetesInformer(
            client: client, resource: .init(path: "/api/v1\(scope)/pods", labelSelector: config.labelSelector, fieldSelector: config.fieldSelector),
            logger: logger, onChange: store.applyPods)]
        if config.needsReplicaSets {
            informers.append(KubernetesInformer(client: client, resource: .init(path: "/apis/apps/v1\(scope)/replicasets"), logger: logger,
                                                onChange: store.applyReplicaSets))
        }
        if config.needsNamespaces {
            let only = config.namespace.isEmpty ? "" : "metadata.name=\(config.namespace)"
            informers.append(KubernetesInformer(client: client, resource: .init(path: "/api/v1/namespaces", fieldSelector: only), logger: logger,
                                                onChange: store.applyNamespaces))
        }
        running.withLock { $0 = (client, informers) }
        for informer in informers { informer.start() }
        logger.info("Watching the Kubernetes API", ["server": api.endpoint.authority, "auth_type": config.authType.rawValue])
        if config.waitForMetadata, !informers[0].waitForSync(timeout: Double(config.waitForMetadataTimeout.components.seconds)) {
            shutdown()
            throw KubernetesError("k8sattributes: failed to wait for caches to sync")
        }
    }

    func shutdown() {
        guard let (client, informers) = running.withLock({ r in defer { r = nil }; return r }) else { return }
        for informer in informers { informer.stop() }
        client.close()
    }

    func process(_ batch: inout TraceBatch) {
        let peer = batch.context?.peerIP ?? ""
        for r in batch.resourceSpans.indices {
            batch.resourceSpans[r].editResource { resource in
                for (key, value) in additions(to: resource.attributes, peerIP: peer) { resource.attributes.put(key, .string(value)) }
            }
        }
    }

    /// What the resource with these attributes gains: each attribute it lacks (or has empty).
    func additions(to attributes: [KeyValue], peerIP: String) -> [(String, String)] {
        var out: [(String, String)] = []
        func add(_ key: String, _ value: String) {
            guard !value.isEmpty, !out.contains(where: { $0.0 == key }) else { return }
            if let existing = attributes.first(where: { $0.hasKey(key) }), !existing.value.isEmptyText { return }
            out.append((key, value))
        }
        let identifier = K8sPodIdentifier(resource: attributes, peerIP: peerIP, associations: config.associations)
        if let identifier, identifier.isConnection, config.passthrough || config.metadata.contains("k8s.pod.ip") {
            add("k8s.pod.ip", identifier.value)
        }
        guard !config.passthrough else { return out }
        let pod = identifier.flatMap { store.pod($0.key) }
        if let pod {
            for (key, value) in pod.attributes { add(key, value) }
            addWorkload(of: pod, add)
            addContainer(of: pod, attributes, add)
        }
        let namespace = pod?.namespace ?? attributes.first { $0.hasKey("k8s.namespace.name") }?.value.stringValue ?? ""
        if config.needsNamespaces, let ns = store.namespace(namespace) {
            for (key, value) in Self.fieldAttributes(config.labels, from: .namespace, ns.labels, kind: "labels") { add(key, value) }
            for (key, value) in Self.fieldAttributes(config.annotations, from: .namespace, ns.annotations, kind: "annotations") { add(key, value) }
        }
        return out
    }
}

extension AnyValue {
    /// Whether the Collector's `AsString` of it is empty: an empty string, or no value.
    var isEmptyText: Bool {
        switch self {
        case .empty: true
        case let .string(s): s.isEmpty
        default: false
        }
    }
}
