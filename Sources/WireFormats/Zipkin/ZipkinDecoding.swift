import Diagnostics
import TraceModel

/// The four Zipkin bodies (wire-formats.md §6).
public enum ZipkinFormat: Sendable, CaseIterable {
    /// `ListOfSpans` in JSON, `POST /api/v2/spans`.
    case v2JSON
    /// zipkin.proto3 `ListOfSpans`, `application/x-protobuf`.
    case v2Proto
    /// A list of v1 spans in JSON, `POST /api/v1/spans`.
    case v1JSON
    /// A TBinaryProtocol `list<Span>` of zipkinCore.thrift, `application/x-thrift`.
    case v1Thrift

    var name: String {
        switch self {
        case .v2JSON: "Zipkin v2 JSON"
        case .v2Proto: "Zipkin v2 protobuf"
        case .v1JSON: "Zipkin v1 JSON"
        case .v1Thrift: "Zipkin v1 thrift"
        }
    }
}

/// Decodes a Zipkin body of any format and translates its spans as the OpenTelemetry Collector
/// does (wire-formats.md §8.1; v1 by its zipkinv1 translator), straight into OTLP protobuf: each
/// `ResourceSpans` carries its encoding, and its model is decoded from it only if a consumer asks.
/// One bad span refuses the whole body, as upstream.
public enum ZipkinDecoder {
    public static func decode(
        _ format: ZipkinFormat, _ bytes: UnsafeRawBufferPointer, options: ZipkinDecodeOptions = .init()
    ) throws(ZipkinDecodeError) -> TraceBatch {
        // Holds the tags' text that is not in the body as it is, until the spans are written.
        let arena = TextArena()
        do throws(ZipkinDecodeError) {
            let batch = try translate(format, bytes, options: options, arena: arena)
            withExtendedLifetime(arena) {}
            return batch
        } catch {
            throw error.named(format.name)
        }
    }

    public static func decode(_ format: ZipkinFormat, _ bytes: [UInt8], options: ZipkinDecodeOptions = .init()) throws(ZipkinDecodeError) -> TraceBatch {
        // `withUnsafeBytes` rethrows untyped errors; the typed one is carried out in a Result.
        let result = bytes.withUnsafeBytes { b in Result { () throws(ZipkinDecodeError) in try decode(format, b, options: options) } }
        return try result.get()
    }

    private static func translate(_ format: ZipkinFormat, _ bytes: UnsafeRawBufferPointer, options: ZipkinDecodeOptions, arena: TextArena) throws(ZipkinDecodeError) -> TraceBatch {
        let v2 = ZipkinTranslator(parseStringTags: options.parseStringTags, arena: arena)
        switch format {
        case .v2JSON:
            var spans = try ZipkinV2JSONDecoder.decodeSpans(bytes, options: options, arena: arena)
            return try v2.translate(&spans)
        case .v2Proto:
            var spans = try ZipkinProtoDecoder.decodeSpans(bytes, options: options, arena: arena)
            return try v2.translate(&spans)
        case .v1JSON:
            var spans = try ZipkinV1JSONDecoder.decodeSpans(bytes, options: options, arena: arena)
            let absentStartTime = options.absentStartTimeUnixNano ?? WallClock.nowUnixNano()
            return try ZipkinV1Translator(arena: arena, absentStartTime: absentStartTime).translate(&spans)
        case .v1Thrift:
            var spans = try ZipkinV1ThriftDecoder.decodeSpans(bytes, options: options, arena: arena)
            return try ZipkinV1Translator(arena: arena, absentStartTime: nil).translate(&spans)
        }
    }
}
