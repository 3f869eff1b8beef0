import TraceModel

/// A `jaeger.thrift` Tag as read is an `AttributeRef`: the key and a string or binary value stay
/// in the request body (valid while it is), so a span's tags become OTLP attributes without a
/// string made of them.
typealias JaegerThriftTag = AttributeRef

extension AttributeRef: JaegerTag {
    func withKeyBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R { body(key) }
}

extension AttributeRef.Kind {
    /// TagType: STRING 0, DOUBLE 1, BOOL 2, LONG 3, BINARY 4.
    init?(jaegerTagType: Int32) {
        switch jaegerTagType {
        case 0: self = .string
        case 1: self = .double
        case 2: self = .bool
        case 3: self = .int
        case 4: self = .bytes
        default: return nil
        }
    }
}

/// A Tag's optional value fields, kept in place until `vType` says which one counts.
struct JaegerTagValues {
    var string: UnsafeRawBufferPointer?
    var stringOffset = 0
    var double: Double?
    var bool: Bool?
    var long: Int64?
    var binary: UnsafeRawBufferPointer?

    /// The tag `vType` names. An absent value reads as the zero value, as the Go getters return
    /// it; a string must be UTF-8; an unknown type is refused.
    func tag(key: UnsafeRawBufferPointer, _ vType: Int32, at offset: Int) throws(ThriftDecodeError) -> JaegerThriftTag {
        let empty = UnsafeRawBufferPointer(start: nil, count: 0)
        switch AttributeRef.Kind(jaegerTagType: vType) {
        case .string:
            let bytes = string ?? empty
            guard UTF8Text.isValid(bytes.assumingMemoryBound(to: UInt8.self)) else {
                throw ThriftDecodeError(.invalidUTF8, at: stringOffset)
            }
            return .string(key, bytes)
        case .double: return .double(key, double ?? 0)
        case .bool: return .bool(key, bool ?? false)
        case .int: return .int(key, long ?? 0)
        case .bytes: return JaegerThriftTag(key: key, kind: .bytes, bytes: binary ?? empty)
        case nil: throw ThriftDecodeError(.unknownEnumValue(name: "TagType", value: vType), at: offset)
        }
    }
}
