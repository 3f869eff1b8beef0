import Config
import Diagnostics
import Dispatch
import Pipeline
import TraceModel
import Transport
import WireFormats

/// The OTLP exporters' common body: `consume` queues the batch; a sending consumer encodes it once
/// (the one encoding seam) and compresses it once, then sends it with retry over the protocol's
/// sender. With a persistent queue the batch is encoded when queued, and compressed when sent.
final class OTLPExporter: Component, TraceConsumer, SelfCountingExporter {
    private let encode: @Sendable (TraceBatch) -> [UInt8]
    let forwardsOTLPEncoding: Bool
    private let encodesWhenQueued: Bool
    private let sender: QueuedRetrySender
    private let metrics: ExporterMetrics
    private let shutdownDeadline: Double
    private let context: ComponentContext
    private let queueSettings: QueueSettings
    /// The client authenticator the sender asks for each request's credentials.
    private let auth: ClientAuthenticatorSlot?

    /// `writesProtobuf`: requests are OTLP protobuf (reusing `ResourceSpans.encoded`, written into
    /// buffers used again once a request is settled), else OTLP JSON.
    init(_ context: ComponentContext, settings: OTLPExporterSettings, sender: any ExportSender, auth: ClientAuthenticatorSlot?,
         writesProtobuf: Bool) {
        let buffers = ByteBufferPool()
        let encode: @Sendable (TraceBatch) -> [UInt8]
        if writesProtobuf {
            encode = { batch in OTLPProtoEncoder.encodeExportRequest(batch, buffers: buffers) }
        } else {
            encode = { batch in OTLPJSONEncoder.encodeExportRequest(batch) }
        }
        self.encode = encode
        self.auth = auth
        forwardsOTLPEncoding = writesProtobuf
        self.context = context
        queueSettings = settings.queue
        encodesWhenQueued = settings.queue.storage != nil
        metrics = ExporterMetrics(context)
        let coding = settings.compression, level = settings.compressionLevel
        self.sender = QueuedRetrySender(sender: sender, queue: settings.queue, retry: settings.retry,
                                        logger: context.logger, metrics: metrics, prepare: { request in
            request.preparedForWire(encode: encode) { body in
                guard let coding else { return body }
                defer { buffers.give(body) }  // the uncompressed encoding is done with
                return coding.encode(body, level: level, buffers: buffers)
            }
        }, recycle: { buffers.give($0) })
        shutdownDeadline = max(5, settings.timeout.seconds)
    }

    func start() throws {
        if let storage = queueSettings.storage {
            throw FileStorageError("sending_queue::storage: \(storage) is looked up in the extensions the service starts; start(host:) was not called")
        }
        if let auth, !auth.isBound {
            throw AuthenticatorError("auth::authenticator: \(auth.settings.authenticator) is looked up in the extensions the service starts; start(host:) was not called")
        }
    }

    /// Finds the client authenticator (`auth`) and, with `sending_queue::storage`, opens the
    /// persistent queue (recovering what an earlier run left) in the directory the storage
    /// extension gives this exporter.
    func start(host: any ComponentHost) throws {
        try auth?.bind(host)
        guard let id = queueSettings.storage else { return }
        guard let found = host.extension(id) else {
            throw FileStorageError("sending_queue::storage: extension \(id) is not configured or not listed in service::extensions")
        }
        guard let storage = found as? FileStorageExtension else {
            throw FileStorageError("sending_queue::storage: extension \(id) is not a storage extension (use file_storage)")
        }
        let settings = PersistentRequestQueue.Settings(
            directory: try storage.directory(for: context.id, kind: .exporter), maxRequests: queueSettings.queueSize,
            maxBytes: queueSettings.maxSizeBytes, fsync: storage.config.fsync, timeout: storage.config.timeout)
        do {
            sender.use(try PersistentRequestQueue(settings: settings, logger: context.logger,
                                                  metrics: PersistentQueueMetrics(context.metrics, exporter: context.id.description)))
        } catch {
            throw FileStorageError("sending_queue::storage: cannot open the persistent queue: \(error)")
        }
    }

    func consume(_ batch: TraceBatch) throws(ConsumerError) {
        let spans = batch.spanCount
        guard spans > 0 else { return }
        do throws(ConsumerError) {
            try sender.submit(encodesWhenQueued ? ExportRequest(body: encode(batch), spans: spans) : ExportRequest(batch: batch))
        } catch {
            metrics.enqueueFailed.add(spans)
            throw error
        }
    }

    func shutdown() {
        sender.shutdown(deadline: shutdownDeadline)
    }

    /// `shutdown` once nothing is in flight (checked every 100 ms) or `deadline` (monotonic ns)
    /// has passed, so that no thread waits for the backend meanwhile.
    func shutdownWhenSettled(deadline: UInt64) {
        guard sender.isSettled || WallClock.monotonicNano() >= deadline else {
            return DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(100)) { self.shutdownWhenSettled(deadline: deadline) }
        }
        sender.shutdown(deadline: 0)
    }

    /// Takes no more spans and gives back every request not yet sent instead of retrying it
    /// (see `QueuedRetrySender.retire`); a persistent queue's requests are decoded back into spans.
    func retire(handBack: @escaping @Sendable (TraceBatch) -> Void) {
        sender.retire { request in
            if let batch = request.batch { return handBack(batch) }
            if let decoded = try? OTLPProtoDecoder.decodeExportRequest(request.body) { handBack(decoded.batch) }
        }
    }

    /// Drains the queue until the service's deadline (at most the configured wait).
    func shutdown(deadline: UInt64) {
        let left = Double(deadline &- min(deadline, WallClock.monotonicNano())) / 1e9
        sender.shutdown(deadline: min(shutdownDeadline, left))
    }
}

