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

    /// Never blocks when stderr is a pipe or a socket that nobody reads: the record is dropped
    /// and counted instead (see `StandardError`), so a stuck log reader cannot stall the thread
    /// pool that serves every connection.
    @Sendable public static func writeToStderr(_ text: String) {
        StandardError.shared.write(text)
    }

    /// Log records dropped because stderr would have blocked (`swiftlet_log_records_dropped`).
    public static var droppedRecords: Int { StandardError.shared.dropped.load(ordering: .relaxed) }

    @Sendable public static func writeToStdout(_ text: String) {
        writeAll(fd: 1, text)
    }

    private static func writeAll(fd: Int32, _ text: String) {
        var text = text
        text.withUTF8 { writeAll(fd: fd, UnsafeRawBufferPointer($0)) }
    }

    static func writeAll(fd: Int32, _ buf: UnsafeRawBufferPointer) {
        guard let base = buf.baseAddress else { return }
        var offset = 0
        while offset < buf.count {
            let n = Glibc.write(fd, base + offset, buf.count - offset)
            if n > 0 { offset += n } else if n < 0 && errno == EINTR { continue } else { return }
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

/// stderr for the logs. A regular file or a terminal is written as before (blocking, whole
/// records). A pipe or a socket may have no reader (a container runtime that stalls, a parent
/// that never reads): a blocking write there would hang the logging thread, and with it the
/// pool thread that serves connections. So a pipe is reopened through /proc/self/fd/2 as a
/// second, non-blocking open file description (fd 2's own flags, shared with whoever else holds
/// it, stay as they are) and a socket is written with MSG_DONTWAIT. A record that does not fit is
/// dropped whole and counted; a record cut short by a full pipe keeps its tail, which goes out
/// before anything else, so lines are never torn. Once stderr takes writes again, one line says
/// how many records were dropped.
final class StandardError: Sendable {
    static let shared = StandardError(fd: 2)

    private enum Kind { case blocking, pipe(Int32), socket }

    private struct State {
        var kind: Kind
        /// The unwritten end of a record cut short by a full pipe.
        var tail: [UInt8] = []
        var droppedSinceReport = 0
    }

    private let fd: Int32
    private let state: Mutex<State>
    let dropped = Atomic<Int>(0)

    init(fd: Int32) {
        self.fd = fd
        var st = stat()
        var kind = Kind.blocking
        if fstat(fd, &st) == 0 {
            switch st.st_mode & S_IFMT {
            case S_IFIFO:
                let reopened = open("/proc/self/fd/\(fd)", O_WRONLY | O_NONBLOCK | O_CLOEXEC)
                if reopened >= 0 { kind = .pipe(reopened) }
            case S_IFSOCK:
                kind = .socket
            default:
                break
            }
        }
        state = Mutex(State(kind: kind))
    }

    func write(_ text: String) {
        var text = text
        text.withUTF8 { bytes in
            state.withLock { st in
                switch st.kind {
                case .blocking:
                    LogSink.writeAll(fd: fd, UnsafeRawBufferPointer(bytes))
                case let .pipe(out):
                    writeWithoutBlocking(&st, UnsafeRawBufferPointer(bytes)) { Glibc.write(out, $0, $1) }
                case .socket:
                    writeWithoutBlocking(&st, UnsafeRawBufferPointer(bytes)) { send(fd, $0, $1, Int32(MSG_DONTWAIT | MSG_NOSIGNAL)) }
                }
            }
        }
    }

    private enum Outcome { case all, partial, none }

    private func writeWithoutBlocking(_ st: inout State, _ record: UnsafeRawBufferPointer, _ put: (UnsafeRawPointer, Int) -> Int) {
        guard flushTail(&st, put) else { return drop(&st) }
        guard st.droppedSinceReport > 0 else {
            if putAll(&st, record, put) == .none { drop(&st) }
            return
        }
        // The note goes out in one write with the record, so a pipe with room for the note alone
        // does not fill up with notes.
        var both = Array("swiftlet: \(st.droppedSinceReport) log records dropped: stderr was not being read\n".utf8)
        both.append(contentsOf: record)
        if both.withUnsafeBytes({ putAll(&st, $0, put) }) == .none { return drop(&st) }
        st.droppedSinceReport = 0
    }

    /// Writes what it can; when only part went out, the rest becomes the tail.
    private func putAll(_ st: inout State, _ bytes: UnsafeRawBufferPointer, _ put: (UnsafeRawPointer, Int) -> Int) -> Outcome {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return .all }
        var offset = 0
        while offset < bytes.count {
            let n = put(base + offset, bytes.count - offset)
            if n > 0 { offset += n; continue }
            if n < 0 && errno == EINTR { continue }
            break
        }
        if offset == bytes.count { return .all }
        if offset == 0 { return .none }
        st.tail = Array(bytes[offset...])
        return .partial
    }

    private func flushTail(_ st: inout State, _ put: (UnsafeRawPointer, Int) -> Int) -> Bool {
        guard !st.tail.isEmpty else { return true }
        var written = 0
        st.tail.withUnsafeBytes { raw in
            while written < raw.count {
                let n = put(raw.baseAddress! + written, raw.count - written)
                if n > 0 { written += n; continue }
                if n < 0 && errno == EINTR { continue }
                break
            }
        }
        st.tail.removeFirst(written)
        return st.tail.isEmpty
    }

    private func drop(_ st: inout State) {
        st.droppedSinceReport += 1
        dropped.add(1, ordering: .relaxed)
    }
}
