import Diagnostics

/// The users of an htpasswd file (Apache's format, as go-htpasswd reads it for upstream): one
/// `user:encoded-password` per line, white space around a line ignored, a later line for the same
/// user replacing an earlier one. A line with no colon, or whose password is malformed, is
/// skipped and its number kept in `skipped`.
struct Htpasswd: Sendable {
    private(set) var users: [String: HtpasswdEntry] = [:]
    /// 1-based numbers of the lines skipped.
    private(set) var skipped: [Int] = []

    /// go-htpasswd reads lines with Go's `bufio.Scanner`, which fails on a longer one.
    static let maxLineLength = 64 * 1024

    init() {}

    /// Reads `content`; throws only for a line longer than `maxLineLength`.
    init(parsing content: some BidirectionalCollection<UInt8>) throws(HtpasswdError) {
        var number = 0
        for line in content.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            number += 1
            guard line.count <= Self.maxLineLength else { throw HtpasswdError(line: number) }
            add(line: line, number: number)
        }
    }

    /// Whether `user` is listed with `password`.
    func matches(user: String, password: [UInt8]) -> Bool {
        users[user]?.matches(password) ?? false
    }

    /// `other`'s users added, replacing these of the same name.
    func merging(_ other: Htpasswd) -> Htpasswd {
        var merged = self
        merged.users.merge(other.users) { _, later in later }
        return merged
    }

    /// Byte by byte, as go-htpasswd splits a line: at the first colon byte (a colon and a
    /// combining mark after it are one Character, but still the separator).
    private mutating func add(line: some BidirectionalCollection<UInt8>, number: Int) {
        let text = line.trimmingASCIIWhiteSpace()
        guard !text.isEmpty else { return }
        guard let colon = text.firstIndex(of: UInt8(ascii: ":")) else { return skipped.append(number) }
        guard let entry = HtpasswdEntry(encoded: Array(text[text.index(after: colon)...])) else { return skipped.append(number) }
        users[String(decoding: text[..<colon], as: UTF8.self)] = entry
    }
}

struct HtpasswdError: Error, CustomStringConvertible {
    let line: Int
    var description: String { "line \(line) is longer than \(Htpasswd.maxLineLength) bytes" }
}
