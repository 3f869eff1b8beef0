#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A failed file system call, worded for a log line: `open /var/lib/x/1.seg: Permission denied`.
struct FileError: Error, CustomStringConvertible, Equatable {
    let operation: String
    let path: String
    let code: Int32

    init(_ operation: String, _ path: String, _ code: Int32 = errno) {
        self.operation = operation
        self.path = path
        self.code = code
    }

    var description: String {
        let text = strerror(code).map { String(cString: $0) } ?? "errno \(code)"
        return "\(operation) \(path): \(text)"
    }
}
