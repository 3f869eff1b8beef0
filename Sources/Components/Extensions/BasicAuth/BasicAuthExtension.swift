import Config
import Diagnostics
import Pipeline
import Synchronization
import Transport
import WireFormats

/// `basicauth` extension: HTTP Basic authentication (RFC 7617), as upstream's
/// `basicauthextension`. With `htpasswd` it checks the credentials of a receiver's requests
/// against htpasswd entries; with `client_auth` it gives an exporter's requests
/// `Authorization: Basic …`. One instance is one or the other.
public enum BasicAuthExtension {
    public static let factory = ComponentFactory.extension("basicauth", .beta, parse: Config.parse) { context, config in
        switch config.role {
        case let .server(htpasswd): BasicAuthServer(htpasswd, logger: context.logger)
        case let .client(credentials): BasicAuthClient(credentials)
        }
    }
}

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

/// `basicauth` with `client_auth`: the same `Authorization` field on every request.
public final class BasicAuthClient: ClientAuthenticator {
    private let field: (String, String)

    init(_ credentials: BasicCredentials) {
        field = ("Authorization", credentials.authorization)
    }

    public func start() {}
    public func shutdown() {}

    public func requestHeaders() -> [(String, String)] { [field] }
}

/// A user and password as `Authorization: Basic` carries them (RFC 7617 §2).
public struct BasicCredentials: Sendable, Equatable {
    public var user: String
    public var password: String

    public init(user: String, password: String) {
        self.user = user
        self.password = password
    }

    /// The field value: `Basic base64(user:password)`.
    var authorization: String {
        "Basic " + String(decoding: Base64.encode(Array("\(user):\(password)".utf8)), as: UTF8.self)
    }

    /// Reads a field value as Go's `Request.BasicAuth` does: the scheme in any case, one space,
    /// padded standard base-64, split at the first colon; nil otherwise.
    init?(authorization value: String) {
        let prefix = "basic "
        guard value.utf8.count > prefix.utf8.count, value.prefix(prefix.count).lowercased() == prefix else { return nil }
        let encoded = value.dropFirst(prefix.count)
        guard encoded.utf8.count % 4 == 0, !encoded.contains("-"), !encoded.contains("_"),
              let decoded = Base64.decode(String(encoded).utf8),
              let colon = decoded.firstIndex(of: UInt8(ascii: ":"))
        else { return nil }
        user = String(decoding: decoded[..<colon], as: UTF8.self)
        password = String(decoding: decoded[(colon + 1)...], as: UTF8.self)
    }
}
