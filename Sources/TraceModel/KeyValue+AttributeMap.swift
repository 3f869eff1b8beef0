/// Attribute lists edited the way the Go collector's `pcommon.Map` edits them, so translated
/// data keeps upstream's attribute order (which the debug exporter prints).
extension Array where Element == KeyValue {
    /// `Map.Put*`: replaces the value of an existing key in place, else appends.
    public mutating func put(_ key: String, _ value: AnyValue) {
        if let i = firstIndex(where: { $0.key == key }) {
            self[i].value = value
        } else {
            append(KeyValue(key, value))
        }
    }

    /// `Map.Remove`: the last attribute takes the removed one's place. Returns the removed value.
    @discardableResult
    public mutating func swapRemove(_ key: String) -> AnyValue? {
        guard let i = firstIndex(where: { $0.key == key }) else { return nil }
        let value = self[i].value
        self[i] = self[count - 1]
        removeLast()
        return value
    }
}

extension AnyValue {
    /// `Value.Str()`: the string of a string value, "" for any other kind.
    public var stringValue: String {
        if case .string(let s) = self { return s }
        return ""
    }
}
