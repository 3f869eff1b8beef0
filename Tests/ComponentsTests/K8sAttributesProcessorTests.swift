@testable import Components
import Config
import Diagnostics
import Kubernetes
import Pipeline
import SwiftletTestKit
import Testing
import TraceModel
import WireFormats

private func k8sProcessor(_ yaml: String = "{}", next: any TraceConsumer = SinkConsumer()) throws -> K8sAttributesProcessor {
    let reader = try ConfigReader(try YAMLParser.parse(yaml, file: "t"), path: "processors::k8sattributes", file: "t")
    let config = try K8sAttributesProcessor.Config.parse(reader)
    try reader.finish()
    return K8sAttributesProcessor(config, logger: CapturedLog().logger(), next: next)
}

private func configError(_ yaml: String) -> String {
    do {
        _ = try k8sProcessor(yaml)
        return ""
    } catch {
        return "\(error)"
    }
}

/// A Pod object as the API server writes it.
private func pod(_ name: String, uid: String, ip: String, namespace: String = "shop", start: String = "2026-12-01T10:00:00Z",
                 labels: [String: String] = [:], annotations: [String: String] = [:], owner: (String, String, String)? = nil,
                 containers: [(String, String, String)] = [("app", "ghcr.io/acme/shop:1.4.2", "containerd://c0ffee")], hostNetwork: Bool = false) -> JSONValue {
    var metadata: [String: JSONValue] = [
        "name": .string(name), "uid": .string(uid), "namespace": .string(namespace), "creationTimestamp": .string("2026-12-01T09:59:58Z"),
        "resourceVersion": .string("1"), "labels": .object(labels.mapValues { .string($0) }),
        "annotations": .object(annotations.mapValues { .string($0) }),
    ]
    if let (kind, ownerName, ownerUID) = owner {
        metadata["ownerReferences"] = .array([.object(["kind": .string(kind), "name": .string(ownerName), "uid": .string(ownerUID), "controller": .bool(true)])])
    }
    return .object([
        "metadata": .object(metadata),
        "spec": .object([
            "nodeName": .string("node-a"), "hostNetwork": .bool(hostNetwork),
            "containers": .array(containers.map { .object(["name": .string($0.0), "image": .string($0.1)]) }),
        ]),
        "status": .object([
            "podIP": .string(ip), "startTime": .string(start),
            "containerStatuses": .array(containers.map { .object(["name": .string($0.0), "containerID": .string($0.2), "restartCount": .number(0)]) }),
        ]),
    ])
}

private func replicaSet(_ name: String, uid: String, deployment: String) -> JSONValue {
    .object(["metadata": .object([
        "name": .string(name), "uid": .string(uid),
        "ownerReferences": .array([.object(["kind": .string("Deployment"), "name": .string(deployment), "uid": .string("d-1"), "controller": .bool(true)])]),
    ])])
}

private func attributes(_ p: K8sAttributesProcessor, _ resource: [KeyValue] = [], peer: String) -> [String: String] {
    var batch = TraceBatch(resourceSpans: [ResourceSpans(resource: Resource(attributes: resource), scopeSpans: [ScopeSpans(spans: [Span(name: "s")])])],
                           context: RequestContext(peerIP: peer))
    p.process(&batch)
    var out: [String: String] = [:]
    for kv in batch.resourceSpans[0].resource.attributes { out[kv.key] = kv.value.stringValue }
    return out
}

@Test func k8s_defaultMetadataFromThePodThatSentTheRequest() throws {
    let p = try k8sProcessor()
    p.store.applyReplicaSets(.replaced([replicaSet("checkout-7d4b9c8f6d", uid: "rs-1", deployment: "checkout")]))
    p.store.applyPods(.replaced([pod("checkout-7d4b9c8f6d-x2x9z", uid: "u-1", ip: "10.1.0.7", owner: ("ReplicaSet", "checkout-7d4b9c8f6d", "rs-1"))]))
    #expect(attributes(p, peer: "10.1.0.7") == [
        "k8s.namespace.name": "shop", "k8s.pod.name": "checkout-7d4b9c8f6d-x2x9z", "k8s.pod.uid": "u-1",
        "k8s.pod.start_time": "2026-12-01T09:59:58Z", "k8s.deployment.name": "checkout", "k8s.node.name": "node-a",
        "container.image.name": "ghcr.io/acme/shop", "container.image.tag": "1.4.2",
    ])
    // Another peer: nothing known, nothing added; the resource keeps its received encoding.
    #expect(attributes(p, peer: "10.1.0.8").isEmpty)
}

