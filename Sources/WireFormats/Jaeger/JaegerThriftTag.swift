import TraceModel

/// A `jaeger.thrift` Tag as read: the key and a string or binary value stay in the request body
/// (valid while it is), so a span's tags become OTLP attributes without a string made of them.
struct JaegerThriftTag {
    /// TagType: STRING 0, DOUBLE 1, BOOL 2, LONG 3, BINARY 4.
    enum Kind: Int32 {
        case string, double, bool, long, binary
    }

    var key: UnsafeRawBufferPointer
    var kind: Kind
    /// The string's (UTF-8 checked) or the binary's bytes.
    var bytes = UnsafeRawBufferPointer(start: nil, count: 0)
    /// The double's bit pattern, the bool as 0 or 1, or the long.
    var bits: UInt64 = 0

    var attribute: KeyValue { KeyValue(String(decoding: key, as: UTF8.self), value) }
}

extension JaegerThriftTag: JaegerTag {
    func withKeyBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R { body(key) }

    var value: AnyValue {
        switch kind {
        case .string: .string(String(decoding: bytes, as: UTF8.self))
        case .double: .double(Double(bitPattern: bits))
        case .bool: .bool(bits != 0)
        case .long: .int(Int64(bitPattern: bits))
        case .binary: .bytes([UInt8](bytes))
        }
    }

    mutating func takeValue(of other: JaegerThriftTag) {
        kind = other.kind
        bytes = other.bytes
        bits = other.bits
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
        switch JaegerThriftTag.Kind(rawValue: vType) {
        case .string:
            let bytes = string ?? UnsafeRawBufferPointer(start: nil, count: 0)
            guard UTF8Text.isValid(bytes.assumingMemoryBound(to: UInt8.self)) else {
                throw ThriftDecodeError(.invalidUTF8, at: stringOffset)
            }
            return JaegerThriftTag(key: key, kind: .string, bytes: bytes)
        case .double: return JaegerThriftTag(key: key, kind: .double, bits: (double ?? 0).bitPattern)
        case .bool: return JaegerThriftTag(key: key, kind: .bool, bits: bool == true ? 1 : 0)
        case .long: return JaegerThriftTag(key: key, kind: .long, bits: UInt64(bitPattern: long ?? 0))
        case .binary: return JaegerThriftTag(key: key, kind: .binary, bytes: binary ?? UnsafeRawBufferPointer(start: nil, count: 0))
        case nil: throw ThriftDecodeError(.unknownEnumValue(name: "TagType", value: vType), at: offset)
        }
    }
}
