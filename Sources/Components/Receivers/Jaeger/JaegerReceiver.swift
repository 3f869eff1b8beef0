import Diagnostics
import Pipeline
import Transport

/// `jaeger` receiver: Thrift over HTTP on `protocols::thrift_http` (default `localhost:14268`), the
/// agent's UDP ports, `thrift_compact` (6831) and `thrift_binary` (6832), and the Jaeger protobuf
/// model over gRPC on `grpc` (14250).
public final class JaegerReceiver: HandsOverConnections {
    public static let factory = ComponentFactory.receiver("jaeger", .beta, parse: Config.parse) { ctx, config, next in
        try JaegerReceiver(ctx, config, next: next)
    }

    private let httpServer: HTTPServer?
    private let grpcServer: HTTPServer?
    private let udpListeners: [(JaegerTransport, UDPListener)]
    private let authenticators: [ServerAuthenticatorSlot]

    init(_ context: ComponentContext, _ config: Config, next: any TraceConsumer) throws {
        let metrics = ReceiverTransportMetrics(context)
        var slots: [ServerAuthenticatorSlot] = []
        httpServer = try config.thriftHTTP.map { http in
            let transport = JaegerTransport.collectorHTTP.rawValue
            let handler = JaegerThriftHTTPHandler(
                next: metrics.counting(next, transport: transport), logger: context.logger,
                cors: http.cors.map(CORSPolicy.init), invalidRequests: metrics.invalid(transport: transport), includeMetadata: http.includeMetadata)
                .authenticated(by: http.auth, slots: &slots, cors: http.cors, refused: metrics.unauthenticated(transport: transport))
            return HTTPServer(configuration: try http.serverConfiguration(admission: context.admission, logger: context.logger), logger: context.logger, handler: handler)
        }
        grpcServer = try config.grpc.map { grpc in
            let service = JaegerGRPCService(
                next: metrics.counting(next, transport: JaegerTransport.grpc.rawValue), logger: context.logger,
                invalidRequests: metrics.invalid(transport: JaegerTransport.grpc.rawValue), includeMetadata: grpc.includeMetadata)
            let handler = service.handler(maxReceiveMessageSize: grpc.maxReceiveMessageBytes)
                .authenticated(by: grpc.auth, slots: &slots, refused: metrics.unauthenticated(transport: JaegerTransport.grpc.rawValue))
            return HTTPServer(configuration: try grpc.serverConfiguration(admission: context.admission, logger: context.logger), logger: context.logger,
                              handler: handler)
        }
        authenticators = slots
        var listeners: [(JaegerTransport, UDPListener)] = []
        for (udp, transport) in [(config.thriftCompact, JaegerTransport.udpThriftCompact), (config.thriftBinary, .udpThriftBinary)] {
            guard let udp else { continue }
            let handler = JaegerAgentDatagramHandler(
                kind: transport == .udpThriftCompact ? .compact : .binary, next: metrics.counting(next, transport: transport.rawValue),
                logger: context.logger, invalidDatagrams: metrics.invalid(transport: transport.rawValue))
            listeners.append((transport, UDPListener(
                configuration: try udp.listenerConfiguration(), logger: context.logger,
                observer: metrics.datagramObserver(transport: transport.rawValue), handler: handler.handle)))
        }
        udpListeners = listeners
    }

    /// The ports actually bound, by transport label (useful with port 0).
    var boundPorts: [String: Int] {
        var ports: [String: Int] = [:]
        if let httpServer { ports[JaegerTransport.collectorHTTP.rawValue] = httpServer.boundPort }
        if let grpcServer { ports[JaegerTransport.grpc.rawValue] = grpcServer.boundPort }
        for (transport, listener) in udpListeners { ports[transport.rawValue] = listener.boundPort }
        return ports
    }

    /// Finds the servers' authenticators, then starts.
    public func start(host: any ComponentHost) throws {
        try authenticators.bind(host)
        try start()
    }

    /// Starts every protocol, or none: what started is stopped again when one fails to bind.
    public func start() throws {
        try authenticators.requireBound()
        do {
            try httpServer?.start()
            try grpcServer?.start()
            for (_, listener) in udpListeners { try listener.start() }
        } catch {
            stop(httpDeadlineSeconds: 0)
            throw error
        }
    }

    public func shutdown() { stop(httpDeadlineSeconds: 5) }

    /// The UDP sockets go to the successor with the datagrams waiting in them; TCP connections
    /// are handed over.
    public func handOver() {
        for (_, listener) in udpListeners { listener.stop() }
        httpServer?.handOver()
        grpcServer?.handOver()
    }

    public var hasOpenConnections: Bool { (httpServer?.openConnections ?? 0) + (grpcServer?.openConnections ?? 0) > 0 }

    private func stop(httpDeadlineSeconds: Double) {
        for (_, listener) in udpListeners { listener.stop() }
        httpServer?.shutdown(deadlineSeconds: httpDeadlineSeconds)
        grpcServer?.shutdown(deadlineSeconds: httpDeadlineSeconds)
    }
}

/// The transports of the Jaeger receiver, labelled as upstream labels them.
enum JaegerTransport: String, Sendable {
    case collectorHTTP = "collector_http"
    case udpThriftCompact = "udp_thrift_compact"
    case udpThriftBinary = "udp_thrift_binary"
    case grpc
}
