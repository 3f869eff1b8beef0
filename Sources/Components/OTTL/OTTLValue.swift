import TraceModel

/// A value while an OTTL statement runs: what a path, a literal or a converter gives. Attribute
/// values become these when read and go back to `AnyValue` when set; enums are integers, as in
/// the Collector.
enum OTTLValue: Sendable, Equatable {
    case none
    case string(String)
    case int(Int64)
    case double(Double)
    case bool(Bool)
    case bytes([UInt8])
    case map([KeyValue])
    case list([AnyValue])
    case traceID(TraceID)
    case spanID(SpanID)

    init(_ value: AnyValue) {
        switch value {
        case .empty: self = .none
        case .string(let s): self = .string(s)
        case .int(let i): self = .int(i)
        case .double(let d): self = .double(d)
        case .bool(let b): self = .bool(b)
        case .bytes(let b): self = .bytes(b)
        case .array(let a): self = .list(a)
        case .kvlist(let m): self = .map(m)
        }
    }

    /// The attribute value this becomes when set; nil for nothing to set.
    var anyValue: AnyValue? {
        switch self {
        case .none: nil
        case .string(let s): .string(s)
        case .int(let i): .int(i)
        case .double(let d): .double(d)
        case .bool(let b): .bool(b)
        case .bytes(let b): .bytes(b)
        case .map(let m): .kvlist(m)
        case .list(let l): .array(l)
        case .traceID(let id): .bytes(id.bytes)
        case .spanID(let id): .bytes(id.bytes)
        }
    }

    var typeName: String {
        switch self {
        case .none: "nil"
        case .string: "string"
        case .int: "int64"
        case .double: "float64"
        case .bool: "bool"
        case .bytes: "[]byte"
        case .map: "pcommon.Map"
        case .list: "pcommon.Slice"
        case .traceID: "pcommon.TraceID"
        case .spanID: "pcommon.SpanID"
        }
    }
}

/// The comparison operators of OTTL's grammar.
enum OTTLComparison: String, Sendable {
    case equal = "==", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="

    /// The Collector's `compare.go`: numbers compare across int and float, strings and bytes in
    /// order, booleans and nil only for equality (nil equals only nil; `nil <= nil` holds); values
    /// of other kinds or of different kinds are unequal and never ordered.
    func holds(_ a: OTTLValue, _ b: OTTLValue) -> Bool {
        switch (a, b) {
        case (.none, .none):
            return self == .equal || self == .lessOrEqual || self == .greaterOrEqual
        case (.none, _), (_, .none):
            return self == .notEqual
        case let (.int(x), .int(y)): return ordered(x, y)
        case let (.int(x), .double(y)): return ordered(Double(x), y)
        case let (.double(x), .int(y)): return ordered(x, Double(y))
        case let (.double(x), .double(y)): return ordered(x, y)
        case let (.string(x), .string(y)): return ordered(x, y)
        case let (.bytes(x), .bytes(y)): return ordered(x, y)
        case let (.bool(x), .bool(y)): return equality(x == y)
        case let (.traceID(x), .traceID(y)): return equality(x == y)
        case let (.spanID(x), .spanID(y)): return equality(x == y)
        case let (.map(x), .map(y)): return equality(x == y)
        case let (.list(x), .list(y)): return equality(x == y)
        default: return self == .notEqual
        }
    }

    private func equality(_ equal: Bool) -> Bool {
        switch self {
        case .equal: equal
        case .notEqual: !equal
        default: false
        }
    }

    private func ordered<T: Comparable>(_ x: T, _ y: T) -> Bool {
        switch self {
        case .equal: x == y
        case .notEqual: x != y
        case .less: x < y
        case .lessOrEqual: x <= y
        case .greater: x > y
        case .greaterOrEqual: x >= y
        }
    }

    /// Strings compare as Go compares them, byte by byte (not by Unicode canonical equivalence).
    private func ordered(_ x: String, _ y: String) -> Bool {
        switch self {
        case .equal: x.hasSameUTF8(as: y)
        case .notEqual: !x.hasSameUTF8(as: y)
        case .less: x.utf8.lexicographicallyPrecedes(y.utf8)
        case .lessOrEqual: !y.utf8.lexicographicallyPrecedes(x.utf8)
        case .greater: y.utf8.lexicographicallyPrecedes(x.utf8)
        case .greaterOrEqual: !x.utf8.lexicographicallyPrecedes(y.utf8)
        }
    }

    private func ordered(_ x: [UInt8], _ y: [UInt8]) -> Bool {
        switch self {
        case .equal: x == y
        case .notEqual: x != y
        case .less: x.lexicographicallyPrecedes(y)
        case .lessOrEqual: !y.lexicographicallyPrecedes(x)
        case .greater: y.lexicographicallyPrecedes(x)
        case .greaterOrEqual: !x.lexicographicallyPrecedes(y)
        }
    }
}

/// Why a statement could not run on one span (a converter's input of the wrong kind, say).
struct OTTLError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
