import TraceModel

/// What one run of a statement sees and edits: a resource, a scope, a span and one of its events,
/// as far as its context reaches (`resource` has only the resource).
struct OTTLContext {
    enum Kind: String, Sendable, CaseIterable, Comparable {
        case resource, scope, span, spanevent

        static func < (a: Kind, b: Kind) -> Bool {
            allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
        }
    }

    var resource: Resource
    var scope: InstrumentationScope
    var span: Span
    var event: SpanEvent

    init(resource: Resource, scope: InstrumentationScope = InstrumentationScope(), span: Span = Span(), event: SpanEvent = SpanEvent()) {
        self.resource = resource
        self.scope = scope
        self.span = span
        self.event = event
    }
}

/// A value a statement reads, bound to its context when the config is read.
struct OTTLGetter: Sendable {
    let get: @Sendable (borrowing OTTLContext) throws(OTTLError) -> OTTLValue

    static func constant(_ value: OTTLValue) -> OTTLGetter { OTTLGetter { _ throws(OTTLError) in value } }
}

/// A path a statement can also write.
struct OTTLPath: Sendable {
    let getter: OTTLGetter
    /// Sets the value; a value of a kind the path does not hold is ignored, as upstream's setters do.
    let set: @Sendable (inout OTTLContext, OTTLValue) throws(OTTLError) -> Void
    /// The attribute list this path is, for editors that change maps (`delete_key`, `keep_keys`, …).
    let map: MapAccess?
    let text: String

    struct MapAccess: Sendable {
        let read: @Sendable (borrowing OTTLContext) -> [KeyValue]?
        let write: @Sendable (inout OTTLContext, [KeyValue]) -> Void
    }
}
