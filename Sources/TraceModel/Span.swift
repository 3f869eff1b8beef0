/// `Span.SpanKind`. Open like a proto3 enum: unknown numbers are kept.
public struct SpanKind: RawRepresentable, Hashable, Sendable {
    public var rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    public static let unspecified = SpanKind(rawValue: 0)
    public static let `internal` = SpanKind(rawValue: 1)
    public static let server = SpanKind(rawValue: 2)
    public static let client = SpanKind(rawValue: 3)
    public static let producer = SpanKind(rawValue: 4)
    public static let consumer = SpanKind(rawValue: 5)
}

/// `Status.StatusCode`. Open like a proto3 enum.
public struct StatusCode: RawRepresentable, Hashable, Sendable {
    public var rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    public static let unset = StatusCode(rawValue: 0)
    public static let ok = StatusCode(rawValue: 1)
    public static let error = StatusCode(rawValue: 2)
}

public struct Status: Equatable, Sendable {
    public var message: String
    public var code: StatusCode

    public init(code: StatusCode = .unset, message: String = "") {
        self.code = code
        self.message = message
    }
}

public struct SpanEvent: Equatable, Sendable {
    public var timeUnixNano: UInt64
    public var name: String
    public var attributes: [KeyValue]
    public var droppedAttributesCount: UInt32

    public init(timeUnixNano: UInt64 = 0, name: String = "", attributes: [KeyValue] = [], droppedAttributesCount: UInt32 = 0) {
        self.timeUnixNano = timeUnixNano
        self.name = name
        self.attributes = attributes
        self.droppedAttributesCount = droppedAttributesCount
    }
}

public struct SpanLink: Equatable, Sendable {
    public var traceID: TraceID
    public var spanID: SpanID
    public var traceState: String
    public var attributes: [KeyValue]
    public var droppedAttributesCount: UInt32
    public var flags: UInt32

    public init(
        traceID: TraceID = .zero, spanID: SpanID = .zero, traceState: String = "", attributes: [KeyValue] = [],
        droppedAttributesCount: UInt32 = 0, flags: UInt32 = 0
    ) {
        self.traceID = traceID
        self.spanID = spanID
        self.traceState = traceState
        self.attributes = attributes
        self.droppedAttributesCount = droppedAttributesCount
        self.flags = flags
    }
}

/// One span. An absent parent is `SpanID.zero`.
public struct Span: Equatable, Sendable {
    public var traceID: TraceID
    public var spanID: SpanID
    public var traceState: String
    public var parentSpanID: SpanID
    /// W3C trace flags in bits 0–7, HAS_IS_REMOTE/IS_REMOTE in bits 8–9; copied as-is.
    public var flags: UInt32
    public var name: String
    public var kind: SpanKind
    public var startTimeUnixNano: UInt64
    public var endTimeUnixNano: UInt64
    public var attributes: [KeyValue]
    public var droppedAttributesCount: UInt32
    public var events: [SpanEvent]
    public var droppedEventsCount: UInt32
    public var links: [SpanLink]
    public var droppedLinksCount: UInt32
    public var status: Status

    public init(
        traceID: TraceID = .zero, spanID: SpanID = .zero, traceState: String = "", parentSpanID: SpanID = .zero,
        flags: UInt32 = 0, name: String = "", kind: SpanKind = .unspecified, startTimeUnixNano: UInt64 = 0,
        endTimeUnixNano: UInt64 = 0, attributes: [KeyValue] = [], droppedAttributesCount: UInt32 = 0,
        events: [SpanEvent] = [], droppedEventsCount: UInt32 = 0, links: [SpanLink] = [],
        droppedLinksCount: UInt32 = 0, status: Status = Status()
    ) {
        self.traceID = traceID
        self.spanID = spanID
        self.traceState = traceState
        self.parentSpanID = parentSpanID
        self.flags = flags
        self.name = name
        self.kind = kind
        self.startTimeUnixNano = startTimeUnixNano
        self.endTimeUnixNano = endTimeUnixNano
        self.attributes = attributes
        self.droppedAttributesCount = droppedAttributesCount
        self.events = events
        self.droppedEventsCount = droppedEventsCount
        self.links = links
        self.droppedLinksCount = droppedLinksCount
        self.status = status
    }
}
