import Config
import Pipeline

/// `auth` (configauth): the authenticator extension a receiver's server or an exporter uses,
/// and, on an HTTP server, the query parameters offered to it beside the header fields
/// (`request_params`).
public struct AuthSettings: Sendable, Equatable {
    public var authenticator: ComponentID
    public var requestParams: [String] = []

    public init(authenticator: ComponentID, requestParams: [String] = []) {
        self.authenticator = authenticator
        self.requestParams = requestParams
    }

    /// Reads `auth` from `r`, nil when absent; `requestParams` for confighttp's servers only.
    static func parse(in r: ConfigReader, requestParams: Bool) throws(ConfigError) -> AuthSettings? {
        guard let auth = try r.child("auth") else { return nil }
        guard let text = try auth.string("authenticator"), !text.isEmpty else {
            throw auth.error("authenticator", "must be set to the id of an authenticator extension")
        }
        var settings: AuthSettings
        do { settings = AuthSettings(authenticator: try ComponentID(parsing: text)) } catch {
            throw auth.error("authenticator", error.description)
        }
        if requestParams { settings.requestParams = try auth.stringList("request_params") ?? [] }
        try auth.finish()
        return settings
    }

    func server(in host: any ComponentHost) throws(AuthenticatorError) -> any ServerAuthenticator {
        guard let found = try find(in: host) as? any ServerAuthenticator else {
            throw AuthenticatorError("auth::authenticator: extension \(authenticator) is not a server authenticator")
        }
        return found
    }

    func client(in host: any ComponentHost) throws(AuthenticatorError) -> any ClientAuthenticator {
        guard let found = try find(in: host) as? any ClientAuthenticator else {
            throw AuthenticatorError("auth::authenticator: extension \(authenticator) is not a client authenticator")
        }
        return found
    }

    private func find(in host: any ComponentHost) throws(AuthenticatorError) -> any Component {
        guard let found = host.extension(authenticator) else {
            throw AuthenticatorError("auth::authenticator: extension \(authenticator) is not configured or not listed in service::extensions")
        }
        return found
    }
}
