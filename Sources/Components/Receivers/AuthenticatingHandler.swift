import Pipeline
import Transport

/// A receiver's handler behind its server's `auth`: a request the authenticator refuses is
/// answered 401 (gRPC: UNAUTHENTICATED, trailers-only) through the inner handler's own error
/// form and never reaches it. As confighttp, a CORS preflight is answered before authentication
/// when CORS allows some origin; the reason of a refusal is not told.
struct AuthenticatingHandler<Inner: HTTPHandler>: HTTPHandler {
    static var refusal: String { "Unauthorized" }

    let inner: Inner
    let slot: ServerAuthenticatorSlot
    let cors: CORSPolicy?
    let refused: SelfMetrics.Counter

    func handle(_ request: HTTPRequest) -> HTTPResponse {
        if isPreflight(request) { return inner.handle(request) }
        let credentials = credentials(of: request)
        if slot.authenticate(credentials) {
            var accepted = request
            accepted.authAttributes = slot.attributes(of: credentials)
            return inner.handle(accepted)
        }
        refused.add(1)
        var response = inner.errorResponse(status: 401, message: Self.refusal, request: request)
        if let cors { response.headers += cors.responseHeaders(for: request) }
        return response
    }

    func errorResponse(status: Int, message: String, request: HTTPRequest?) -> HTTPResponse {
        inner.errorResponse(status: status, message: message, request: request)
    }

    private func isPreflight(_ request: HTTPRequest) -> Bool {
        guard let cors, !cors.config.allowedOrigins.isEmpty else { return false }
        return request.method == "OPTIONS" && request.headers["access-control-request-method"] != nil
    }

    /// The header fields, with `request_params` found in the query in front: a parameter wins
    /// over a header field of the same name, as confighttp.
    private func credentials(of request: HTTPRequest) -> HTTPHeaders {
        let names = slot.settings.requestParams
        guard !names.isEmpty, !request.query.isEmpty else { return request.headers }
        let query = QueryParameters(request.query)
        let params = query.pairs.filter { names.contains($0.name) }.map { ($0.name, $0.value) }
        guard !params.isEmpty else { return request.headers }
        return HTTPHeaders(params + request.headers.map { ($0.name, $0.value) })
    }
}

extension HTTPHandler {
    /// This handler behind `auth`'s authenticator (its slot appended to `slots`, for the
    /// receiver to bind at start), or itself without `auth`.
    func authenticated(by auth: AuthSettings?, slots: inout [ServerAuthenticatorSlot], cors: CORSConfig? = nil,
                       refused: @autoclosure () -> SelfMetrics.Counter) -> any HTTPHandler {
        guard let auth else { return self }
        let slot = ServerAuthenticatorSlot(auth)
        slots.append(slot)
        return AuthenticatingHandler(inner: self, slot: slot, cors: cors.map(CORSPolicy.init), refused: refused())
    }
}

extension [ServerAuthenticatorSlot] {
    /// Finds every slot's authenticator in `host`.
    func bind(_ host: any ComponentHost) throws(AuthenticatorError) {
        for slot in self { try slot.bind(host) }
    }

    /// For `start()` without a host: with `auth`, there is nothing to authenticate with.
    func requireBound() throws(AuthenticatorError) {
        if let unbound = first(where: { !$0.isBound }) {
            throw AuthenticatorError("auth::authenticator: \(unbound.settings.authenticator) is looked up in the extensions the service starts; start(host:) was not called")
        }
    }
}
