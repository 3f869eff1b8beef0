/// ProtoJSON value forms (wire-formats.md §3): 64-bit integers as strings or numbers, uint32 as
/// numbers or strings, doubles with "NaN"/"Infinity"/"-Infinity", enums as numbers or names.
extension JSONReader {
    mutating func readUInt64() throws(JSONDecodeError) -> UInt64 {
        let start = position
        guard let value = try readNumber(allowingQuoted: true).uint64 else { throw JSONDecodeError(.numberOutOfRange(type: "uint64"), at: start) }
        return value
    }

    mutating func readInt64() throws(JSONDecodeError) -> Int64 {
        let start = position
        guard let value = try readNumber(allowingQuoted: true).int64 else { throw JSONDecodeError(.numberOutOfRange(type: "int64"), at: start) }
        return value
    }

    mutating func readUInt32() throws(JSONDecodeError) -> UInt32 {
        let start = position
        guard let wide = try readNumber(allowingQuoted: true).uint64, let value = UInt32(exactly: wide) else {
            throw JSONDecodeError(.numberOutOfRange(type: "uint32"), at: start)
        }
        return value
    }

    mutating func readDouble() throws(JSONDecodeError) -> Double {
        if try peek() == UInt8(ascii: "\"") {
            let start = position
            if consume("\"NaN\"") { return .nan }
            if consume("\"Infinity\"") { return .infinity }
            if consume("\"-Infinity\"") { return -.infinity }
            position = start
        }
        let start = position
        guard let value = try readNumber(allowingQuoted: true).double else { throw JSONDecodeError(.invalidNumber, at: start) }
        return value
    }

    /// An enum as its number or as one of `names` (index = value); an unknown name is an error.
    mutating func readEnum(names: [String]) throws(JSONDecodeError) -> Int32 {
        if try peek() == UInt8(ascii: "\"") {
            let start = position
            let name = try readString()
            if let index = names.firstIndex(of: name) { return Int32(index) }
            // A quoted number is still a number.
            guard let first = name.utf8.first, first == UInt8(ascii: "-") || (first >= UInt8(ascii: "0") && first <= UInt8(ascii: "9")),
                  let value = Int32(name)
            else { throw JSONDecodeError(.unknownEnumName(name), at: start) }
            return value
        }
        let start = position
        guard let wide = try readNumber(allowingQuoted: false).int64, let value = Int32(exactly: wide) else {
            throw JSONDecodeError(.numberOutOfRange(type: "enum (int32)"), at: start)
        }
        return value
    }

    private mutating func readNumber(allowingQuoted: Bool) throws(JSONDecodeError) -> JSONNumber {
        guard allowingQuoted, try peek() == UInt8(ascii: "\"") else { return try readNumberToken() }
        let start = position
        position &+= 1
        guard let number = JSONNumber.scan(base, from: position, end: end), number.end < end,
              byte(at: number.end) == UInt8(ascii: "\"")
        else { throw JSONDecodeError(.invalidNumber, at: start) }
        position = number.end + 1
        return number
    }

    /// Standard base64; URL-safe and unpadded forms accepted too.
    mutating func readBase64() throws(JSONDecodeError) -> [UInt8] {
        let start = position
        let text = try readString()
        guard let bytes = Base64.decode(text.utf8) else { throw JSONDecodeError(.invalidBase64, at: start) }
        return bytes
    }
}
