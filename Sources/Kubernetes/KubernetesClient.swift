import Diagnostics
import Synchronization
import Transport
import WireFormats

/// One event of a watch stream (Kubernetes API "watch" responses: one JSON object per line).
public struct KubernetesWatchEvent: Sendable, Equatable {
    /// `ADDED`, `MODIFIED`, `DELETED`, `BOOKMARK` or `ERROR` (whose object is a `Status`).
    public var type: String
    public var object: JSONValue
}

/// GET and watch against the API server over HTTP/1.1 (TLS unless the kubeconfig says http),
/// with the bearer token read anew for every request.
public final class KubernetesClient: Sendable {
    public let config: KubernetesAPIConfig
    private let http: HTTP1Client
    private static let maxWatchLine = 32 << 20

    public init(_ config: KubernetesAPIConfig, logger: Logger) throws(KubernetesError) {
        self.config = config
        var tlsContext: TLSContext?
        if let tls = config.tls {
            do { tlsContext = try TLSContext(tls, role: .client, alpn: ["http/1.1"], logger: logger) } catch {
                throw KubernetesError("TLS to the Kubernetes API server: \(error.description)")
            }
        }
        http = HTTP1Client(endpoint: config.endpoint, connectTimeout: 10, maxIdleConnections: 2, tls: tlsContext, logger: logger)
    }

    public func close() { http.close() }

    private func request(_ path: String, onBodyBytes: (@Sendable ([UInt8]) -> Void)? = nil) throws(KubernetesError) -> HTTPClientRequest {
        var headers = [("Accept", "application/json"), ("User-Agent", "swiftlet")]
        if let token = try config.bearerToken(), !token.isEmpty { headers.append(("Authorization", "Bearer " + token)) }
        return HTTPClientRequest(method: "GET", path: path, headers: headers, onBodyBytes: onBodyBytes)
    }

    /// A GET whose answer is one JSON document.
    public func get(_ path: String, timeout: Double, completion: @escaping @Sendable (Result<JSONValue, KubernetesError>) -> Void) {
        let request: HTTPClientRequest
        do { request = try self.request(path) } catch { return completion(.failure(error)) }
        http.send(request, timeout: timeout) { result in
            switch result {
            case let .failure(error):
                completion(.failure(KubernetesError("GET \(path): \(error)")))
            case let .success(response):
                guard response.status == 200 else { return completion(.failure(Self.statusError(path, response))) }
                do { completion(.success(try JSONValue.parse(response.body))) } catch {
                    completion(.failure(KubernetesError("GET \(path): \(error)")))
                }
            }
        }
    }

    /// A watch: `onEvent` for each event as it arrives; `completion` when the stream ends (the
    /// server's `timeoutSeconds`, a dropped connection, or a refusal such as 410 Gone).
    public func watch(_ path: String, timeout: Double, onEvent: @escaping @Sendable (KubernetesWatchEvent) -> Void,
                      completion: @escaping @Sendable (Result<Void, KubernetesError>) -> Void) {
        let lines = WatchLineSplitter(maxLine: Self.maxWatchLine)
        let request: HTTPClientRequest
        do {
            request = try self.request(path) { bytes in
                for line in lines.append(bytes) {
                    guard let value = try? JSONValue.parse(line), let type = value["type"]?.string, let object = value["object"] else {
                        lines.fail("an event that is not a watch event JSON object")
                        return
                    }
                    onEvent(KubernetesWatchEvent(type: type, object: object))
                }
            }
        } catch { return completion(.failure(error)) }
        http.send(request, timeout: timeout) { result in
            switch result {
            case let .failure(error):
                completion(.failure(KubernetesError("watch \(path): \(error)")))
            case let .success(response):
                guard response.status == 200 else { return completion(.failure(Self.statusError(path, response))) }
                if let failure = lines.failure { return completion(.failure(KubernetesError("watch \(path): \(failure)"))) }
                completion(.success(()))
            }
        }
    }

    /// The API server's `Status` message, with the HTTP status.
    private static func statusError(_ path: String, _ response: HTTPClientResponse) -> KubernetesError {
        let message = (try? JSONValue.parse(response.body))?["message"]?.string ?? String(decoding: response.body.prefix(200), as: UTF8.self)
        return KubernetesError("GET \(path): \(response.status) \(message)", status: response.status)
    }
}

/// Cuts a watch stream into its newline-ended JSON lines. Fed on one connection's queue.
public final class WatchLineSplitter: Sendable {
    private struct State {
        var pending: [UInt8] = []
        var failure: String?
    }

    private let state = Mutex(State())
    private let maxLine: Int

    public init(maxLine: Int) { self.maxLine = maxLine }

    public var failure: String? { state.withLock { $0.failure } }

    func fail(_ why: String) { state.withLock { if $0.failure == nil { $0.failure = why } } }

    /// The complete lines `bytes` ends; none once the stream failed.
    public func append(_ bytes: [UInt8]) -> [[UInt8]] {
        state.withLock { s in
            guard s.failure == nil else { return [] }
            s.pending += bytes
            var lines: [[UInt8]] = []
            var start = 0
            while let newline = s.pending[start...].firstIndex(of: 0x0A) {
                let line = s.pending[start..<newline]
                if line.contains(where: { $0 != 0x20 && $0 != 0x0D }) { lines.append(Array(line)) }
                start = newline + 1
            }
            s.pending.removeFirst(start)
            if s.pending.count > maxLine {
                s.failure = "a watch event longer than \(maxLine) bytes"
                s.pending = []
            }
            return lines
        }
    }
}
