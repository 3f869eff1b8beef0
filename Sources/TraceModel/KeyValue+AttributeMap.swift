/// Attribute lists edited the way the Go collector's `pcommon.Map` edits them, so translated
/// data keeps upstream's attribute order (which the debug exporter prints).
extension Array where Element == KeyValue {
    /// `Map.Put*`: replaces the value of an existing key in place, else appends.
    public mutating func put(_ key: String, _ value: AnyValue) {
        if let i = firstIndex(where: { $0.hasKey(key) }) {
            self[i].value = value
        } else {
            append(KeyValue(key, value))
        }
    }

    /// `Map.Remove`: the last attribute takes the removed one's place. Returns the removed value.
    @discardableResult
    public mutating func swapRemove(_ key: String) -> AnyValue? {
        guard let i = firstIndex(where: { $0.hasKey(key) }) else { return nil }
        let value = self[i].value
        self[i] = self[count - 1]
        removeLast()
        return value
    }
}

extension KeyValue {
    /// Whether the key is `other` byte for byte, as Go compares `pcommon.Map` keys.
    @inlinable
    public func hasKey(_ other: String) -> Bool { key.hasSameUTF8(as: other) }
}

extension String {
    /// Byte equality of the UTF-8, as Go compares strings. Swift's `==` compares canonical
    /// equivalence instead (a precomposed and a decomposed "é" are one key to it, two to the
    /// Collector). Strings with the same bytes are equal to `==` too, whose fast paths (small
    /// ASCII strings) decide most unequal pairs; only the pairs it calls equal are compared bytewise.
    @inlinable
    public func hasSameUTF8(as other: String) -> Bool {
        guard utf8.count == other.utf8.count, self == other else { return false }
        return utf8.elementsEqual(other.utf8)
    }
}

/// An attribute key as a dictionary key, equal and hashed by its bytes like `KeyValue.hasKey`.
public struct AttributeKey: Hashable, Sendable {
    public let key: String

    public init(_ key: String) { self.key = key }

    public static func == (a: AttributeKey, b: AttributeKey) -> Bool { a.key.hasSameUTF8(as: b.key) }

    public func hash(into hasher: inout Hasher) {
        var key = key
        key.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}

extension AnyValue {
    /// `Value.Str()`: the string of a string value, "" for any other kind.
    public var stringValue: String {
        if case .string(let s) = self { return s }
        return ""
    }
}
