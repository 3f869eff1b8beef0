#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// IP addresses as text: parsed the way Go's `net.ParseIP` accepts them and printed the way
/// `net.IP.String` prints them, which is what upstream's Zipkin attributes and DNS lookups carry.
public enum IPAddressText {
    /// 4 bytes for dotted IPv4 text, 16 for IPv6 text; nil for anything else.
    public static func parse(_ text: UnsafeRawBufferPointer) -> [UInt8]? {
        if let v4 = parseDotted(text) { return v4 }
        // Longest IPv6 text with an embedded IPv4 address is 45 characters.
        guard text.contains(UInt8(ascii: ":")), text.count < 46, !text.contains(UInt8(ascii: "%")) else { return nil }
        var cString = [CChar](repeating: 0, count: text.count + 1)
        for i in 0..<text.count { cString[i] = CChar(bitPattern: text[i]) }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, cString, &v6) == 1 else { return nil }
        return withUnsafeBytes(of: &v6) { Array($0) }
    }

    /// Four decimal octets. Leading zeros are read as decimal, as Go before 1.17 and Zipkin's
    /// own server read them (real payloads carry addresses such as `52.0.0.04`); newer Go refuses them.
    private static func parseDotted(_ text: UnsafeRawBufferPointer) -> [UInt8]? {
        var octets: [UInt8] = []
        octets.reserveCapacity(4)
        var value = 0
        var digits = 0
        for c in text {
            if c == UInt8(ascii: ".") {
                guard digits > 0, octets.count < 3 else { return nil }
                octets.append(UInt8(value))
                value = 0
                digits = 0
            } else {
                guard c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9"), digits < 3 else { return nil }
                value = value * 10 + Int(c - UInt8(ascii: "0"))
                digits += 1
                guard value <= 255 else { return nil }
            }
        }
        guard digits > 0, octets.count == 3 else { return nil }
        octets.append(UInt8(value))
        return octets
    }

    /// Go's `net.IP.String`: dotted for 4 bytes and IPv4-mapped IPv6, RFC 5952 style for other
    /// 16-byte addresses, `?` and hex for any other length, `<nil>` for none.
    public static func format(_ bytes: some RandomAccessCollection<UInt8>) -> String {
        let b = Array(bytes)
        if b.isEmpty { return "<nil>" }
        if b.count == 4 { return dotted(b[0...]) }
        if b.count == 16 {
            if b[0..<10].allSatisfy({ $0 == 0 }) && b[10] == 0xFF && b[11] == 0xFF { return dotted(b[12...]) }
            return ipv6(b)
        }
        return "?" + b.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    /// An IPv4 address from Zipkin thrift's packed big-endian `i32`.
    public static func format(packedIPv4 value: Int32) -> String {
        let v = UInt32(bitPattern: value)
        return format([UInt8(v >> 24), UInt8(truncatingIfNeeded: v >> 16), UInt8(truncatingIfNeeded: v >> 8), UInt8(truncatingIfNeeded: v)])
    }

    private static func dotted(_ b: ArraySlice<UInt8>) -> String {
        b.map { String($0) }.joined(separator: ".")
    }

    /// Lowercase hex groups without leading zeros; the longest run of two or more zero groups
    /// (the first of equal runs) becomes "::".
    private static func ipv6(_ b: [UInt8]) -> String {
        let groups = (0..<8).map { UInt16(b[2 * $0]) << 8 | UInt16(b[2 * $0 + 1]) }
        var bestStart = -1, bestLength = 0, runStart = -1
        for i in 0...8 {
            if i < 8 && groups[i] == 0 {
                if runStart < 0 { runStart = i }
            } else if runStart >= 0 {
                if i - runStart > bestLength && i - runStart >= 2 { bestStart = runStart; bestLength = i - runStart }
                runStart = -1
            }
        }
        var text = ""
        var i = 0
        while i < 8 {
            if i == bestStart {
                text += "::"
                i += bestLength
                continue
            }
            if !text.isEmpty && !text.hasSuffix(":") { text += ":" }
            text += String(groups[i], radix: 16)
            i += 1
        }
        return text
    }
}
