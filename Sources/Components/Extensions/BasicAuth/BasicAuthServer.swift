import Diagnostics
import Pipeline
import Synchronization
import Transport

/// `basicauth` with `htpasswd`: the file is read once, at start, and the inline entries after it,
/// so an inline entry replaces the file's entry for the same user.
public final class BasicAuthServer: ServerAuthenticator {
    let settings: BasicAuthExtension.HtpasswdSettings
    private let logger: Logger
    private let users = Mutex(Htpasswd())

    init(_ settings: BasicAuthExtension.HtpasswdSettings, logger: Logger) {
        self.settings = settings
        self.logger = logger
    }

    public func start() throws {
        var merged = Htpasswd()
        if let file = settings.file {
            let content: [UInt8]
            do { content = try PosixFile.readAll(file) } catch { throw AuthenticatorError("open htpasswd file: \(error)") }
            merged = try read(content, source: file)
        }
        if let inline = settings.inline {
            merged = merged.merging(try read(Array(inline.utf8), source: "htpasswd::inline"))
        }
        let entries = merged
        users.withLock { $0 = entries }
    }

    public func shutdown() {}

    public func authenticate(_ headers: HTTPHeaders) -> Bool {
        guard let value = headers["authorization"], let credentials = BasicCredentials(authorization: value) else { return false }
        return users.withLock { $0 }.matches(user: credentials.user, password: credentials.password)
    }

    /// basicauth's `authData`: `username`, and `raw`, the credentials as sent (base 64).
    public func attributes(of headers: HTTPHeaders) -> [String: String] {
        guard let value = headers["authorization"], let credentials = BasicCredentials(authorization: value) else { return [:] }
        return ["username": credentials.user, "raw": String(BasicCredentials.encodedPart(of: value) ?? "")]
    }

    private func read(_ content: [UInt8], source: String) throws -> Htpasswd {
        let parsed: Htpasswd
        do { parsed = try Htpasswd(parsing: content) } catch { throw AuthenticatorError("read htpasswd content: \(source): \(error)") }
        if !parsed.skipped.isEmpty {
            logger.warn("Skipped htpasswd lines that are not user:password in a known format",
                        ["source": source, "lines": parsed.skipped.map(String.init).joined(separator: ",")])
        }
        return parsed
    }
}
