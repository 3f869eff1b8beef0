import Synchronization
import Testing
@testable import Diagnostics

@Test func civilTime_matchesKnownDates() {
    let t = CivilTime(unixNano: 1_581_452_772_000_000_321)  // 2020-02-11 20:26:12.000000321 UTC
    #expect([t.year, t.month, t.day, t.hour, t.minute, t.second, t.nanosecond] == [2020, 2, 11, 20, 26, 12, 321])
    #expect(CivilTime(unixNano: 0).rfc3339Nano == "1970-01-01T00:00:00Z")
    #expect(CivilTime(unixNano: 951_782_400_000_000_000).rfc3339Nano == "2000-02-29T00:00:00Z")
    #expect(CivilTime(unixNano: 4_102_444_799_500_000_000).rfc3339Nano == "2099-12-31T23:59:59.5Z")
}

@Test func civilTime_trimsTrailingZerosOfTheFraction() {
    #expect(CivilTime(unixNano: 1_000_000_000).trimmedFraction == "")
    #expect(CivilTime(unixNano: 1_250_000_000).trimmedFraction == ".25")
    #expect(CivilTime(unixNano: 1_000_000_321).trimmedFraction == ".000000321")
    #expect(CivilTime(unixNano: 1_123_000_000).rfc3339Millis.hasSuffix(":01.123Z"))
}

@Test func goDurationFormat_matchesGoDurationString() {
    let cases: [(UInt64, String)] = [
        (0, "0s"), (5, "5ns"), (1_500, "1.5µs"), (1_500_000, "1.5ms"), (49_013_251_800, "49.0132518s"),
        (62_500_000_000, "1m2.5s"), (3_600_000_000_000, "1h0m0s"), (3_723_000_000_000, "1h2m3s"),
    ]
    for (ns, text) in cases { #expect(GoDurationFormat.string(nanoseconds: ns) == text) }
}

@Test func logger_formatsOneLinePerRecord_withQuotedFields() {
    let line = Logger.format(.warn, "otlp", "Something happened", [("error", "bad thing"), ("n", "3")])
    let parts = line.dropLast().split(separator: "\t", omittingEmptySubsequences: false)
    #expect(line.hasSuffix("\n") && !line.dropLast().contains("\n"))
    #expect(parts.count == 5)
    #expect(parts[1] == "warn" && parts[2] == "otlp" && parts[3] == "Something happened")
    #expect(parts[4] == "error=\"bad thing\" n=3")
}

@Test func logSink_dropsRecordsBelowItsLevel() {
    let lines = LockedLines()
    let sink = LogSink(level: .warn) { lines.append($0) }
    let logger = Logger(component: "x", sink: sink)
    logger.info("hidden")
    logger.error("shown")
    #expect(lines.all.count == 1 && lines.all[0].contains("shown"))
}

final class LockedLines: Sendable {
    private let lines = Mutex<[String]>([])
    func append(_ s: String) { lines.withLock { $0.append(s) } }
    var all: [String] { lines.withLock { $0 } }
}
