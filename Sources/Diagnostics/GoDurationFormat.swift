/// Go's `time.Duration.String()`: `1h2m3.5s`, `49.0132518s`, `1.5ms`, `0s`.
public enum GoDurationFormat {
    public static func string(nanoseconds ns: UInt64) -> String {
        if ns == 0 { return "0s" }
        if ns < 1_000 { return "\(ns)ns" }
        if ns < 1_000_000 { return fraction(ns, 1_000) + "µs" }
        if ns < 1_000_000_000 { return fraction(ns, 1_000_000) + "ms" }
        let hours = ns / 3_600_000_000_000
        let minutes = ns / 60_000_000_000 % 60
        let seconds = fraction(ns % 60_000_000_000, 1_000_000_000) + "s"
        if hours > 0 { return "\(hours)h\(minutes)m" + seconds }
        if minutes > 0 { return "\(minutes)m" + seconds }
        return seconds
    }

    /// `value / unit` with the remainder as a decimal fraction, trailing zeros trimmed.
    private static func fraction(_ value: UInt64, _ unit: UInt64) -> String {
        let whole = value / unit
        var rest = value % unit
        guard rest != 0 else { return String(whole) }
        var digits = "", width = unit
        while width > 1 {
            width /= 10
            digits.append(Character(Unicode.Scalar(UInt8(48 + rest / width))))
            rest %= width
        }
        while digits.last == "0" { digits.removeLast() }
        return "\(whole).\(digits)"
    }
}
