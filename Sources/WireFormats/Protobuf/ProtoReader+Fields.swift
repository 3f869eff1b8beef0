/// A record's tag as read: field number, wire type and the offset where the record starts.
typealias ProtoTag = (field: UInt32, wireType: UInt8, start: Int)

/// Typed field reads: each checks the wire type of a known field first (rejecting a mismatch
/// as the Go collector does, wire-formats.md §2).
extension ProtoReader {
    @inline(__always)
    func expect(_ tag: ProtoTag, _ wireType: UInt8) throws(ProtoDecodeError) {
        guard tag.wireType == wireType else {
            throw ProtoDecodeError(.wrongWireType(expected: wireType, got: tag.wireType), at: tag.start)
        }
    }

    mutating func message(_ tag: ProtoTag) throws(ProtoDecodeError) -> ProtoReader {
        try expect(tag, WireType.len)
        return try readLengthDelimited()
    }

    mutating func string(_ tag: ProtoTag) throws(ProtoDecodeError) -> String {
        try expect(tag, WireType.len)
        return try readString()
    }

    mutating func bytes(_ tag: ProtoTag) throws(ProtoDecodeError) -> [UInt8] {
        try expect(tag, WireType.len)
        return try readBytes()
    }

    mutating func uint64(_ tag: ProtoTag) throws(ProtoDecodeError) -> UInt64 {
        try expect(tag, WireType.varint)
        return try readVarint()
    }

    /// uint32/int32/enum: a varint truncated to its low 32 bits (encoding.md).
    mutating func uint32(_ tag: ProtoTag) throws(ProtoDecodeError) -> UInt32 {
        UInt32(truncatingIfNeeded: try uint64(tag))
    }

    mutating func int32(_ tag: ProtoTag) throws(ProtoDecodeError) -> Int32 {
        Int32(truncatingIfNeeded: try uint64(tag))
    }

    mutating func fixed64(_ tag: ProtoTag) throws(ProtoDecodeError) -> UInt64 {
        try expect(tag, WireType.i64)
        return try readFixed64()
    }

    mutating func fixed32(_ tag: ProtoTag) throws(ProtoDecodeError) -> UInt32 {
        try expect(tag, WireType.i32)
        return try readFixed32()
    }
}

/// Runs `body`, adding `component` to the path of any error it throws. The name is built only
/// on failure.
@inline(__always)
func inField<T>(_ component: @autoclosure () -> String, _ body: () throws(ProtoDecodeError) -> T) throws(ProtoDecodeError) -> T {
    do throws(ProtoDecodeError) {
        return try body()
    } catch {
        throw error.within(component())
    }
}
