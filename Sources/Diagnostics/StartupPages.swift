#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Gives back the resident pages of code and read-only data that start-up ran and serving does
/// not. Reading the config, building every component and loading OpenSSL run code all over the
/// binary and libcrypto, and the kernel maps cached file pages around each fault, so megabytes of
/// code stay resident that the idle collector never runs again. Only mappings without write
/// permission that hold no private copy (`Anonymous: 0` in smaps: not the relocated RELRO data)
/// are dropped (madvise(2) MADV_DONTNEED); what runs again comes back from the page cache on
/// first touch.
public enum StartupPages {
    /// Drops the read-only mappings of the files whose path `matches` says yes to.
    public static func release(files matches: (ArraySlice<UInt8>) -> Bool) {
        guard case let .success(smaps) = FileContents.read("/proc/self/smaps") else { return }
        for mapping in releasable(smaps: smaps, files: matches) {
            _ = madvise(UnsafeMutableRawPointer(bitPattern: mapping.start), mapping.length, MADV_DONTNEED)
        }
    }

    /// This process's executable, as the kernel names it in smaps.
    public static var executablePath: [UInt8]? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard n > 0 else { return nil }
        return buffer[..<n].map { UInt8(bitPattern: $0) }
    }

    /// The mappings of `smaps` (proc(5)) that `release` drops: read-only, of a matching file,
    /// without anonymous (privately copied) pages.
    public static func releasable(smaps: [UInt8], files matches: (ArraySlice<UInt8>) -> Bool) -> [(start: UInt, length: Int)] {
        var found: [(start: UInt, length: Int)] = []
        var candidate: (start: UInt, length: Int)?
        for line in smaps.split(separator: UInt8(ascii: "\n")) {
            if isHeader(line) {
                candidate = readOnlyMapping(line, matches)
            } else if line.starts(with: Array("Anonymous:".utf8)), let mapping = candidate {
                candidate = nil
                let anonymous = line.drop { !isDigit($0) }.prefix(while: isDigit)
                if anonymous.elementsEqual([UInt8(ascii: "0")]) { found.append(mapping) }
            }
        }
        return found
    }

    /// A header line starts with the mapping's range in hex: `7f1c…-7f1c… r-xp …`.
    private static func isHeader(_ line: ArraySlice<UInt8>) -> Bool {
        guard let dash = line.firstIndex(of: UInt8(ascii: "-")), dash > line.startIndex else { return false }
        return line[..<dash].allSatisfy { isDigit($0) || (97...102).contains($0) }
    }

    /// The range of a header line for a mapping of a matching file without write permission.
    private static func readOnlyMapping(_ line: ArraySlice<UInt8>, _ matches: (ArraySlice<UInt8>) -> Bool) -> (start: UInt, length: Int)? {
        let fields = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: true)
        guard fields.count >= 6, let path = fields.last, path.first == UInt8(ascii: "/"), matches(path),
              !fields[1].contains(UInt8(ascii: "w")) else { return nil }
        let bounds = fields[0].split(separator: UInt8(ascii: "-"))
        guard bounds.count == 2, let start = UInt(String(decoding: bounds[0], as: UTF8.self), radix: 16),
              let end = UInt(String(decoding: bounds[1], as: UTF8.self), radix: 16), end > start else { return nil }
        return (start, Int(end - start))
    }

    private static func isDigit(_ byte: UInt8) -> Bool { (48...57).contains(byte) }
}
