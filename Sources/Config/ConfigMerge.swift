/// Combining config documents the way the collector's resolver does.
public enum ConfigMerge {
    /// Maps merge recursively (base order kept, new keys appended); anything else in `overlay`,
    /// including an explicit null, replaces the base value. A null (empty) overlay document changes nothing.
    public static func merge(_ base: ConfigNode, _ overlay: ConfigNode) -> ConfigNode {
        switch (base, overlay) {
        case (_, .null): return base
        case (.mapping(let baseEntries), .mapping(let overlayEntries)):
            return .mapping(mergeEntries(baseEntries, overlayEntries))
        default: return overlay
        }
    }

    private static func mergeEntries(_ base: [ConfigEntry], _ overlay: [ConfigEntry]) -> [ConfigEntry] {
        var result = base
        for entry in overlay {
            guard let index = result.firstIndex(where: { $0.key == entry.key }) else {
                result.append(entry)
                continue
            }
            result[index].value = mergeValue(result[index].value, entry.value)
        }
        return result
    }

    /// Below the root a null overlay value replaces (koanf semantics): `http:` resets to defaults.
    private static func mergeValue(_ base: ConfigNode, _ overlay: ConfigNode) -> ConfigNode {
        if case .null = overlay { return .null }
        return merge(base, overlay)
    }

    /// `--set key::path=value`: the value is parsed as YAML and merged in at the key path.
    /// Upstream documents both `processors::batch::timeout=2s` and the older `processors.batch.timeout=2s`;
    /// dots split levels only when the key contains no `::`.
    public static func applySet(_ assignment: String, to node: ConfigNode) throws(ConfigError) -> ConfigNode {
        guard let equals = assignment.firstIndex(of: "=") else {
            throw ConfigError(file: "--set", message: "missing '=' in '\(assignment)' (expected key::path=value)")
        }
        let keys = try keyPath(String(assignment[..<equals]).trimmed, assignment: assignment)
        let value = try YAMLParser.parse(String(assignment[assignment.index(after: equals)...]).trimmed, file: "--set")
        return merge(node, nested(keys, value))
    }

    private static func keyPath(_ key: String, assignment: String) throws(ConfigError) -> [String] {
        let separator = key.contains("::") ? "::" : "."
        let keys = key.split(separator: separator, omittingEmptySubsequences: false).map(String.init)
        guard !keys.contains(where: \.isEmpty) else {
            throw ConfigError(file: "--set", message: "empty key in '\(assignment)'")
        }
        return keys
    }

    static func nested(_ keys: [String], _ value: ConfigNode) -> ConfigNode {
        keys.reversed().reduce(value) { inner, key in .mapping([ConfigEntry(key: key, value: inner)]) }
    }
}

extension String {
    var trimmed: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[first...last])
    }
}
