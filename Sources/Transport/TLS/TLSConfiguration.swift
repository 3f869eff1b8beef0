/// What one side of TLS is configured with, as the Collector's `configtls` names it. The same type
/// serves servers (`cert`/`key` required, `ca` = `client_ca_file`) and clients (`ca` = `ca_file`,
/// `cert`/`key` for mTLS).
public struct TLSConfiguration: Sendable, Equatable {
    /// PEM from a file (re-read on reload) or given inline.
    public enum Source: Sendable, Equatable, CustomStringConvertible {
        case file(String)
        case pem(String)

        public var description: String {
            switch self {
            case let .file(path): path
            case .pem: "(inline PEM)"
            }
        }
    }

    public enum Version: Int32, Sendable, Comparable, CaseIterable {
        case v1_0 = 0x301, v1_1 = 0x302, v1_2 = 0x303, v1_3 = 0x304

        /// `configtls` spells versions "1.0" to "1.3".
        public init?(configValue: String) {
            switch configValue {
            case "1.0": self = .v1_0
            case "1.1": self = .v1_1
            case "1.2": self = .v1_2
            case "1.3": self = .v1_3
            default: return nil
            }
        }

        public static func < (a: Version, b: Version) -> Bool { a.rawValue < b.rawValue }
    }

    public var certificate: Source?
    public var key: Source?
    /// Servers: the CA client certificates must chain to (mTLS). Clients: the CA the server's
    /// certificate must chain to; nil means the system's store.
    public var ca: Source?
    /// Clients: trust the system's store besides `ca`.
    public var includeSystemCACertsPool = false
    /// Clients: accept any server certificate and name.
    public var insecureSkipVerify = false
    /// Clients: the name sent in SNI and checked in the server's certificate instead of the host.
    public var serverNameOverride: String?
    public var minVersion: Version = .v1_2
    public var maxVersion: Version?
    /// IANA names (`TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256`); empty: OpenSSL's defaults.
    public var cipherSuites: [String] = []
    /// Seconds between checks of the files for new content; 0: read once.
    public var reloadInterval: Double = 0

    public init() {}

    /// Every file this configuration reads, with the key that names it in `configtls`.
    var files: [(key: String, path: String)] {
        var files: [(String, String)] = []
        if case let .file(path) = certificate { files.append(("cert_file", path)) }
        if case let .file(path) = key { files.append(("key_file", path)) }
        if case let .file(path) = ca { files.append(("ca_file", path)) }
        return files
    }
}

/// Why TLS could not be set up or a handshake failed, in words for a log line.
public struct TLSError: Error, Sendable, CustomStringConvertible, Equatable {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
