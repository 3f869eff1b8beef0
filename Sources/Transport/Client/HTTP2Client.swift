import Dispatch
import Diagnostics
import Synchronization

/// One long-lived HTTP/2 connection to an endpoint, carrying many concurrent requests. After a
/// GOAWAY or a lost connection the next request connects again, resolving the host anew.
public final class HTTP2Client: @unchecked Sendable {
    private enum State {
        case idle
        case connecting([(HTTPClientRequest, Double, HTTPClientCompletion)])
        case ready(Connection, HTTP2ClientProtocol)
        case closed
    }

    private let endpoint: ClientEndpoint
    private let connectTimeout: Double
    private let tls: TLSContext?
    private let logger: Logger
    private let queue = DispatchQueue(label: "swiftlet.http2.client")
    /// Guarded by `queue`.
    private var state = State.idle
    private let nextID = Atomic<UInt64>(0)

    /// With `tls`, every connection is TLS, offering ALPN `h2`.
    public init(endpoint: ClientEndpoint, connectTimeout: Double = 5, tls: TLSContext? = nil, logger: Logger) {
        self.endpoint = endpoint
        self.tls = tls
        self.connectTimeout = connectTimeout
        self.logger = logger
    }

    /// Sends `request`; `completion` runs once, on some queue, with the response or why there is none.
    public func send(_ request: HTTPClientRequest, timeout: Double, completion: @escaping HTTPClientCompletion) {
        queue.async { [self] in
            switch state {
            case .closed:
                completion(.failure(.connectionLost("the client is closed")))
            case let .ready(connection, proto):
                connection.queue.async { proto.start(request, timeout: timeout, completion: completion) }
            case var .connecting(waiting):
                waiting.append((request, timeout, completion))
                state = .connecting(waiting)
            case .idle:
                state = .connecting([(request, timeout, completion)])
                connect()
            }
        }
    }

    /// Says GOAWAY on the open connection; requests in flight finish, new ones fail.
    public func close() {
        queue.sync {
            if case let .ready(connection, proto) = state {
                connection.queue.async { proto.goAway() }
            }
            if case let .connecting(waiting) = state {
                for (_, _, completion) in waiting { completion(.failure(.connectionLost("the client is closed"))) }
            }
            state = .closed
        }
    }

    private func connect() {
        ClientConnector.connect(host: endpoint.host, port: endpoint.port, timeout: connectTimeout, queue: queue) { [self] result in
            guard case let .connecting(waiting) = state else {
                if case let .success((fd, _)) = result { _ = closeDescriptor(fd) }
                return
            }
            switch result {
            case let .failure(error):
                logger.debug("connect failed", ["endpoint": endpoint.authority, "error": "\(error)"])
                state = .idle
                for (_, _, completion) in waiting { completion(.failure(.connectFailed("\(error)"))) }
            case let .success((fd, remote)):
                let session: TLSSession?
                do throws(TLSError) {
                    session = try tls?.makeSession(serverName: endpoint.host)
                } catch {
                    _ = closeDescriptor(fd)
                    state = .idle
                    for (_, _, completion) in waiting { completion(.failure(.connectFailed(error.description))) }
                    return
                }
                let id = nextID.add(1, ordering: .relaxed).newValue
                let connection = Connection(id: id, fd: fd, remoteAddress: remote, logger: logger, label: "swiftlet.http2.client.connection",
                                            tls: session, handshakeTimeout: connectTimeout)
                let proto = HTTP2ClientProtocol(authority: endpoint.authority, scheme: session == nil ? "http" : "https") { [weak self] in
                    guard let self else { return }
                    self.queue.async { self.connectionUnusable(id) }
                }
                connection.handler = proto
                state = .ready(connection, proto)
                connection.start()
                connection.queue.async {
                    for (request, timeout, completion) in waiting { proto.start(request, timeout: timeout, completion: completion) }
                }
            }
        }
    }

    private func connectionUnusable(_ id: UInt64) {
        if case let .ready(current, _) = state, current.id == id { state = .idle }
    }
}

#if canImport(Glibc)
import Glibc
func closeDescriptor(_ fd: Int32) -> Int32 { Glibc.close(fd) }
#elseif canImport(Musl)
import Musl
func closeDescriptor(_ fd: Int32) -> Int32 { Musl.close(fd) }
#endif
