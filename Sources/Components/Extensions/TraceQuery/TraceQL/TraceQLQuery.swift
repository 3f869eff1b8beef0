import TraceModel

/// A parsed TraceQL query of the supported subset: spanset filters joined by `&&` and `||`.
public indirect enum TraceQLQuery: Sendable {
    case filter(SpanCondition)
    case and(TraceQLQuery, TraceQLQuery)
    case or(TraceQLQuery, TraceQLQuery)
}

/// What a spanset filter `{ … }` asks of one span.
public indirect enum SpanCondition: Sendable {
    case always(Bool)
    case comparison(SpanComparison)
    case and(SpanCondition, SpanCondition)
    case or(SpanCondition, SpanCondition)
}

public struct SpanComparison: Sendable {
    public var field: TraceQLField
    public var op: TraceQLOperator
    public var value: TraceQLValue
    /// Compiled once for `=~` and `!~`.
    public var pattern: TraceQLPattern?
}

public enum TraceQLOperator: String, Sendable {
    case equal = "=", notEqual = "!=", greater = ">", greaterOrEqual = ">=", less = "<", lessOrEqual = "<="
    case matches = "=~", notMatches = "!~"
    /// Substring, for the `tags` search parameter; TraceQL has no spelling for it.
    case contains
}

public enum TraceQLIntrinsic: String, Sendable, CaseIterable {
    case name, status, statusMessage, kind, duration, rootName, rootServiceName, traceDuration
}

public enum AttributeScope: String, Sendable {
    case span, resource
    /// `.name`: the span's attribute, else the resource's.
    case any = ""
}

public enum TraceQLField: Sendable, Equatable {
    case intrinsic(TraceQLIntrinsic)
    case attribute(AttributeScope, String)
}

public enum TraceQLValue: Sendable, Equatable {
    case string(String)
    case int(Int64)
    case float(Double)
    case bool(Bool)
    case duration(Int64)
    case status(StatusCode)
    case kind(SpanKind)
    case `nil`
}

/// Why a query was refused; `description` is the 400 answer's body.
public struct TraceQLError: Error, Equatable, Sendable, CustomStringConvertible {
    public var message: String
    /// Byte offset in the query.
    public var offset: Int

    public var description: String { "invalid TraceQL query at offset \(offset): \(message)" }
}
