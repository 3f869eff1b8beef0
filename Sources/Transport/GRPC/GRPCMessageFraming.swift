/// gRPC's Length-Prefixed-Message (gRPC over HTTP/2): a compressed flag, a 4-byte big-endian
/// length, the message. A unary call carries exactly one.
public enum GRPCMessageFraming {
    public static let prefixLength = 5

    /// Frames `message`, compressed with `coding` when given (the flag then says so).
    public static func frame(_ message: [UInt8], coding: ContentCoding? = nil) -> [UInt8] {
        let payload = coding.map { $0.encode(message) } ?? message
        return prefix(length: payload.count, compressed: coding != nil) + payload
    }

    /// The 5 bytes in front of a message of `length` bytes.
    public static func prefix(length: Int, compressed: Bool) -> [UInt8] {
        let n = UInt32(length)
        return [compressed ? 1 : 0, UInt8(n >> 24), UInt8(truncatingIfNeeded: n >> 16), UInt8(truncatingIfNeeded: n >> 8), UInt8(truncatingIfNeeded: n)]
    }

    /// The single message of a unary body, inflated with `coding` if its flag is set; messages over
    /// `maxMessageSize` bytes (before or after inflation) are refused with RESOURCE_EXHAUSTED.
    public static func unframe(_ body: [UInt8], coding: ContentCoding?, maxMessageSize: Int) throws(GRPCStatus) -> [UInt8] {
        guard body.count >= prefixLength else {
            if body.isEmpty { throw GRPCStatus(.unimplemented, "grpc: a unary call needs exactly one message, got none") }
            throw GRPCStatus(.internal, "grpc: truncated message prefix (\(body.count) bytes)")
        }
        let flag = body[0]
        let length = Int(body[1]) << 24 | Int(body[2]) << 16 | Int(body[3]) << 8 | Int(body[4])
        guard length <= maxMessageSize else {
            throw GRPCStatus(.resourceExhausted, "grpc: received message larger than max (\(length) vs. \(maxMessageSize))")
        }
        guard body.count - prefixLength >= length else {
            throw GRPCStatus(.internal, "grpc: message length \(length) is longer than the \(body.count - prefixLength) bytes sent")
        }
        guard body.count - prefixLength == length else {
            throw GRPCStatus(.unimplemented, "grpc: a unary call needs exactly one message, got more")
        }
        let message = Array(body[prefixLength...])
        switch flag {
        case 0:
            return message
        case 1:
            guard let coding else {
                throw GRPCStatus(.internal, "grpc: compressed flag set on a message without grpc-encoding")
            }
            do {
                return try coding.decode(message, limit: maxMessageSize)
            } catch {
                switch error {
                case .tooLarge: throw GRPCStatus(.resourceExhausted, "grpc: received message after decompression larger than max (\(maxMessageSize))")
                case let .malformed(reason): throw GRPCStatus(.internal, "grpc: failed to decompress the message: \(reason)")
                }
            }
        default:
            throw GRPCStatus(.internal, "grpc: invalid compressed flag \(flag)")
        }
    }
}

/// `grpc-timeout` (gRPC over HTTP/2): 1–8 digits and a unit, H M S m u n.
public enum GRPCTimeout {
    /// Nanoseconds, or nil when absent or malformed.
    public static func parse(_ text: String?) -> UInt64? {
        guard let text, let unit = text.utf8.last, (2...9).contains(text.utf8.count) else { return nil }
        let digits = text.utf8.dropLast()
        guard digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        let value = digits.reduce(UInt64(0)) { $0 * 10 + UInt64($1 - 0x30) }
        let scale: UInt64
        switch unit {
        case UInt8(ascii: "H"): scale = 3_600_000_000_000
        case UInt8(ascii: "M"): scale = 60_000_000_000
        case UInt8(ascii: "S"): scale = 1_000_000_000
        case UInt8(ascii: "m"): scale = 1_000_000
        case UInt8(ascii: "u"): scale = 1_000
        case UInt8(ascii: "n"): scale = 1
        default: return nil
        }
        let (product, overflow) = value.multipliedReportingOverflow(by: scale)
        return overflow ? UInt64.max : product
    }

    /// The shortest exact form with at most 8 digits.
    public static func format(nanoseconds: UInt64) -> String {
        for (unit, scale) in [("n", UInt64(1)), ("u", 1_000), ("m", 1_000_000), ("S", 1_000_000_000), ("M", 60_000_000_000)] as [(String, UInt64)] {
            let value = (nanoseconds + scale - 1) / scale
            if value < 100_000_000 { return "\(value)\(unit)" }
        }
        return "\(min(99_999_999, nanoseconds / 3_600_000_000_000))H"
    }
}
