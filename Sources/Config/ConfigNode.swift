/// The neutral config tree: what YAML parses into and what components read from.
/// Scalars keep their text; typing (int, bool, duration, …) happens in `ConfigReader`.
public indirect enum ConfigNode: Equatable, Sendable {
    case null
    case scalar(String)
    /// A scalar quoted (or tagged `!!str`) whose text, written plain, would read as a number or a
    /// boolean: a string all the same. Typed reads take its text as they take a `scalar`'s;
    /// only a value of any type (`YAMLScalar`) tells the two apart.
    case string(String)
    case sequence([ConfigNode])
    /// Keeps document order; keys are unique.
    case mapping([ConfigEntry])
}

public struct ConfigEntry: Equatable, Sendable {
    public var key: String
    public var value: ConfigNode

    public init(key: String, value: ConfigNode) {
        self.key = key
        self.value = value
    }
}

extension ConfigNode {
    /// The value stored under `key` when this is a mapping.
    public subscript(key: String) -> ConfigNode? {
        guard case .mapping(let entries) = self else { return nil }
        return entries.first { $0.key == key }?.value
    }

    /// The text of a scalar, quoted or not.
    public var scalarText: String? {
        switch self {
        case .scalar(let text), .string(let text): text
        default: nil
        }
    }

    /// The value of a scalar as YAML types it (`value: 1` an integer, `value: "1"` a string); nil
    /// for a list or a mapping.
    public var typedScalar: YAMLScalar? {
        switch self {
        case .null: .null
        case .scalar(let text):
            // A plain null form is `.null`; as a scalar it was quoted.
            YAMLScalar.resolve(plain: text) == .null ? .string(text) : YAMLScalar.resolve(plain: text)
        case .string(let text): .string(text)
        case .sequence, .mapping: nil
        }
    }

    /// Short name of the node's kind for error messages.
    var kindName: String {
        switch self {
        case .null: "null"
        case .scalar(let text), .string(let text): "'\(text)'"
        case .sequence: "a list"
        case .mapping: "a mapping"
        }
    }
}

/// A config problem with what a person needs to fix it: the source, the key path, what is wrong.
public struct ConfigError: Error, Equatable, Sendable, CustomStringConvertible {
    public var file: String
    /// Levels joined by `::`, e.g. `receivers::otlp::protocols`.
    public var keyPath: String
    public var message: String

    public init(file: String = "", keyPath: String = "", message: String) {
        self.file = file
        self.keyPath = keyPath
        self.message = message
    }

    /// `<file>: <keyPath>: <message>`, empty parts omitted, always one line.
    public var description: String {
        let line = [file, keyPath, message].filter { !$0.isEmpty }.joined(separator: ": ")
        return String(line.map { $0.isNewline ? " " : $0 })
    }
}

enum KeyPath {
    static func join(_ path: String, _ key: String) -> String {
        path.isEmpty ? key : path + "::" + key
    }

    static func index(_ path: String, _ index: Int) -> String {
        path + "[\(index)]"
    }
}
