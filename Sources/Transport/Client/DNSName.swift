/// DNS names in text, byte by byte as Go's resolver reads them: the root dot and letter case are
/// ASCII matters. Character-wise, a name ending in "\u{600}." (a prepended mark before the dot)
/// would not end in "." at all.
enum DNSName {
    static let dot = UInt8(ascii: ".")

    static func isRooted(_ name: String) -> Bool {
        name.utf8.last == dot
    }

    /// `name` without its root dot.
    static func unrooted(_ name: String) -> String {
        isRooted(name) ? String(Substring(name.utf8.dropLast())) : name
    }

    /// The bytes two names compare by: no root dot, ASCII letters lowered (Go's `lowerASCIIBytes`).
    static func key(_ name: some Collection<UInt8>) -> [UInt8] {
        let bytes = name.map(asciiLower)
        return bytes.last == dot ? Array(bytes.dropLast()) : bytes
    }
}

/// resolv.conf and hosts(5) lines split into fields at ASCII blanks, and lines at CR or LF.
extension Substring.UTF8View {
    var configLines: [Substring.UTF8View] {
        split(whereSeparator: { $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") })
    }

    var blankSeparatedFields: [Substring.UTF8View] {
        split(whereSeparator: { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") })
    }
}
