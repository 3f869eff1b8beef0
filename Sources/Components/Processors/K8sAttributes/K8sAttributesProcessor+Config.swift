import Config
import Kubernetes

extension K8sAttributesProcessor {
    /// `pod_association[].sources[]`: where a resource's pod identifier comes from.
    struct AssociationSource: Sendable, Equatable {
        enum From: String, Sendable { case connection, resourceAttribute = "resource_attribute" }
        var from: From
        /// The resource attribute (`resource_attribute` only).
        var name: String
    }

    /// `extract::labels` / `annotations` entry: which keys of the pod's (or its namespace's)
    /// labels or annotations become which attributes.
    struct FieldRule: Sendable {
        enum From: String, Sendable { case pod, namespace }
        var from: From
        var tagName: String
        var key: String?
        var keyRegex: GoRegexp?
        /// Whether `tag_name` is expanded with the regex's groups.
        var expands: Bool

        /// The attribute a label or annotation `key` becomes (`kind`: "labels" or "annotations"),
        /// or nil when the rule does not take it.
        func attributeName(for key: String, kind: String) -> String? {
            if let exact = self.key, exact != key { return nil }
            if let keyRegex {
                guard keyRegex.matches(key) else { return nil }
                if expands { return keyRegex.replaceAll(in: key, with: tagName) }
            }
            return tagName.isEmpty ? "k8s.\(from.rawValue).\(kind).\(key)" : tagName
        }
    }

    struct Config: Sendable {
        var authType = KubernetesAuthType.serviceAccount
        var context: String?
        var passthrough = false
        var waitForMetadata = false
        var waitForMetadataTimeout: Duration = .seconds(10)
        var metadata: [String] = Config.defaultMetadata
        var labels: [FieldRule] = []
        var annotations: [FieldRule] = []
        var otelAnnotations = false
        var deploymentNameFromReplicaSet = false
        var node = ""
        var namespace = ""
        var labelSelector = ""
        var fieldSelector = ""
        /// Empty: the default rules (pod IP from `k8s.pod.ip`, `ip`, the connection, `host.name`).
        var associations: [[AssociationSource]] = []
        var excludedPods: [GoRegexp] = []

        static let defaultMetadata = ["k8s.namespace.name", "k8s.pod.name", "k8s.pod.uid", "k8s.pod.start_time", "k8s.deployment.name",
                                      "k8s.node.name", "container.image.name", "container.image.tag"]
        static let supportedMetadata: Set<String> = [
            "k8s.namespace.name", "k8s.pod.name", "k8s.pod.uid", "k8s.pod.hostname", "k8s.pod.start_time", "k8s.pod.ip",
            "k8s.deployment.name", "k8s.deployment.uid", "k8s.replicaset.name", "k8s.replicaset.uid", "k8s.daemonset.name",
            "k8s.daemonset.uid", "k8s.statefulset.name", "k8s.statefulset.uid", "k8s.job.name", "k8s.job.uid", "k8s.cronjob.name",
            "k8s.node.name", "k8s.container.name", "container.id", "container.image.name", "container.image.tag",
        ]
        /// Upstream's fields that need objects Swiftlet does not watch (nodes, jobs, kube-system).
        static let unsupportedMetadata: Set<String> = [
            "k8s.cronjob.uid", "k8s.node.uid", "k8s.cluster.uid", "container.image.repo_digests", "service.namespace", "service.name",
            "service.version", "service.instance.id",
        ]

        var needsReplicaSets: Bool {
            metadata.contains("k8s.deployment.uid") || (metadata.contains("k8s.deployment.name") && !deploymentNameFromReplicaSet)
        }

        var needsNamespaces: Bool { (labels + annotations).contains { $0.from == .namespace } }

        static func parse(_ r: ConfigReader) throws(ConfigError) -> Config {
            var c = Config()
            try c.parseAPI(r)
            c.passthrough = try r.bool("passthrough") ?? false
            c.waitForMetadata = try r.bool("wait_for_metadata") ?? false
            c.waitForMetadataTimeout = try r.duration("wait_for_metadata_timeout") ?? c.waitForMetadataTimeout
            if let extract = try r.child("extract") { try c.parseExtract(extract) }
            if let filter = try r.child("filter") { try c.parseFilter(filter) }
            c.associations = try parseAssociations(r)
            c.excludedPods = try parseExclude(r)
            return c
        }

        private mutating func parseAPI(_ r: ConfigReader) throws(ConfigError) {
            if let text = try r.string("auth_type") {
                guard let auth = KubernetesAuthType(rawValue: text) else {
                    if text == "tls" { throw r.error("auth_type", "auth_type tls is not supported by Swiftlet; use serviceAccount, kubeConfig or none") }
                    throw r.error("auth_type", "invalid authType for kubernetes: \(text)")
                }
                authType = auth
            }
            context = try r.string("context")
            // Rate limits of client-go's request throttle. Swiftlet makes one list and one watch per
            // kind of object (and a re-list after an outage), far below any limit: checked, not needed.
            if let qps = try r.double("kube_api_qps"), qps <= 0 { throw r.error("kube_api_qps", "kube_api_qps must be greater than 0") }
            if let burst = try r.int("kube_api_burst"), burst <= 0 { throw r.error("kube_api_burst", "kube_api_burst must be greater than 0") }
        }

