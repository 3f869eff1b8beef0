import TraceModel

/// A decoded export request plus the spans dropped for bad ids (a partial success, not an error).
public struct OTLPDecodeResult: Sendable {
    public var batch: TraceBatch
    public var rejectedSpans: Int
    /// "" when no span was rejected.
    public var rejectionMessage: String

    public init(batch: TraceBatch, rejectedSpans: Int = 0, rejectionMessage: String = "") {
        self.batch = batch
        self.rejectedSpans = rejectedSpans
        self.rejectionMessage = rejectionMessage
    }
}

public struct OTLPDecodeLimits: Sendable {
    /// How deeply AnyValues (arrays, kvlists) may nest; also bounds skipped JSON values.
    public var maxDepth: Int

    public init(maxDepth: Int = 64) {
        self.maxDepth = maxDepth
    }
}
