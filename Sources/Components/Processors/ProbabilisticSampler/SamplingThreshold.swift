/// A rejection threshold out of 2^56, as the OpenTelemetry probability sampling spec (tracestate
/// ot= th/rv) defines it: an item is kept when its 56 bits of randomness are at least the
/// threshold. 0 keeps everything; 2^56 keeps nothing (and has no `th` encoding).
struct SamplingThreshold: Comparable, Sendable {
    static let maxAdjustedCount: UInt64 = 1 << 56
    static let hexDigits = 14
    static let always = SamplingThreshold(unsigned: 0)
    static let never = SamplingThreshold(unsigned: maxAdjustedCount)
    /// The smallest probability a threshold expresses: one in 2^56.
    static let minProbability = 1.0 / Double(maxAdjustedCount)

    let unsigned: UInt64

    init(unsigned: UInt64) {
        self.unsigned = min(unsigned, Self.maxAdjustedCount)
    }

    /// Parses a `th` value: 1 to 14 hex digits, trailing zeros left out.
    init(tvalue: Substring) throws(TraceStateError) {
        guard tvalue.utf8.count <= Self.hexDigits else { throw .thresholdTooLong }
        guard !tvalue.isEmpty else { throw .thresholdEmpty }
        guard let value = HexDigits.parse(tvalue) else { throw .syntax(String(tvalue)) }
        unsigned = value << UInt64(4 * (Self.hexDigits - tvalue.utf8.count))
    }

    /// The threshold for `probability`, rounded to `precision` significant hex digits, plus one
    /// digit for each leading `0` or `f` the exact threshold would have; nil outside [2^-56, 1].
    init?(probability: Double, precision: Int) {
        guard probability >= Self.minProbability, probability <= 1 else { return nil }
        guard probability < 1 else {
            self = .always
            return
        }
        let digits = min(Self.hexDigits, precision + max(Self.leadingDigits(probability), Self.leadingDigits(1 - probability)))
        var threshold = Self.maxAdjustedCount - UInt64((probability * Double(Self.maxAdjustedCount)).rounded())
        let shift = UInt64(4 * (Self.hexDigits - digits))
        if shift != 0 {
            threshold = ((threshold + (1 << (shift - 1))) >> shift) << shift
        }
        self.init(unsigned: threshold)
    }

    /// Hex digits that a value in (0, 1) starts with as zeros: one per factor of 16 below 1/2.
    private static func leadingDigits(_ x: Double) -> Int {
        -(Int(x.exponent) + 1) / 4
    }

    var probability: Double {
        Double(Self.maxAdjustedCount - unsigned) / Double(Self.maxAdjustedCount)
    }

    /// The `th` encoding: "0" for always, "" for never, else up to 14 digits without trailing zeros.
    var tvalue: String {
        switch self {
        case .always: return "0"
        case .never: return ""
        default:
            var digits = HexDigits.format(unsigned)
            while digits.last == "0" { digits.removeLast() }
            return digits
        }
    }

    func shouldSample(_ randomness: SamplingRandomness) -> Bool {
        unsigned <= randomness.unsigned
    }

    static func < (a: SamplingThreshold, b: SamplingThreshold) -> Bool { a.unsigned < b.unsigned }
}

/// Fixed-width hex for `rv` and `th` values, read the way Go's `strconv.ParseUint(s, 16, 64)` reads
/// them (either case, no sign or prefix).
enum HexDigits {
    static func parse(_ text: Substring) -> UInt64? {
        guard !text.isEmpty, text.utf8.count <= 16 else { return nil }
        var value: UInt64 = 0
        for byte in text.utf8 {
            guard let digit = digit(byte) else { return nil }
            value = value << 4 | UInt64(digit)
        }
        return value
    }

    /// 14 lowercase digits, zero-padded.
    static func format(_ value: UInt64) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: max(0, SamplingThreshold.hexDigits - text.utf8.count)) + text
    }

    private static func digit(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
