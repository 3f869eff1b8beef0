import Config
import Diagnostics
import Transport
import WireFormats

/// The parts of a kubeconfig file (Kubernetes' `clientcmd` format) a collector needs: the
/// current (or named) context's cluster server and CA, and its user's token or client certificate.
enum KubeconfigFile {
    static func load(context: String?, environment: (String) -> String?) throws(KubernetesError) -> KubernetesAPIConfig {
        let path: String
        if let list = environment("KUBECONFIG"), let first = list.split(separator: ":").first {
            path = String(first)
        } else {
            path = (environment("HOME") ?? "") + "/.kube/config"
        }
        let text: String
        switch FileContents.read(path) {
        case let .success(bytes): text = String(decoding: bytes, as: UTF8.self)
        case let .failure(error): throw KubernetesError("cannot read kubeconfig \(path): \(error)")
        }
        let root: ConfigNode
        do { root = try YAMLParser.parse(text, file: path) } catch { throw KubernetesError("kubeconfig \(path): \(error)") }
        let directory = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
        return try parse(root, context: context, relativeTo: directory, path: path)
    }

    static func parse(_ root: ConfigNode, context wanted: String?, relativeTo directory: String, path: String) throws(KubernetesError) -> KubernetesAPIConfig {
        guard let name = wanted ?? root["current-context"]?.scalarText, !name.isEmpty else {
            throw KubernetesError("kubeconfig \(path): no current-context")
        }
        guard let context = entry(root, "contexts", named: name)?["context"] else {
            throw KubernetesError("kubeconfig \(path): context \"\(name)\" not found")
        }
        let clusterName = context["cluster"]?.scalarText ?? ""
        guard let cluster = entry(root, "clusters", named: clusterName)?["cluster"], let server = cluster["server"]?.scalarText else {
            throw KubernetesError("kubeconfig \(path): cluster \"\(clusterName)\" of context \"\(name)\" not found")
        }
        let user = context["user"]?.scalarText.flatMap { entry(root, "users", named: $0)?["user"] }
        func source(_ fileKey: String, _ dataKey: String, in node: ConfigNode?) throws(KubernetesError) -> TLSConfiguration.Source? {
            if let data = node?[dataKey]?.scalarText {
                guard let pem = Base64.decode(data.utf8) else { throw KubernetesError("kubeconfig \(path): \(dataKey) is not base64") }
                return .pem(String(decoding: pem, as: UTF8.self))
            }
            return node?[fileKey]?.scalarText.map { .file($0.hasPrefix("/") ? $0 : directory + "/" + $0) }
        }
        let (secure, endpoint) = try parseServer(server, path: path)
        var config = KubernetesAPIConfig(endpoint: endpoint, tls: nil)
        if secure {
            var tls = TLSConfiguration()
            tls.ca = try source("certificate-authority", "certificate-authority-data", in: cluster)
            tls.insecureSkipVerify = cluster["insecure-skip-tls-verify"]?.scalarText == "true"
            tls.serverNameOverride = cluster["tls-server-name"]?.scalarText
            tls.certificate = try source("client-certificate", "client-certificate-data", in: user)
            tls.key = try source("client-key", "client-key-data", in: user)
            config.tls = tls
        }
        config.token = user?["token"]?.scalarText
        config.tokenFile = user?["tokenFile"]?.scalarText
        return config
    }

    /// `https://host:port` (443 by default) or `http://host:port` (80).
    static func parseServer(_ server: String, path: String) throws(KubernetesError) -> (secure: Bool, ClientEndpoint) {
        let url: ClientURL
        do { url = try ClientURL(parsing: server, defaultPort: nil) } catch {
            throw KubernetesError("kubeconfig \(path): \(error.description)")
        }
        guard url.scheme == "https" || url.scheme == "http" else {
            throw KubernetesError("kubeconfig \(path): server \(server) is not an http(s) URL")
        }
        return (url.scheme == "https", url.endpoint)
    }

    private static func entry(_ root: ConfigNode, _ list: String, named name: String) -> ConfigNode? {
        guard case let .sequence(items) = root[list] else { return nil }
        return items.first { $0["name"]?.scalarText == name }
    }
}
