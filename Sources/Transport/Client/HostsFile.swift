import Diagnostics

/// The hosts(5) file: lines of an address and its names, "#" starting a comment.
enum HostsFile {
    /// The addresses listed for `name` in file order; names compare without regard to ASCII case
    /// or a trailing dot, as Go's `lookupStaticHost` compares them.
    static func addresses(of name: String, in text: String) -> [[UInt8]] {
        let wanted = normalized(Substring(name))
        var addresses: [[UInt8]] = []
        for line in text.split(whereSeparator: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) {
            let content = line.prefix { $0 != "#" }
            let fields = content.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count > 1, fields.dropFirst().contains(where: { normalized($0) == wanted }),
                  let address = ipAddress(fields[0])
            else { continue }
            addresses.append(address)
        }
        return addresses
    }

    /// An address with a zone ("fe80::1%eth0") is listed without its zone, as Go does.
    private static func ipAddress(_ field: Substring) -> [UInt8]? {
        var text = String(field.prefix { $0 != "%" })
        return text.withUTF8 { IPAddressText.parse(UnsafeRawBufferPointer($0)) }
    }

    private static func normalized(_ name: Substring) -> String {
        (name.hasSuffix(".") ? name.dropLast() : name).lowercased()
    }
}
