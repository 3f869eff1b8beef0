import TraceModel

/// The OpenTracing `sampling.priority` span attribute: 0 drops the span, above 0 keeps it, below 0
/// (or unreadable) leaves the decision to the sampler. An Int, a Double, or a Str that reads as a
/// number count; other kinds are ignored.
enum SamplingPriority: Equatable {
    case drop
    case keep

    init?(_ span: Span) {
        guard let attribute = span.attributes.first(where: { $0.hasKey("sampling.priority") }) else { return nil }
        let value: Double
        switch attribute.value {
        case .int(let i): value = Double(i)
        case .double(let d): value = d
        case .string(let s):
            guard let d = Double(s) else { return nil }
            value = d
        default: return nil
        }
        if value == 0 {
            self = .drop
        } else if value > 0 {
            self = .keep
        } else {
            return nil
        }
    }
}
