/// Reading the error answers an OTLP backend sends: `google.rpc.Status` with its RetryInfo detail,
/// and the export response's partial success.
extension OTLPProtoDecoder {
    static let retryInfoTypeURL = "type.googleapis.com/google.rpc.RetryInfo"

    /// The `RetryInfo.retry_delay` inside a serialized `google.rpc.Status`, if any (nil on anything
    /// undecodable: a hint, never a reason to fail).
    public static func retryDelay(status bytes: [UInt8]) -> Duration? {
        bytes.withUnsafeBytes { raw in try? retryDelay(ProtoReader(raw)) } ?? nil
    }

    private static func retryDelay(_ status: ProtoReader) throws(ProtoDecodeError) -> Duration? {
        var r = status
        while !r.isAtEnd {
            let tag = try r.readTag()
            guard tag.field == 3 else { try r.skip(wireType: tag.wireType); continue }
            var any = try r.message(tag)
            var typeURL = ""
            var value: ProtoReader?
            while !any.isAtEnd {
                let t = try any.readTag()
                switch t.field {
                case 1: typeURL = try any.string(t)
                case 2: value = try any.message(t)
                default: try any.skip(wireType: t.wireType)
                }
            }
            if typeURL == retryInfoTypeURL, var info = value {
                while !info.isAtEnd {
                    let t = try info.readTag()
                    guard t.field == 1 else { try info.skip(wireType: t.wireType); continue }
                    return try duration(info.message(t))
                }
            }
        }
        return nil
    }

    /// `google.protobuf.Duration`: seconds (1), nanos (2).
    private static func duration(_ reader: ProtoReader) throws(ProtoDecodeError) -> Duration {
        var r = reader
        var seconds: Int64 = 0
        var nanos: Int64 = 0
        while !r.isAtEnd {
            let t = try r.readTag()
            switch t.field {
            case 1: seconds = Int64(bitPattern: try r.uint64(t))
            case 2: nanos = Int64(try r.int32(t))
            default: try r.skip(wireType: t.wireType)
            }
        }
        return .seconds(max(0, seconds)) + .nanoseconds(max(0, nanos))
    }

    /// `ExportTraceServiceResponse.partial_success`: rejected spans and the message.
    public static func partialSuccess(response bytes: [UInt8]) -> (rejectedSpans: Int64, message: String)? {
        bytes.withUnsafeBytes { raw -> (Int64, String)? in
            var r = ProtoReader(raw)
            do throws(ProtoDecodeError) {
                while !r.isAtEnd {
                    let tag = try r.readTag()
                    guard tag.field == 1 else { try r.skip(wireType: tag.wireType); continue }
                    var p = try r.message(tag)
                    var rejected: Int64 = 0
                    var message = ""
                    while !p.isAtEnd {
                        let t = try p.readTag()
                        switch t.field {
                        case 1: rejected = Int64(bitPattern: try p.uint64(t))
                        case 2: message = try p.string(t)
                        default: try p.skip(wireType: t.wireType)
                        }
                    }
                    return (rejected, message)
                }
            } catch {
                return nil
            }
            return nil
        }
    }
}
