/// The entry points of the `FuzzDNS` libFuzzer harness (SPI, not part of the module's API): the
/// decoders the resolver runs on untrusted bytes.
@_spi(Fuzzing) public enum DNSDecodingFuzzer {
    /// The addresses of `datagram` read as a DNS response, as the resolver prints them; nil when
    /// it is not one. Must never trap.
    public static func addresses(inResponse datagram: [UInt8]) -> [String]? {
        guard let response = try? DNSResponse.decode(datagram) else { return nil }
        return DNSLookup.texts(response.addresses)
    }

    /// The names a lookup of `host` would query with `text` as resolv.conf, and the addresses
    /// `text` lists for `host` read as a hosts file. Must never trap.
    public static func names(for host: String, resolvConf text: String) -> (candidates: [String], hosts: [String]) {
        let candidates = DNSResolverSettings.parse(resolvConf: text).nameCandidates(for: host)
        return (candidates, DNSLookup.texts(HostsFile.addresses(of: host, in: text)))
    }
}
