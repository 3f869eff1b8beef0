import Diagnostics
import Glibc

/// One `--config` value → a config tree. Upstream URI forms: a plain path or `file:path`,
/// `env:VAR` (the variable holds a YAML document), `yaml:key::path: value` (inline YAML).
public struct ConfigSource {
    public static func load(
        uri: String, environment: [String: String], readFile: (String) throws -> String
    ) throws(ConfigError) -> ConfigNode {
        let root: ConfigNode
        switch scheme(of: uri) {
        case nil: root = try loadFile(uri, readFile: readFile)
        case "file": root = try loadFile(String(uri.dropFirst(5)), readFile: readFile)
        case "env": root = try loadEnv(String(uri.dropFirst(4)), environment: environment)
        case "yaml": root = try YAMLParser.parse(String(uri.dropFirst(5)), file: uri)
        case let other?:
            throw ConfigError(file: uri, message: "unsupported config URI scheme '\(other)' (use a path, file:, env: or yaml:)")
        }
        return try splitKeyPaths(try unwrapOperatorResource(root, file: uri))
    }

    /// The collector's resolver order: load every `--config` URI and merge in order, apply each `--set`
    /// on top, then expand `${...}` once over the merged tree.
    public static func resolve(
        base: ConfigNode = .null, uris: [String], sets: [String], environment: [String: String], readFile: (String) throws -> String
    ) throws(ConfigError) -> ConfigNode {
        var merged = base
        for uri in uris {
            merged = ConfigMerge.merge(merged, try load(uri: uri, environment: environment, readFile: readFile))
        }
        for assignment in sets {
            merged = try ConfigMerge.applySet(assignment, to: merged)
        }
        return try ConfigExpander.expand(merged, environment: environment)
    }

    /// The file a `--config` value reads, if it reads one (a bare path or `file:PATH`).
    public static func filePath(of uri: String) -> String? {
        switch scheme(of: uri) {
        case nil: uri
        case "file": String(uri.dropFirst(5))
        default: nil
        }
    }

    /// Upstream's URI pattern: a scheme is `[A-Za-z][A-Za-z0-9+.-]+` before the first `:`; otherwise a path.
    static func scheme(of uri: String) -> String? {
        guard let colon = uri.firstIndex(of: ":") else { return nil }
        let scheme = uri[..<colon]
        guard scheme.count >= 2, let first = scheme.unicodeScalars.first, first.properties.isAlphabetic, first.isASCII,
              scheme.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || $0.properties.numericType != nil || "+.-".unicodeScalars.contains($0)) })
        else { return nil }
        return String(scheme)
    }

    private static func loadFile(_ path: String, readFile: (String) throws -> String) throws(ConfigError) -> ConfigNode {
        let text: String
        do {
            text = try readFile(path)
        } catch let error as ConfigError {
            throw error
        } catch {
            throw ConfigError(file: path, message: "cannot read file: \(error)")
        }
        return try YAMLParser.parse(text, file: path)
    }

    /// Like upstream's env provider, an unset variable yields an empty document.
    private static func loadEnv(_ name: String, environment: [String: String]) throws(ConfigError) -> ConfigNode {
        guard !name.isEmpty else { throw ConfigError(file: "env:", message: "missing environment variable name") }
        return try YAMLParser.parse(environment[name] ?? "", file: "env:" + name)
    }

    /// An OpenTelemetry Operator `OpenTelemetryCollector` resource carries the config in `spec.config`,
    /// either as a YAML string (v1alpha1) or as a structured mapping (v1beta1).
    static func unwrapOperatorResource(_ root: ConfigNode, file: String) throws(ConfigError) -> ConfigNode {
        guard root["kind"]?.scalarText == "OpenTelemetryCollector" else { return root }
        switch root["spec"]?["config"] {
        case .scalar(let text)?, .string(let text)?:
            do {
                return try YAMLParser.parse(text, file: file)
            } catch {
                throw ConfigError(file: file, keyPath: "spec::config", message: error.message)
            }
        case .mapping(let entries)?: return .mapping(entries)
        case .null?, nil: throw ConfigError(file: file, keyPath: "spec::config", message: "OpenTelemetryCollector resource has no config")
        case .sequence?: throw ConfigError(file: file, keyPath: "spec::config", message: "expected a mapping or a YAML string, got a list")
        }
    }

    /// confmap treats `::` in any key as a level separator: `a::b: 1` is `a: {b: 1}`.
    static func splitKeyPaths(_ node: ConfigNode) throws(ConfigError) -> ConfigNode {
        switch node {
        case .sequence(let items):
            var out: [ConfigNode] = []
            for item in items { out.append(try splitKeyPaths(item)) }
            return .sequence(out)
        case .mapping(let entries):
            var result = ConfigNode.mapping([])
            for entry in entries {
                let keys = entry.key.splitKeys(on: "::")
                let value = try splitKeyPaths(entry.value)
                result = keys.count == 1
                    ? ConfigMerge.merge(result, .mapping([ConfigEntry(key: entry.key, value: value)]))
                    : ConfigMerge.merge(result, ConfigMerge.nested(keys, value))
            }
            return result
        default: return node
        }
    }

    /// Reads a whole file with stdio (no Foundation on the server path).
    public static func readFileContents(_ path: String) throws(ConfigError) -> String {
        switch FileContents.read(path) {
        case let .success(bytes): return String(decoding: bytes, as: UTF8.self)
        case let .failure(error): throw ConfigError(file: path, message: error.description)
        }
    }
}

extension String {
    func splitKeys(on separator: String) -> [String] {
        split(separator: separator, omittingEmptySubsequences: false).map(String.init)
    }
}
