/// The base-64 of crypt(3)'s MD5 and SHA schemes: alphabet `./0-9A-Za-z`, each group of up to
/// three bytes written low six bits first.
enum CryptBase64 {
    static let alphabet = Array("./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    /// `count` characters of the 24-bit group `high`, `middle`, `low`.
    static func append(_ high: UInt8, _ middle: UInt8, _ low: UInt8, count: Int, to out: inout [UInt8]) {
        var v = UInt32(high) << 16 | UInt32(middle) << 8 | UInt32(low)
        for _ in 0..<count {
            out.append(alphabet[Int(v & 0x3F)])
            v >>= 6
        }
    }
}
