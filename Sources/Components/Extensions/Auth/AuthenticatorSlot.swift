import Pipeline
import Synchronization
import Transport

/// The authenticator a receiver's server or an exporter names, found when the component starts.
/// Until then a server slot refuses every request, and a client slot adds no credentials (an
/// exporter does not send before it started).
final class AuthenticatorSlot<Authenticator: Sendable>: Sendable {
    let settings: AuthSettings
    private let find: @Sendable (AuthSettings, any ComponentHost) throws(AuthenticatorError) -> Authenticator
    private let bound = Mutex<Authenticator?>(nil)

    init(_ settings: AuthSettings, find: @escaping @Sendable (AuthSettings, any ComponentHost) throws(AuthenticatorError) -> Authenticator) {
        self.settings = settings
        self.find = find
    }

    func bind(_ host: any ComponentHost) throws(AuthenticatorError) {
        let found = try find(settings, host)
        bound.withLock { $0 = found }
    }

    var isBound: Bool { bound.withLock { $0 != nil } }

    fileprivate var authenticator: Authenticator? { bound.withLock { $0 } }
}

typealias ServerAuthenticatorSlot = AuthenticatorSlot<any ServerAuthenticator>
typealias ClientAuthenticatorSlot = AuthenticatorSlot<any ClientAuthenticator>

extension AuthenticatorSlot where Authenticator == any ServerAuthenticator {
    convenience init(_ settings: AuthSettings) {
        self.init(settings) { settings, host throws(AuthenticatorError) in try settings.server(in: host) }
    }

    func authenticate(_ headers: HTTPHeaders) -> Bool {
        authenticator?.authenticate(headers) ?? false
    }

    func attributes(of headers: HTTPHeaders) -> [String: String] {
        authenticator?.attributes(of: headers) ?? [:]
    }
}

extension AuthenticatorSlot where Authenticator == any ClientAuthenticator {
    convenience init(_ settings: AuthSettings) {
        self.init(settings) { settings, host throws(AuthenticatorError) in try settings.client(in: host) }
    }

    /// `base` with the authenticator's fields in place of any of the same name.
    func headers(adding base: [(String, String)]) -> [(String, String)] {
        guard let authenticator else { return base }
        let added = authenticator.requestHeaders()
        let names = Set(added.map { $0.0.lowercased() })
        return base.filter { !names.contains($0.0.lowercased()) } + added
    }
}
