import Config
import Diagnostics
import Kubernetes
import Pipeline
import TraceModel
import WireFormats

/// What the Kubernetes API sends, for the fuzzing harness: the input as a list response and as a
/// watch stream (cut at newlines, in two pieces), each object taken as a pod, replicaset and
/// namespace into a store with every extraction rule, then a lookup by every pod identifier.
public enum K8sAttributesFuzzing {
    /// A processor per input: what it compiled (its regexes) is freed with it.
    private static func makeProcessor() -> K8sAttributesProcessor? {
        let yaml = """
            extract:
              metadata: [k8s.namespace.name, k8s.pod.name, k8s.pod.uid, k8s.pod.start_time, k8s.deployment.name, k8s.container.name, container.id, container.image.name, container.image.tag, k8s.cronjob.name]
              labels: [{key_regex: "(.*)", tag_name: "l.$1"}, {key: team, from: namespace}]
              annotations: [{key: a}]
              otel_annotations: true
            pod_association:
              - sources: [{from: resource_attribute, name: container.id}]
              - sources: [{from: resource_attribute, name: k8s.pod.name}, {from: connection}]
            """
        guard let node = try? YAMLParser.parse(yaml, file: "fuzz"), let reader = try? ConfigReader(node, path: "k8sattributes", file: "fuzz"),
              let config = try? K8sAttributesProcessor.Config.parse(reader)
        else { return nil }
        return K8sAttributesProcessor(config, logger: Logger(component: "fuzz", sink: LogSink(level: .error) { _ in }), next: DiscardingConsumer(),
                                      deleteGracePeriod: 0)
    }

    public static func run(_ bytes: [UInt8]) {
        guard let processor = makeProcessor() else { return }
        var objects: [JSONValue] = []
        if let list = try? JSONValue.parse(bytes) { objects += list["items"]?.array ?? [list] }
        let splitter = WatchLineSplitter(maxLine: 1 << 20)
        let half = bytes.count / 2
        for line in splitter.append(Array(bytes[..<half])) + splitter.append(Array(bytes[half...])) {
            if let event = try? JSONValue.parse(line), let object = event["object"] { objects.append(object) }
        }
        let store = processor.store
        store.applyPods(.replaced(objects))
        store.applyReplicaSets(.replaced(objects))
        store.applyNamespaces(.replaced(objects))
        for object in objects {
            store.applyPods(.upserted(object))
            guard let pod = K8sPod(object) else { continue }
            let resource = [KeyValue("k8s.pod.name", .string(pod.name)), KeyValue("container.id", .string(pod.containers.first?.ids.first?.id ?? ""))]
            _ = processor.additions(to: resource, peerIP: pod.podIP)
            store.applyPods(.deleted(object))
        }
    }
}

private struct DiscardingConsumer: TraceConsumer {
    func consume(_ batch: TraceBatch) throws(ConsumerError) {}
}