@Test func k8s_keepsValuesTheResourceHasAndFillsEmptyOnes() throws {
    let p = try k8sProcessor()
    p.store.applyPods(.replaced([pod("web-0", uid: "u-1", ip: "10.1.0.7")]))
    let out = attributes(p, [KeyValue("k8s.pod.name", .string("set-by-sdk")), KeyValue("k8s.namespace.name", .string(""))], peer: "10.1.0.7")
    #expect(out["k8s.pod.name"] == "set-by-sdk")
    #expect(out["k8s.namespace.name"] == "shop")
}

@Test func k8s_defaultAssociationPrefersPodIPAttributeThenIPThenConnectionThenHostName() throws {
    let p = try k8sProcessor()
    p.store.applyPods(.replaced([pod("a", uid: "u-a", ip: "10.0.0.1"), pod("b", uid: "u-b", ip: "10.0.0.2"), pod("c", uid: "u-c", ip: "10.0.0.3")]))
    #expect(attributes(p, [KeyValue("k8s.pod.ip", .string("10.0.0.1"))], peer: "10.0.0.2")["k8s.pod.name"] == "a")
    #expect(attributes(p, [KeyValue("ip", .string("10.0.0.3"))], peer: "10.0.0.2")["k8s.pod.name"] == "c")
    #expect(attributes(p, [KeyValue("host.name", .string("10.0.0.3"))], peer: "10.0.0.2")["k8s.pod.name"] == "b")
    #expect(attributes(p, [KeyValue("host.name", .string("10.0.0.3"))], peer: "")["k8s.pod.name"] == "c")
    #expect(attributes(p, [KeyValue("host.name", .string("web-host"))], peer: "")["k8s.pod.name"] == nil)
}

@Test func k8s_configuredAssociationsInOrderFirstResolvableOnly() throws {
    let p = try k8sProcessor("""
        pod_association:
          - sources: [{from: resource_attribute, name: k8s.pod.uid}]
          - sources: [{from: resource_attribute, name: k8s.namespace.name}, {from: resource_attribute, name: k8s.pod.name}]
          - sources: [{from: connection}]
        """)
    p.store.applyPods(.replaced([pod("a", uid: "u-a", ip: "10.0.0.1"), pod("b", uid: "u-b", ip: "10.0.0.2")]))
    #expect(attributes(p, [KeyValue("k8s.pod.uid", .string("u-b"))], peer: "10.0.0.1")["k8s.pod.name"] == "b")
    #expect(attributes(p, [KeyValue("k8s.namespace.name", .string("shop")), KeyValue("k8s.pod.name", .string("a"))], peer: "10.0.0.2")["k8s.pod.uid"] == "u-a")
    #expect(attributes(p, peer: "10.0.0.2")["k8s.pod.name"] == "b")
    // The first association that resolves decides, even when it finds nothing.
    #expect(attributes(p, [KeyValue("k8s.pod.uid", .string("unknown"))], peer: "10.0.0.2")["k8s.pod.name"] == nil)
}

@Test func k8s_labelsAnnotationsAndNamespaceRules() throws {
    let p = try k8sProcessor("""
        extract:
          metadata: [k8s.pod.name]
          labels:
            - key: app.kubernetes.io/name
            - tag_name: team
              key: team
            - key_regex: "tier-(.*)"
              tag_name: "tier.$1"
            - key: env
              from: namespace
          annotations:
            - key_regex: "^owner.*"
          otel_annotations: true
        """)
    #expect(p.config.needsNamespaces && !p.config.needsReplicaSets)
    p.store.applyNamespaces(.replaced([.object(["metadata": .object(["name": .string("shop"), "labels": .object(["env": .string("prod")])])])]))
    p.store.applyPods(.replaced([pod("a", uid: "u-a", ip: "10.0.0.1",
                                     labels: ["app.kubernetes.io/name": "cart", "team": "payments", "tier-web": "front", "unused": "x"],
                                     annotations: ["owner.email": "ops@example.com", "resource.opentelemetry.io/service.name": "cart-svc"])]))
    #expect(attributes(p, peer: "10.0.0.1") == [
        "k8s.pod.name": "a", "k8s.pod.labels.app.kubernetes.io/name": "cart", "team": "payments", "tier.web": "front",
        "k8s.pod.annotations.owner.email": "ops@example.com", "service.name": "cart-svc", "k8s.namespace.labels.env": "prod",
    ])
    // Namespace rules apply from the resource's namespace even when the pod is unknown.
    #expect(attributes(p, [KeyValue("k8s.namespace.name", .string("shop"))], peer: "10.9.9.9")["k8s.namespace.labels.env"] == "prod")
}

