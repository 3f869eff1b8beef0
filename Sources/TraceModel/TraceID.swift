/// A 16-byte W3C trace ID, stored as two big-endian halves (`high` holds bytes 0–7).
public struct TraceID: Hashable, Sendable {
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// The all-zero ID, which the W3C and OTLP specifications call invalid.
    public static let zero = TraceID(high: 0, low: 0)

    public var isZero: Bool { high == 0 && low == 0 }

    /// Reads 16 bytes in network order; returns nil for any other count.
    public init?(bytes: UnsafeRawBufferPointer) {
        guard bytes.count == 16 else { return nil }
        high = UInt64(bigEndianBytes: bytes, at: 0)
        low = UInt64(bigEndianBytes: bytes, at: 8)
    }

    public init?(bytes: [UInt8]) {
        guard let id = bytes.withUnsafeBytes({ TraceID(bytes: $0) }) else { return nil }
        self = id
    }

    /// Parses 32 hex digits in either case.
    public init?(hex: some StringProtocol) {
        let utf8 = Array(hex.utf8)
        guard utf8.count == 32, let id = utf8.withUnsafeBytes({ TraceID(hexDigits: $0) }) else { return nil }
        self = id
    }

    /// Parses 32 hex digits in either case, or 16 for a 64-bit id, which fills the low half
    /// (Zipkin and Jaeger pad 64-bit trace ids with zeros on the left).
    public init?(hexDigits digits: UnsafeRawBufferPointer) {
        switch digits.count {
        case 32:
            guard let h = UInt64(hexDigits: UnsafeRawBufferPointer(rebasing: digits[0..<16])),
                  let l = UInt64(hexDigits: UnsafeRawBufferPointer(rebasing: digits[16..<32]))
            else { return nil }
            high = h
            low = l
        case 16:
            guard let l = UInt64(hexDigits: digits) else { return nil }
            high = 0
            low = l
        default:
            return nil
        }
    }

    public var bytes: [UInt8] { high.bigEndianByteArray + low.bigEndianByteArray }

    /// 32 lowercase hex digits.
    public var hex: String { high.hex16 + low.hex16 }
}

/// An 8-byte span ID, stored big-endian in one integer.
public struct SpanID: Hashable, Sendable {
    public var value: UInt64

    public init(_ value: UInt64) { self.value = value }

    public static let zero = SpanID(0)
    public var isZero: Bool { value == 0 }

    public init?(bytes: UnsafeRawBufferPointer) {
        guard bytes.count == 8 else { return nil }
        value = UInt64(bigEndianBytes: bytes, at: 0)
    }

    public init?(bytes: [UInt8]) {
        guard let id = bytes.withUnsafeBytes({ SpanID(bytes: $0) }) else { return nil }
        self = id
    }

    /// Parses 16 hex digits in either case.
    public init?(hex: some StringProtocol) {
        let utf8 = Array(hex.utf8)
        guard let id = utf8.withUnsafeBytes({ SpanID(hexDigits: $0) }) else { return nil }
        self = id
    }

    /// Parses exactly 16 hex digits in either case.
    public init?(hexDigits digits: UnsafeRawBufferPointer) {
        guard digits.count == 16, let v = UInt64(hexDigits: digits) else { return nil }
        value = v
    }

    public var bytes: [UInt8] { value.bigEndianByteArray }
    public var hex: String { value.hex16 }
}

extension UInt64 {
    init(bigEndianBytes bytes: UnsafeRawBufferPointer, at offset: Int) {
        var v: UInt64 = 0
        for i in offset..<(offset + 8) { v = (v << 8) | UInt64(bytes[i]) }
        self = v
    }

    /// At most 16 hex digits; more would overflow.
    /// Branch-free per digit: `c & 0xF` is the value of 0-9, and of a-f / A-F less 9, which the
    /// letters' bit 6 adds back; validity is checked once at the end.
    init?(hexDigits: UnsafeRawBufferPointer) {
        if hexDigits.count == 16, let base = hexDigits.baseAddress {
            guard let high = Self.eightHexDigits(base.loadUnaligned(as: UInt64.self)),
                  let low = Self.eightHexDigits(base.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
            else { return nil }
            self = high << 32 | low
            return
        }
        guard hexDigits.count <= 16 else { return nil }
        var v: UInt64 = 0
        var valid = true
        for c in hexDigits {
            let isDigit = c &- UInt8(ascii: "0") < 10
            let isLetter = (c | 0x20) &- UInt8(ascii: "a") < 6
            valid = valid && (isDigit || isLetter)
            v = (v << 4) | UInt64((c & 0x0F) &+ (c >> 6) &* 9)
        }
        guard valid else { return nil }
        self = v
    }

    /// Eight hex digits loaded as one word (first digit in the lowest byte), all at once: each
    /// byte is range-checked with additions that cannot carry into the next (every byte is ASCII,
    /// below 0x80), turned into its value as above, and the nibbles are packed pairwise.
    @inline(__always)
    static func eightHexDigits(_ loaded: UInt64) -> UInt64? {
        let word = UInt64(littleEndian: loaded)
        let ones: UInt64 = 0x0101_0101_0101_0101
        let high: UInt64 = 0x8080_8080_8080_8080
        guard word & high == 0 else { return nil }
        // c >= '0' and c <= '9'; (c | 0x20) >= 'a' and <= 'f': the high bit of c + (0x80 - bound).
        let digit = (word &+ ones &* 0x50) & ~(word &+ ones &* 0x46)
        let folded = word | ones &* 0x20
        let letter = (folded &+ ones &* 0x1F) & ~(folded &+ ones &* 0x19)
        guard (digit | letter) & high == high else { return nil }
        // Values 0-15 per byte, the first digit now in the highest byte.
        var v = ((word & (ones &* 0x0F)) &+ ((word >> 6) & ones) &* 9).byteSwapped
        v = (v | v >> 4) & 0x00FF_00FF_00FF_00FF
        v = (v | v >> 8) & 0x0000_FFFF_0000_FFFF
        v = (v | v >> 16) & 0x0000_0000_FFFF_FFFF
        return v
    }

    var bigEndianByteArray: [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: self >> (56 - 8 * UInt64($0))) } }

    /// Exactly 16 lowercase hex digits.
    var hex16: String {
        String(unsafeUninitializedCapacity: 16) { buf in
            for i in 0..<16 { buf[i] = hexDigit(UInt8(truncatingIfNeeded: self >> UInt64(60 - 4 * i)) & 0xF) }
            return 16
        }
    }
}

@inline(__always) func hexDigit(_ v: UInt8) -> UInt8 {
    v < 10 ? UInt8(ascii: "0") &+ v : UInt8(ascii: "a") &+ v &- 10
}

extension Collection where Element == UInt8 {
    /// Two lowercase hex digits per byte, as Go's `hex.EncodeToString`.
    public var lowercaseHex: String {
        String(unsafeUninitializedCapacity: count * 2) { buf in
            var i = 0
            for byte in self {
                buf[i] = hexDigit(byte >> 4)
                buf[i + 1] = hexDigit(byte & 0xF)
                i += 2
            }
            return i
        }
    }
}
