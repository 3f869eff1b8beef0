import Pipeline

/// One export request, encoded once when it is queued.
public struct ExportRequest: Sendable {
    public var body: [UInt8]
    public var spans: Int

    public init(body: [UInt8], spans: Int) {
        self.body = body
        self.spans = spans
    }
}

/// What became of one attempt to send.
public enum SendOutcome: Sendable, Equatable {
    case success
    /// Worth another try, after `retryAfter` when the backend named a delay.
    case retryable(String, retryAfter: Duration?)
    /// The backend will never take it (bad data, auth): drop.
    case permanent(String)
}

/// Sends encoded requests to one backend; never blocks, reports on any queue.
public protocol ExportSender: Sendable {
    func send(_ request: ExportRequest, completion: @escaping @Sendable (SendOutcome) -> Void)
    func close()
}
