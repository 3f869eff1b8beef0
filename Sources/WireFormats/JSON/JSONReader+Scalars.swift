/// Strings and numbers.
extension JSONReader {
    /// A JSON string with all escapes, including `\uXXXX` surrogate pairs; must be valid UTF-8.
    mutating func readString() throws(JSONDecodeError) -> String {
        if let text = try readStringInPlace() {
            guard let string = UTF8Text.string(text.assumingMemoryBound(to: UInt8.self)) else {
                throw JSONDecodeError(.invalidUTF8, at: position - 1 - text.count)
            }
            return string
        }
        // An escape: `readStringInPlace` left the position at the opening quote and saw nothing
        // but plain bytes before the backslash.
        try expect(UInt8(ascii: "\""), "'\"'")
        let start = position
        while position < end, byte(at: position) != UInt8(ascii: "\\") { position &+= 1 }
        return try readEscapedString(from: start)
    }

    /// Moves past string content that needs no attention (no quote, backslash or control
    /// character) eight bytes at a time, stopping at the first byte that needs it; within the last
    /// seven bytes of the input, the byte-wise loop of the caller goes on. "Some byte below 0x20"
    /// and "some byte zero" (in the word XORed with the quote or backslash) are the classic
    /// word-at-a-time tests; they may flag bytes above a real match (a borrow), never below one,
    /// so the lowest flag is exact.
    @inline(__always)
    mutating func skipPlainStringBytes() {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highBits: UInt64 = 0x8080_8080_8080_8080
        while end &- position >= 8 {
            let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: position, as: UInt64.self))
            let quote = word ^ (ones &* 0x22)
            let backslash = word ^ (ones &* 0x5C)
            let special = (((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash) | ((word &- ones &* 0x20) & ~word)) & highBits
            if special != 0 {
                position &+= special.trailingZeroBitCount >> 3
                return
            }
            position &+= 8
        }
    }

    private mutating func readEscapedString(from start: Int) throws(JSONDecodeError) -> String {
        var utf8 = [UInt8](UnsafeRawBufferPointer(start: base + start, count: position - start))
        while position < end {
            let c = byte(at: position)
            position &+= 1
            switch c {
            case UInt8(ascii: "\""):
                guard let string = utf8.withUnsafeBufferPointer(UTF8Text.string) else { throw JSONDecodeError(.invalidUTF8, at: start) }
                return string
            case UInt8(ascii: "\\"): try appendEscape(to: &utf8)
            case 0..<0x20: throw JSONDecodeError(.controlCharacterInString, at: position - 1)
            default: utf8.append(c)
            }
        }
        throw JSONDecodeError(.unexpectedEnd, at: position)
    }

    private mutating func appendEscape(to utf8: inout [UInt8]) throws(JSONDecodeError) {
        let escapeStart = position - 1
        guard position < end else { throw JSONDecodeError(.unexpectedEnd, at: position) }
        let c = byte(at: position)
        position &+= 1
        switch c {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(c)
        case UInt8(ascii: "b"): utf8.append(0x08)
        case UInt8(ascii: "f"): utf8.append(0x0C)
        case UInt8(ascii: "n"): utf8.append(0x0A)
        case UInt8(ascii: "r"): utf8.append(0x0D)
        case UInt8(ascii: "t"): utf8.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try readHex4()
            if (0xD800..<0xDC00).contains(scalar) {
                // A high surrogate must be followed by an escaped low surrogate.
                guard consume("\\u") else { throw JSONDecodeError(.invalidEscape, at: escapeStart) }
                let low = try readHex4()
                guard (0xDC00..<0xE000).contains(low) else { throw JSONDecodeError(.invalidEscape, at: escapeStart) }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            }
            guard let unicode = Unicode.Scalar(scalar) else { throw JSONDecodeError(.invalidEscape, at: escapeStart) }
            utf8.append(contentsOf: UTF8.encode(unicode).map { Array($0) } ?? [])
        default: throw JSONDecodeError(.invalidEscape, at: escapeStart)
        }
    }

    private mutating func readHex4() throws(JSONDecodeError) -> UInt32 {
        guard end - position >= 4 else { throw JSONDecodeError(.invalidEscape, at: position) }
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let digit = hexDigitValue(byte(at: position)) else { throw JSONDecodeError(.invalidEscape, at: position) }
            value = value << 4 | UInt32(digit)
            position &+= 1
        }
        return value
    }

    /// The bytes of a number per the JSON grammar `-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?`.
    mutating func readNumberToken() throws(JSONDecodeError) -> JSONNumber {
        _ = try peek()
        let start = position
        guard let number = JSONNumber.scan(base, from: position, end: end) else {
            throw JSONDecodeError(.invalidNumber, at: start)
        }
        position = number.end
        return number
    }
}

