/// `ConfigNode` → block-style YAML with 2-space indentation, for `print-config`.
/// Scalars are quoted whenever plain style would read back differently, so `parse(emit(x)) == x`.
public enum YAMLEmitter {
    public static func emit(_ node: ConfigNode) -> String {
        var out = ""
        switch node {
        case .mapping(let entries) where !entries.isEmpty: mapping(entries, indent: 0, into: &out)
        case .sequence(let items) where !items.isEmpty: sequence(items, indent: 0, into: &out)
        default: out = inline(node) + "\n"
        }
        return out
    }

    private static func mapping(_ entries: [ConfigEntry], indent: Int, into out: inout String) {
        let pad = String(repeating: " ", count: indent)
        for entry in entries {
            let key = scalar(entry.key)
            if key.utf8.count > maxImplicitKey {
                // YAML caps an implicit key at 1024 characters (libyaml refuses a longer one):
                // write an explicit `? key` / `: value` pair instead.
                out += pad + "? " + key + "\n" + pad + ":"
            } else {
                out += pad + key + ":"
            }
            nested(entry.value, indent: indent + 2, into: &out)
        }
    }

    /// Bytes, which are never fewer than the characters YAML counts.
    static let maxImplicitKey = 1000

    private static func sequence(_ items: [ConfigNode], indent: Int, into out: inout String) {
        let pad = String(repeating: " ", count: indent)
        for item in items {
            out += pad + "-"
            nested(item, indent: indent + 2, into: &out)
        }
    }

    /// Writes a value after `key:` or `-`: inline when it is a scalar or empty, else on new lines.
    private static func nested(_ node: ConfigNode, indent: Int, into out: inout String) {
        switch node {
        case .mapping(let entries) where !entries.isEmpty:
            out += "\n"
            mapping(entries, indent: indent, into: &out)
        case .sequence(let items) where !items.isEmpty:
            out += "\n"
            sequence(items, indent: indent, into: &out)
        default:
            out += " " + inline(node) + "\n"
        }
    }

    private static func inline(_ node: ConfigNode) -> String {
        switch node {
        case .null: "null"
        // A number or a boolean stays plain, a `.string` that looks like one is quoted.
        case .scalar(let text): YAMLScalar.isTyped(plain: text) ? text : scalar(text)
        case .string(let text): doubleQuoted(text)
        case .sequence: "[]"
        case .mapping: "{}"
        }
    }

    static func scalar(_ text: String) -> String {
        needsQuotes(text) ? doubleQuoted(text) : text
    }

    private static let nullForms: Set<String> = ["", "~", "null", "Null", "NULL"]
    private static let leadingIndicators: Set<Unicode.Scalar> = [
        "-", "?", ":", ",", "[", "]", "{", "}", "#", "&", "*", "!", "|", ">", "'", "\"", "%", "@", "`",
    ]

    /// Conservative: anything plain style could misread (nulls, indicators, `: `, ` #`, edges) is quoted.
    /// Looks at Unicode scalars, as libyaml does, not at Characters: "@" followed by a combining
    /// mark is one Character that is not "@", yet libyaml still sees the indicator.
    private static func needsQuotes(_ text: String) -> Bool {
        if nullForms.contains(text) || text == "<<" { return true }
        let scalars = Array(text.unicodeScalars)
        guard let first = scalars.first, let last = scalars.last else { return true }
        if scalars.starts(with: "---".unicodeScalars) || scalars.starts(with: "...".unicodeScalars) { return true }
        if first == " " || last == " " || last == ":" { return true }
        if leadingIndicators.contains(first) && !plainIndicatorStart(scalars) { return true }
        for i in scalars.indices.dropLast() {
            let (a, b) = (scalars[i], scalars[i + 1])
            if a == ":" && (b == " " || b == "\t") { return true }
            if (a == " " || a == "\t") && b == "#" { return true }
        }
        return scalars.contains { needsEscape($0) || $0 == "\t" }
    }

    /// `-`, `?` and `:` may start a plain scalar when followed by a non-space, e.g. `-1`, `:8080`.
    private static func plainIndicatorStart(_ scalars: [Unicode.Scalar]) -> Bool {
        scalars.count >= 2 && "-?:".unicodeScalars.contains(scalars[0]) && scalars[1] != " " && scalars[1] != "\t"
    }

    /// Also U+FFFE and U+FFFF: libyaml refuses them unescaped ("control characters are not
    /// allowed"), yet a `\uFFFF` escape or a `--set` value can put them in the tree.
    private static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || scalar.value == 0x7F || scalar.value == 0x85 || scalar.value == 0xFEFF
            || scalar.value == 0x2028 || scalar.value == 0x2029 || (0x80..<0xA0).contains(scalar.value)
            || scalar.value == 0xFFFE || scalar.value == 0xFFFF
    }

    private static func doubleQuoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default: out += needsEscape(scalar) ? hexEscape(scalar) : String(scalar)
            }
        }
        return out + "\""
    }

    private static func hexEscape(_ scalar: Unicode.Scalar) -> String {
        let hex = String(scalar.value, radix: 16, uppercase: true)
        return "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }
}
