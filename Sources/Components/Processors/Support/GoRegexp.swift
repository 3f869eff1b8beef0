/// A pattern in Go's `regexp` syntax (RE2), as the Collector's processors take them, matched with
/// Swift's `Regex` the way Go matches: unanchored (`MatchString`), leftmost-first submatches
/// (`FindStringSubmatch`), over Unicode scalars as RE2 runs over runes. RE2's syntax is, but for
/// its refusals, a subset of Swift's; what RE2 refuses (backreferences, lookaround, atomic and
/// possessive forms) is refused here too, so a config valid in Swiftlet is valid upstream.
///
/// `@unchecked Sendable`: `Regex` is an immutable value; the program it compiles on first use is
/// compiled in `init`, so that later matches from several threads only read it.
struct GoRegexp: @unchecked Sendable {
    let pattern: String
    /// The name of each capturing group in order, nil for an unnamed one (Go's `SubexpNames`
    /// without its first, empty, element).
    let groupNames: [String?]
    private let regex: Regex<AnyRegexOutput>

    struct SyntaxError: Error, CustomStringConvertible {
        var description: String
    }

    init(_ pattern: String) throws(SyntaxError) {
        self.pattern = pattern
        let (swiftPattern, groups) = try Self.translate(pattern)
        groupNames = groups
        do {
            regex = try Regex(swiftPattern).matchingSemantics(.unicodeScalar)
        } catch {
            throw SyntaxError(description: "error parsing regexp \(pattern): \(error)")
        }
        _ = try? regex.firstMatch(in: "")
    }

    /// Go's `MatchString`: whether the pattern matches anywhere in `text`.
    func matches(_ text: String) -> Bool {
        (try? regex.firstMatch(in: text)) != nil
    }

    /// Go's `FindStringSubmatch` without the whole match: each group's text, "" for a group that
    /// took no part; nil when there is no match.
    func firstSubmatches(_ text: String) -> [String]? {
        guard let match = try? regex.firstMatch(in: text) else { return nil }
        return (1..<match.output.count).map { match.output[$0].substring.map(String.init) ?? "" }
    }

    /// Go's `ReplaceAllString`: every match replaced by `template`, in which `$1`, `${1}`, `$name`
    /// and `${name}` stand for a group's text (`$name` takes the longest run of letters, digits
    /// and `_`, so `$1x` is the group named "1x", empty), `$$` for `$`.
    func replaceAll(in text: String, with template: String) -> String {
        let matches = text.matches(of: regex)
        guard !matches.isEmpty else { return text }
        var out = ""
        var last = text.startIndex
        for match in matches {
            out += text[last..<match.range.lowerBound]
            expand(template, match.output, into: &out)
            last = match.range.upperBound
        }
        out += text[last...]
        return out
    }

    private func expand(_ template: String, _ output: AnyRegexOutput, into out: inout String) {
        let t = Array(template.unicodeScalars)
        var i = 0
        func isNameScalar(_ c: Unicode.Scalar) -> Bool { c.properties.isAlphabetic || ("0"..."9").contains(c) || c == "_" }
        while i < t.count {
            guard t[i] == "$", i + 1 < t.count else {
                out.unicodeScalars.append(t[i])
                i += 1
                continue
            }
            var name = ""
            var next = i + 1
            if t[next] == "$" {
                out += "$"
                i += 2
                continue
            } else if t[next] == "{" {
                guard let close = t[(next + 1)...].firstIndex(of: "}") else {
                    out += "$"
                    i += 1
                    continue
                }
                name = String(String.UnicodeScalarView(t[(next + 1)..<close]))
                next = close + 1
            } else {
                while next < t.count, isNameScalar(t[next]) { next += 1 }
                name = String(String.UnicodeScalarView(t[(i + 1)..<next]))
            }
            guard !name.isEmpty else {
                out += "$"
                i += 1
                continue
            }
            if let n = Int(name), n >= 0 {
                if n < output.count, let s = output[n].substring { out += s }
            } else if let index = groupNames.firstIndex(of: name), index + 1 < output.count, let s = output[index + 1].substring {
                out += s
            }
            i = next
        }
    }

    /// Walks the pattern as RE2's parser does, far enough to list its capturing groups and refuse
    /// what RE2 has no syntax for; returns it in Swift's syntax (a `]` first in a class, a literal
    /// to RE2, escaped) with the groups.
    static func translate(_ pattern: String) throws(SyntaxError) -> (String, [String?]) {
        var p = Array(pattern.unicodeScalars)
        var groups: [String?] = []
        var i = 0
        var inClass = false
        func refuse(_ what: String) -> SyntaxError {
            SyntaxError(description: "error parsing regexp \(pattern): \(what) is not supported (Go's regexp syntax, RE2)")
        }
        while i < p.count {
            let c = p[i]
            if c == "\\" {
                if i + 1 < p.count, !inClass, ("1"..."9").contains(p[i + 1]) { throw refuse("a backreference") }
                if i + 1 < p.count, p[i + 1] == "Q" {
                    // \Q...\E: literal text.
                    i += 2
                    while i < p.count, !(p[i] == "\\" && i + 1 < p.count && p[i + 1] == "E") { i += 1 }
                    i += 2
                    continue
                }
                i += 2
                continue
            }
            if inClass {
                if c == "]" { inClass = false }
                i += 1
                continue
            }
            if c == "[" {
                inClass = true
                i += 1
                // A `]` (after an optional `^`) right after `[` is a literal.
                if i < p.count, p[i] == "^" { i += 1 }
                if i < p.count, p[i] == "]" {
                    p.insert("\\", at: i)
                    i += 2
                }
                continue
            }
            if (c == "+" || c == "*" || c == "?" || c == "}"), i + 1 < p.count, p[i + 1] == "+" {
                throw refuse("a possessive quantifier")
            }
            if c == "(" {
                if i + 1 < p.count, p[i + 1] == "?" {
                    let rest = String(String.UnicodeScalarView(p[(i + 2)...]))
                    if rest.hasPrefix("P<") || (rest.hasPrefix("<") && !rest.hasPrefix("<=") && !rest.hasPrefix("<!")) {
                        let start = rest.hasPrefix("P<") ? 2 : 1
                        guard let end = rest.firstIndex(of: ">") else { throw SyntaxError(description: "error parsing regexp \(pattern): invalid named capture") }
                        groups.append(String(rest[rest.index(rest.startIndex, offsetBy: start)..<end]))
                    } else if rest.hasPrefix("=") || rest.hasPrefix("!") || rest.hasPrefix("<=") || rest.hasPrefix("<!") {
                        throw refuse("lookaround")
                    } else if rest.hasPrefix(">") {
                        throw refuse("an atomic group")
                    }
                    // Otherwise flags or a non-capturing group.
                } else {
                    groups.append(nil)
                }
            }
            i += 1
        }
        return (String(String.UnicodeScalarView(p)), groups)
    }
}