@inline(__always)
func hexDigitValue(_ c: UInt8) -> UInt8? {
    switch c {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return c &- UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return c &- UInt8(ascii: "a") &+ 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return c &- UInt8(ascii: "A") &+ 10
    default: return nil
    }
}

/// A validated number token (or the content of a quoted number) and its conversions.
struct JSONNumber {
    let text: UnsafeBufferPointer<UInt8>
    let end: Int
    let isInteger: Bool

    static func scan(_ base: UnsafeRawPointer, from start: Int, end limit: Int) -> JSONNumber? {
        var i = start
        func at(_ i: Int) -> UInt8 { i < limit ? base.load(fromByteOffset: i, as: UInt8.self) : 0 }
        func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }
        if at(i) == UInt8(ascii: "-") { i += 1 }
        if at(i) == UInt8(ascii: "0") {
            i += 1
        } else {
            guard isDigit(at(i)) else { return nil }
            while isDigit(at(i)) { i += 1 }
        }
        var isInteger = true
        if at(i) == UInt8(ascii: ".") {
            isInteger = false
            i += 1
            guard isDigit(at(i)) else { return nil }
            while isDigit(at(i)) { i += 1 }
        }
        if at(i) == UInt8(ascii: "e") || at(i) == UInt8(ascii: "E") {
            isInteger = false
            i += 1
            if at(i) == UInt8(ascii: "+") || at(i) == UInt8(ascii: "-") { i += 1 }
            guard isDigit(at(i)) else { return nil }
            while isDigit(at(i)) { i += 1 }
        }
        let text = UnsafeBufferPointer(start: (base + start).assumingMemoryBound(to: UInt8.self), count: i - start)
        return JSONNumber(text: text, end: i, isInteger: isInteger)
    }

    var double: Double? { Double(String(decoding: text, as: UTF8.self)) }

    /// Integers may be written with a fraction or exponent if the value is integral (ProtoJSON).
    var int64: Int64? {
        if isInteger { return Self.parseInteger(text) }
        guard let d = double, d.rounded(.towardZero) == d, d >= -9.223372036854775808e18, d < 9.223372036854775808e18 else { return nil }
        return Int64(d)
    }

    var uint64: UInt64? {
        if isInteger {
            guard text.first != UInt8(ascii: "-") else { return text.count == 2 && text[1] == UInt8(ascii: "0") ? 0 : nil }
            return Self.parseUnsigned(text[...])
        }
        guard let d = double, d.rounded(.towardZero) == d, d >= 0, d < 1.8446744073709551616e19 else { return nil }
        return UInt64(d)
    }

    private static func parseInteger(_ text: UnsafeBufferPointer<UInt8>) -> Int64? {
        let negative = text.first == UInt8(ascii: "-")
        guard let magnitude = parseUnsigned(negative ? text[1...] : text[...]) else { return nil }
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { return nil }
            return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
        }
        guard magnitude <= UInt64(Int64.max) else { return nil }
        return Int64(magnitude)
    }

    private static func parseUnsigned(_ digits: Slice<UnsafeBufferPointer<UInt8>>) -> UInt64? {
        var value: UInt64 = 0
        for c in digits {
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(UInt64(c &- UInt8(ascii: "0")))
            guard !o1, !o2 else { return nil }
            value = sum
        }
        return value
    }
}
