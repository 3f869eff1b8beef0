#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A host and port to listen on. An empty host means all interfaces (IPv6 and IPv4).
public struct Endpoint: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Accepts `host:port`, `:port` (all interfaces) and `[ipv6]:port`.
    public init(parsing text: String) throws(SocketError) {
        let expected = "host:port, :port or [ipv6]:port, e.g. localhost:4318, :4318 or [::1]:4318"
        let hostPart: Substring
        let portPart: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else {
                throw .invalidEndpoint(input: text, expected: "a closing ']' after the IPv6 address (\(expected))")
            }
            hostPart = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else {
                throw .invalidEndpoint(input: text, expected: "':port' after ']' (\(expected))")
            }
            portPart = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else {
                throw .invalidEndpoint(input: text, expected: "a port (\(expected))")
            }
            hostPart = text[..<colon]
            if hostPart.contains(":") {
                throw .invalidEndpoint(input: text, expected: "an IPv6 address in brackets (\(expected))")
            }
            portPart = text[text.index(after: colon)...]
        }
        guard !portPart.isEmpty, portPart.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), portPart.count <= 5,
              let port = Int(portPart), port <= 65535
        else {
            throw .invalidEndpoint(input: text, expected: "a port number 0-65535 (\(expected))")
        }
        self.host = String(hostPart)
        self.port = port
    }

    /// `host:port`, with brackets around IPv6 literals.
    public var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}

extension Endpoint {
    /// Whether `host` is an IPv4 or IPv6 address in text (as Go's `net.ParseIP` accepts), not a name.
    public static func isIPAddress(_ host: String) -> Bool {
        var v4 = in_addr(), v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }
}
