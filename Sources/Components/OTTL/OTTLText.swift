import Transport
import TraceModel

/// How OTTL's converters turn values into text and numbers.
enum OTTLText {
    /// A scalar as text (Go's `strconv` forms); nil for maps, lists and nil.
    static func scalarString(_ v: OTTLValue) -> String? {
        switch v {
        case .string(let s): s
        case .int(let i): String(i)
        case .double(let d): GoFormatting.formatFloat(d, "f")
        case .bool(let b): b ? "true" : "false"
        case .bytes(let b): b.lowercaseHex
        case .traceID(let id): id.hex
        case .spanID(let id): id.hex
        case .none, .map, .list: nil
        }
    }

    /// A value as `Concat` writes it: scalars as text, anything else as `String` gives it.
    static func concatText(_ v: OTTLValue) -> String {
        if case .none = v { return "<nil>" }
        return scalarString(v) ?? asString(v)
    }

    /// pdata's `AsString` for an attribute value: maps and lists as JSON.
    static func asString(_ v: OTTLValue) -> String {
        guard let any = v.anyValue else { return "" }
        var out = ""
        DebugTraceFormatter.appendAsString(any, to: &out)
        return out
    }

    /// Go's `strings.Split`: an empty delimiter splits into characters (runes).
    static func split(_ s: String, by delimiter: String) -> [String] {
        if delimiter.isEmpty { return s.unicodeScalars.map { String($0) } }
        // Byte for byte, as Go compares: Swift's string search would compare characters.
        let text = Array(s.utf8), sep = Array(delimiter.utf8)
        var parts: [String] = []
        var start = 0, i = 0
        while i + sep.count <= text.count {
            if text[i..<(i + sep.count)].elementsEqual(sep) {
                parts.append(String(decoding: text[start..<i], as: UTF8.self))
                i += sep.count
                start = i
            } else {
                i += 1
            }
        }
        parts.append(String(decoding: text[start...], as: UTF8.self))
        return parts
    }

    /// The first `bytes` bytes of `s`, backed off to a whole UTF-8 sequence.
    static func truncate(_ s: String, bytes: Int) -> String {
        var utf8 = Array(s.utf8.prefix(bytes))
        while let last = utf8.last, last & 0xC0 == 0x80 || last >= 0xC0 {
            // Drop a cut sequence: continuation bytes and the lead byte they belong to.
            let lead = utf8.lastIndex { $0 & 0xC0 != 0x80 } ?? 0
            let needed = utf8[lead] >= 0xF0 ? 4 : utf8[lead] >= 0xE0 ? 3 : utf8[lead] >= 0xC0 ? 2 : 1
            if utf8.count - lead == needed { break }
            utf8.removeSubrange(lead...)
        }
        return String(decoding: utf8, as: UTF8.self)
    }

    /// `Int`, `Double`, `String`, `Len` and `SHA256` of a value.
    static func convert(_ name: String, _ v: OTTLValue) throws(OTTLError) -> OTTLValue {
        switch name {
        case "Int":
            switch v {
            case .int: return v
            case .double(let d): return .int(AttributeAction.goInt64(d))
            case .bool(let b): return .int(b ? 1 : 0)
            case .string(let s): return Int64(s).map(OTTLValue.int) ?? .none
            default: return .none
            }
        case "Double":
            switch v {
            case .double: return v
            case .int(let i): return .double(Double(i))
            case .bool(let b): return .double(b ? 1 : 0)
            case .string(let s):
                guard let d = AttributeAction.goParseFloat(s) else { throw OTTLError("Double: strconv.ParseFloat: parsing \"\(s)\": invalid syntax") }
                return .double(d)
            default: return .none
            }
        case "String":
            if case .none = v { return .none }
            return .string(scalarString(v) ?? asString(v))
        case "Len":
            switch v {
            case .string(let s): return .int(Int64(s.utf8.count))  // Go's len: bytes
            case .map(let m): return .int(Int64(m.count))
            case .list(let l): return .int(Int64(l.count))
            case .bytes(let b): return .int(Int64(b.count))
            default: throw OTTLError("Len: unsupported type \(v.typeName)")
            }
        default: // SHA256
            guard case .string(let s) = v else { throw OTTLError("SHA256: expected a string, got \(v.typeName)") }
            return .string(Digest.hash(.sha256, Array(s.utf8)).lowercaseHex)
        }
    }
}

/// A glob as `replace_match` takes it (gobwas/glob): `*` any run, `?` one character, `[…]` a
/// class (`[!…]` negated, ranges), `{a,b}` alternatives, `\` escapes.
struct OTTLGlob: Sendable {
    private let pattern: [Unicode.Scalar]

    init(_ text: String) { pattern = Array(text.unicodeScalars) }

    func matches(_ text: String) -> Bool {
        Self.match(pattern[...], Array(text.unicodeScalars)[...])
    }

    private static func match(_ p: ArraySlice<Unicode.Scalar>, _ s: ArraySlice<Unicode.Scalar>) -> Bool {
        guard let c = p.first else { return s.isEmpty }
        let rest = p.dropFirst()
        switch c {
        case "*":
            var t = s
            while true {
                if match(rest, t) { return true }
                guard !t.isEmpty else { return false }
                t = t.dropFirst()
            }
        case "?":
            return !s.isEmpty && match(rest, s.dropFirst())
        case "[":
            guard let close = rest.firstIndex(of: "]"), let first = s.first else { return false }
            var set = rest[rest.startIndex..<close]
            let negated = set.first == "!"
            if negated { set = set.dropFirst() }
            var hit = false
            var items = Array(set)
            var i = 0
            while i < items.count {
                if i + 2 < items.count, items[i + 1] == "-" {
                    if items[i] <= first && first <= items[i + 2] { hit = true }
                    i += 3
                } else {
                    if items[i] == first { hit = true }
                    i += 1
                }
            }
            items.removeAll()
            return hit != negated && match(rest[(close + 1)...], s.dropFirst())
        case "{":
            guard let close = rest.firstIndex(of: "}") else { return false }
            let after = rest[(close + 1)...]
            for option in rest[rest.startIndex..<close].split(separator: ",", omittingEmptySubsequences: false) {
                if match(ArraySlice(Array(option) + Array(after)), s) { return true }
            }
            return false
        case "\\":
            guard let escaped = rest.first, let first = s.first, escaped == first else { return false }
            return match(rest.dropFirst(), s.dropFirst())
        default:
            guard let first = s.first, first == c else { return false }
            return match(rest, s.dropFirst())
        }
    }
}
