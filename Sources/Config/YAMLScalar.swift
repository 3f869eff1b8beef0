/// What a plain YAML scalar stands for under the YAML 1.2 core schema, as Go's `yaml.v3` resolves
/// it when the Collector decodes a value into `any` (an attribute `value:` in a processor's
/// actions, say): `123` is an integer, `1.5` a float, `true` a boolean, `~` null; quoted, or
/// anything else, a string.
public enum YAMLScalar: Equatable, Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)

    /// The value of `text` written plain.
    public static func resolve(plain text: String) -> YAMLScalar {
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .double(.infinity)
        case "-.inf", "-.Inf", "-.INF": return .double(-.infinity)
        case ".nan", ".NaN", ".NAN": return .double(.nan)
        default: break
        }
        if let i = goParseInt(text) { return .int(i) }
        // Above int64 yaml.v3 gives a uint64, which pdata's `FromRaw` stores as `int64(v)`.
        if !text.hasPrefix("-"), let u = goParseInt(text, unsigned: true) { return .int(u) }
        if isYAMLFloat(text), let d = Double(text) { return .double(d) }
        return .string(text)
    }

    /// Whether `text`, written plain, would be read as a number or a boolean. (Null has a node of
    /// its own, `ConfigNode.null`.)
    public static func isTyped(plain text: String) -> Bool {
        switch resolve(plain: text) {
        case .bool, .int, .double: true
        case .null, .string: false
        }
    }

    /// yaml.v3's integers: underscores dropped, then Go's `strconv.ParseInt(text, 0, 64)`: a
    /// sign, then decimal, `0x` hex, `0o` or leading-zero octal, or `0b` binary.
    static func goParseInt(_ text: String, unsigned: Bool = false) -> Int64? {
        guard let first = text.first, first == "+" || first == "-" || first.isASCIIDigit else { return nil }
        var digits = Substring(text.filter { $0 != "_" })
        var negative = false
        if let sign = digits.first, sign == "+" || sign == "-" {
            negative = sign == "-"
            digits = digits.dropFirst()
        }
        var radix = 10
        if digits.count > 1, digits.first == "0" {
            switch digits.dropFirst().first {
            case "x", "X": radix = 16; digits = digits.dropFirst(2)
            case "o", "O": radix = 8; digits = digits.dropFirst(2)
            case "b", "B": radix = 2; digits = digits.dropFirst(2)
            default: radix = 8; digits = digits.dropFirst()
            }
        }
        guard !digits.isEmpty, digits.first != "+", digits.first != "-",
              let magnitude = UInt64(digits, radix: radix) else { return nil }
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { return nil }
            return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
        }
        guard magnitude <= UInt64(Int64.max) else { return unsigned ? Int64(bitPattern: magnitude) : nil }
        return Int64(magnitude)
    }

    /// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`, yaml.v3's float form.
    static func isYAMLFloat(_ text: String) -> Bool {
        var s = Substring(text)
        if s.first == "+" || s.first == "-" { s = s.dropFirst() }
        let whole = s.prefix(while: \.isASCIIDigit)
        s = s.dropFirst(whole.count)
        if s.first == "." {
            s = s.dropFirst()
            let fraction = s.prefix(while: \.isASCIIDigit)
            guard !whole.isEmpty || !fraction.isEmpty else { return false }
            s = s.dropFirst(fraction.count)
        } else if whole.isEmpty {
            return false
        }
        if s.first == "e" || s.first == "E" {
            s = s.dropFirst()
            if s.first == "+" || s.first == "-" { s = s.dropFirst() }
            let exponent = s.prefix(while: \.isASCIIDigit)
            guard !exponent.isEmpty else { return false }
            s = s.dropFirst(exponent.count)
        }
        return s.isEmpty
    }
}
