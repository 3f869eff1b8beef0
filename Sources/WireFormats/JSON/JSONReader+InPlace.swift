/// Reading member keys and short strings in place, for decoders that match keys against known
/// names without making a `String` of each (the Zipkin JSON decoders).
extension JSONReader {
    /// The content of a string without escapes, as bytes of the input (the quotes consumed). Returns
    /// nil, with the position unchanged, when the string has an escape: the caller then uses
    /// `readString`. The bytes are not checked for UTF-8; callers accept only ASCII from them.
    mutating func readStringInPlace() throws(JSONDecodeError) -> UnsafeRawBufferPointer? {
        let quote = position
        try expect(UInt8(ascii: "\""), "'\"'")
        let start = position
        skipPlainStringBytes()
        while position < end {
            let c = byte(at: position)
            if c == UInt8(ascii: "\"") {
                position &+= 1
                return UnsafeRawBufferPointer(start: base + start, count: position - 1 - start)
            }
            if c == UInt8(ascii: "\\") {
                position = quote
                return nil
            }
            if c < 0x20 { throw JSONDecodeError(.controlCharacterInString, at: position) }
            position &+= 1
        }
        throw JSONDecodeError(.unexpectedEnd, at: position)
    }

    /// The next member's key (the ':' consumed), or nil after the closing '}'.
    mutating func nextMemberKey(_ first: inout Bool) throws(JSONDecodeError) -> JSONMemberKey? {
        guard try atNextMember(&first) else { return nil }
        let key: JSONMemberKey
        if let bytes = try readStringInPlace() {
            key = JSONMemberKey(bytes: bytes, decoded: nil)
        } else {
            key = JSONMemberKey(bytes: UnsafeRawBufferPointer(start: nil, count: 0), decoded: try readString())
        }
        try expect(UInt8(ascii: ":"), "':'")
        return key
    }
}

/// A member key as read: bytes in the input, or for a key with escapes its decoded text.
struct JSONMemberKey {
    let bytes: UnsafeRawBufferPointer
    let decoded: String?

    /// Whether the key equals `name` ignoring ASCII case, as Go's encoding/json matches struct
    /// fields. `name` must be lowercase.
    func matches(_ name: StaticString) -> Bool {
        guard let decoded else { return Self.equalIgnoringCase(bytes, name) }
        var text = decoded
        return text.withUTF8 { Self.equalIgnoringCase(UnsafeRawBufferPointer($0), name) }
    }

    /// The index of the first of `names` that matches. Names of another length are passed over
    /// without a call: most keys are told apart by length alone.
    func index(in names: [StaticString]) -> Int? {
        if decoded != nil { return names.firstIndex(where: matches) }
        let count = bytes.count
        for i in names.indices where names[i].utf8CodeUnitCount == count {
            if Self.equalIgnoringCase(bytes, names[i]) { return i }
        }
        return nil
    }

    private static func equalIgnoringCase(_ bytes: UnsafeRawBufferPointer, _ name: StaticString) -> Bool {
        let count = name.utf8CodeUnitCount
        guard bytes.count == count else { return false }
        let expected = name.utf8Start
        for i in 0..<count {
            let b = bytes[i]
            let e = expected[i]
            if b == e { continue }
            guard e >= UInt8(ascii: "a"), e <= UInt8(ascii: "z"), b | 0x20 == e else { return false }
        }
        return true
    }
}
