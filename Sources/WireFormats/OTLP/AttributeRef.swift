import TraceModel

/// An attribute whose key and string or bytes value are references — into the request body, a
/// `TextArena` or static text — written as an OTLP `KeyValue` without a `String` made of them.
/// The translations that write OTLP protobuf directly (Jaeger Thrift, Zipkin) keep attributes so;
/// the bytes are the encoder's own for the `KeyValue` of `attribute`.
struct AttributeRef {
    enum Kind {
        case string, bool, int, double, bytes
    }

    var key: UnsafeRawBufferPointer
    var kind: Kind
    /// The string's (UTF-8) or the bytes' value.
    var bytes = UnsafeRawBufferPointer(start: nil, count: 0)
    /// The bool as 0 or 1, the int, or the double's bit pattern.
    var bits: UInt64 = 0

    static func string(_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) -> AttributeRef {
        AttributeRef(key: key, kind: .string, bytes: value)
    }

    static func int(_ key: UnsafeRawBufferPointer, _ value: Int64) -> AttributeRef {
        AttributeRef(key: key, kind: .int, bits: UInt64(bitPattern: value))
    }

    static func bool(_ key: UnsafeRawBufferPointer, _ value: Bool) -> AttributeRef {
        AttributeRef(key: key, kind: .bool, bits: value ? 1 : 0)
    }

    static func double(_ key: UnsafeRawBufferPointer, _ value: Double) -> AttributeRef {
        AttributeRef(key: key, kind: .double, bits: value.bitPattern)
    }

    /// A static key (the translations' own attribute names).
    static func key(_ name: StaticString) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount)
    }

    var value: AnyValue {
        switch kind {
        case .string: .string(String(decoding: bytes, as: UTF8.self))
        case .bool: .bool(bits != 0)
        case .int: .int(Int64(bitPattern: bits))
        case .double: .double(Double(bitPattern: bits))
        case .bytes: .bytes([UInt8](bytes))
        }
    }

    var attribute: KeyValue { KeyValue(String(decoding: key, as: UTF8.self), value) }

    /// Takes `other`'s value; the key is the same.
    mutating func takeValue(of other: AttributeRef) {
        kind = other.kind
        bytes = other.bytes
        bits = other.bits
    }

    /// The size of `attributes` as repeated `KeyValue` field `field`.
    static func size(_ field: UInt32, _ attributes: ArraySlice<AttributeRef>) -> Int {
        var size = 0
        for attribute in attributes { size += ProtoSize.lengthDelimited(field, attribute.keyValueSize) }
        return size
    }

    private var keyValueSize: Int {
        let value = switch kind {
        case .string: ProtoSize.lengthDelimited(1, bytes.count)
        case .bool: ProtoSize.varintField(2, bits)
        case .int: ProtoSize.varintField(3, bits)
        case .double: ProtoSize.fixed64Field(4)
        case .bytes: ProtoSize.lengthDelimited(7, bytes.count)
        }
        return (key.isEmpty ? 0 : ProtoSize.lengthDelimited(1, key.count)) + ProtoSize.lengthDelimited(2, value)
    }

    /// Writes `attributes` as repeated `KeyValue` field `field` (back to front, see `ProtoWriter`),
    /// written out rather than through nested `writeMessageField` calls: this is the innermost
    /// loop of the translations.
    static func write(_ field: UInt32, _ attributes: ArraySlice<AttributeRef>, _ w: inout ProtoWriter) {
        for attribute in attributes.reversed() {
            let keyValueEnd = w.position
            switch attribute.kind {
            case .string: w.writeBytesField(1, attribute.bytes)
            case .bool: w.writeVarintField(2, attribute.bits)
            case .int: w.writeVarintField(3, attribute.bits)
            case .double: w.writeFixed64Field(4, attribute.bits)
            case .bytes: w.writeBytesField(7, attribute.bytes)
            }
            w.writeVarint(UInt64(keyValueEnd - w.position))
            w.writeTag(2, WireType.len)
            if !attribute.key.isEmpty { w.writeBytesField(1, attribute.key) }
            w.writeVarint(UInt64(keyValueEnd - w.position))
            w.writeTag(field, WireType.len)
        }
    }
}
