#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Whole small files (configs, certificates, keys) read with stdio: no Foundation on the server path.
public enum FileContents {
    /// The bytes of the file at `path`, or the errno text of why not.
    public static func read(_ path: String) -> Result<[UInt8], FileReadError> {
        guard let handle = fopen(path, "rb") else { return .failure(FileReadError(operation: "open", errno: errno)) }
        defer { fclose(handle) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, handle) }
            bytes += chunk[0..<count]
            if count < chunk.count { break }
        }
        guard ferror(handle) == 0 else { return .failure(FileReadError(operation: "read", errno: errno)) }
        return .success(bytes)
    }
}

public struct FileReadError: Error, Sendable, CustomStringConvertible {
    /// "open" or "read".
    public let operation: String
    public let errno: Int32

    /// As strerror words it: "No such file or directory".
    public var reason: String { String(cString: strerror(errno)) }
    public var description: String { "cannot \(operation): \(reason)" }
}
