import Pipeline

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
