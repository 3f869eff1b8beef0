#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A UTC calendar time, computed without Foundation (days-from-civil algorithm by H. Hinnant).
public struct CivilTime: Equatable, Sendable {
    public var year: Int
    public var month: Int
    public var day: Int
    public var hour: Int
    public var minute: Int
    public var second: Int
    /// Nanoseconds within the second.
    public var nanosecond: Int

    public init(unixNano: UInt64) {
        let seconds = Int(unixNano / 1_000_000_000)
        nanosecond = Int(unixNano % 1_000_000_000)
        let days = seconds / 86_400
        let rest = seconds % 86_400
        hour = rest / 3600
        minute = rest % 3600 / 60
        second = rest % 60
        let z = days + 719_468
        let era = z / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        day = doy - (153 * mp + 2) / 5 + 1
        month = mp < 10 ? mp + 3 : mp - 9
        year = yoe + era * 400 + (month <= 2 ? 1 : 0)
    }

    /// `2026-11-24T19:14:11.123Z` (milliseconds), the internal log time format.
    public var rfc3339Millis: String {
        "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(hour, 2)):\(pad(minute, 2)):\(pad(second, 2))."
            + "\(pad(nanosecond / 1_000_000, 3))Z"
    }

    /// RFC 3339 with the fraction trimmed of trailing zeros (Go's `time.RFC3339Nano`).
    public var rfc3339Nano: String {
        "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(hour, 2)):\(pad(minute, 2)):\(pad(second, 2))"
            + trimmedFraction + "Z"
    }

    /// `.000000321` with trailing zeros removed, or "" for a whole second.
    public var trimmedFraction: String {
        guard nanosecond != 0 else { return "" }
        var digits = pad(nanosecond, 9)
        while digits.last == "0" { digits.removeLast() }
        return "." + digits
    }
}

/// Zero-padded decimal.
@inline(__always) public func pad(_ value: Int, _ width: Int) -> String {
    let s = String(value)
    return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
}

public enum WallClock {
    /// Nanoseconds since the Unix epoch.
    public static func nowUnixNano() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }

    /// Monotonic nanoseconds, for durations and deadlines.
    public static func monotonicNano() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }
}
