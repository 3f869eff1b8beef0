import TraceModel

/// A Zipkin v2 span as decoded (wire-formats.md §6.1), before translation to the span model.
struct ZipkinSpan {
    var traceID = TraceID.zero
    var id = SpanID.zero
    /// Zero when absent.
    var parentID = SpanID.zero
    var name = ""
    var kind = ZipkinSpanKind.unspecified
    /// Epoch microseconds; 0 when absent.
    var timestamp: UInt64 = 0
    /// Microseconds.
    var duration: UInt64 = 0
    /// JSON without a (non-zero) timestamp: upstream then marks the span with the attribute
    /// `otel.zipkin.absentField.startTime`. The protobuf form never does.
    var marksAbsentTimestamp = false
    var localEndpoint: ZipkinEndpoint?
    var remoteEndpoint: ZipkinEndpoint?
    var annotations: [ZipkinAnnotation] = []
    /// In the order received, keys unique (a repeated key keeps its last value).
    var tags: [ZipkinTag] = []
}

/// A tag as read: key and value are UTF-8 (checked), in the body or in the decode's `TextArena`.
struct ZipkinTag {
    var key: UnsafeRawBufferPointer
    var value: UnsafeRawBufferPointer

    var keyText: String { String(decoding: key, as: UTF8.self) }
    var valueText: String { String(decoding: value, as: UTF8.self) }
}

extension Array where Element == ZipkinTag {
    /// `Map.Put`: a repeated key keeps its place and takes the new value. `seen` holds the keys
    /// put so far, so that a new key is appended without a search.
    mutating func put(_ tag: ZipkinTag, seen: inout TagKeyFilter) {
        if seen.insert(tag.key), let i = firstIndex(where: { $0.key.hasSameBytes(as: tag.key) }) {
            self[i].value = tag.value
        } else {
            append(tag)
        }
    }
}

enum ZipkinSpanKind: Sendable {
    case unspecified, client, server, producer, consumer

    /// The v2 JSON names; anything else (upstream keeps the raw string) translates as unspecified.
    init(name: UnsafeRawBufferPointer) {
        switch name.count {
        case 6 where name.hasSameBytes(as: "CLIENT"): self = .client
        case 6 where name.hasSameBytes(as: "SERVER"): self = .server
        case 8 where name.hasSameBytes(as: "PRODUCER"): self = .producer
        case 8 where name.hasSameBytes(as: "CONSUMER"): self = .consumer
        default: self = .unspecified
        }
    }
}

struct ZipkinEndpoint: Equatable {
    var serviceName = ""
    /// Addresses as upstream prints them (Go's `net.IP.String`); nil when absent.
    var ipv4: String?
    var ipv6: String?
    var port: UInt16 = 0

    /// Upstream drops an endpoint with nothing in it.
    var isEmpty: Bool { serviceName.isEmpty && ipv4 == nil && ipv6 == nil && port == 0 }
}

struct ZipkinAnnotation: Equatable {
    /// Epoch microseconds.
    var timestamp: UInt64
    var value: String
}

/// What the translation needs to know besides the spans.
public struct ZipkinDecodeOptions: Sendable {
    /// `parse_string_tags`: string tags that read as int, float or bool become typed attributes.
    public var parseStringTags: Bool
    /// How deeply skipped JSON values may nest.
    public var maxDepth: Int
    /// The start and end time given to a v1 JSON span without any timestamp (the Collector's
    /// `time.Now()`); nil reads the clock when the body is decoded.
    public var absentStartTimeUnixNano: UInt64?

    public init(parseStringTags: Bool = false, maxDepth: Int = 64, absentStartTimeUnixNano: UInt64? = nil) {
        self.parseStringTags = parseStringTags
        self.maxDepth = maxDepth
        self.absentStartTimeUnixNano = absentStartTimeUnixNano
    }
}
