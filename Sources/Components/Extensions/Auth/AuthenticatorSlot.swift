import Pipeline
import Synchronization
import Transport

/// The server authenticator a receiver's server names, found when the receiver starts; until
/// then every request is refused.
final class ServerAuthenticatorSlot: Sendable {
    let settings: AuthSettings
    private let bound = Mutex<(any ServerAuthenticator)?>(nil)

    init(_ settings: AuthSettings) {
        self.settings = settings
    }

    func bind(_ host: any ComponentHost) throws(AuthenticatorError) {
        let found = try settings.server(in: host)
        bound.withLock { $0 = found }
    }

    var isBound: Bool { bound.withLock { $0 != nil } }

    func authenticate(_ headers: HTTPHeaders) -> Bool {
        guard let authenticator = bound.withLock({ $0 }) else { return false }
        return authenticator.authenticate(headers)
    }
}

/// The client authenticator an exporter names, found when the exporter starts; until then its
/// requests carry no credentials (and the exporter does not send before it started).
final class ClientAuthenticatorSlot: Sendable {
    let settings: AuthSettings
    private let bound = Mutex<(any ClientAuthenticator)?>(nil)

    init(_ settings: AuthSettings) {
        self.settings = settings
    }

    func bind(_ host: any ComponentHost) throws(AuthenticatorError) {
        let found = try settings.client(in: host)
        bound.withLock { $0 = found }
    }

    var isBound: Bool { bound.withLock { $0 != nil } }

    /// `base` with the authenticator's fields in place of any of the same name.
    func headers(adding base: [(String, String)]) -> [(String, String)] {
        guard let authenticator = bound.withLock({ $0 }) else { return base }
        let added = authenticator.requestHeaders()
        let names = Set(added.map { $0.0.lowercased() })
        return base.filter { !names.contains($0.0.lowercased()) } + added
    }
}
