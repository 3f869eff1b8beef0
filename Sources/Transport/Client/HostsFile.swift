import Diagnostics

/// The hosts(5) file: lines of an address and its names, "#" starting a comment.
enum HostsFile {
    /// The addresses listed for `name` in file order; names compare without regard to ASCII case
    /// or a trailing dot, as Go's `lookupStaticHost` compares them.
    static func addresses(of name: String, in text: String) -> [[UInt8]] {
        let wanted = DNSName.key(name.utf8)
        var addresses: [[UInt8]] = []
        for line in Substring(text).utf8.configLines {
            let fields = line.prefix { $0 != UInt8(ascii: "#") }.blankSeparatedFields
            guard fields.count > 1, fields.dropFirst().contains(where: { DNSName.key($0) == wanted }),
                  let address = ipAddress(fields[0])
            else { continue }
            addresses.append(address)
        }
        return addresses
    }

    /// An address with a zone ("fe80::1%eth0") is listed without its zone, as Go does.
    private static func ipAddress(_ field: Substring.UTF8View) -> [UInt8]? {
        Array(field.prefix { $0 != UInt8(ascii: "%") }).withUnsafeBytes { IPAddressText.parse($0) }
    }
}
