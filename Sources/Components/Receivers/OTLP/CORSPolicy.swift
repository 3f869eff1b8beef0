import Diagnostics
import Transport

/// Answers CORS the way confighttp's (rs/cors based) handler does: credentials allowed, so a
/// matching origin is echoed back rather than `*`.
struct CORSPolicy: Sendable {
    let config: CORSConfig
    /// Headers always allowed in a preflight (rs/cors defaults), lowercased.
    static let defaultHeaders: Set<String> = ["origin", "accept", "content-type", "x-requested-with"]

    func allows(origin: String) -> Bool {
        config.allowedOrigins.contains { wildcardMatch(pattern: Array($0.lowercased().utf8), Array(origin.lowercased().utf8)) }
    }

    /// Headers for an actual (non-preflight) response, empty when the origin is not allowed.
    func responseHeaders(for request: HTTPRequest) -> [(String, String)] {
        guard let origin = request.headers["origin"] else { return [] }
        guard allows(origin: origin) else { return [("Vary", "Origin")] }
        return [("Vary", "Origin"), ("Access-Control-Allow-Origin", origin), ("Access-Control-Allow-Credentials", "true")]
    }

    /// The answer to `OPTIONS` with `Access-Control-Request-Method` (a preflight).
    func preflight(_ request: HTTPRequest) -> HTTPResponse {
        var headers: [(String, String)] = [
            ("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers")
        ]
        guard let origin = request.headers["origin"], allows(origin: origin),
            request.headers["access-control-request-method"]?.uppercased() == "POST",
            requestedHeadersAllowed(request.headers["access-control-request-headers"])
        else { return HTTPResponse(status: 204, headers: headers) }
        headers.append(("Access-Control-Allow-Origin", origin))
        headers.append(("Access-Control-Allow-Credentials", "true"))
        headers.append(("Access-Control-Allow-Methods", "POST"))
        if let requested = request.headers["access-control-request-headers"], !requested.isEmpty {
            headers.append(("Access-Control-Allow-Headers", requested))
        }
        if config.maxAge > 0 { headers.append(("Access-Control-Max-Age", String(config.maxAge))) }
        return HTTPResponse(status: 204, headers: headers)
    }

    private func requestedHeadersAllowed(_ list: String?) -> Bool {
        guard let list else { return true }
        if config.allowedHeaders.contains("*") { return true }
        let allowed = CORSPolicy.defaultHeaders.union(config.allowedHeaders.map { $0.lowercased() })
        return list.split(separator: ",").allSatisfy { allowed.contains($0.trimmingWhiteSpace().lowercased()) }
    }
}

/// `*` matches any run of bytes; everything else matches itself.
func wildcardMatch(pattern: [UInt8], _ text: [UInt8]) -> Bool {
    var p = 0, t = 0, starP = -1, starT = 0
    while t < text.count {
        if p < pattern.count && pattern[p] == UInt8(ascii: "*") {
            starP = p; starT = t; p += 1
        } else if p < pattern.count && pattern[p] == text[t] {
            p += 1; t += 1
        } else if starP >= 0 {
            p = starP + 1; starT += 1; t = starT
        } else {
            return false
        }
    }
    while p < pattern.count && pattern[p] == UInt8(ascii: "*") { p += 1 }
    return p == pattern.count
}
