#if canImport(Glibc)
@preconcurrency import Dispatch
#else
import Dispatch
#endif
import Diagnostics

/// An asynchronous stub resolver for A and AAAA records, as Go's pure-Go resolver with
/// "files dns": IP literals answer themselves, then the hosts file, then the nameservers of
/// `settings` over UDP. Nothing blocks a thread: sockets and timers are Dispatch sources on the
/// resolver's own serial queue.
public final class DNSLookup: Sendable {
    private let settings: DNSResolverSettings
    private let hostsFile: String
    private let servers: [DNSServerAddress]
    private let queue = DispatchQueue(label: "swiftlet.dns-lookup")

    public init(settings: DNSResolverSettings = .system(), hostsFile: String = "/etc/hosts") {
        self.settings = settings
        self.hostsFile = hostsFile
        servers = settings.nameservers.compactMap(DNSServerAddress.init)
    }

    /// All IPv4 and IPv6 addresses of `host` as text (dotted IPv4, RFC 5952 IPv6 as Go prints
    /// them), IPv4 first, each family in answer order. `timeout` (seconds) bounds the whole lookup;
    /// `completion` runs once, on the resolver's queue, never before this returns.
    public func lookupIPAddresses(_ host: String, timeout: Double,
                                  completion: @escaping @Sendable (Result<[String], DNSLookupError>) -> Void) {
        queue.async { [self] in
            if let answer = localAnswer(host) { return completion(answer) }
            DNSLookupOperation(host: host, candidates: settings.nameCandidates(for: host), servers: servers,
                               attempts: settings.attempts, queue: queue, completion: completion).start(timeout: timeout)
        }
    }

    /// What needs no nameserver: an IP literal, the hosts file, a name that cannot be looked up,
    /// or no nameserver to ask.
    private func localAnswer(_ host: String) -> Result<[String], DNSLookupError>? {
        var text = host
        if let literal = text.withUTF8({ IPAddressText.parse(UnsafeRawBufferPointer($0)) }) {
            return .success([IPAddressText.format(literal)])
        }
        let listed = (try? FileContents.read(hostsFile).get()).map { HostsFile.addresses(of: host, in: String(decoding: $0, as: UTF8.self)) } ?? []
        if !listed.isEmpty { return .success(Self.texts(listed)) }
        if settings.nameCandidates(for: host).isEmpty { return .failure(DNSLookupError(host: host, reason: .noSuchHost)) }
        if servers.isEmpty { return .failure(DNSLookupError(host: host, reason: .noUsableNameserver(settings.nameservers))) }
        return nil
    }

    /// IPv4 addresses first, then IPv6, each in the order given.
    static func texts(_ addresses: [[UInt8]]) -> [String] {
        (addresses.filter { $0.count == 4 } + addresses.filter { $0.count != 4 }).map { IPAddressText.format($0) }
    }
}
