#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Errors from the socket layer, worded for a person reading a log line.
public enum SocketError: Error, CustomStringConvertible, Equatable {
    /// A system call failed: `operation` names it with its target ("bind 127.0.0.1:4318").
    case system(operation: String, errno: Int32)
    /// An address string could not be parsed; `expected` says what form was expected.
    case invalidEndpoint(input: String, expected: String)
    /// Name resolution failed.
    case resolution(host: String, message: String)

    public var description: String {
        switch self {
        case let .system(operation, code):
            return "\(operation): \(SocketError.errnoText(code))"
        case let .invalidEndpoint(input, expected):
            return "invalid address \"\(input)\": expected \(expected)"
        case let .resolution(host, message):
            return "resolve \(host): \(message)"
        }
    }

    static func errnoText(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "errno \(code)" }
        return String(cString: text)
    }
}
