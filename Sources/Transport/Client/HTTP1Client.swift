import Dispatch
import Diagnostics
import Synchronization

/// HTTP/1.1 requests to one endpoint over a pool of keep-alive connections: a request takes an idle
/// connection or opens a new one (resolving the host anew).
public final class HTTP1Client: @unchecked Sendable {
    private let endpoint: ClientEndpoint
    private let connectTimeout: Double
    private let tls: TLSContext?
    private let maxIdle: Int
    private let logger: Logger
    private let queue = DispatchQueue(label: "swiftlet.http1.client")
    /// Guarded by `queue`.
    private var idle: [(Connection, HTTP1ClientProtocol)] = []
    /// Every open connection, idle or busy, by id: `close` ends a streaming response too.
    /// Guarded by `queue`.
    private var open: [UInt64: Connection] = [:]
    /// Guarded by `queue`.
    private var closed = false
    private let nextID = Atomic<UInt64>(0)

    /// With `tls`, every connection is TLS, offering ALPN `http/1.1`.
    public init(endpoint: ClientEndpoint, connectTimeout: Double = 5, maxIdleConnections: Int = 16, tls: TLSContext? = nil, logger: Logger) {
        self.endpoint = endpoint
        self.tls = tls
        self.connectTimeout = connectTimeout
        self.maxIdle = maxIdleConnections
        self.logger = logger
    }

    public func send(_ request: HTTPClientRequest, timeout: Double, completion: @escaping HTTPClientCompletion) {
        queue.async { [self] in
            guard !closed else { return completion(.failure(.connectionLost("the client is closed"))) }
            while let (connection, proto) = idle.popLast() {
                // A pooled connection the server closed meanwhile fails at once; take another.
                connection.queue.async {
                    proto.start(connection, request, timeout: timeout) { result in
                        if case .failure(.connectionLost) = result, request.isIdempotentToRetry {
                            self.sendOnNewConnection(request, timeout: timeout, completion: completion)
                        } else {
                            completion(result)
                        }
                    }
                }
                return
            }
            sendOnNewConnection(request, timeout: timeout, completion: completion)
        }
    }

    private func sendOnNewConnection(_ request: HTTPClientRequest, timeout: Double, completion: @escaping HTTPClientCompletion) {
        ClientConnector.connect(host: endpoint.host, port: endpoint.port, timeout: connectTimeout, queue: queue) { [self] result in
            switch result {
            case let .failure(error):
                completion(.failure(.connectFailed("\(error)")))
            case let .success((fd, remote)):
                guard !closed else {
                    _ = closeDescriptor(fd)
                    return completion(.failure(.connectionLost("the client is closed")))
                }
                let session: TLSSession?
                do throws(TLSError) {
                    session = try tls?.makeSession(serverName: endpoint.host)
                } catch {
                    _ = closeDescriptor(fd)
                    return completion(.failure(.connectFailed(error.description)))
                }
                let id = nextID.add(1, ordering: .relaxed).newValue
                let connection = Connection(id: id, fd: fd, remoteAddress: remote, logger: logger, label: "swiftlet.http1.client.connection",
                                            tls: session, handshakeTimeout: connectTimeout)
                let proto = HTTP1ClientProtocol(authority: endpoint.authority, onIdle: { [weak self] c in
                    guard let self else { return c.forceClose() }
                    self.queue.async { self.returnToPool(c) }
                }, onClosed: { [weak self] c in
                    guard let self else { return }
                    self.queue.async { self.open[c.id] = nil }
                })
                open[id] = connection
                connection.handler = proto
                connection.start()
                connection.queue.async { proto.start(connection, request, timeout: timeout, completion: completion) }
            }
        }
    }

    private func returnToPool(_ connection: Connection) {
        guard !closed, idle.count < maxIdle, let proto = connection.handler as? HTTP1ClientProtocol else {
            return connection.forceClose()
        }
        idle.append((connection, proto))
    }

    public func close() {
        queue.sync {
            closed = true
            for connection in open.values { connection.forceClose() }
            idle.removeAll()
            open.removeAll()
        }
    }
}

extension HTTPClientRequest {
    /// A request that failed on a reused connection before any answer was probably never seen by
    /// the server; exporters' requests are safe to send again (the backend deduplicates nothing, but
    /// it never received this one).
    var isIdempotentToRetry: Bool { true }
}