@Test func k8s_ignoredExcludedAndHostNetworkPodsAreNotDescribed() throws {
    let p = try k8sProcessor()
    p.store.applyPods(.replaced([
        pod("a", uid: "u-a", ip: "10.0.0.1", annotations: ["opentelemetry.io/k8s-processor/ignore": " True "]),
        pod("jaeger-agent-x", uid: "u-j", ip: "10.0.0.2"),
        pod("node-exporter", uid: "u-n", ip: "192.168.1.5", hostNetwork: true),
    ]))
    #expect(attributes(p, peer: "10.0.0.1").isEmpty)
    #expect(attributes(p, peer: "10.0.0.2").isEmpty)
    #expect(attributes(p, peer: "192.168.1.5").isEmpty)
    #expect(attributes(p, [KeyValue("k8s.pod.uid", .string("u-n"))], peer: "")["k8s.pod.name"] == nil)  // no IP: uid alone is not a default source
}

@Test func k8s_reusedIPGoesToTheNewerPodAndDeletesWaitTheGracePeriod() throws {
    let reader = try ConfigReader(try YAMLParser.parse("{}", file: "t"), path: "p", file: "t")
    let p = K8sAttributesProcessor(try K8sAttributesProcessor.Config.parse(reader), logger: CapturedLog().logger(), next: SinkConsumer(),
                                   deleteGracePeriod: 0.2)
    p.store.applyPods(.replaced([pod("old", uid: "u-1", ip: "10.0.0.1", start: "2026-12-01T10:00:00Z")]))
    p.store.applyPods(.upserted(pod("older", uid: "u-0", ip: "10.0.0.1", start: "2026-11-01T10:00:00Z")))
    #expect(attributes(p, peer: "10.0.0.1")["k8s.pod.name"] == "old")
    p.store.applyPods(.upserted(pod("new", uid: "u-2", ip: "10.0.0.1", start: "2026-12-02T10:00:00Z")))
    #expect(attributes(p, peer: "10.0.0.1")["k8s.pod.name"] == "new")
    p.store.applyPods(.deleted(pod("new", uid: "u-2", ip: "10.0.0.1")))
    #expect(attributes(p, peer: "10.0.0.1")["k8s.pod.name"] == "new")  // still within the grace period
    #expect(eventually { p.store.podCount == 2 })
    #expect(attributes(p, peer: "10.0.0.1")["k8s.pod.name"] == nil)
}

@Test func k8s_passthroughOnlySetsThePodIP() throws {
    let p = try k8sProcessor("passthrough: true")
    #expect(attributes(p, peer: "10.0.0.1") == ["k8s.pod.ip": "10.0.0.1"])
    #expect(attributes(p, [KeyValue("k8s.pod.ip", .string("10.0.0.9"))], peer: "10.0.0.1") == ["k8s.pod.ip": "10.0.0.9"])
    try p.start()  // no Kubernetes API needed
    p.shutdown()
}

@Test func k8s_containerChoiceImageAndWorkloads() throws {
    let p = try k8sProcessor("""
        extract:
          metadata: [k8s.container.name, container.id, container.image.name, container.image.tag, k8s.job.name, k8s.cronjob.name, k8s.replicaset.name]
        """)
    p.store.applyPods(.replaced([pod("report-28911520-abcde", uid: "u", ip: "10.0.0.1", owner: ("Job", "report-28911520", "j-1"),
                                     containers: [("main", "registry:5000/tools/report", "containerd://aaa"), ("sidecar", "envoy@sha256:0123", "containerd://bbb")])]))
    #expect(attributes(p, peer: "10.0.0.1") == ["k8s.job.name": "report-28911520", "k8s.cronjob.name": "report"])
    #expect(attributes(p, [KeyValue("k8s.container.name", .string("main"))], peer: "10.0.0.1") == [
        "k8s.container.name": "main", "k8s.job.name": "report-28911520", "k8s.cronjob.name": "report", "container.id": "aaa",
        "container.image.name": "registry:5000/tools/report", "container.image.tag": "latest",
    ])
    #expect(attributes(p, [KeyValue("container.id", .string("bbb"))], peer: "10.0.0.1")["container.image.name"] == "envoy")
}

