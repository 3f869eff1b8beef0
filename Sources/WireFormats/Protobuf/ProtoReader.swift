/// Reads protobuf records from raw memory. Offsets are absolute from the start of the whole
/// input so errors can name the byte; a sub-message reader shares the base and narrows `end`.
struct ProtoReader {
    let base: UnsafeRawPointer
    private(set) var position: Int
    let end: Int

    init(base: UnsafeRawPointer, position: Int, end: Int) {
        self.base = base
        self.position = position
        self.end = end
    }

    init(_ bytes: UnsafeRawBufferPointer) {
        // An empty buffer may have no base address; any non-null pointer works as nothing is read.
        self.init(base: bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, position: 0, end: bytes.count)
    }

    /// Callers check this before `readTag`, which reads its first byte unguarded.
    var isAtEnd: Bool { position >= end }
    var remaining: Int { end - position }

    /// Reads a tag; rejects field 0, groups and wire types 6/7.
    /// Returns the field number, the wire type and the record's start offset.
    @inline(__always)
    mutating func readTag() throws(ProtoDecodeError) -> (field: UInt32, wireType: UInt8, start: Int) {
        let start = position
        let first = base.load(fromByteOffset: position, as: UInt8.self)
        let key: UInt64
        if first < 0x80 {
            position &+= 1
            key = UInt64(first)
        } else {
            key = try readVarint()
        }
        let wireType = UInt8(truncatingIfNeeded: key & 7)
        guard key >> 3 <= UInt64(UInt32.max >> 3) else { throw ProtoDecodeError(.invalidWireType(wireType), at: start) }
        let field = UInt32(truncatingIfNeeded: key >> 3)
        guard field != 0 else { throw ProtoDecodeError(.fieldNumberZero, at: start) }
        switch wireType {
        case WireType.startGroup, WireType.endGroup: throw ProtoDecodeError(.group(wireType: wireType), at: start)
        case 6, 7: throw ProtoDecodeError(.invalidWireType(wireType), at: start)
        default: return (field, wireType, start)
        }
    }

    /// At most 10 bytes; the 10th may only carry the top bit of a 64-bit value.
    @inline(__always)
    mutating func readVarint() throws(ProtoDecodeError) -> UInt64 {
        let start = position
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while position < end {
            let byte = base.load(fromByteOffset: position, as: UInt8.self)
            position &+= 1
            if shift == 63 && byte > 1 { throw ProtoDecodeError(.varintTooLong, at: start) }
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return result }
            shift &+= 7
        }
        throw ProtoDecodeError(.truncatedVarint, at: start)
    }

    @inline(__always)
    mutating func readFixed32() throws(ProtoDecodeError) -> UInt32 {
        guard remaining >= 4 else { throw ProtoDecodeError(.truncatedFixed(width: 4), at: position) }
        let value = base.loadUnaligned(fromByteOffset: position, as: UInt32.self)
        position &+= 4
        return UInt32(littleEndian: value)
    }

    @inline(__always)
    mutating func readFixed64() throws(ProtoDecodeError) -> UInt64 {
        guard remaining >= 8 else { throw ProtoDecodeError(.truncatedFixed(width: 8), at: position) }
        let value = base.loadUnaligned(fromByteOffset: position, as: UInt64.self)
        position &+= 8
        return UInt64(littleEndian: value)
    }

    /// Reads a LEN prefix and returns a reader over the payload, advancing past it.
    @inline(__always)
    mutating func readLengthDelimited() throws(ProtoDecodeError) -> ProtoReader {
        let start = position
        let length = try readVarint()
        guard length <= UInt64(remaining) else {
            throw ProtoDecodeError(.lengthPastEnd(length: length, remaining: remaining), at: start)
        }
        let payloadStart = position
        position &+= Int(length)
        return ProtoReader(base: base, position: payloadStart, end: position)
    }

    /// The unread bytes of this reader (for a LEN payload: the whole payload).
    var unreadBytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base + position, count: remaining)
    }

    mutating func readBytes() throws(ProtoDecodeError) -> [UInt8] {
        let payload = try readLengthDelimited()
        return [UInt8](payload.unreadBytes)
    }

    mutating func readString() throws(ProtoDecodeError) -> String {
        let payload = try readLengthDelimited()
        if payload.remaining == 0 { return "" }
        let utf8 = payload.unreadBytes.assumingMemoryBound(to: UInt8.self)
        guard let string = UTF8Text.string(utf8) else {
            throw ProtoDecodeError(.invalidUTF8, at: payload.position)
        }
        return string
    }

    mutating func skip(wireType: UInt8) throws(ProtoDecodeError) {
        switch wireType {
        case WireType.varint: _ = try readVarint()
        case WireType.i64: _ = try readFixed64()
        case WireType.i32: _ = try readFixed32()
        case WireType.len: _ = try readLengthDelimited()
        default: throw ProtoDecodeError(.invalidWireType(wireType), at: position)
        }
    }
}

extension UnsafeRawBufferPointer {
    func assumingMemoryBound(to: UInt8.Type) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: baseAddress?.assumingMemoryBound(to: UInt8.self), count: count)
    }
}
