/// A pull scanner over JSON bytes in raw memory (RFC 8259). Every read checks what is left.
struct JSONReader {
    let base: UnsafeRawPointer
    var position: Int
    let end: Int

    init(_ bytes: UnsafeRawBufferPointer) {
        base = bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!
        position = 0
        end = bytes.count
    }

    @inline(__always)
    func byte(at offset: Int) -> UInt8 { base.load(fromByteOffset: offset, as: UInt8.self) }

    @inline(__always)
    mutating func skipWhitespace() {
        while position < end {
            switch byte(at: position) {
            case 0x20, 0x0A, 0x0D, 0x09: position &+= 1
            default: return
            }
        }
    }

    /// The next significant byte after whitespace, or nil at the end; nothing is consumed but
    /// the whitespace.
    @inline(__always)
    mutating func skipWhitespaceAndPeek() -> UInt8? {
        skipWhitespace()
        return position < end ? byte(at: position) : nil
    }

    /// The next significant byte, after whitespace.
    mutating func peek() throws(JSONDecodeError) -> UInt8 {
        skipWhitespace()
        guard position < end else { throw JSONDecodeError(.unexpectedEnd, at: position) }
        return byte(at: position)
    }

    /// The next significant byte must be `expected`; consumes it. The common case, no whitespace
    /// before it, is inlined.
    @inline(__always)
    mutating func expect(_ expected: UInt8, _ description: StaticString) throws(JSONDecodeError) {
        if position < end, byte(at: position) == expected {
            position &+= 1
            return
        }
        try expectAfterWhitespace(expected, description)
    }

    private mutating func expectAfterWhitespace(_ expected: UInt8, _ description: StaticString) throws(JSONDecodeError) {
        let found = try peek()
        guard found == expected else { throw JSONDecodeError(.unexpectedCharacter(found: found, expected: "\(description)"), at: position) }
        position &+= 1
    }

    func unexpected(_ expected: String) -> JSONDecodeError {
        guard position < end else { return JSONDecodeError(.unexpectedEnd, at: position) }
        return JSONDecodeError(.unexpectedCharacter(found: byte(at: position), expected: expected), at: position)
    }

    /// Consumes `literal` if the input continues with it.
    mutating func consume(_ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard end - position >= count else { return false }
        let pointer = literal.utf8Start
        for i in 0..<count where byte(at: position + i) != pointer[i] { return false }
        position &+= count
        return true
    }

    /// `null` means "unset" in OTLP/JSON; consumes it and returns true.
    mutating func consumeNull() throws(JSONDecodeError) -> Bool {
        guard try peek() == UInt8(ascii: "n") else { return false }
        guard consume("null") else { throw unexpected("null") }
        return true
    }

    mutating func readBool() throws(JSONDecodeError) -> Bool {
        _ = try peek()
        if consume("true") { return true }
        if consume("false") { return false }
        throw unexpected("true or false")
    }

    // MARK: Objects and arrays

    mutating func beginObject() throws(JSONDecodeError) { try expect(UInt8(ascii: "{"), "'{'") }

    /// The next member's key (the ':' consumed), or nil after the closing '}'.
    mutating func nextKey(_ first: inout Bool) throws(JSONDecodeError) -> String? {
        guard try atNextMember(&first) else { return nil }
        let key = try readString()
        try expect(UInt8(ascii: ":"), "':'")
        return key
    }

    /// Moves to the opening quote of the next member's key and returns true, or past the
    /// closing '}' and returns false.
    mutating func atNextMember(_ first: inout Bool) throws(JSONDecodeError) -> Bool {
        var next = try peek()
        if next == UInt8(ascii: "}") {
            position &+= 1
            return false
        }
        if !first {
            guard next == UInt8(ascii: ",") else { throw unexpected("',' or '}'") }
            position &+= 1
            next = try peek()
        }
        first = false
        guard next == UInt8(ascii: "\"") else { throw unexpected("a quoted key") }
        return true
    }

    mutating func beginArray() throws(JSONDecodeError) { try expect(UInt8(ascii: "["), "'['") }

    /// True if another element follows (positioned at it), false after the closing ']'.
    mutating func nextElement(_ first: inout Bool) throws(JSONDecodeError) -> Bool {
        let next = try peek()
        if next == UInt8(ascii: "]") {
            position &+= 1
            return false
        }
        if !first {
            guard next == UInt8(ascii: ",") else { throw unexpected("',' or ']'") }
            position &+= 1
        }
        first = false
        return true
    }

    /// Skips any value without building it; containers may nest `depthLeft` more levels.
    /// Recursion is bounded by the depth limit.
    mutating func skipValue(depthLeft: Int, limit: Int) throws(JSONDecodeError) {
        switch try peek() {
        case UInt8(ascii: "{"):
            guard depthLeft > 0 else { throw JSONDecodeError(.depthLimit(limit), at: position) }
            try beginObject()
            var first = true
            while try nextKey(&first) != nil { try skipValue(depthLeft: depthLeft - 1, limit: limit) }
        case UInt8(ascii: "["):
            guard depthLeft > 0 else { throw JSONDecodeError(.depthLimit(limit), at: position) }
            try beginArray()
            var first = true
            while try nextElement(&first) { try skipValue(depthLeft: depthLeft - 1, limit: limit) }
        case UInt8(ascii: "\""): _ = try readString()
        case UInt8(ascii: "t"), UInt8(ascii: "f"): _ = try readBool()
        case UInt8(ascii: "n"): _ = try consumeNull()
        default: _ = try readNumberToken()
        }
    }
}
