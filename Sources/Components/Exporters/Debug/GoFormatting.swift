import Diagnostics

/// Re-implementations of the few Go standard-library formatters the collector's debug exporter
/// output depends on: `strconv.FormatFloat` with shortest precision, `encoding/json`'s float and
/// string encoding, `encoding/base64.StdEncoding` and `time.Time.String()` in UTC.
enum GoFormatting {
    /// A finite, non-zero double as shortest round-trip decimal digits: value = 0.digits × 10^point.
    struct Decimal {
        var negative: Bool
        var digits: [UInt8]  // ASCII digits, no leading or trailing zeros; empty for zero
        var point: Int
    }

    /// Shortest digits that round-trip, taken from Swift's `description` (also shortest and
    /// closest, like Go's `strconv` with precision -1) and normalised.
    static func decimal(_ value: Double) -> Decimal {
        var text = Array(value.magnitude.description.utf8)
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }) {
            exponent = Int(String(decoding: text[(e + 1)...], as: UTF8.self)) ?? 0
            text.removeSubrange(e...)
        }
        let dot = text.firstIndex(of: UInt8(ascii: ".")) ?? text.count
        var digits = text.filter { $0 != UInt8(ascii: ".") }
        var point = dot + exponent
        while digits.first == UInt8(ascii: "0") { digits.removeFirst(); point -= 1 }
        while digits.last == UInt8(ascii: "0") { digits.removeLast() }
        return Decimal(negative: value.sign == .minus, digits: digits, point: digits.isEmpty ? 0 : point)
    }

    /// `strconv.FormatFloat(v, fmt, -1, 64)` for fmt `e`, `f` or `g`.
    static func formatFloat(_ value: Double, _ fmt: Character) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Inf" : "+Inf" }
        let d = decimal(value)
        var out = d.negative ? "-" : ""
        switch fmt {
        case "e": appendE(d, to: &out)
        case "f": appendF(d, to: &out)
        default: appendG(d, to: &out)
        }
        return out
    }

    /// `%e` layout: `d[.ddd]e±XX` (at least two exponent digits).
    static func appendE(_ d: Decimal, to out: inout String, exponentDigits: Int = 2) {
        let digits = d.digits.isEmpty ? [UInt8(ascii: "0")] : d.digits
        out.unicodeScalars.append(Unicode.Scalar(digits[0]))
        if digits.count > 1 {
            out.append(".")
            out.append(String(decoding: digits[1...], as: UTF8.self))
        }
        let exp = d.digits.isEmpty ? 0 : d.point - 1
        out.append(exp < 0 ? "e-" : "e+")
        let magnitude = abs(exp)
        if exponentDigits == 2, magnitude < 10 { out.append("0") }
        out.append(String(magnitude))
    }

    /// `%f` layout with exactly the digits needed: no exponent, no trailing zeros, no bare point.
    static func appendF(_ d: Decimal, to out: inout String) {
        let digits = String(decoding: d.digits, as: UTF8.self)
        if d.digits.isEmpty {
            out.append("0")
        } else if d.point <= 0 {
            out.append("0.")
            out.append(String(repeating: "0", count: -d.point))
            out.append(digits)
        } else if d.point >= d.digits.count {
            out.append(digits)
            out.append(String(repeating: "0", count: d.point - d.digits.count))
        } else {
            out.append(String(decoding: d.digits[..<d.point], as: UTF8.self))
            out.append(".")
            out.append(String(decoding: d.digits[d.point...], as: UTF8.self))
        }
    }

    /// `%g` with shortest precision: `%e` when the exponent is < -4 or >= 6 (strconv uses
    /// eprec 6 for shortest; fmt's `%v` would use 21), else `%f`.
    static func appendG(_ d: Decimal, to out: inout String) {
        let exp = d.digits.isEmpty ? 0 : d.point - 1
        if exp < -4 || exp >= 6 { appendE(d, to: &out) } else { appendF(d, to: &out) }
    }

    /// The float format of Go's `encoding/json` (and pdata's `float64AsString`): ES6 style, `%f`
    /// unless |v| < 1e-6 or |v| >= 1e21, then `%e` with a one-digit negative exponent unpadded.
    /// Callers handle NaN and infinities, which JSON cannot encode.
    static func appendJSONFloat(_ value: Double, to out: inout String) {
        let d = decimal(value)
        if d.negative { out.append("-") }
        let magnitude = value.magnitude
        guard magnitude != 0, magnitude < 1e-6 || magnitude >= 1e21 else {
            appendF(d, to: &out)
            return
        }
        // Go formats with %e and then rewrites `e-09` to `e-9`; positive exponents here are >= 21.
        appendE(d, to: &out, exponentDigits: 1)
    }

    // MARK: time

    /// `time.Time.String()` of `time.Unix(0, ns).UTC()`: `2020-02-11 20:26:12.000000321 +0000 UTC`,
    /// the fraction trimmed of trailing zeros and absent for whole seconds.
    static func appendTime(unixNano: UInt64, to out: inout String) {
        let t = CivilTime(unixNano: unixNano)
        out.append(pad(t.year, 4))
        out.append("-")
        out.append(pad(t.month, 2))
        out.append("-")
        out.append(pad(t.day, 2))
        out.append(" ")
        out.append(pad(t.hour, 2))
        out.append(":")
        out.append(pad(t.minute, 2))
        out.append(":")
        out.append(pad(t.second, 2))
        out.append(t.trimmedFraction)
        out.append(" +0000 UTC")
    }

    // MARK: base64

    private static let base64Alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// `base64.StdEncoding.EncodeToString`: standard alphabet, `=` padding.
    static func appendBase64(_ bytes: [UInt8], to out: inout String) {
        var encoded = [UInt8]()
        encoded.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i < bytes.count {
            let b0 = UInt32(bytes[i])
            let b1 = i + 1 < bytes.count ? UInt32(bytes[i + 1]) : 0
            let b2 = i + 2 < bytes.count ? UInt32(bytes[i + 2]) : 0
            let group = b0 << 16 | b1 << 8 | b2
            encoded.append(base64Alphabet[Int(group >> 18 & 63)])
            encoded.append(base64Alphabet[Int(group >> 12 & 63)])
            encoded.append(i + 1 < bytes.count ? base64Alphabet[Int(group >> 6 & 63)] : UInt8(ascii: "="))
            encoded.append(i + 2 < bytes.count ? base64Alphabet[Int(group & 63)] : UInt8(ascii: "="))
            i += 3
        }
        out.append(String(decoding: encoded, as: UTF8.self))
    }

    // MARK: JSON strings

    /// Whether `<`, `>` and `&` are escaped as by `json.Marshal`. Upstream switched `AsString`
    /// to an encoder with `SetEscapeHTML(false)` (collector PR #15108, 2026-04).
    static let escapeHTML = false

    /// A JSON string literal as Go's `encoding/json` writes it (Go >= 1.22): short escapes for
    /// `\" \\ \b \f \n \r \t`, `\u00xx` (lowercase hex) for other control characters,
    /// `\u2028`/`\u2029` always escaped, everything else raw UTF-8.
    static func appendJSONString(_ s: String, to out: inout String) {
        out.append("\"")
        var runStart = s.unicodeScalars.startIndex
        var index = runStart
        while index != s.unicodeScalars.endIndex {
            let scalar = s.unicodeScalars[index]
            if let escape = jsonEscape(scalar) {
                out.append(contentsOf: Substring(s.unicodeScalars[runStart..<index]))
                out.append(escape)
                runStart = s.unicodeScalars.index(after: index)
            }
            index = s.unicodeScalars.index(after: index)
        }
        out.append(contentsOf: Substring(s.unicodeScalars[runStart..<index]))
        out.append("\"")
    }

    private static func jsonEscape(_ scalar: Unicode.Scalar) -> String? {
        switch scalar {
        case "\"": return "\\\""
        case "\\": return "\\\\"
        case "\u{08}": return "\\b"
        case "\u{0C}": return "\\f"
        case "\n": return "\\n"
        case "\r": return "\\r"
        case "\t": return "\\t"
        case "\u{2028}": return "\\u2028"
        case "\u{2029}": return "\\u2029"
        case "<", ">", "&": return escapeHTML ? unicodeEscape(scalar.value) : nil
        default: return scalar.value < 0x20 ? unicodeEscape(scalar.value) : nil
        }
    }

    private static func unicodeEscape(_ value: UInt32) -> String {
        let hex = String(value, radix: 16)
        return "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
    }
}
