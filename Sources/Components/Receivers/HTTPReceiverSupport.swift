import Config
import Diagnostics
import Pipeline
import Transport

/// The confighttp server options Swiftlet implements, shared by the HTTP receivers.
public struct HTTPServerSettings: Sendable, Equatable {
    public var endpoint: String
    /// Applied to the body as received and again after decompression (20 MiB as upstream).
    public var maxRequestBodySize = 20 * 1024 * 1024
    public var cors: CORSConfig?
    public var readHeaderTimeout: Duration = .seconds(60)
    public var idleTimeout: Duration = .seconds(60)
    /// `auth`: the server authenticator every request must pass.
    public var auth: AuthSettings?
    /// `tls`: HTTPS on the same port (HTTP/2 by ALPN too).
    public var tls: TLSConfiguration?
    /// `include_metadata`: each request's header fields go with its spans (request context).
    public var includeMetadata = false

    public init(endpoint: String) {
        self.endpoint = endpoint
    }

    /// Reads `endpoint`, `max_request_body_size`, `read_header_timeout`, `idle_timeout`, `cors`, `auth` and `tls`.
    static func parse(_ r: ConfigReader, defaultEndpoint: String) throws(ConfigError) -> HTTPServerSettings {
        var s = HTTPServerSettings(endpoint: try parseEndpoint(r, default: defaultEndpoint))
        if let size = try r.int("max_request_body_size") {
            guard size > 0 else { throw r.error("max_request_body_size", "must be greater than 0") }
            s.maxRequestBodySize = size
        }
        s.readHeaderTimeout = try r.duration("read_header_timeout") ?? s.readHeaderTimeout
        s.idleTimeout = try r.duration("idle_timeout") ?? s.idleTimeout
        s.cors = try r.child("cors").map { r throws(ConfigError) in try CORSConfig.parse(r) }
        s.auth = try AuthSettings.parse(in: r, requestParams: true)
        s.tls = try TLSSettings.parseServer(r)
        s.includeMetadata = try r.bool("include_metadata") ?? false
        return s
    }

    /// The listener's settings; `admission` is the service's shared cap on request bytes.
    func serverConfiguration(admission: AdmissionBudget?, logger: Logger) throws -> HTTPServer.Configuration {
        var configuration = HTTPServer.Configuration(
            endpoint: try Endpoint(parsing: endpoint),
            maxRequestBodySize: maxRequestBodySize,
            headerReadTimeout: readHeaderTimeout.seconds,
            idleTimeout: idleTimeout.seconds)
        configuration.admission = admission
        configuration.tls = try tls.map { try TLSContext($0, role: .server, alpn: [], logger: logger) }
        return configuration
    }
}

/// `endpoint`, checked to parse as `host:port`.
func parseEndpoint(_ r: ConfigReader, default defaultEndpoint: String) throws(ConfigError) -> String {
    let endpoint = try r.string("endpoint") ?? defaultEndpoint
    do { _ = try Endpoint(parsing: endpoint) } catch {
        throw r.error("endpoint", "\(error)")
    }
    return endpoint
}

/// For a route that takes only POST: the CORS preflight answer or a 405, or nil for a POST.
func answerIfNotPost(_ request: HTTPRequest, cors: CORSPolicy?) -> HTTPResponse? {
    if request.method == "OPTIONS", let cors, request.headers["access-control-request-method"] != nil {
        return cors.preflight(request)
    }
    guard request.method != "POST" else { return nil }
    var r = HTTPResponse.text(405, "405 method not allowed, supported: [POST]")
    r.headers.append(("Allow", "POST"))
    return r
}

/// The media type of a Content-Type value: lowercased, parameters dropped; nil when absent.
func mediaType(_ contentType: String?) -> String? {
    guard let contentType else { return nil }
    return contentType.split(separator: ";", maxSplits: 1).first.map { $0.trimmingWhiteSpace().lowercased() } ?? ""
}

extension ConsumerError {
    /// How an HTTP receiver answers a refusal: permanent → 400; refused for memory → 429 (with
    /// `retryAfterSeconds`); anything else → 503.
    var httpStatus: Int {
        switch self {
        case .permanent: 400
        case .retryable: 503
        case .refused: 429
        }
    }

    var retryAfterSeconds: Int? {
        if case .refused(_, let delay) = self { return delay }
        return nil
    }

    /// The plain-text answer: the status above, the message, and Retry-After when refused.
    var plainTextResponse: HTTPResponse {
        var response = HTTPResponse.text(httpStatus, message)
        if let delay = retryAfterSeconds { response.headers.append(("Retry-After", String(delay))) }
        return response
    }
}
