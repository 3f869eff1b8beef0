import Config
@testable import Kubernetes
import Testing
import Transport
import WireFormats

@Test func json_parsesKubernetesObjects() throws {
    let text = #"{"type":"ADDED","object":{"metadata":{"name":"web-0","labels":{"app":"web","n":1}},"status":{"podIPs":[{"ip":"10.0.0.1"}]},"x":[true,null,-2.5e1]}}"#
    let value = try JSONValue.parse(Array(text.utf8))
    #expect(value["type"]?.string == "ADDED")
    #expect(value["object", "metadata", "name"]?.string == "web-0")
    #expect(value["object", "metadata", "labels"]?.stringMembers == ["app": "web"])
    #expect(value["object", "status", "podIPs"]?.array.first?["ip"]?.string == "10.0.0.1")
    #expect(value["object", "x"] == .array([.bool(true), .null, .number(-25)]))
    #expect(JSONValue.number(410).int == 410)
}

@Test func json_refusesBadDocuments() {
    for text in ["", "{", "{\"a\":1} x", "[1,]", "{\"a\" 1}", String(repeating: "[", count: 100) + String(repeating: "]", count: 100)] {
        #expect(throws: JSONDecodeError.self, "\(text)") { try JSONValue.parse(Array(text.utf8)) }
    }
}

@Test func watchLines_splitAcrossPiecesAndCapped() {
    let splitter = WatchLineSplitter(maxLine: 64)
    #expect(splitter.append(Array("{\"a\":".utf8)).isEmpty)
    #expect(splitter.append(Array("1}\n\n{\"b\":2}\r\n{\"c\"".utf8)).map { String(decoding: $0, as: UTF8.self) } == ["{\"a\":1}", "{\"b\":2}\r"])
    #expect(splitter.append(Array(repeating: UInt8(ascii: "x"), count: 100)).isEmpty)
    #expect(splitter.failure != nil)
    #expect(splitter.append(Array("\n".utf8)).isEmpty)
}

@Test func inCluster_needsTheServiceEnvironmentAndToken() throws {
    #expect(throws: KubernetesError.self) { try KubernetesAPIConfig.resolve(.serviceAccount, environment: { _ in nil }) }
    let env = ["KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443", "SWIFTLET_K8S_SERVICE_ACCOUNT_DIR": "/nonexistent"]
    do {
        _ = try KubernetesAPIConfig.resolve(.serviceAccount, environment: { env[$0] })
        Issue.record("a missing token must fail")
    } catch {
        #expect(error.description.contains("/nonexistent/token"))
    }
    let none = try KubernetesAPIConfig.resolve(.none, environment: { env[$0] })
    #expect(none.endpoint == ClientEndpoint(host: "10.96.0.1", port: 443) && none.tokenFile == nil)
}

@Test func kubeconfig_currentContextClusterAndUser() throws {
    let yaml = """
        apiVersion: v1
        kind: Config
        current-context: dev
        clusters:
          - name: prod
            cluster: {server: "https://prod.example.com"}
          - name: kind
            cluster:
              server: https://127.0.0.1:6443
              certificate-authority: ca.crt
        contexts:
          - name: dev
            context: {cluster: kind, user: admin}
          - name: other
            context: {cluster: prod, user: robot}
        users:
          - name: admin
            user:
              token: s3cret
              client-key-data: LS0tLS1CRUdJTg==
          - name: robot
            user: {tokenFile: /var/run/token}
        """
    let root = try YAMLParser.parse(yaml, file: "kubeconfig")
    let dev = try KubeconfigFile.parse(root, context: nil, relativeTo: "/home/me/.kube", path: "kubeconfig")
    #expect(dev.endpoint == ClientEndpoint(host: "127.0.0.1", port: 6443))
    #expect(dev.tls?.ca == .file("/home/me/.kube/ca.crt"))
    #expect(dev.tls?.key == .pem("-----BEGIN"))
    #expect(dev.token == "s3cret")
    let other = try KubeconfigFile.parse(root, context: "other", relativeTo: "/", path: "kubeconfig")
    #expect(other.endpoint == ClientEndpoint(host: "prod.example.com", port: 443) && other.tokenFile == "/var/run/token")
    #expect(throws: KubernetesError.self) { try KubeconfigFile.parse(root, context: "missing", relativeTo: "/", path: "kubeconfig") }
    #expect(try KubeconfigFile.parseServer("http://[::1]:8080/", path: "k").1 == ClientEndpoint(host: "::1", port: 8080))
}

@Test func query_valuesArePercentEncoded() {
    #expect(KubernetesInformer.percentEncoded("spec.nodeName=node-a,app!=x") == "spec.nodeName%3Dnode-a%2Capp%21%3Dx")
}
