/// OTTL's tokens, as the Collector's lexer makes them: a number takes a sign written right before
/// it (so `1-1` is the two numbers `1` and `-1`, and no expression), strings are double-quoted
/// with Go's escapes, `0x…` is bytes, words are identifiers (keywords among them).
struct OTTLToken: Equatable, Sendable {
    enum Kind: Equatable, Sendable {
        case string(String)
        case int(Int64)
        case double(Double)
        case bytes([UInt8])
        case identifier(String)
        /// `==` `!=` `<` `<=` `>` `>=` `=` `(` `)` `[` `]` `{` `}` `,` `.` `:`
        case punctuation(String)
        case end
    }

    var kind: Kind
    /// 1-based column of the token's first character.
    var column: Int
}

struct OTTLSyntaxError: Error, CustomStringConvertible {
    var column: Int
    var message: String
    var description: String { "column \(column): \(message)" }
}

enum OTTLLexer {
    static func tokens(_ text: String) throws(OTTLSyntaxError) -> [OTTLToken] {
        let s = Array(text.unicodeScalars)
        var out: [OTTLToken] = []
        var i = 0
        func isDigit(_ c: Unicode.Scalar) -> Bool { ("0"..."9").contains(c) }
        func isWordStart(_ c: Unicode.Scalar) -> Bool { ("a"..."z").contains(c) || ("A"..."Z").contains(c) || c == "_" }
        while i < s.count {
            let c = s[i]
            let column = i + 1
            if c == " " || c == "\t" || c == "\n" || c == "\r" { i += 1; continue }
            if c == "\"" {
                let (value, next) = try string(s, from: i)
                out.append(OTTLToken(kind: .string(value), column: column))
                i = next
                continue
            }
            if c == "0", i + 1 < s.count, s[i + 1] == "x" || s[i + 1] == "X" {
                var j = i + 2
                while j < s.count, s[j].properties.isASCIIHexDigit { j += 1 }
                let hex = String(String.UnicodeScalarView(s[(i + 2)..<j]))
                guard !hex.isEmpty, hex.count % 2 == 0 else { throw OTTLSyntaxError(column: column, message: "invalid bytes literal") }
                var bytes: [UInt8] = []
                var k = hex.startIndex
                while k < hex.endIndex {
                    let n = hex.index(k, offsetBy: 2)
                    bytes.append(UInt8(hex[k..<n], radix: 16)!)
                    k = n
                }
                out.append(OTTLToken(kind: .bytes(bytes), column: column))
                i = j
                continue
            }
            let signed = (c == "-" || c == "+") && i + 1 < s.count && (isDigit(s[i + 1]) || (s[i + 1] == "." && i + 2 < s.count && isDigit(s[i + 2])))
            if isDigit(c) || signed || (c == "." && i + 1 < s.count && isDigit(s[i + 1])) {
                let (kind, next) = try number(s, from: i)
                out.append(OTTLToken(kind: kind, column: column))
                i = next
                continue
            }
            if isWordStart(c) {
                var j = i + 1
                while j < s.count, isWordStart(s[j]) || isDigit(s[j]) { j += 1 }
                out.append(OTTLToken(kind: .identifier(String(String.UnicodeScalarView(s[i..<j]))), column: column))
                i = j
                continue
            }
            let two = i + 1 < s.count ? String(String.UnicodeScalarView([c, s[i + 1]])) : ""
            if ["==", "!=", "<=", ">="].contains(two) {
                out.append(OTTLToken(kind: .punctuation(two), column: column))
                i += 2
                continue
            }
            if "<>=()[]{},.:".unicodeScalars.contains(c) {
                out.append(OTTLToken(kind: .punctuation(String(c)), column: column))
                i += 1
                continue
            }
            throw OTTLSyntaxError(column: column, message: "unexpected character '\(c)'")
        }
        out.append(OTTLToken(kind: .end, column: s.count + 1))
        return out
    }

    /// `[-+]?\d*\.\d+([eE][-+]?\d+)?` is a float, `[-+]?\d+` an int.
    private static func number(_ s: [Unicode.Scalar], from start: Int) throws(OTTLSyntaxError) -> (OTTLToken.Kind, Int) {
        var j = start
        if s[j] == "-" || s[j] == "+" { j += 1 }
        func digits() { while j < s.count, ("0"..."9").contains(s[j]) { j += 1 } }
        digits()
        var isFloat = false
        if j < s.count, s[j] == ".", j + 1 < s.count, ("0"..."9").contains(s[j + 1]) {
            isFloat = true
            j += 1
            digits()
            if j < s.count, s[j] == "e" || s[j] == "E" {
                var k = j + 1
                if k < s.count, s[k] == "-" || s[k] == "+" { k += 1 }
                if k < s.count, ("0"..."9").contains(s[k]) {
                    j = k
                    digits()
                }
            }
        }
        let text = String(String.UnicodeScalarView(s[start..<j]))
        if isFloat {
            guard let d = Double(text) else { throw OTTLSyntaxError(column: start + 1, message: "invalid number \(text)") }
            return (.double(d), j)
        }
        // strconv.ParseInt(text, 0, 64), as OTTL's grammar converts: a leading 0 means octal.
        let unsigned = text.drop { $0 == "-" || $0 == "+" }
        let octal = unsigned.count > 1 && unsigned.hasPrefix("0")
        guard let magnitude = octal ? Int64(unsigned, radix: 8) : Int64(unsigned),
              let i = text.hasPrefix("-") ? Optional(-magnitude) : Optional(magnitude)
        else { throw OTTLSyntaxError(column: start + 1, message: "integer \(text) is out of range or not a valid number") }
        return (.int(i), j)
    }

    /// A double-quoted string with Go's escapes (`strconv.Unquote`).
    private static func string(_ s: [Unicode.Scalar], from start: Int) throws(OTTLSyntaxError) -> (String, Int) {
        var out = String.UnicodeScalarView()
        var j = start + 1
        while j < s.count {
            let c = s[j]
            if c == "\"" { return (String(out), j + 1) }
            if c == "\n" { break }
            if c != "\\" {
                out.append(c)
                j += 1
                continue
            }
            guard j + 1 < s.count else { break }
            let e = s[j + 1]
            j += 2
            switch e {
            case "n": out.append("\n")
            case "t": out.append("\t")
            case "r": out.append("\r")
            case "a": out.append("\u{07}")
            case "b": out.append("\u{08}")
            case "f": out.append("\u{0C}")
            case "v": out.append("\u{0B}")
            case "\\", "\"", "'": out.append(e)
            case "x", "u", "U":
                let width = e == "x" ? 2 : e == "u" ? 4 : 8
                guard j + width <= s.count, let v = UInt32(String(String.UnicodeScalarView(s[j..<(j + width)])), radix: 16),
                      let scalar = Unicode.Scalar(v)
                else { throw OTTLSyntaxError(column: j - 1, message: "invalid escape in string") }
                out.append(scalar)
                j += width
            default:
                throw OTTLSyntaxError(column: j - 1, message: "invalid escape '\\\(e)' in string")
            }
        }
        throw OTTLSyntaxError(column: start + 1, message: "unterminated string")
    }
}
