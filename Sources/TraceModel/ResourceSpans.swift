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
    // Any change drops the received encoding: it no longer says what the value holds.
    public var resource: Resource { didSet { encoded = nil } }
    public var scopeSpans: [ScopeSpans] { didSet { encoded = nil } }
    public var schemaURL: String { didSet { encoded = nil } }
    /// The `ResourceSpans` message as received, while the value is unchanged (OTLP protobuf in,
    /// every span valid); exporters then forward these bytes as they are.
    public var encoded: EncodedBytes?

    public init(resource: Resource = Resource(), scopeSpans: [ScopeSpans] = [], schemaURL: String = "") {
        self.resource = resource
        self.scopeSpans = scopeSpans
        self.schemaURL = schemaURL
    }

    public var spanCount: Int { scopeSpans.reduce(0) { $0 + $1.spans.count } }

    /// Equal content; how it arrived does not matter.
    public static func == (a: ResourceSpans, b: ResourceSpans) -> Bool {
        a.resource == b.resource && a.scopeSpans == b.scopeSpans && a.schemaURL == b.schemaURL
    }
}

/// What flows through a pipeline: the content of one `ExportTraceServiceRequest`, or several
/// merged. A value type, so a fan-out hands the same storage to every branch and only a branch
/// that mutates pays for a copy.
public struct TraceBatch: Equatable, Sendable {
    public var resourceSpans: [ResourceSpans]

    public init(resourceSpans: [ResourceSpans] = []) {
        self.resourceSpans = resourceSpans
    }

    public var spanCount: Int { resourceSpans.reduce(0) { $0 + $1.spanCount } }
    public var isEmpty: Bool { spanCount == 0 }

    public mutating func append(contentsOf other: TraceBatch) {
        resourceSpans.append(contentsOf: other.resourceSpans)
    }
}
