#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Diagnostics
import Synchronization

/// Which protocol a listener speaks. gRPC ports speak HTTP/2 with prior knowledge (h2c, RFC 9113 §3.3).
public enum HTTPVersion: Sendable {
    case http1, http2
}

public final class HTTPServer: Sendable {
    public struct Configuration: Sendable {
        public var endpoint: Endpoint
        public var maxRequestBodySize: Int
        public var maxHeaderBytes: Int
        /// Seconds a client has to send a complete request head once it started one.
        public var headerReadTimeout: Double
        /// Seconds a keep-alive connection may sit idle (also bounds a stalled body or write).
        public var idleTimeout: Double
        public var maxConnections: Int
        /// Inflate gzip/deflate/zstd request bodies; when false they reach the handler as sent.
        public var decompression: Bool
        /// The protocol spoken on every connection of this listener.
        public var httpVersion: HTTPVersion
        /// HTTP/2 only: streams a client may have open at once.
        public var maxConcurrentStreams: Int
        /// HTTP/2 only: run handlers on the connection's queue instead of the shared pool (the
        /// fuzzing harness needs every answer before it returns).
        var handlersInline = false
        /// Request bytes held at once across listeners; a request that does not fit waits up to
        /// `admissionWait` seconds (HTTP/1.1, reading paused) and is then answered 429.
        public var admission: AdmissionBudget?
        public var admissionWait: Double = 1
        /// TLS on every connection, on the same port: ALPN `h2` chooses HTTP/2, `http/1.1` or no
        /// ALPN the listener's own protocol. The handshake must end within `headerReadTimeout`.
        public var tls: TLSContext?

        public init(endpoint: Endpoint, maxRequestBodySize: Int = 20 * 1024 * 1024, maxHeaderBytes: Int = 1 << 20,
                    headerReadTimeout: Double = 60, idleTimeout: Double = 60, maxConnections: Int = 4096,
                    decompression: Bool = true, httpVersion: HTTPVersion = .http1, maxConcurrentStreams: Int = 250) {
            self.httpVersion = httpVersion
            self.maxConcurrentStreams = maxConcurrentStreams
            self.endpoint = endpoint
            self.maxRequestBodySize = maxRequestBodySize
            self.maxHeaderBytes = maxHeaderBytes
            self.headerReadTimeout = headerReadTimeout
            self.idleTimeout = idleTimeout
            self.maxConnections = maxConnections
            self.decompression = decompression
        }
    }

    private let context: ServerContext
    private let listener = Mutex<Listener?>(nil)
    private let port = Atomic<Int>(0)

    public init(configuration: Configuration, logger: Logger, handler: any HTTPHandler) {
        context = ServerContext(configuration: configuration, logger: logger, handler: handler)
    }

    /// Binds and listens before returning, so "address in use" is reported here; then serves.
    public func start() throws(SocketError) {
        let context = self.context
        let listener = try Listener(endpoint: context.configuration.endpoint, logger: context.logger,
                                    hasRoom: { context.hasRoom }) { fd, remote in
            context.accept(fd, remote: remote)
        }
        port.store(listener.port, ordering: .relaxed)
        self.listener.withLock { $0 = listener }
        listener.start()
        context.logger.info("HTTP server listening", ["endpoint": context.configuration.endpoint.description, "port": listener.port])
    }

    /// For a reload that replaces this server's receiver with one of other settings: stops
    /// accepting (the successor takes the listening socket over) and lets every open connection
    /// end on its own, served meanwhile as before: HTTP/1.1 answers its next request with
    /// `Connection: close`, HTTP/2 sends a graceful GOAWAY and answers every stream it took. A
    /// client so never meets a connection closed without an answer. Returns at once; `shutdown`
    /// closes what is still open when the process stops.
    public func handOver() {
        context.handedOver.store(true, ordering: .sequentiallyConsistent)
        listener.withLock { $0.take() }?.stop()
        for connection in context.snapshot() { connection.requestHandOver() }
    }

    /// Connections open now (accepted and not yet closed).
    public var openConnections: Int { context.count }

    /// The port actually bound (useful with port 0); 0 before `start`.
    public var boundPort: Int { port.load(ordering: .relaxed) }

    /// Stops accepting at once, closes idle connections, lets requests in flight be answered (with
    /// `Connection: close`), and force-closes what is left at the deadline. Blocks until done.
    public func shutdown(deadlineSeconds: Double = 5) {
        context.shuttingDown.store(true, ordering: .sequentiallyConsistent)
        listener.withLock { $0.take() }?.stop()
        for connection in context.snapshot() { connection.requestShutdown() }
        let deadline = WallClock.monotonicNano() + UInt64(max(0, deadlineSeconds) * 1e9)
        guard !context.waitUntilEmpty(until: deadline) else { return }
        context.logger.warn("shutdown deadline passed, closing connections", ["open": context.count])
        for connection in context.snapshot() { connection.forceClose() }
        _ = context.waitUntilEmpty(until: WallClock.monotonicNano() + 1_000_000_000)
    }
}

/// State shared by the listener and all connections of one server.
final class ServerContext: Sendable {
    let configuration: HTTPServer.Configuration
    let logger: Logger
    let handler: any HTTPHandler
    let shuttingDown = Atomic<Bool>(false)
    /// Replaced by a reload (`HTTPServer.handOver`): connections end after their next answer.
    let handedOver = Atomic<Bool>(false)
    private let connections = Mutex<[UInt64: Connection]>([:])
    private let nextID = Atomic<UInt64>(0)
    private let lastLimitWarning = Atomic<UInt64>(0)
    private let refusedSinceWarning = Atomic<Int>(0)

