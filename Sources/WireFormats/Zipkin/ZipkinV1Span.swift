import TraceModel

/// A Zipkin v1 span as decoded from JSON or thrift (wire-formats.md §6.3), with its binary
/// annotations already made attributes the way the OpenTelemetry Collector's zipkinv1 translator
/// makes them for that encoding. `ZipkinV1Translator` does the rest.
struct ZipkinV1Span {
    var traceID = TraceID.zero
    var id = SpanID.zero
    var parentID = SpanID.zero
    var name = ""
    /// Epoch microseconds; nil when absent (in JSON a 0 is absent, as Go reads it).
    var timestamp: UInt64?
    /// Microseconds; 0 when absent.
    var duration: UInt64 = 0
    /// Annotations with a non-empty value, in the order received.
    var annotations: [ZipkinV1Annotation] = []
    /// The binary annotations in the order received, `lc` renamed `component`; repeated keys and
    /// the status tags are resolved by the translator.
    var attributes: [AttributeRef] = []
    /// The service name of the last binary annotation's endpoint that counts (JSON: one naming a
    /// service; thrift: any present `host`, even one without a name).
    var binaryAnnotationServiceName = ""
    /// The value of the last `lc` binary annotation.
    var localComponent = ""
}

struct ZipkinV1Annotation {
    /// Epoch microseconds; 0 when absent.
    var timestamp: UInt64
    var value: String
    var endpoint: ZipkinV1Endpoint?

    /// `cs`, `cr`, `ss`, `sr`, `ms`, `mr`: the annotations that carry the span kind.
    var kind: SpanKind? {
        guard value.utf8.count == 2 else { return nil }
        switch value {
        case "cs", "cr": return .client
        case "ss", "sr": return .server
        case "ms": return .producer
        case "mr": return .consumer
        default: return nil
        }
    }
}

/// A v1 endpoint as the Collector's zipkinv1 translator keeps it: JSON addresses verbatim, thrift
/// ones printed as Go's `net.IP.String` prints them, the port as a signed number (a thrift `i16`
/// sign-extended).
struct ZipkinV1Endpoint: Equatable {
    var serviceName = ""
    var ipv4 = ""
    var ipv6 = ""
    var port: Int32 = 0
}
