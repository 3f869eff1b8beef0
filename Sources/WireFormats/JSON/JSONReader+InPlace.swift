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

    /// The index of the first of `names` that matches.
    func index(in names: JSONMemberNames) -> Int? {
        if decoded != nil { return names.names.firstIndex(where: matches) }
        guard !bytes.isEmpty, bytes.count <= JSONMemberNames.maxCount else { return nil }
        return names.index(ofFolded: JSONMemberNames.foldedWords(bytes), count: bytes.count)
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

/// Member names (lowercase letters and digits, at most 24 bytes) prepared for matching keys
/// ignoring ASCII case in three word compares: each name's bytes as words, every byte ORed with
/// 0x20. That maps only the letter's two cases onto a lowercase letter, and onto a digit only the
/// digit itself or a control character, which cannot stand unescaped in a JSON string.
struct JSONMemberNames {
    typealias Words = (UInt64, UInt64, UInt64)
    static let maxCount = 24

    let names: [StaticString]
    /// (index in `names`, folded words), ordered by the name's length.
    private let entries: [(index: Int, words: Words)]
    /// For each length 0...24, the range of `entries` of that length.
    private let byCount: [Range<Int>]

    init(_ names: [StaticString]) {
        self.names = names
        var entries: [(index: Int, words: Words)] = []
        var byCount: [Range<Int>] = []
        for count in 0...Self.maxCount {
            let start = entries.count
            for (index, name) in names.enumerated() where name.utf8CodeUnitCount == count {
                let bytes = UnsafeRawBufferPointer(start: name.utf8Start, count: count)
                precondition(bytes.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) },
                             "a member name must be lowercase letters and digits")
                entries.append((index, Self.foldedWords(bytes)))
            }
            byCount.append(start..<entries.count)
        }
        precondition(entries.count == names.count, "a member name must be at most 24 bytes")
        self.entries = entries
        self.byCount = byCount
    }

    /// The first 24 bytes, zero-padded, as words with every byte ORed with 0x20.
    @inline(__always)
    static func foldedWords(_ bytes: UnsafeRawBufferPointer) -> Words {
        var words: Words = (0, 0, 0)
        let count = min(bytes.count, maxCount)
        withUnsafeMutableBytes(of: &words) { $0.baseAddress!.copyMemory(from: bytes.baseAddress!, byteCount: count) }
        let spaces: UInt64 = 0x2020_2020_2020_2020
        return (words.0 | spaces, words.1 | spaces, words.2 | spaces)
    }

    /// `count` at most `maxCount`.
    func index(ofFolded words: Words, count: Int) -> Int? {
        for i in byCount[count] where entries[i].words == words { return entries[i].index }
        return nil
    }
}
