import TraceModel

/// What a decoder saw of a span's or link's ids before turning them into the model, which keeps
/// only well-formed ids. Byte counts are of the last occurrence (last one wins).
struct SpanIDFacts {
    var traceIDByteCount = 0
    var spanIDByteCount = 0
    var parentSpanIDByteCount = 0
    /// JSON only: the first id field whose text was not hex.
    var invalidHexField: String?
    /// The first problem found in one of the span's links.
    var linkProblem: String?
}

/// The rules both OTLP decoders apply: a span with a bad id is dropped and counted, not an error.
enum SpanValidation {
    static func problem(span: Span, facts: SpanIDFacts) -> String? {
        if let field = facts.invalidHexField { return "\(field) is not valid hex" }
        if let problem = idProblem(traceID: span.traceID, traceIDByteCount: facts.traceIDByteCount,
                                   spanID: span.spanID, spanIDByteCount: facts.spanIDByteCount) {
            return problem
        }
        if facts.parentSpanIDByteCount != 0 && facts.parentSpanIDByteCount != 8 {
            return "parent_span_id must be empty or 8 bytes, got \(facts.parentSpanIDByteCount)"
        }
        return facts.linkProblem
    }

    static func linkProblem(link: SpanLink, facts: SpanIDFacts, index: Int) -> String? {
        if let field = facts.invalidHexField { return "links[\(index)].\(field) is not valid hex" }
        guard let problem = idProblem(traceID: link.traceID, traceIDByteCount: facts.traceIDByteCount,
                                      spanID: link.spanID, spanIDByteCount: facts.spanIDByteCount)
        else { return nil }
        return "links[\(index)].\(problem)"
    }

    private static func idProblem(traceID: TraceID, traceIDByteCount: Int, spanID: SpanID, spanIDByteCount: Int) -> String? {
        if traceIDByteCount != 16 { return "trace_id must be 16 bytes, got \(traceIDByteCount)" }
        if traceID.isZero { return "trace_id must not be all zero" }
        if spanIDByteCount != 8 { return "span_id must be 8 bytes, got \(spanIDByteCount)" }
        if spanID.isZero { return "span_id must not be all zero" }
        return nil
    }
}

/// Counts rejected spans and remembers the first problem.
struct SpanRejections {
    private(set) var count = 0
    private var first = ""

    mutating func reject(resource: Int, scope: Int, span: Int, problem: String) {
        if count == 0 { first = "resource_spans[\(resource)].scope_spans[\(scope)].spans[\(span)]: \(problem)" }
        count += 1
    }

    var message: String {
        switch count {
        case 0: return ""
        case 1: return "1 span rejected: \(first)"
        default: return "\(count) spans rejected: \(first)"
        }
    }

    func result(_ batch: TraceBatch) -> OTLPDecodeResult {
        OTLPDecodeResult(batch: batch, rejectedSpans: count, rejectionMessage: message)
    }
}
