/// A JSON document as a tree (RFC 8259), for small documents read by member name — Kubernetes
/// API objects — not for the span hot path, which reads in place.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// Containers nest at most this deep.
    public static let maxDepth = 64

    /// The whole of `bytes` must be one value, with whitespace around it.
    public static func parse(_ bytes: [UInt8]) throws(JSONDecodeError) -> JSONValue {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(JSONDecodeError) -> JSONValue in
                var reader = JSONReader(raw)
                let value = try reader.readValue(depthLeft: maxDepth)
                guard reader.skipWhitespaceAndPeek() == nil else { throw JSONDecodeError(.trailingGarbage, at: reader.position) }
                return value
            }
        }
        return try result.get()
    }

    public subscript(key: String) -> JSONValue? {
        if case let .object(members) = self { return members[key] }
        return nil
    }

    /// The value at a path of member names (`value["metadata", "name"]`).
    public subscript(path: String...) -> JSONValue? {
        var value: JSONValue? = self
        for key in path { value = value?[key] }
        return value
    }

    public var string: String? {
        if case let .string(s) = self { return s }
        return nil
    }

    public var int: Int? {
        if case let .number(d) = self, d.rounded(.towardZero) == d, abs(d) < 9.0e15 { return Int(d) }
        return nil
    }

    public var array: [JSONValue] {
        if case let .array(a) = self { return a }
        return []
    }

    /// An object's members whose values are strings (Kubernetes labels and annotations).
    public var stringMembers: [String: String] {
        guard case let .object(members) = self else { return [:] }
        return members.compactMapValues(\.string)
    }
}

extension JSONReader {
    mutating func readValue(depthLeft: Int) throws(JSONDecodeError) -> JSONValue {
        switch try peek() {
        case UInt8(ascii: "{"):
            guard depthLeft > 0 else { throw JSONDecodeError(.depthLimit(JSONValue.maxDepth), at: position) }
            try beginObject()
            var members: [String: JSONValue] = [:]
            var first = true
            while let key = try nextKey(&first) { members[key] = try readValue(depthLeft: depthLeft - 1) }
            return .object(members)
        case UInt8(ascii: "["):
            guard depthLeft > 0 else { throw JSONDecodeError(.depthLimit(JSONValue.maxDepth), at: position) }
            try beginArray()
            var elements: [JSONValue] = []
            var first = true
            while try nextElement(&first) { elements.append(try readValue(depthLeft: depthLeft - 1)) }
            return .array(elements)
        case UInt8(ascii: "\""): return .string(try readString())
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool(try readBool())
        case UInt8(ascii: "n"):
            guard try consumeNull() else { throw unexpected("null") }
            return .null
        default:
            let start = position
            guard let d = try readNumberToken().double else { throw JSONDecodeError(.invalidNumber, at: start) }
            return .number(d)
        }
    }
}
