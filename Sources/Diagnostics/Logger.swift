#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Synchronization

public enum LogLevel: Int, Comparable, Sendable, CaseIterable {
    case debug, info, warn, error

    public init?(name: String) {
        switch name.lowercased() {
        case "debug": self = .debug
        case "info": self = .info
        case "warn", "warning": self = .warn
        case "error", "dpanic", "panic", "fatal": self = .error
        default: return nil
        }
    }

    public var name: String {
        switch self {
        case .debug: "debug"
        case .info: "info"
        case .warn: "warn"
        case .error: "error"
        }
    }

    public static func < (a: LogLevel, b: LogLevel) -> Bool { a.rawValue < b.rawValue }
}

/// One log record before it is written.
public struct LogRecord: Sendable {
    public var timeUnixNano: UInt64
    public var level: LogLevel
    public var component: String
    public var message: String
    public var fields: [(String, String)]

    public init(timeUnixNano: UInt64, level: LogLevel, component: String, message: String, fields: [(String, String)]) {
        self.timeUnixNano = timeUnixNano
        self.level = level
        self.component = component
        self.message = message
        self.fields = fields
    }
}

/// How records become text: the console line, or one JSON object per line (set by the service
/// from `service::telemetry::logs::encoding`).
public struct LogEncoding: Sendable {
    public let name: String
    public let format: @Sendable (LogRecord) -> String

    public init(name: String, format: @escaping @Sendable (LogRecord) -> String) {
        self.name = name
        self.format = format
    }

    public static let console = LogEncoding(name: "console") { r in
        Logger.consoleLine(r.timeUnixNano, r.level, r.component, r.message, r.fields)
    }
}

/// Where log lines go. One per process in production (stderr); tests may capture.
public final class LogSink: Sendable {
    private let minimumLevel: Atomic<Int>
    private let writer: Mutex<@Sendable (String) -> Void>
    private let encodingState: Mutex<LogEncoding>

    public init(level: LogLevel = .info, write: @escaping @Sendable (String) -> Void = LogSink.writeToStderr) {
        minimumLevel = Atomic(level.rawValue)
        writer = Mutex(write)
        encodingState = Mutex(.console)
    }

    public var encoding: LogEncoding {
        get { encodingState.withLock { $0 } }
        set { encodingState.withLock { $0 = newValue } }
    }

    /// The record as this sink writes it, newline included.
    public func format(_ level: LogLevel, _ component: String, _ message: String, _ fields: [(String, String)]) -> String {
        encoding.format(LogRecord(timeUnixNano: WallClock.nowUnixNano(), level: level, component: component, message: message, fields: fields))
    }

    public static let standardError = LogSink()

    public var level: LogLevel {
        get { LogLevel(rawValue: minimumLevel.load(ordering: .relaxed)) ?? .info }
        set { minimumLevel.store(newValue.rawValue, ordering: .relaxed) }
    }

    public func isEnabled(_ level: LogLevel) -> Bool { level.rawValue >= minimumLevel.load(ordering: .relaxed) }

    /// Writes one already formatted chunk (which ends in a newline) in one piece.
    public func write(_ text: String) {
        writer.withLock { $0(text) }
    }

    @Sendable public static func writeToStderr(_ text: String) {
        writeAll(fd: 2, text)
    }

    @Sendable public static func writeToStdout(_ text: String) {
        writeAll(fd: 1, text)
    }

    private static func writeAll(fd: Int32, _ text: String) {
        var text = text
        text.withUTF8 { buf in
            var offset = 0
            while offset < buf.count {
                let n = Glibc.write(fd, buf.baseAddress! + offset, buf.count - offset)
                if n > 0 { offset += n } else if n < 0 && errno == EINTR { continue } else { return }
            }
        }
    }
}

/// A leveled logger bound to a component id. Each record is one line:
/// `<RFC 3339 time>\t<level>\t<component id>\t<message>\t<key=value ...>`.
public struct Logger: Sendable {
    public let component: String
    public let sink: LogSink

    public init(component: String = "service", sink: LogSink = .standardError) {
        self.component = component
        self.sink = sink
    }

    public func named(_ component: String) -> Logger { Logger(component: component, sink: sink) }

    public func debug(_ message: String, _ fields: KeyValuePairs<String, any CustomStringConvertible> = [:]) {
        log(.debug, message, fields)
    }
    public func info(_ message: String, _ fields: KeyValuePairs<String, any CustomStringConvertible> = [:]) {
        log(.info, message, fields)
    }
    public func warn(_ message: String, _ fields: KeyValuePairs<String, any CustomStringConvertible> = [:]) {
        log(.warn, message, fields)
    }
    public func error(_ message: String, _ fields: KeyValuePairs<String, any CustomStringConvertible> = [:]) {
        log(.error, message, fields)
    }

    public func log(_ level: LogLevel, _ message: String, _ fields: KeyValuePairs<String, any CustomStringConvertible> = [:]) {
        guard sink.isEnabled(level) else { return }
        sink.write(sink.format(level, component, message, fields.map { ($0.key, $0.value.description) }))
    }

    /// The console line, newline included. Values with spaces or quotes are quoted.
    public static func format(_ level: LogLevel, _ component: String, _ message: String, _ fields: [(String, String)]) -> String {
        consoleLine(WallClock.nowUnixNano(), level, component, message, fields)
    }

    public static func consoleLine(_ time: UInt64, _ level: LogLevel, _ component: String, _ message: String, _ fields: [(String, String)]) -> String {
        var line = CivilTime(unixNano: time).rfc3339Millis
        line += "\t" + level.name + "\t" + component + "\t" + message
        if !fields.isEmpty {
            line += "\t" + fields.map { "\($0.0)=\(quoteIfNeeded($0.1))" }.joined(separator: " ")
        }
        return line + "\n"
    }

    static func quoteIfNeeded(_ value: String) -> String {
        guard value.isEmpty || value.utf8.contains(where: { $0 <= 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "=") })
        else { return value }
        var out = "\""
        for ch in value.unicodeScalars {
            switch ch {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out + "\""
    }
}
