/// What role a component plays in a pipeline.
public enum ComponentKind: String, Sendable, CaseIterable {
    case receiver, processor, exporter, `extension`, connector

    /// The top-level config section that holds components of this kind.
    public var section: String { rawValue + "s" }
}

/// `type[/name]`, with the OpenTelemetry Collector's rules: the type matches
/// `^[a-zA-Z][0-9a-zA-Z_]{0,62}$`; the name is non-empty, at most 1024 characters, with no
/// white space, control characters or `/`.
public struct ComponentID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let type: String
    public let name: String

    public init(type: String, name: String = "") {
        self.type = type
        self.name = name
    }

    public init(parsing text: String) throws(ComponentIDError) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        let type = String(parts[0])
        guard ComponentID.isValidType(type) else { throw ComponentIDError(text: text, reason: ComponentID.typeRule) }
        var name = ""
        if parts.count == 2 {
            name = String(parts[1])
            guard ComponentID.isValidName(name) else { throw ComponentIDError(text: text, reason: ComponentID.nameRule) }
        }
        self.init(type: type, name: name)
    }

    public var description: String { name.isEmpty ? type : "\(type)/\(name)" }

    public static func < (a: ComponentID, b: ComponentID) -> Bool { a.description < b.description }

    static let typeRule = "the type must start with a letter and hold only letters, digits and '_', at most 63 characters"
    static let nameRule = "the name after '/' must be 1 to 1024 characters with no spaces, control characters or '/'"

    public static func isValidType(_ s: String) -> Bool {
        let u = Array(s.utf8)
        guard (1...63).contains(u.count), isLetter(u[0]) else { return false }
        return u.allSatisfy { isLetter($0) || ($0 >= 48 && $0 <= 57) || $0 == UInt8(ascii: "_") }
    }

    public static func isValidName(_ s: String) -> Bool {
        guard !s.isEmpty, s.unicodeScalars.count <= 1024 else { return false }
        return s.unicodeScalars.allSatisfy { !$0.properties.isWhitespace && $0.value >= 0x20 && $0.value != 0x7F && $0 != "/" }
    }

    private static func isLetter(_ c: UInt8) -> Bool { (c >= 65 && c <= 90) || (c >= 97 && c <= 122) }
}

public struct ComponentIDError: Error, Equatable, Sendable, CustomStringConvertible {
    public let text: String
    public let reason: String
    public var description: String { "invalid component id '\(text)': \(reason)" }
}

/// A pipeline's id: `traces` or `traces/<name>`. Swiftlet carries traces only.
public typealias PipelineID = ComponentID