        private mutating func parseExtract(_ r: ConfigReader) throws(ConfigError) {
            if let list = try r.stringList("metadata") {
                for field in list where !Self.supportedMetadata.contains(field) {
                    if Self.unsupportedMetadata.contains(field) {
                        throw r.error("metadata", "\"\(field)\" is not supported by Swiftlet's k8sattributes (it watches pods, replicasets and namespaces only)")
                    }
                    throw r.error("metadata", "\"\(field)\" is not a supported metadata field")
                }
                metadata = list
            }
            labels = try Self.parseFieldRules(r, "labels")
            annotations = try Self.parseFieldRules(r, "annotations")
            otelAnnotations = try r.bool("otel_annotations") ?? false
            deploymentNameFromReplicaSet = try r.bool("deployment_name_from_replicaset") ?? false
        }

        private static func parseFieldRules(_ r: ConfigReader, _ key: String) throws(ConfigError) -> [FieldRule] {
            var rules: [FieldRule] = []
            for item in try r.mappingList(key) ?? [] {
                let fromText = try item.string("from") ?? ""
                guard let from = FieldRule.From(rawValue: fromText.isEmpty ? "pod" : fromText) else {
                    if ["node", "deployment", "statefulset", "daemonset", "job"].contains(fromText) {
                        throw item.error("from", "from: \(fromText) is not supported by Swiftlet's k8sattributes; use pod or namespace")
                    }
                    throw item.error("from", "\(fromText) is not a valid choice for From. Must be one of: pod, namespace, deployment, statefulset, daemonset, job, node")
                }
                let exact = try item.string("key")
                let pattern = try item.string("key_regex")
                if let exact, let pattern, !exact.isEmpty, !pattern.isEmpty {
                    throw item.error(nil, "Out of Key or KeyRegex only one option is expected to be configured at a time, currently Key:\(exact) and KeyRegex:\(pattern)")
                }
                var rule = FieldRule(from: from, tagName: try item.string("tag_name") ?? "", key: exact, keyRegex: nil, expands: false)
                if let pattern, !pattern.isEmpty {
                    rule.key = nil
                    do { rule.keyRegex = try GoRegexp("^(?:" + pattern + ")$") } catch { throw item.error("key_regex", error.description) }
                    rule.expands = rule.keyRegex!.groupNames.count > 0 && rule.tagName.contains("$")
                }
                rules.append(rule)
            }
            return rules
        }

        private mutating func parseFilter(_ r: ConfigReader) throws(ConfigError) {
            node = try r.string("node") ?? ""
            if let variable = try r.string("node_from_env_var"), !variable.isEmpty {
                guard let value = KubernetesAPIConfig.environment(variable), !value.isEmpty else {
                    throw r.error("node_from_env_var", "`node_from_env_var` is configured but envvar \"\(variable)\" is not set")
                }
                node = value
            }
            namespace = try r.string("namespace") ?? ""
            var labelTerms: [String] = []
            for item in try r.mappingList("labels") ?? [] {
                let (key, value, op) = (try item.string("key") ?? "", try item.string("value") ?? "", try item.string("op") ?? "equals")
                switch op {
                case "", "equals": labelTerms.append("\(key)=\(value)")
                case "not-equals": labelTerms.append("\(key)!=\(value)")
                case "exists": labelTerms.append(key)
                case "does-not-exist": labelTerms.append("!" + key)
                default: throw item.error("op", "'\(op)' is not a valid label filter operation for key=\(key), value=\(value)")
                }
            }
            var fieldTerms = node.isEmpty ? [] : ["spec.nodeName=\(node)"]
            for item in try r.mappingList("fields") ?? [] {
                let (key, value, op) = (try item.string("key") ?? "", try item.string("value") ?? "", try item.string("op") ?? "equals")
                switch op {
                case "", "equals": fieldTerms.append("\(key)=\(value)")
                case "not-equals": fieldTerms.append("\(key)!=\(value)")
                default: throw item.error("op", "'\(op)' is not a valid label filter operation for key=\(key), value=\(value)")
                }
            }
            labelSelector = labelTerms.joined(separator: ",")
            fieldSelector = fieldTerms.joined(separator: ",")
        }

        private static func parseAssociations(_ r: ConfigReader) throws(ConfigError) -> [[AssociationSource]] {
            var associations: [[AssociationSource]] = []
            for item in try r.mappingList("pod_association") ?? [] {
                var sources: [AssociationSource] = []
                for source in try item.mappingList("sources") ?? [] {
                    let fromText = try source.string("from") ?? ""
                    let name = try source.string("name") ?? ""
                    guard let from = AssociationSource.From(rawValue: fromText) else {
                        throw source.error("from", "\"\(fromText)\" is not a pod association source: use connection or resource_attribute")
                    }
                    guard from == .connection || !name.isEmpty else { throw source.error("name", "a resource_attribute source needs the attribute's name") }
                    sources.append(AssociationSource(from: from, name: from == .connection ? "" : name))
                }
                guard sources.count <= 4 else { throw item.error("sources", "too many association sources. limit is 4") }
                if !sources.isEmpty { associations.append(sources) }
            }
            return associations
        }

        private static func parseExclude(_ r: ConfigReader) throws(ConfigError) -> [GoRegexp] {
            var names = ["jaeger-agent", "jaeger-collector"]
            if let exclude = try r.child("exclude"), let pods = try exclude.mappingList("pods"), !pods.isEmpty {
                names = []
                for pod in pods { names.append(try pod.string("name") ?? "") }
            }
            var patterns: [GoRegexp] = []
            for name in names {
                do { patterns.append(try GoRegexp(name)) } catch { throw r.error("exclude", error.description) }
            }
            return patterns
        }
    }
}
