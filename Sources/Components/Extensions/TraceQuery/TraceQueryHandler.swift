import Transport
import WireFormats

/// Routes Tempo's query API (paths as `pkg/api/http.go` names them) and the viewer's files.
/// Every answer is computed on the calling connection's queue from a snapshot of the store.
struct TraceQueryHandler: HTTPHandler {
    let findStore: @Sendable () -> TraceStoreDirectory.Lookup

    func handle(_ request: HTTPRequest) -> HTTPResponse {
        guard request.method == "GET" || request.method == "HEAD" else {
            return .text(405, "405 method not allowed, supported: [GET]")
        }
        var response = route(request)
        if request.method == "HEAD" { response.body = [] }
        return response
    }

    private func route(_ request: HTTPRequest) -> HTTPResponse {
        let path = request.path
        switch path {
        case "/", "/index.html": return Self.file(TraceViewerPage.html, "text/html; charset=utf-8")
        case "/viewer.js": return Self.file(TraceViewerPage.javascript, "application/javascript")
        case "/viewer.css": return Self.file(TraceViewerPage.css, "text/css; charset=utf-8")
        case "/ready": return .text(200, "ready")
        case "/api/echo": return .text(200, "echo")
        case "/api/status/buildinfo": return Self.json(TempoJSON.buildInfo())
        default: break
        }
        let storePaths = ["/api/traces/", "/api/v2/traces/", "/api/search", "/api/v2/search/"]
        guard storePaths.contains(where: path.hasPrefix) else { return .text(404, "404 page not found") }
        let parameters = QueryParameters(request.query)
        return withStore { store in
            if let id = path.dropPrefix("/api/traces/") { return traceByID(id, store, request, version: .v1) }
            if let id = path.dropPrefix("/api/v2/traces/") { return traceByID(id, store, request, version: .v2) }
            switch path {
            case "/api/search": return search(store, parameters)
            case "/api/search/tags": return tagNames(store, parameters, version: .v1)
            case "/api/v2/search/tags": return tagNames(store, parameters, version: .v2)
            default: break
            }
            if let name = path.dropPrefix("/api/search/tag/")?.dropSuffix("/values") {
                return tagValues(QueryParameters.decode(name), store, version: .v1)
            }
            if let name = path.dropPrefix("/api/v2/search/tag/")?.dropSuffix("/values") {
                return tagValues(QueryParameters.decode(name), store, version: .v2)
            }
            return .text(404, "404 page not found")
        }
    }

    enum APIVersion { case v1, v2 }

    private func withStore(_ body: (TraceStore) -> HTTPResponse) -> HTTPResponse {
        switch findStore() {
        case .found(let store): body(store)
        case .missing(let reason): .text(503, reason)
        }
    }

    static func json(_ bytes: [UInt8]) -> HTTPResponse {
        HTTPResponse(status: 200, headers: [("Content-Type", "application/json")], body: bytes)
    }

    private static func file(_ text: String, _ contentType: String) -> HTTPResponse {
        guard !text.isEmpty else { return .text(404, "404 page not found") }
        return HTTPResponse(status: 200, headers: [("Content-Type", contentType), ("Cache-Control", "no-cache")], body: Array(text.utf8))
    }
}

extension String {
    func dropPrefix(_ prefix: String) -> String? {
        hasPrefix(prefix) ? String(dropFirst(prefix.count)) : nil
    }

    func dropSuffix(_ suffix: String) -> String? {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : nil
    }
}
