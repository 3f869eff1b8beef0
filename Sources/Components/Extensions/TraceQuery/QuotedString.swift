/// A double-quoted string with Go's common escapes (`\n \t \r \\ \"`; any other escaped byte is
/// kept as it is), read from `bytes` at `index` (on the opening quote). Nil when unterminated.
enum QuotedString {
    static func read(_ bytes: [UInt8], _ index: inout Int, quote: UInt8 = UInt8(ascii: "\""), escapes: Bool = true) -> String? {
        index += 1
        var out: [UInt8] = []
        while index < bytes.count {
            let c = bytes[index]
            index += 1
            if c == quote { return String(decoding: out, as: UTF8.self) }
            if c == UInt8(ascii: "\\"), escapes, index < bytes.count {
                let e = bytes[index]
                index += 1
                switch e {
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "\\"), UInt8(ascii: "\""), UInt8(ascii: "'"): out.append(e)
                default: out += [UInt8(ascii: "\\"), e]
                }
                continue
            }
            out.append(c)
        }
        return nil
    }
}
