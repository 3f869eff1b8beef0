/// Why a consumer did not accept a batch. Receivers map it to a status code
/// (`Transport`-independent): permanent → HTTP 400 / gRPC INVALID_ARGUMENT,
/// retryable → 503 / UNAVAILABLE, refused for memory → 429 / RESOURCE_EXHAUSTED with a retry delay.
public enum ConsumerError: Error, Equatable, Sendable {
    /// The data can never be accepted (bad data); the sender must not retry.
    case permanent(String)
    /// A transient failure; the sender should retry.
    case retryable(String)
    /// Refused because the process is short of memory; retry after the delay.
    case refused(String, retryAfterSeconds: Int)

    public var message: String {
        switch self {
        case .permanent(let m), .retryable(let m), .refused(let m, _): m
        }
    }

    public var isPermanent: Bool {
        if case .permanent = self { return true }
        return false
    }
}
