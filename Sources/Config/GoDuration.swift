/// Go's `time.ParseDuration`, which the collector uses for every duration field:
/// `[-+]?([0-9]*(\.[0-9]*)?[a-z]+)+`, units ns, us (µs, μs), ms, s, m, h; "0" needs no unit.
/// Same overflow limits (±2^63 ns) and the same fraction arithmetic as Go.
public enum GoDuration {
    public static func parse(_ text: String) -> Duration? {
        nanoseconds(text).map { Duration.nanoseconds($0) }
    }

    private static let limit: UInt64 = 1 << 63

    private static let units: [String: UInt64] = [
        "ns": 1, "us": 1_000, "\u{00B5}s": 1_000, "\u{03BC}s": 1_000,
        "ms": 1_000_000, "s": 1_000_000_000, "m": 60_000_000_000, "h": 3_600_000_000_000,
    ]

    public static func nanoseconds(_ text: String) -> Int64? {
        var s = Substring(text)
        var negative = false
        if let sign = s.first, sign == "-" || sign == "+" {
            negative = sign == "-"
            s = s.dropFirst()
        }
        if s == "0" { return 0 }
        guard !s.isEmpty else { return nil }
        var total: UInt64 = 0
        while !s.isEmpty {
            // Each part is at most 2^63, so two of them could wrap UInt64: compare before adding.
            guard let part = component(&s), part <= limit - total else { return nil }
            total += part
        }
        if negative { return total == limit ? Int64.min : -Int64(total) }
        return total < limit ? Int64(total) : nil
    }

    /// One `<number><unit>` group, in nanoseconds.
    private static func component(_ s: inout Substring) -> UInt64? {
        guard let first = s.first, first == "." || first.isASCIIDigit else { return nil }
        let integer = leadingInt(&s)
        guard let whole = integer.value else { return nil }
        var fraction: (value: UInt64, scale: Double, digits: Int) = (0, 1, 0)
        if s.first == "." {
            s = s.dropFirst()
            fraction = leadingFraction(&s)
        }
        guard integer.digits > 0 || fraction.digits > 0 else { return nil }
        let unitText = s.prefix { $0 != "." && !$0.isASCIIDigit }
        s = s.dropFirst(unitText.count)
        guard let unit = units[String(unitText)], whole <= limit / unit else { return nil }
        var value = whole * unit
        if fraction.value > 0 {
            value += UInt64(Double(fraction.value) * (Double(unit) / fraction.scale))
            guard value <= limit else { return nil }
        }
        return value
    }

    private static func leadingInt(_ s: inout Substring) -> (value: UInt64?, digits: Int) {
        var x: UInt64 = 0
        var digits = 0
        while let c = s.first, let d = c.asciiDigitValue {
            guard x <= limit / 10 else { return (nil, digits) }
            x = x * 10 + d
            guard x <= limit else { return (nil, digits) }
            s = s.dropFirst()
            digits += 1
        }
        return (x, digits)
    }

    /// Digits past the overflow point are consumed but ignored, as in Go.
    private static func leadingFraction(_ s: inout Substring) -> (value: UInt64, scale: Double, digits: Int) {
        var x: UInt64 = 0
        var scale = 1.0
        var digits = 0
        var overflow = false
        while let c = s.first, let d = c.asciiDigitValue {
            s = s.dropFirst()
            digits += 1
            if overflow { continue }
            if x > (limit - 1) / 10 { overflow = true; continue }
            let y = x * 10 + d
            if y > limit { overflow = true; continue }
            x = y
            scale *= 10
        }
        return (x, scale, digits)
    }
}

extension Character {
    var isASCIIDigit: Bool { asciiDigitValue != nil }

    var asciiDigitValue: UInt64? {
        guard let ascii = asciiValue, ascii >= 0x30, ascii <= 0x39 else { return nil }
        return UInt64(ascii - 0x30)
    }
}
