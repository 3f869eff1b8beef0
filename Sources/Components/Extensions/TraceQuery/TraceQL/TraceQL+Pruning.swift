import TraceModel

/// What a trace must hold for a query to possibly match, checked against the trace's summary
/// (`TermFilter`s, longest and shortest span) before any span is read.
indirect enum TraceRequirement {
    case none
    case term(UInt64)
    case spanLongerThan(UInt64)
    case spanShorterThan(UInt64)
    case never
    case all(TraceRequirement, TraceRequirement)
    case any(TraceRequirement, TraceRequirement)

    func mayHold(_ trace: StoredTrace) -> Bool {
        switch self {
        case .none: true
        case .never: false
        case .term(let t): trace.mayContain(t)
        case .spanLongerThan(let ns): trace.longestSpanNanos > ns
        case .spanShorterThan(let ns): trace.shortestSpanNanos < ns
        case .all(let a, let b): a.mayHold(trace) && b.mayHold(trace)
        case .any(let a, let b): a.mayHold(trace) || b.mayHold(trace)
        }
    }
}

extension TraceQLQuery {
    var requirement: TraceRequirement {
        switch self {
        case .filter(let condition): condition.requirement
        case .and(let a, let b): .all(a.requirement, b.requirement)
        case .or(let a, let b): .any(a.requirement, b.requirement)
        }
    }
}

extension SpanCondition {
    var requirement: TraceRequirement {
        switch self {
        case .always(let value): value ? .none : .never
        case .comparison(let c): c.requirement
        case .and(let a, let b): .all(a.requirement, b.requirement)
        case .or(let a, let b): .any(a.requirement, b.requirement)
        }
    }
}

extension SpanComparison {
    /// Equality needs its term; a bound on span duration needs a span beyond it.
    var requirement: TraceRequirement {
        switch (field, op, value) {
        case (.attribute(_, let key), .equal, .string(let s)): SearchTerm.attribute(key, .string(s)).map(TraceRequirement.term) ?? .none
        case (.attribute(_, let key), .equal, .int(let i)): SearchTerm.attribute(key, .int(i)).map(TraceRequirement.term) ?? .none
        case (.attribute(_, let key), .equal, .bool(let b)): SearchTerm.attribute(key, .bool(b)).map(TraceRequirement.term) ?? .none
        case (.intrinsic(.name), .equal, .string(let s)): .term(SearchTerm.name(s))
        case (.intrinsic(.status), .equal, .status(let code)): .term(SearchTerm.status(code))
        case (.intrinsic(.kind), .equal, .kind(let kind)): .term(SearchTerm.kind(kind))
        case (.intrinsic(.duration), .greater, .duration(let ns)), (.intrinsic(.duration), .greater, .int(let ns)):
            ns < 0 ? .none : .spanLongerThan(UInt64(ns))
        case (.intrinsic(.duration), .greaterOrEqual, .duration(let ns)), (.intrinsic(.duration), .greaterOrEqual, .int(let ns)):
            ns <= 0 ? .none : .spanLongerThan(UInt64(ns - 1))
        case (.intrinsic(.duration), .less, .duration(let ns)), (.intrinsic(.duration), .less, .int(let ns)):
            ns <= 0 ? .never : .spanShorterThan(UInt64(ns))
        case (.intrinsic(.duration), .lessOrEqual, .duration(let ns)), (.intrinsic(.duration), .lessOrEqual, .int(let ns)):
            ns < 0 ? .never : .spanShorterThan(UInt64(ns) + 1)
        default: .none
        }
    }
}
