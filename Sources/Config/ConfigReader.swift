/// Typed reading of one config mapping. Records which keys were asked for, so that `finish()` can
/// reject leftovers (the collector's `unknown key`) and suggest the nearest asked-for key.
public final class ConfigReader {
    public let path: String
    public let file: String
    private let entries: [ConfigEntry]
    private var consumed: Set<String> = []
    /// Every key asked for, present or not, in first-asked order: did-you-mean candidates.
    private var asked: [String] = []
    /// Readers made by `child`: `finish` checks them too, so a nested key is never silently ignored.
    private var children: [ConfigReader] = []

    /// `node` must be a mapping, or null (an empty mapping).
    public init(_ node: ConfigNode, path: String, file: String) throws(ConfigError) {
        self.path = path
        self.file = file
        switch node {
        case .null: entries = []
        case .mapping(let items): entries = items
        default: throw ConfigError(file: file, keyPath: path, message: "expected a mapping, got \(node.kindName)")
        }
    }

    public var keys: [String] { entries.map(\.key) }

    public func has(_ key: String) -> Bool {
        noteAsked(key)
        return entries.contains { $0.key == key }
    }

    /// Raw access; marks the key as read.
    public func node(_ key: String) -> ConfigNode? {
        noteAsked(key)
        guard let value = entries.first(where: { $0.key == key })?.value else { return nil }
        consumed.insert(key)
        return value
    }

    public func string(_ key: String) throws(ConfigError) -> String? {
        try scalar(key, expected: "a string")
    }

    public func int(_ key: String) throws(ConfigError) -> Int? {
        try typed(key, expected: "an integer", Self.parseInt)
    }

    public func bool(_ key: String) throws(ConfigError) -> Bool? {
        try typed(key, expected: "true or false", Self.parseBool)
    }

    public func double(_ key: String) throws(ConfigError) -> Double? {
        try typed(key, expected: "a number", Self.parseDouble)
    }

    public func duration(_ key: String) throws(ConfigError) -> Duration? {
        try typed(key, expected: "a duration like 200ms or 5s", GoDuration.parse)
    }

    public func stringList(_ key: String) throws(ConfigError) -> [String]? {
        guard let value = node(key) else { return nil }
        switch value {
        case .null: return nil
        case .sequence(let items):
            var out: [String] = []
            for (index, item) in items.enumerated() {
                guard let text = item.scalarText else {
                    throw ConfigError(file: file, keyPath: KeyPath.index(keyPath(key), index), message: "expected a string, got \(item.kindName)")
                }
                out.append(text)
            }
            return out
        default: throw error(key, "expected a list, got \(value.kindName)")
        }
    }

    /// nil when absent; a key present with a null value is an empty reader, which is how the collector
    /// reads `http:` with no value: "enabled, with defaults".
    public func child(_ key: String) throws(ConfigError) -> ConfigReader? {
        guard let value = node(key) else { return nil }
        let reader = try ConfigReader(value, path: keyPath(key), file: file)
        children.append(reader)
        return reader
    }

    /// A list of mappings (`actions:`, say), each read like a `child`; nil when absent or null.
    public func mappingList(_ key: String) throws(ConfigError) -> [ConfigReader]? {
        guard let value = node(key) else { return nil }
        switch value {
        case .null: return nil
        case .sequence(let items):
            var readers: [ConfigReader] = []
            for (index, item) in items.enumerated() {
                let reader = try ConfigReader(item, path: KeyPath.index(keyPath(key), index), file: file)
                children.append(reader)
                readers.append(reader)
            }
            return readers
        default: throw error(key, "expected a list, got \(value.kindName)")
        }
    }

    public func error(_ key: String?, _ message: String) -> ConfigError {
        ConfigError(file: file, keyPath: key.map(keyPath) ?? path, message: message)
    }

    /// Rejects the first key neither this reader nor any reader it made (`child`) was asked for;
    /// not `recursive`: this reader's own keys only (its sections are read later).
    public func finish(recursive: Bool = true) throws(ConfigError) {
        if recursive { for child in children { try child.finish() } }
        guard let unknown = entries.first(where: { !consumed.contains($0.key) })?.key else { return }
        var message = "unknown key '\(unknown)' " + (path.isEmpty ? "at top level" : "in \(path)")
        if let suggestion = EditDistance.nearest(to: unknown, among: asked, maximum: 2) {
            message += " (did you mean '\(suggestion)'?)"
        }
        throw ConfigError(file: file, message: message)
    }

    private func keyPath(_ key: String) -> String { KeyPath.join(path, key) }

    private func noteAsked(_ key: String) {
        if !asked.contains(key) { asked.append(key) }
    }

    private func scalar(_ key: String, expected: String) throws(ConfigError) -> String? {
        guard let value = node(key) else { return nil }
        switch value {
        case .null: return nil
        case .scalar(let text), .string(let text): return text
        default: throw error(key, "expected \(expected), got \(value.kindName)")
        }
    }

    private func typed<T>(_ key: String, expected: String, _ parse: (String) -> T?) throws(ConfigError) -> T? {
        guard let text = try scalar(key, expected: expected) else { return nil }
        guard let value = parse(text) else { throw error(key, "expected \(expected), got '\(text)'") }
        return value
    }

    /// Decimal only, optional sign and `_` digit separators (YAML 1.1).
    static func parseInt(_ text: String) -> Int? {
        let digits = text.filter { $0 != "_" }
        guard !text.hasPrefix("_"), !text.hasSuffix("_") else { return nil }
        return Int(digits, radix: 10)
    }

    static func parseBool(_ text: String) -> Bool? {
        switch text {
        case "true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON": true
        case "false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF": false
        default: nil
        }
    }

    /// Decimal floats and YAML's `.inf`/`-.inf`/`.nan`; no hex or bare `inf` (which Swift would accept).
    static func parseDouble(_ text: String) -> Double? {
        switch text {
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .infinity
        case "-.inf", "-.Inf", "-.INF": return -.infinity
        case ".nan", ".NaN", ".NAN": return .nan
        default: break
        }
        guard text.allSatisfy({ $0.isASCIIDigit || "+-.eE".contains($0) }), text.contains(where: \.isASCIIDigit) else { return nil }
        return Double(text)
    }
}

enum EditDistance {
    /// The candidate closest to `word` within `maximum` edits; ties go to the earlier candidate.
    static func nearest(to word: String, among candidates: [String], maximum: Int) -> String? {
        var best: (word: String, distance: Int)?
        for candidate in candidates where candidate != word {
            let d = distance(word, candidate)
            if d <= maximum && d < (best?.distance ?? Int.max) { best = (candidate, d) }
        }
        return best?.word
    }

    /// Levenshtein distance over characters.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty else { return b.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in stride(from: 1, through: b.count, by: 1) {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            }
            previous = current
        }
        return previous[b.count]
    }
}
