/// `host:port` or `scheme://host:port[/path]` split into its parts: an exporter's endpoint, a
/// kubeconfig's server. Without a port, `defaultPort`, else 443 for https and 80 for http.
public struct ClientURL: Sendable, Equatable {
    public var scheme: String?
    public var host: String
    public var port: Int
    public var path: String

    public init(parsing text: String, defaultPort: Int?) throws(ClientURLError) {
        scheme = nil
        var rest = Substring(text)
        if let colon = rest.firstIndex(of: ":"), rest[colon...].hasPrefix("://") {
            scheme = rest[..<colon].lowercased()
            rest = rest[colon...].dropFirst(3)
        }
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        path = String(rest[slash...])
        let authority = rest[..<slash]
        var hostPart = authority
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw ClientURLError(text: text, reason: "unclosed [") }
            hostPart = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") { portText = after.dropFirst() }
        } else if let colon = authority.lastIndex(of: ":") {
            hostPart = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        }
        guard !hostPart.isEmpty else { throw ClientURLError(text: text, reason: "no host") }
        host = String(hostPart)
        if let portText {
            guard let p = Int(portText), (1...65535).contains(p) else { throw ClientURLError(text: text, reason: "invalid port") }
            port = p
        } else {
            guard let p = defaultPort ?? (scheme == "https" ? 443 : scheme == "http" ? 80 : nil) else {
                throw ClientURLError(text: text, reason: "no port")
            }
            port = p
        }
    }

    public var endpoint: ClientEndpoint { ClientEndpoint(host: host, port: port) }
}

public struct ClientURLError: Error, CustomStringConvertible {
    public let text: String
    public let reason: String
    public var description: String { "invalid endpoint \"\(text)\": \(reason)" }

    public init(text: String, reason: String) {
        self.text = text
        self.reason = reason
    }
}
