/// Why a span's tracestate could not be read for sampling; the texts are upstream's.
enum TraceStateError: Error, Equatable, CustomStringConvertible {
    case size
    case syntax(String)
    case randomnessSize
    case thresholdTooLong
    case thresholdEmpty

    var description: String {
        switch self {
        case .size: "invalid tracestate size"
        case .syntax(let text): "strconv.ParseUint: parsing \"\(text)\": invalid syntax"
        case .randomnessSize: "r-value must have 14 hex digits"
        case .thresholdTooLong: "t-value exceeds 14 hex digits"
        case .thresholdEmpty: "t-value is empty"
        }
    }
}
