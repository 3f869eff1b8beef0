#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Diagnostics

/// What a stub resolver takes from resolv.conf(5): where to ask, which suffixes to try, and how often.
public struct DNSResolverSettings: Sendable, Equatable {
    /// "ip", "ip:port" or "[ipv6]:port"; the port is 53 when not given.
    public var nameservers: [String]
    /// Suffixes tried after (or before) the name as given, without a trailing dot.
    public var search: [String]
    /// A name with at least this many dots is tried as given before the search suffixes.
    public var ndots: Int
    /// How many rounds over the nameservers per name.
    public var attempts: Int

    public init(nameservers: [String] = [DNSResolverSettings.defaultNameserver], search: [String] = [], ndots: Int = 1, attempts: Int = 2) {
        self.nameservers = nameservers
        self.search = search
        self.ndots = ndots
        self.attempts = attempts
    }

    /// Where glibc asks when resolv.conf names no server.
    public static let defaultNameserver = "127.0.0.1:53"

    /// When set ("127.0.0.1:53535", or several separated by commas), replaces the nameservers:
    /// tests run their own server on a port other than 53.
    public static let nameserverOverrideVariable = "SWIFTLET_DNS_SERVER"

    /// /etc/resolv.conf, with the nameservers of `SWIFTLET_DNS_SERVER` when that is set.
    public static func system() -> DNSResolverSettings {
        let text = (try? FileContents.read("/etc/resolv.conf").get()).map { String(decoding: $0, as: UTF8.self) } ?? ""
        var settings = parse(resolvConf: text)
        if let override = getenv(nameserverOverrideVariable) {
            let servers = String(cString: override).split(separator: ",").map { String($0.trimmingWhiteSpace()) }.filter { !$0.isEmpty }
            if !servers.isEmpty { settings.nameservers = servers }
        }
        return settings
    }

    /// The `nameserver`, `domain`, `search` and `options ndots:n attempts:n` lines, read as Go's
    /// `dnsReadConfig` reads them: at most three nameservers (glibc's MAXNS), each an IP address;
    /// the last of `domain` and `search` wins; other lines and options are ignored.
    public static func parse(resolvConf: String) -> DNSResolverSettings {
        var settings = DNSResolverSettings(nameservers: [])
        for line in Substring(resolvConf).utf8.configLines {
            let fields = line.blankSeparatedFields.map { String(Substring($0)) }
            guard let keyword = fields.first else { continue }
            let values = Array(fields.dropFirst())
            switch keyword {
            case "nameserver":
                if let server = values.first, settings.nameservers.count < 3, Endpoint.isIPAddress(server) {
                    settings.nameservers.append(server)
                }
            case "domain":
                if let domain = values.first { settings.search = searchSuffixes([domain]) }
            case "search":
                settings.search = searchSuffixes(values)
            case "options":
                values.forEach { settings.apply(option: $0) }
            default:
                continue
            }
        }
        if settings.nameservers.isEmpty { settings.nameservers = [defaultNameserver] }
        return settings
    }

    private static func searchSuffixes(_ values: [String]) -> [String] {
        values.map(DNSName.unrooted).filter { !$0.isEmpty }
    }

    /// Go clamps ndots to 0...15 and attempts to 1...5.
    private mutating func apply(option: String) {
        if option.hasPrefix("ndots:"), let value = Int(option.dropFirst(6)) {
            ndots = min(max(value, 0), 15)
        } else if option.hasPrefix("attempts:"), let value = Int(option.dropFirst(9)) {
            attempts = min(max(value, 1), 5)
        }
    }
}
