/// `${...}` expansion in every scalar (not in keys), after parsing and before typing.
/// Upstream rules (`docs/rfcs/env-vars.md`): `${env:VAR}`, `${VAR}`, `${env:VAR:-default}` (default when
/// unset or empty), `$$` → `$`; references may sit inside a longer string; other schemes are errors here.
public enum ConfigExpander {
    public static func expand(_ node: ConfigNode, environment: [String: String]) throws(ConfigError) -> ConfigNode {
        try expand(node, path: "", environment: environment)
    }

    private static func expand(_ node: ConfigNode, path: String, environment: [String: String]) throws(ConfigError) -> ConfigNode {
        switch node {
        case .null: return .null
        case .scalar(let text): return try expandScalar(text, path: path, environment: environment)
        case .string(let text):
            // Quoted: a string whatever the variables hold.
            guard text.contains("$") else { return node }
            var expander = ScalarExpander(text: Array(text.unicodeScalars), path: path, environment: environment)
            return TreeBuilder.quoted(try expander.run())
        case .sequence(let items):
            var out: [ConfigNode] = []
            for (index, item) in items.enumerated() {
                out.append(try expand(item, path: KeyPath.index(path, index), environment: environment))
            }
            return .sequence(out)
        case .mapping(let entries):
            var out: [ConfigEntry] = []
            for entry in entries {
                let value = try expand(entry.value, path: KeyPath.join(path, entry.key), environment: environment)
                out.append(ConfigEntry(key: entry.key, value: value))
            }
            return .mapping(out)
        }
    }

    /// A scalar that is exactly one reference takes the variable's YAML type when that is a list or
    /// mapping (upstream parses provider values as YAML); scalars keep the variable's raw text.
    private static func expandScalar(_ text: String, path: String, environment: [String: String]) throws(ConfigError) -> ConfigNode {
        guard text.contains("$") else { return .scalar(text) }
        var expander = ScalarExpander(text: Array(text.unicodeScalars), path: path, environment: environment)
        let expanded = try expander.run()
        if expander.references == 1 && expander.wholeReference,
           let parsed = try? YAMLParser.parse(expanded, file: "") {
            switch parsed {
            case .sequence, .mapping: return parsed
            default: break
            }
        }
        return .scalar(expanded)
    }
}

private struct ScalarExpander {
    let text: [Unicode.Scalar]
    let path: String
    let environment: [String: String]
    private(set) var references = 0
    private(set) var wholeReference = false

    init(text: [Unicode.Scalar], path: String, environment: [String: String]) {
        self.text = text
        self.path = path
        self.environment = environment
    }

    mutating func run() throws(ConfigError) -> String {
        var out = String.UnicodeScalarView()
        var i = 0
        while i < text.count {
            let next: Unicode.Scalar? = i + 1 < text.count ? text[i + 1] : nil
            if text[i] == "$" && next == "$" {
                out.append("$")
                i += 2
            } else if text[i] == "$" && next == "{" {
                let end = try closingBrace(from: i + 2)
                out.append(contentsOf: try resolve(String(String.UnicodeScalarView(text[(i + 2)..<end]))).unicodeScalars)
                references += 1
                wholeReference = i == 0 && end == text.count - 1
                i = end + 1
            } else {
                out.append(text[i])
                i += 1
            }
        }
        return String(out)
    }

    private func closingBrace(from start: Int) throws(ConfigError) -> Int {
        guard let end = text[start...].firstIndex(of: "}") else {
            throw error("unterminated '${' (write '$$' for a literal '$')")
        }
        return end
    }

    /// `env:NAME`, `env:NAME:-default`, `NAME`, `NAME:-default`.
    private func resolve(_ reference: String) throws(ConfigError) -> String {
        var body = Substring(reference)
        if let colon = body.firstIndex(of: ":"), body[body.index(after: colon)...].first != "-" {
            let scheme = body[..<colon]
            guard scheme == "env" else {
                throw error("unsupported scheme '\(scheme)' in '${\(reference)}' (only env is supported)")
            }
            body = body[body.index(after: colon)...]
        }
        var name = body
        var fallback: Substring?
        if let range = body.firstRange(of: ":-") {
            name = body[..<range.lowerBound]
            fallback = body[range.upperBound...]
        }
        guard Self.isValidName(name) else {
            throw error("invalid environment variable name '\(name)' in '${\(reference)}'")
        }
        let value = environment[String(name)] ?? ""
        if value.isEmpty, let fallback { return String(fallback) }
        return value
    }

    private static func isValidName(_ name: Substring) -> Bool {
        guard let first = name.unicodeScalars.first, !isDigit(first) else { return false }
        return name.unicodeScalars.allSatisfy { $0 == "_" || isLetter($0) || isDigit($0) }
    }

    private static func isLetter(_ s: Unicode.Scalar) -> Bool {
        (s.value >= 0x41 && s.value <= 0x5A) || (s.value >= 0x61 && s.value <= 0x7A)
    }

    private static func isDigit(_ s: Unicode.Scalar) -> Bool {
        s.value >= 0x30 && s.value <= 0x39
    }

    private func error(_ message: String) -> ConfigError {
        ConfigError(keyPath: path, message: message)
    }
}
