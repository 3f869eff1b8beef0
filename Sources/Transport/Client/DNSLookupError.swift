/// Why a lookup gave no addresses, worded as Go's `net.DNSError` words it.
public struct DNSLookupError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Reason: Sendable, Equatable {
        /// NXDOMAIN, or no A or AAAA records, for every name tried.
        case noSuchHost
        /// No usable answer before the lookup's timeout.
        case timeout
        /// The server answered with this RCODE (2 SERVFAIL, 5 REFUSED, …) instead of records.
        case serverFailure(responseCode: Int)
        /// Not a valid domain name.
        case invalidName
        /// None of the configured nameservers is an IP address with an optional port.
        case noUsableNameserver([String])
        /// A socket call failed.
        case system(SocketError)
    }

    public var host: String
    /// The nameserver ("10.96.0.10:53") whose answer, or silence, this is; nil when none was asked.
    public var server: String?
    public var reason: Reason

    public init(host: String, server: String? = nil, reason: Reason) {
        self.host = host
        self.server = server
        self.reason = reason
    }

    public var isNotFound: Bool { reason == .noSuchHost }
    public var isTimeout: Bool { reason == .timeout }

    /// "lookup web.default.svc on 10.96.0.10:53: no such host".
    public var description: String {
        "lookup \(host)\(server.map { " on \($0)" } ?? ""): \(reasonText)"
    }

    private var reasonText: String {
        switch reason {
        case .noSuchHost: return "no such host"
        case .timeout: return "i/o timeout"
        case .serverFailure(let code): return "server misbehaving (\(Self.responseCodeName(code)))"
        case .invalidName: return "invalid domain name"
        case .noUsableNameserver(let servers): return "no usable nameserver in \(servers)"
        case .system(let error): return error.description
        }
    }

    /// RFC 1035 §4.1.1 and RFC 6895 §2.3 names.
    private static func responseCodeName(_ code: Int) -> String {
        switch code {
        case 1: return "FORMERR"
        case 2: return "SERVFAIL"
        case 4: return "NOTIMP"
        case 5: return "REFUSED"
        default: return "RCODE \(code)"
        }
    }
}
