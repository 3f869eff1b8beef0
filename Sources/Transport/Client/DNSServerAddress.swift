#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A nameserver to send queries to: its text as configured and its socket address.
struct DNSServerAddress: Sendable, Equatable {
    /// "10.96.0.10:53", "[fd00::a]:53".
    let description: String
    let family: Int32
    /// A `sockaddr_in` or `sockaddr_in6`.
    let socketAddress: [UInt8]

    /// "ip", "ip:port" or "[ipv6]:port"; nil for anything else (names included: resolving a
    /// nameserver's name would need a resolver).
    init?(_ text: String) {
        let endpoint: Endpoint
        if Endpoint.isIPAddress(text) {
            endpoint = Endpoint(host: text, port: Self.defaultPort)
        } else {
            guard let parsed = try? Endpoint(parsing: text), Endpoint.isIPAddress(parsed.host) else { return nil }
            endpoint = parsed
        }
        guard let address = try? Socket.resolve(host: endpoint.host, port: endpoint.port, passive: false).first else { return nil }
        description = endpoint.description
        family = address.withUnsafeBytes { Int32($0.load(as: sockaddr.self).sa_family) }
        socketAddress = address
    }

    static let defaultPort = 53
}
