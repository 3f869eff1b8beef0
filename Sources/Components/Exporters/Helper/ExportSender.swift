import Pipeline
import TraceModel

/// One export request. The in-memory queue keeps the spans as they came (`batch`) and a sending
/// consumer encodes and compresses them, as exporterhelper's consumers do, so that this work is
/// spread over the consumers rather than done by whoever hands spans on (the batch processor's
/// one queue). A persistent queue stores `body` encoded, uncompressed.
public struct ExportRequest: Sendable {
    /// The encoded request: uncompressed until `isWireReady`; empty while `batch` waits.
    public var body: [UInt8]
    public var spans: Int
    /// Spans not yet encoded.
    public var batch: TraceBatch?
    /// `body` is what goes on the wire (compressed as configured): every try sends it as it is.
    public var isWireReady: Bool

    public init(body: [UInt8], spans: Int, isWireReady: Bool = false) {
        self.body = body
        self.spans = spans
        self.isWireReady = isWireReady
    }

    public init(batch: TraceBatch) {
        body = []
        spans = batch.spanCount
        self.batch = batch
        isWireReady = false
    }

    /// Encodes what is not encoded yet and compresses it.
    func preparedForWire(encode: (TraceBatch) -> [UInt8], compress: ([UInt8]) -> [UInt8]) -> ExportRequest {
        guard !isWireReady else { return self }
        var body = self.body
        if let batch { body = encode(batch) }
        return ExportRequest(body: compress(body), spans: spans, isWireReady: true)
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

/// Sends requests to one backend; never blocks, reports on any queue. The request's `body` is
/// ready for the wire when the sender's `QueuedRetrySender` was given a `prepare` step.
public protocol ExportSender: Sendable {
    func send(_ request: ExportRequest, completion: @escaping @Sendable (SendOutcome) -> Void)
    func close()
}