@Test func k8s_nameRules() {
    #expect(K8sAttributesProcessor.deploymentName(fromReplicaSet: "checkout-7d4b9c8f6d") == "checkout")
    #expect(K8sAttributesProcessor.deploymentName(fromReplicaSet: "checkout-7d4b9") == nil)
    #expect(K8sAttributesProcessor.cronJobName(fromJob: "nightly-backup-28911520") == "nightly-backup")
    #expect(K8sAttributesProcessor.cronJobName(fromJob: "migrate") == nil)
    #expect(K8sImageName("nginx") == K8sImageName("nginx:latest"))
    #expect(K8sImageName("docker.io/library/nginx:1.27")?.name == "docker.io/library/nginx")
    #expect(K8sImageName("localhost:5000/app")?.tag == "latest")
}

@Test func k8s_deploymentNameFromReplicaSetNeedsNoInformer() throws {
    let p = try k8sProcessor("extract: {deployment_name_from_replicaset: true, metadata: [k8s.deployment.name]}")
    #expect(!p.config.needsReplicaSets)
    p.store.applyPods(.replaced([pod("a", uid: "u", ip: "10.0.0.1", owner: ("ReplicaSet", "cart-5f8d9c7b6a", "rs"))]))
    #expect(attributes(p, peer: "10.0.0.1") == ["k8s.deployment.name": "cart"])
}

@Test func k8s_filterBecomesSelectors() throws {
    let p = try k8sProcessor("""
        filter:
          node: node-a
          namespace: shop
          labels: [{key: app, value: cart}, {key: tier, value: db, op: not-equals}, {key: canary, op: exists}, {key: legacy, op: does-not-exist}]
          fields: [{key: status.phase, value: Running}]
        """)
    #expect(p.config.labelSelector == "app=cart,tier!=db,canary,!legacy")
    #expect(p.config.fieldSelector == "spec.nodeName=node-a,status.phase=Running")
    #expect(p.config.namespace == "shop")
}

@Test func k8s_validateErrors() {
    #expect(configError("extract: {metadata: [k8s.pod.colour]}").contains("\"k8s.pod.colour\" is not a supported metadata field"))
    #expect(configError("extract: {metadata: [k8s.cluster.uid]}").contains("not supported by Swiftlet"))
    #expect(configError("extract: {labels: [{key: a, key_regex: b}]}").contains("Out of Key or KeyRegex only one option"))
    #expect(configError("extract: {labels: [{key: a, from: cluster}]}").contains("cluster is not a valid choice for From"))
    #expect(configError("extract: {labels: [{key: a, regex: 'x'}]}").contains("unknown key 'regex'"))
    #expect(configError("filter: {labels: [{key: a, op: near}]}").contains("'near' is not a valid label filter operation"))
    #expect(configError("filter: {node_from_env_var: SWIFTLET_TEST_SURELY_UNSET}").contains("envvar \"SWIFTLET_TEST_SURELY_UNSET\" is not set"))
    #expect(configError("auth_type: tls").contains("not supported by Swiftlet"))
    #expect(configError("auth_type: magic").contains("invalid authType for kubernetes: magic"))
    #expect(configError("kube_api_qps: -1").contains("kube_api_qps must be greater than 0"))
    #expect(configError("pod_association: [{sources: [{from: connection}, {from: connection}, {from: connection}, {from: connection}, {from: connection}]}]")
        .contains("too many association sources"))
    #expect(configError("kube_config_path: /x").contains("unknown key 'kube_config_path'"))
}

@Test func k8s_startFailsOutsideAClusterNamingWhy() throws {
    let p = try k8sProcessor()
    if KubernetesAPIConfig.environment("KUBERNETES_SERVICE_HOST") == nil {
        #expect(throws: KubernetesError.self) { try p.start() }
    }
}
