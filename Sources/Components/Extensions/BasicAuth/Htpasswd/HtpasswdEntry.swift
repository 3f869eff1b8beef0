import Transport
import WireFormats

/// One user's encoded password, in a format go-htpasswd accepts, tried in its order: `$apr1$`
/// and `$1$` (MD5-crypt), `{SHA}`, `$2a$`/`$2b$`/`$2x$`/`$2y$` (bcrypt), `{SSHA}`, `$5$` and
/// `$6$` (SHA-crypt), and anything else as plain text.
enum HtpasswdEntry: Sendable, Equatable {
    case md5Crypt(MD5Crypt.Variant, salt: [UInt8], hash: [UInt8])
    case sha1(digest: [UInt8])
    case saltedSHA1(digest: [UInt8], salt: [UInt8])
    case bcrypt(BcryptHash)
    case shaCrypt(SHACrypt.Variant, rounds: Int?, salt: [UInt8], hash: [UInt8])
    case plain([UInt8])
    /// Claimed by its prefix but never matching: a bcrypt hash that does not parse, a SHA-crypt
    /// one whose first field is not `rounds=N` (as in go-htpasswd, whose line still replaces an
    /// earlier one of the user).
    case unusable

    /// Reads the password field as written, byte by byte (a plain password need not be UTF-8);
    /// nil for a malformed entry of a recognised format (go-htpasswd skips its line).
    init?(encoded text: [UInt8]) {
        if let variant = MD5Crypt.Variant.allCases.first(where: { text.starts(with: $0.prefix) }) {
            guard let (salt, hash) = Self.split(text.dropFirst(variant.prefix.count)) else { return nil }
            self = .md5Crypt(variant, salt: salt, hash: hash)
        } else if text.starts(with: "{SHA}".utf8) {
            guard let digest = Base64.decodeStandardPadded(text.dropFirst(5)), digest.count == 20 else { return nil }
            self = .sha1(digest: digest)
        } else if BcryptHash.prefixes.contains(where: { text.starts(with: $0.utf8) }) {
            self = BcryptHash(parsing: text).map(HtpasswdEntry.bcrypt) ?? .unusable
        } else if text.starts(with: "{SSHA}".utf8) {
            guard let bytes = Base64.decodeStandardPadded(text.dropFirst(6)), bytes.count >= 20 else { return nil }
            self = .saltedSHA1(digest: Array(bytes.prefix(20)), salt: Array(bytes.dropFirst(20)))
        } else if let variant = SHACrypt.Variant.allCases.first(where: { text.starts(with: $0.prefix) }) {
            guard let entry = Self.shaCrypt(variant, text.dropFirst(variant.prefix.count)) else { return nil }
            self = entry
        } else {
            self = .plain(text)
        }
    }

    func matches(_ password: [UInt8]) -> Bool {
        switch self {
        case let .md5Crypt(variant, salt, hash):
            return Digest.constantTimeEquals(MD5Crypt.hash(password, salt: salt, variant: variant), hash)
        case let .sha1(digest):
            return Digest.constantTimeEquals(Digest.hash(.sha1, password), digest)
        case let .saltedSHA1(digest, salt):
            return Digest.constantTimeEquals(Digest.hash(.sha1, password + salt), digest)
        case let .bcrypt(hash):
            return hash.matches(password)
        case let .shaCrypt(variant, rounds, salt, hash):
            return Digest.constantTimeEquals(SHACrypt.hash(password, salt: salt, rounds: rounds, variant: variant), hash)
        case let .plain(stored):
            // nginx writes plain passwords as {PLAIN}password; go-htpasswd accepts both.
            return Digest.constantTimeEquals(password, stored) || Digest.constantTimeEquals(Array("{PLAIN}".utf8) + password, stored)
        case .unusable:
            return false
        }
    }

    /// `salt$hash`, split at the first `$`.
    private static func split(_ rest: ArraySlice<UInt8>) -> ([UInt8], [UInt8])? {
        guard let dollar = rest.firstIndex(of: UInt8(ascii: "$")) else { return nil }
        return (Array(rest[..<dollar]), Array(rest[(dollar + 1)...]))
    }

    /// `[rounds=N$]salt$hash`, the salt cut to 16 bytes.
    private static func shaCrypt(_ variant: SHACrypt.Variant, _ rest: ArraySlice<UInt8>) -> HtpasswdEntry? {
        let parts = rest.split(separator: UInt8(ascii: "$"), maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2 else { return nil }
        var rounds: Int?
        if parts.count == 3 {
            let field = String(decoding: parts[0], as: UTF8.self)
            guard field.hasPrefix("rounds="), let n = Int(field.dropFirst(7)), n >= 0 else { return .unusable }
            rounds = n
        }
        let salt = parts[parts.count - 2], hash = parts[parts.count - 1]
        return .shaCrypt(variant, rounds: rounds, salt: Array(salt.prefix(16)), hash: Array(hash))
    }
}
