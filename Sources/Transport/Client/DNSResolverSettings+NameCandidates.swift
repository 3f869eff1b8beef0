extension DNSResolverSettings {
    /// The absolute names (ending in ".") to query for `host`, in order, as Go's `nameList` makes
    /// them: a name ending in "." is queried alone; one with at least `ndots` dots is tried as given,
    /// then with each search suffix; any other gets the suffixes first, then is tried as given.
    func nameCandidates(for host: String) -> [String] {
        let length = host.utf8.count
        let rooted = DNSName.isRooted(host)
        // RFC 1035 §3.1: 255 bytes on the wire, i.e. 253 characters plus the root's dot in text.
        guard length > 0, length < 254 || (length == 254 && rooted) else { return [] }
        if rooted { return Self.isOnion(host) ? [] : [host] }
        let asGivenFirst = host.utf8.count(where: { $0 == UInt8(ascii: ".") }) >= ndots
        let absolute = host + "."
        var names: [String] = asGivenFirst ? [absolute] : []
        names += search.map { absolute + $0 + "." }.filter { $0.utf8.count <= 254 }
        if !asGivenFirst { names.append(absolute) }
        return names.filter { !Self.isOnion($0) }
    }

    /// RFC 7686 §2: names under .onion are not looked up in the DNS.
    private static func isOnion(_ name: String) -> Bool {
        DNSName.key(name.utf8).suffix(6).elementsEqual(".onion".utf8)
    }
}