/// `otlp_grpc` (and its older name `otlp`): OTLP/gRPC to `TraceService/Export`.
public enum OTLPGRPCExporter {
    public static let factory = ComponentFactory.exporter("otlp_grpc", .stable, parse: Config.parse, make: make)
    public static let legacyFactory = ComponentFactory.exporter("otlp", .stable, parse: Config.parse, make: make)

    public struct Config: Sendable, Equatable {
        public var endpoint = ""
        var url: ClientURL?
        public var settings = OTLPExporterSettings(timeout: .seconds(5))
        public var balancerName: String?

        public static func parse(_ r: ConfigReader) throws(ConfigError) -> Config {
            var c = Config()
            guard let endpoint = try r.string("endpoint"), !endpoint.isEmpty else {
                throw r.error("endpoint", "must be set (host:port of the OTLP/gRPC backend, e.g. tempo.monitoring:4317)")
            }
            c.endpoint = endpoint
            do { c.url = try ClientURL(parsing: endpoint, defaultPort: nil) } catch {
                throw r.error("endpoint", error.description)
            }
            try c.readSettings(r)
            return c
        }

        /// Every key but `endpoint`: what the loadbalancing exporter's `protocol::otlp` holds.
        mutating func readSettings(_ r: ConfigReader) throws(ConfigError) {
            settings.tls = try TLSSettings.parseClient(r, scheme: url?.scheme, insecureKeyDecides: true)
            try settings.read(r, compressions: ["gzip", "zstd"])
            balancerName = try r.string("balancer_name")
            _ = try r.int("write_buffer_size")
            _ = try r.int("read_buffer_size")
            _ = try r.bool("wait_for_ready")
            if r.has("keepalive") { _ = try r.child("keepalive") }
        }
    }

    static func make(_ context: ComponentContext, _ config: Config) throws -> any Component & TraceConsumer {
        try makeExporter(context, config)
    }

    static func makeExporter(_ context: ComponentContext, _ config: Config) throws -> OTLPExporter {
        if let balancer = config.balancerName {
            context.logger.warn("balancer_name is ignored: Swiftlet keeps one HTTP/2 connection to the endpoint", ["balancer_name": balancer])
        }
        guard let url = config.url else { throw ClientURLError(text: config.endpoint, reason: "no endpoint") }
        let auth = config.settings.auth.map(ClientAuthenticatorSlot.init)
        if auth != nil, config.settings.tls == nil {
            context.logger.warn("auth credentials go out in plain text (tls::insecure); the Collector's gRPC client refuses to send them without TLS")
        }
        let tls = try config.settings.tls.map { try TLSContext($0, role: .client, alpn: ["h2"], logger: context.logger) }
        let sender = OTLPGRPCSender(endpoint: url.endpoint, settings: config.settings, tls: tls, auth: auth, logger: context.logger)
        return OTLPExporter(context, settings: config.settings, sender: sender, auth: auth, writesProtobuf: true)
    }
}

/// Sends `ExportTraceServiceRequest`s as unary gRPC calls over one HTTP/2 connection.
struct OTLPGRPCSender: ExportSender {
    static let path = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
    private let client: GRPCClient
    private let settings: OTLPExporterSettings
    private let metadata: [(String, String)]
    private let auth: ClientAuthenticatorSlot?
    private let logger: Logger

    init(endpoint: ClientEndpoint, settings: OTLPExporterSettings, tls: TLSContext?, auth: ClientAuthenticatorSlot?, logger: Logger) {
        client = GRPCClient(endpoint: endpoint, connectTimeout: settings.timeout.seconds, tls: tls, logger: logger)
        self.settings = settings
        metadata = settings.metadata
        self.auth = auth
        self.logger = logger
    }

    /// The configured metadata and the authenticator's, lowercased as HTTP/2 requires.
    private var requestMetadata: [(String, String)] {
        guard let auth else { return metadata }
        return auth.headers(adding: metadata).map { ($0.0.lowercased(), $0.1) }
    }

    func send(_ request: ExportRequest, completion: @escaping @Sendable (SendOutcome) -> Void) {
        client.unary(path: Self.path, message: request.body, metadata: requestMetadata, compression: settings.compression,
                     compressed: true, timeout: settings.timeout.seconds) { [logger] result in
            switch result {
            case let .success(response):
                if let partial = OTLPProtoDecoder.partialSuccess(response: response), partial.rejectedSpans > 0 || !partial.message.isEmpty {
                    logger.warn("Partial success response", ["message": partial.message, "dropped_spans": partial.rejectedSpans])
                }
                completion(.success)
            case let .failure(status):
                completion(Self.outcome(status))
            }
        }
    }

    /// Retryable as the OTLP specification lists; a RetryInfo delay is honoured (and makes
    /// RESOURCE_EXHAUSTED retryable).
    static func outcome(_ status: GRPCStatus) -> SendOutcome {
        let delay = status.detailsBase64.flatMap { Base64.decode($0.utf8) }.flatMap { OTLPProtoDecoder.retryDelay(status: $0) }
        let message = "rpc error: code = \(status.code) desc = \(status.message)"
        return status.code.isRetryable(hasRetryDelay: delay != nil) ? .retryable(message, retryAfter: delay) : .permanent(message)
    }

    func close() { client.close() }
}
