import Pipeline
import Transport

/// An extension that checks the credentials of the requests a receiver serves (upstream's
/// `extensionauth.Server`).
public protocol ServerAuthenticator: Component {
    /// Whether `headers` (HTTP header fields or gRPC metadata) carry credentials it accepts.
    func authenticate(_ headers: HTTPHeaders) -> Bool
    /// What it tells processors of the sender of accepted `headers` (upstream's
    /// `client.AuthData` attributes); none by default.
    func attributes(of headers: HTTPHeaders) -> [String: String]
}

extension ServerAuthenticator {
    public func attributes(of headers: HTTPHeaders) -> [String: String] { [:] }
}

/// An extension that gives an exporter's requests their credentials (upstream's
/// `extensionauth.HTTPClient` and `GRPCClient`).
public protocol ClientAuthenticator: Component {
    /// The header fields (gRPC metadata) to add to the next request.
    func requestHeaders() -> [(String, String)]
}

/// A component config that names extensions the component finds at start: a reload keeps the
/// component running only while those extensions are kept too.
protocol ReferencesExtensions {
    var extensionIDs: [ComponentID] { get }
}

public struct AuthenticatorError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
