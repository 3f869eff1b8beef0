/// Appends JSON text to one growing buffer.
public struct JSONWriter {
    public private(set) var bytes: [UInt8] = []
    /// Whether the current object or array already has a member (a ',' is due before the next).
    private var needsComma = false

    public init(capacity: Int = 1024) {
        bytes.reserveCapacity(capacity)
    }

    mutating func append(_ literal: StaticString) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }

    public mutating func beginObject() {
        separate()
        bytes.append(UInt8(ascii: "{"))
        needsComma = false
    }

    public mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
        needsComma = true
    }

    public mutating func beginArray() {
        separate()
        bytes.append(UInt8(ascii: "["))
        needsComma = false
    }

    public mutating func endArray() {
        bytes.append(UInt8(ascii: "]"))
        needsComma = true
    }

    /// Writes `"key":`; the value written next needs no comma.
    public mutating func key(_ key: StaticString) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        append(key)
        append("\":")
        needsComma = false
    }

    /// Writes `"key":` for a key known only at run time.
    public mutating func dynamicKey(_ key: String) {
        string(key)
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    private mutating func separate() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
    }

    /// A value already encoded as JSON.
    public mutating func rawValue(_ json: [UInt8]) {
        separate()
        bytes.append(contentsOf: json)
        needsComma = true
    }

    public mutating func string(_ value: String) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        for c in value.utf8 {
            switch c {
            case UInt8(ascii: "\""): append("\\\"")
            case UInt8(ascii: "\\"): append("\\\\")
            case 0x0A: append("\\n")
            case 0x0D: append("\\r")
            case 0x09: append("\\t")
            case 0..<0x20:
                append("\\u00")
                bytes.append(hexDigitASCII(c >> 4))
                bytes.append(hexDigitASCII(c & 0xF))
            default: bytes.append(c)
            }
        }
        bytes.append(UInt8(ascii: "\""))
        needsComma = true
    }

    /// Already-safe ASCII text (digits, hex, base64) in quotes.
    public mutating func quotedASCII(_ ascii: [UInt8]) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: ascii)
        bytes.append(UInt8(ascii: "\""))
        needsComma = true
    }

    public mutating func number<T: BinaryInteger>(_ value: T) {
        separate()
        bytes.append(contentsOf: String(value).utf8)
        needsComma = true
    }

    /// 64-bit integers are strings in ProtoJSON.
    public mutating func quotedNumber<T: BinaryInteger>(_ value: T) {
        quotedASCII(Array(String(value).utf8))
    }

    /// Non-finite values as the ProtoJSON strings; finite ones in the shortest form that
    /// round-trips (Swift's `description` is shortest round-trip and valid JSON number syntax).
    public mutating func double(_ value: Double) {
        if value.isNaN { return quotedASCII(Array("NaN".utf8)) }
        if value.isInfinite { return quotedASCII(Array((value < 0 ? "-Infinity" : "Infinity").utf8)) }
        separate()
        bytes.append(contentsOf: value.description.utf8)
        needsComma = true
    }

    public mutating func bool(_ value: Bool) {
        separate()
        append(value ? "true" : "false")
        needsComma = true
    }
}

@inline(__always)
func hexDigitASCII(_ v: UInt8) -> UInt8 {
    v < 10 ? UInt8(ascii: "0") &+ v : UInt8(ascii: "a") &+ v &- 10
}