    init(configuration: HTTPServer.Configuration, logger: Logger, handler: any HTTPHandler) {
        self.configuration = configuration
        self.logger = logger
        self.handler = handler
    }

    var isShuttingDown: Bool { shuttingDown.load(ordering: .relaxed) }
    var isHandedOver: Bool { handedOver.load(ordering: .relaxed) }
    var count: Int { connections.withLock { $0.count } }
    /// Whether a connection accepted now would be let in, not refused at once.
    var hasRoom: Bool { count < connectionCap }
    /// The limit, and over it for HTTP/1.1 the margin that closing idle connections gives back.
    private var connectionCap: Int {
        configuration.maxConnections + (configuration.httpVersion == .http1 ? Self.evictionMargin : 0)
    }

    /// Called on the listener queue only, so the count check and the insert cannot race with another accept.
    func accept(_ fd: Int32, remote: String) {
        guard !isShuttingDown else {
            _ = close(fd)
            return
        }
        let open = count
        if open >= configuration.maxConnections {
            // At the limit, idle keep-alive connections must not lock new clients out (as nginx
            // reuses idle keep-alive connections when it runs out): the oldest few are asked to
            // close if they sit between requests, and the newcomer is let in over the limit by a
            // bounded margin that those closes give back. Busy connections are left alone; if
            // none of them is idle, the margin runs out, the listener holds new clients in the
            // backlog for a while (Listener.waitsForRoom), and then refuses them again.
            guard open < connectionCap else {
                if configuration.httpVersion == .http1 { evictIdle() }  // room for the next one
                _ = close(fd)
                warnConnectionLimit()
                return
            }
            evictIdle()
        }
        let id = nextID.add(1, ordering: .relaxed).newValue
        let tls: TLSSession?
        do throws(TLSError) {
            tls = try configuration.tls?.makeSession()
        } catch {
            logger.error("TLS session not created", ["remote": remote, "error": error.description])
            _ = close(fd)
            return
        }
        let connection = Connection(id: id, fd: fd, remoteAddress: remote, logger: logger, tls: tls,
                                    handshakeTimeout: configuration.headerReadTimeout) { [self] in remove($0) }
        if tls != nil {
            connection.protocolForALPN = { [self] alpn in makeProtocol(http2: alpn == "h2" || configuration.httpVersion == .http2) }
        } else {
            connection.handler = makeProtocol(http2: configuration.httpVersion == .http2)
        }
        connections.withLock { $0[id] = connection }
        connection.start()
    }

    private func makeProtocol(http2: Bool) -> any ConnectionProtocol {
        http2 ? HTTP2ServerProtocol(context: self) : HTTP1ServerProtocol(context: self)
    }

    static let evictionMargin = 64
    /// The highest connection id asked to close if idle; the next candidates come after it.
    private let evictedUpTo = Atomic<UInt64>(0)

    /// Asks the 8 oldest connections after the last ones asked to close if they are idle
    /// (HTTP/1.1 closes a connection between requests with nothing pending; others ignore it).
    /// One pass over the table (no sort: this runs for every connection accepted at the limit).
    private func evictIdle() {
        let after = evictedUpTo.load(ordering: .relaxed)
        var oldest = connections.withLock { Self.oldest(8, after: after, in: $0.values) }
        if oldest.count < 8 { oldest = connections.withLock { Self.oldest(8, after: 0, in: $0.values) } }
        evictedUpTo.store(oldest.last?.id ?? 0, ordering: .relaxed)
        for connection in oldest { connection.requestShutdown() }
    }

    /// The `n` connections with the lowest ids above `after`, lowest first.
    static func oldest(_ n: Int, after: UInt64, in all: some Sequence<Connection>) -> [Connection] {
        var picked: [Connection] = []
        picked.reserveCapacity(n + 1)
        for connection in all where connection.id > after {
            guard picked.count < n || connection.id < picked[picked.count - 1].id else { continue }
            let at = picked.firstIndex { $0.id > connection.id } ?? picked.count
            picked.insert(connection, at: at)
            if picked.count > n { picked.removeLast() }
        }
        return picked
    }

    func remove(_ connection: Connection) {
        _ = connections.withLock { $0.removeValue(forKey: connection.id) }
    }

    func snapshot() -> [Connection] {
        connections.withLock { Array($0.values) }
    }

    func waitUntilEmpty(until deadline: UInt64) -> Bool {
        while count > 0 {
            guard WallClock.monotonicNano() < deadline else { return false }
            usleep(2000)
        }
        return true
    }

    /// At most one warning per second, with the number refused since the last one.
    private func warnConnectionLimit() {
        refusedSinceWarning.add(1, ordering: .relaxed)
        let now = WallClock.monotonicNano()
        let last = lastLimitWarning.load(ordering: .relaxed)
        guard last == 0 || now - last >= 1_000_000_000,
              lastLimitWarning.compareExchange(expected: last, desired: now, ordering: .relaxed).exchanged
        else { return }
        let refused = refusedSinceWarning.exchange(0, ordering: .relaxed)
        logger.warn("connection limit reached, closing new connections", ["limit": configuration.maxConnections, "refused": refused])
    }
}
