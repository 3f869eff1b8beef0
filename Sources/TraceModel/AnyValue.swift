/// An OTLP `AnyValue`: one of the attribute value kinds, or empty (no member set). Not `indirect`:
/// the nested kinds already live in arrays, and boxing every value would cost an allocation each.
public enum AnyValue: Sendable {
    case empty
    case string(String)
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case bytes([UInt8])
    case array([AnyValue])
    case kvlist([KeyValue])
}

extension AnyValue: Equatable {
    /// Doubles compare by bit pattern so that NaN equals itself: equality here means "the same
    /// data", which is what round-trip tests need.
    public static func == (lhs: AnyValue, rhs: AnyValue) -> Bool {
        switch (lhs, rhs) {
        case (.empty, .empty): return true
        case let (.string(a), .string(b)): return a == b
        case let (.bool(a), .bool(b)): return a == b
        case let (.int(a), .int(b)): return a == b
        case let (.double(a), .double(b)): return a.bitPattern == b.bitPattern
        case let (.bytes(a), .bytes(b)): return a == b
        case let (.array(a), .array(b)): return a == b
        case let (.kvlist(a), .kvlist(b)): return a == b
        default: return false
        }
    }
}

/// An attribute: a key and its value.
public struct KeyValue: Equatable, Sendable {
    public var key: String
    public var value: AnyValue

    public init(_ key: String, _ value: AnyValue) {
        self.key = key
        self.value = value
    }
}

extension Array where Element == KeyValue {
    /// The value of the first attribute with this key.
    public subscript(key key: String) -> AnyValue? {
        first(where: { $0.hasKey(key) })?.value
    }
}
