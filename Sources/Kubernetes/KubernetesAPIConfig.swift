#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Config
import Diagnostics
import Transport
import WireFormats

/// How the client finds and authenticates to the API server: `k8sconfig`'s `auth_type`.
public enum KubernetesAuthType: String, Sendable, CaseIterable {
    /// In-cluster: `KUBERNETES_SERVICE_HOST`/`_PORT`, the pod's service-account token and CA.
    case serviceAccount
    /// `$KUBECONFIG` (its first file) or `~/.kube/config`, at its current context.
    case kubeConfig
    /// In-cluster address, no credentials.
    case none
}

public struct KubernetesError: Error, Sendable, CustomStringConvertible, Equatable {
    public let description: String
    /// The HTTP status the API server answered with, when it answered.
    public let status: Int?

    public init(_ description: String, status: Int? = nil) {
        self.description = description
        self.status = status
    }
}

/// Where the API server is and what to present to it.
public struct KubernetesAPIConfig: Sendable, Equatable {
    public var endpoint: ClientEndpoint
    /// nil: plain HTTP (a `kubeconfig` server `http://…`).
    public var tls: TLSConfiguration?
    /// Read again for every request, so a projected token that the kubelet rotates stays valid.
    public var tokenFile: String?
    public var token: String?

    public init(endpoint: ClientEndpoint, tls: TLSConfiguration?, tokenFile: String? = nil, token: String? = nil) {
        self.endpoint = endpoint
        self.tls = tls
        self.tokenFile = tokenFile
        self.token = token
    }

    /// Where Kubernetes mounts a pod's service-account credentials; `SWIFTLET_K8S_SERVICE_ACCOUNT_DIR`
    /// moves it (tests, or a non-standard mount).
    public static let serviceAccountDirectory = "/var/run/secrets/kubernetes.io/serviceaccount"

    /// The directory the service account is read from: the mount, or the one the variable names.
    static func serviceAccountDirectory(environment: (String) -> String?) -> String {
        environment("SWIFTLET_K8S_SERVICE_ACCOUNT_DIR") ?? serviceAccountDirectory
    }

    /// The pod's own namespace, from its service account; nil outside a cluster.
    public static func podNamespace(environment: (String) -> String? = KubernetesAPIConfig.environment) -> String? {
        guard case let .success(bytes) = FileContents.read(serviceAccountDirectory(environment: environment) + "/namespace") else { return nil }
        let namespace = String(String(decoding: bytes, as: UTF8.self).trimmingWhiteSpace())
        return namespace.isEmpty ? nil : namespace
    }

    public static func resolve(_ auth: KubernetesAuthType, context: String? = nil,
                               environment: (String) -> String? = KubernetesAPIConfig.environment) throws(KubernetesError) -> KubernetesAPIConfig {
        switch auth {
        case .kubeConfig: return try KubeconfigFile.load(context: context, environment: environment)
        case .serviceAccount, .none:
            guard let host = environment("KUBERNETES_SERVICE_HOST"), !host.isEmpty,
                  let portText = environment("KUBERNETES_SERVICE_PORT"), let port = Int(portText)
            else {
                throw KubernetesError("unable to load in-cluster configuration, KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be defined")
            }
            let endpoint = ClientEndpoint(host: host, port: port)
            guard auth == .serviceAccount else { return KubernetesAPIConfig(endpoint: endpoint, tls: TLSConfiguration()) }
            let directory = serviceAccountDirectory(environment: environment)
            var tls = TLSConfiguration()
            tls.ca = .file(directory + "/ca.crt")
            let config = KubernetesAPIConfig(endpoint: endpoint, tls: tls, tokenFile: directory + "/token")
            _ = try config.bearerToken()  // a missing token fails the start, not the first list
            return config
        }
    }

    public static func environment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }

    /// The token to send now, if any.
    public func bearerToken() throws(KubernetesError) -> String? {
        guard let tokenFile else { return token }
        switch FileContents.read(tokenFile) {
        case let .success(bytes):
            return String(String(decoding: bytes, as: UTF8.self).trimmingWhiteSpace())
        case let .failure(error):
            throw KubernetesError("cannot read the service account token \(tokenFile): \(error)")
        }
    }
}
