import TraceModel

/// A Zipkin v1 span as decoded from JSON or thrift (wire-formats.md §6.3): timing and the local
/// endpoint live in annotations, tags and the remote endpoint in binary annotations.
struct ZipkinV1Span {
    var traceID = TraceID.zero
    var id = SpanID.zero
    var parentID = SpanID.zero
    var name = ""
    /// Epoch microseconds; 0 when absent.
    var timestamp: UInt64 = 0
    var duration: UInt64 = 0
    var annotations: [ZipkinV1Annotation] = []
    var binaryAnnotations: [ZipkinV1BinaryAnnotation] = []
}

struct ZipkinV1Annotation {
    var timestamp: UInt64
    var value: String
    var endpoint: ZipkinEndpoint?
}

struct ZipkinV1BinaryAnnotation {
    var key: String
    /// nil for an address annotation (`ca`, `sa`, `ma` with value true): the endpoint is the peer.
    var value: String?
    var endpoint: ZipkinEndpoint?
}

extension ZipkinV1Span {
    /// Sorts annotations by time (stable), as Zipkin's v1 model does before converting.
    mutating func sortAnnotations() {
        guard !zip(annotations, annotations.dropFirst()).allSatisfy({ $0.timestamp <= $1.timestamp }) else { return }
        annotations = annotations.enumerated()
            .sorted { ($0.element.timestamp, $0.offset) < ($1.element.timestamp, $1.offset) }
            .map(\.element)
    }
}
