/// The binary protocol's fast path for the innermost struct, `Tag` (ten or so per span).
extension JaegerBatchDecoder {
    /// A Tag laid out as Thrift's generated writers lay it out in the binary protocol: `key` (1),
    /// `vType` (2), the one value field `vType` names, STOP; read straight from the bytes with the
    /// same checks (UTF-8 key and string value). Any other layout returns nil with nothing read,
    /// and `decodeTag` reads it field by field, giving the error if there is one.
    mutating func canonicalBinaryTag() -> JaegerThriftTag? {
        guard Reader.protocolKind == .binary else { return nil }
        let bytes = reader.unreadBytes
        let n = bytes.count
        // Field 1, string: type 11, id 1, an i32 length.
        guard n >= 7, bytes[0] == 0x0B, bytes[1] == 0, bytes[2] == 1 else { return nil }
        let keyCount = Int(Self.bigEndianUInt32(bytes, 3))
        var p = 7
        // The key, then field 2 (i32, 7 bytes) and at least a STOP.
        guard keyCount <= n - p - 8 else { return nil }
        let key = UnsafeRawBufferPointer(rebasing: bytes[p..<(p + keyCount)])
        p += keyCount
        guard bytes[p] == 0x08, bytes[p + 1] == 0, bytes[p + 2] == 2,
              let kind = AttributeRef.Kind(jaegerTagType: Int32(bitPattern: Self.bigEndianUInt32(bytes, p + 3)))
        else { return nil }
        p += 7
        // The value field: its Thrift type byte and id.
        let (type, id): (UInt8, UInt8) = switch kind {
        case .string: (0x0B, 3)
        case .double: (0x04, 4)
        case .bool: (0x02, 5)
        case .int: (0x0A, 6)
        case .bytes: (0x0B, 7)
        }
        guard n - p >= 4, bytes[p] == type, bytes[p + 1] == 0, bytes[p + 2] == id else { return nil }
        p += 3
        var tag = JaegerThriftTag(key: key, kind: kind)
        switch kind {
        case .string, .bytes:
            guard n - p >= 5 else { return nil }
            let count = Int(Self.bigEndianUInt32(bytes, p))
            p += 4
            guard count < n - p else { return nil }
            tag.bytes = UnsafeRawBufferPointer(rebasing: bytes[p..<(p + count)])
            p += count
        case .double, .int:
            guard n - p >= 9 else { return nil }
            tag.bits = UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: p, as: UInt64.self))
            p += 8
        case .bool:
            guard n - p >= 2 else { return nil }
            tag.bits = bytes[p] == 1 ? 1 : 0
            p += 1
        }
        guard bytes[p] == 0,
              UTF8Text.isValid(key.assumingMemoryBound(to: UInt8.self)),
              kind != .string || UTF8Text.isValid(tag.bytes.assumingMemoryBound(to: UInt8.self))
        else { return nil }
        reader.advance(by: p + 1)
        return tag
    }

    @inline(__always)
    private static func bigEndianUInt32(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> UInt32 {
        UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }
}
