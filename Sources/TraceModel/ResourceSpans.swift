import Synchronization

public struct Resource: Equatable, Sendable {
    public var attributes: [KeyValue]
    public var droppedAttributesCount: UInt32

    public init(attributes: [KeyValue] = [], droppedAttributesCount: UInt32 = 0) {
        self.attributes = attributes
        self.droppedAttributesCount = droppedAttributesCount
    }
}

public struct InstrumentationScope: Equatable, Sendable {
    public var name: String
    public var version: String
    public var attributes: [KeyValue]
    public var droppedAttributesCount: UInt32

    public init(name: String = "", version: String = "", attributes: [KeyValue] = [], droppedAttributesCount: UInt32 = 0) {
        self.name = name
        self.version = version
        self.attributes = attributes
        self.droppedAttributesCount = droppedAttributesCount
    }
}

public struct ScopeSpans: Equatable, Sendable {
    public var scope: InstrumentationScope
    public var spans: [Span]
    public var schemaURL: String

    public init(scope: InstrumentationScope = InstrumentationScope(), spans: [Span] = [], schemaURL: String = "") {
        self.scope = scope
        self.spans = spans
        self.schemaURL = schemaURL
    }
}

public struct ResourceSpans: Equatable, Sendable {
    private struct Content: Sendable {
        var resource: Resource
        var scopeSpans: [ScopeSpans]
        var schemaURL: String
    }

    private var content: Content
    /// Set while the model has not been built: the bytes were only validated (OTLP protobuf in),
    /// and it is built on first access, which a forwarding pipeline never makes.
    private var deferred: DeferredResourceSpans?
    /// The `ResourceSpans` message as received, while the value is unchanged (OTLP protobuf in,
    /// every span valid); exporters then forward these bytes as they are.
    public var encoded: EncodedBytes?

    // Any change drops the received encoding: it no longer says what the value holds.
    public var resource: Resource {
        get { deferred?.model.content.resource ?? content.resource }
        _modify {
            materialize()
            encoded = nil
            yield &content.resource
        }
    }

    public var scopeSpans: [ScopeSpans] {
        get { deferred?.model.content.scopeSpans ?? content.scopeSpans }
        _modify {
            materialize()
            encoded = nil
            yield &content.scopeSpans
        }
    }

    public var schemaURL: String {
        get { deferred?.model.content.schemaURL ?? content.schemaURL }
        _modify {
            materialize()
            encoded = nil
            yield &content.schemaURL
        }
    }

    public init(resource: Resource = Resource(), scopeSpans: [ScopeSpans] = [], schemaURL: String = "") {
        content = Content(resource: resource, scopeSpans: scopeSpans, schemaURL: schemaURL)
    }

    /// A value whose model `decode` builds from `encoded` when first needed; `spanCount` is known
    /// from validating it. `decode` must not fail on bytes that validated.
    public init(deferred encoded: EncodedBytes, spanCount: Int, decode: @escaping @Sendable (EncodedBytes) -> ResourceSpans) {
        content = Content(resource: Resource(), scopeSpans: [], schemaURL: "")
        deferred = DeferredResourceSpans(encoded: encoded, spanCount: spanCount, decode: decode)
        self.encoded = encoded
    }

    /// Whether the model is still unbuilt (for tests and the benchmark's account of the work).
    public var isDeferred: Bool { deferred?.isBuilt == false }

    public var spanCount: Int {
        if let deferred { return deferred.spanCount }
        return content.scopeSpans.reduce(0) { $0 + $1.spans.count }
    }

    private mutating func materialize() {
        guard let d = deferred else { return }
        content = d.model.content
        deferred = nil
    }

    /// Equal content; how it arrived does not matter.
    public static func == (a: ResourceSpans, b: ResourceSpans) -> Bool {
        a.resource == b.resource && a.scopeSpans == b.scopeSpans && a.schemaURL == b.schemaURL
    }
}

/// The model of a validated `ResourceSpans`, built once by whichever branch of a fan-out needs it
/// first and shared by the others.
final class DeferredResourceSpans: Sendable {
    let encoded: EncodedBytes
    let spanCount: Int
    private let decode: @Sendable (EncodedBytes) -> ResourceSpans
    private let built = Mutex<ResourceSpans?>(nil)

    init(encoded: EncodedBytes, spanCount: Int, decode: @escaping @Sendable (EncodedBytes) -> ResourceSpans) {
        self.encoded = encoded
        self.spanCount = spanCount
        self.decode = decode
    }

    var isBuilt: Bool { built.withLock { $0 != nil } }

    var model: ResourceSpans {
        built.withLock { cached in
            if let cached { return cached }
            let model = decode(encoded)
            cached = model
            return model
        }
    }
}

/// What flows through a pipeline: the content of one `ExportTraceServiceRequest`, or several
/// merged. A value type, so a fan-out hands the same storage to every branch and only a branch
/// that mutates pays for a copy.
public struct TraceBatch: Equatable, Sendable {
    public var resourceSpans: [ResourceSpans]
    /// Who sent it (the Collector's `client.Info`); nil once batches of different senders merged.
    public var context: RequestContext?

    public init(resourceSpans: [ResourceSpans] = [], context: RequestContext? = nil) {
        self.resourceSpans = resourceSpans
        self.context = context
    }

    public var spanCount: Int { resourceSpans.reduce(0) { $0 + $1.spanCount } }
    public var isEmpty: Bool { spanCount == 0 }

    /// Merges `other` in; the result keeps a request context only if both parts share it.
    public mutating func append(contentsOf other: TraceBatch) {
        if resourceSpans.isEmpty {
            context = other.context
        } else if context != other.context {
            context = nil
        }
        resourceSpans.append(contentsOf: other.resourceSpans)
    }

    /// Equal spans; the request context does not matter.
    public static func == (a: TraceBatch, b: TraceBatch) -> Bool { a.resourceSpans == b.resourceSpans }
}

/// What a receiver knows of a request beside its spans, as the Collector's `client.Info`.
public struct RequestContext: Equatable, Sendable {
    /// The sender's IP address, without port ("" when not known).
    public var peerIP: String
    /// The request's header fields (gRPC metadata), by lowercased name, when the receiver was
    /// asked to keep them (`include_metadata`): the Collector's `client.Info.Metadata`.
    public var metadata: [String: [String]] = [:]
    /// What the receiver's authenticator told of the sender (`client.Info.Auth`).
    public var auth: [String: String] = [:]

    public init(peerIP: String, metadata: [String: [String]] = [:], auth: [String: String] = [:]) {
        self.peerIP = peerIP
        self.metadata = metadata
        self.auth = auth
    }

    /// From a remote address as connections name it: `1.2.3.4:5678` or `[::1]:5678`.
    public init(remoteAddress: String, metadata: [String: [String]] = [:], auth: [String: String] = [:]) {
        self.metadata = metadata
        self.auth = auth
        var text = Substring(remoteAddress)
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            text = text[text.index(after: text.startIndex)..<close]
        } else if let colon = text.lastIndex(of: ":"), text.firstIndex(of: ":") == colon {
            text = text[..<colon]
        }
        peerIP = String(text)
    }
}
