/// Bounds-checked reads from raw memory shared by both Thrift protocol readers. Offsets are
/// absolute from the start of the input so errors can name the byte.
struct ThriftCursor {
    let base: UnsafeRawPointer
    private(set) var position: Int
    let end: Int
    /// Structs and containers open now, and how many may be.
    private var depth = 0
    private let maxDepth: Int

    init(_ bytes: UnsafeRawBufferPointer, maxDepth: Int) {
        self.maxDepth = maxDepth
        // An empty buffer may have no base address; any non-null pointer works as nothing is read.
        base = bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!
        position = 0
        end = bytes.count
    }

    var remaining: Int { end - position }

    var unread: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base + position, count: end - position) }

    mutating func advance(by count: Int) {
        precondition(count >= 0 && count <= remaining, "advanced past the input")
        position &+= count
    }

    mutating func enterNesting() throws(ThriftDecodeError) {
        guard depth < maxDepth else { throw ThriftDecodeError(.depthLimit(maxDepth), at: position) }
        depth += 1
    }

    mutating func leaveNesting() { depth -= 1 }

    @inline(__always)
    func require(_ count: Int) throws(ThriftDecodeError) {
        guard count <= remaining else { throw ThriftDecodeError(.truncated(needed: count, remaining: remaining), at: position) }
    }

    @inline(__always)
    mutating func readUInt8() throws(ThriftDecodeError) -> UInt8 {
        try require(1)
        defer { position &+= 1 }
        return base.load(fromByteOffset: position, as: UInt8.self)
    }

    mutating func readInt8() throws(ThriftDecodeError) -> Int8 { Int8(bitPattern: try readUInt8()) }

    /// 16 bytes in network order, in both protocols.
    mutating func readUUID() throws(ThriftDecodeError) -> (high: UInt64, low: UInt64) {
        try require(16)
        return (try readBigEndian(UInt64.self), try readBigEndian(UInt64.self))
    }

    @inline(__always)
    mutating func readBigEndian<T: FixedWidthInteger>(_: T.Type) throws(ThriftDecodeError) -> T {
        try require(MemoryLayout<T>.size)
        defer { position &+= MemoryLayout<T>.size }
        return T(bigEndian: base.loadUnaligned(fromByteOffset: position, as: T.self))
    }

    @inline(__always)
    mutating func readLittleEndian<T: FixedWidthInteger>(_: T.Type) throws(ThriftDecodeError) -> T {
        try require(MemoryLayout<T>.size)
        defer { position &+= MemoryLayout<T>.size }
        return T(littleEndian: base.loadUnaligned(fromByteOffset: position, as: T.self))
    }

    /// ULEB128, as protobuf's varint: the protobuf reader does the work.
    mutating func readVarint() throws(ThriftDecodeError) -> UInt64 {
        var proto = ProtoReader(base: base, position: position, end: end)
        do {
            let value = try proto.readVarint()
            position = proto.position
            return value
        } catch {
            let reason: ThriftDecodeError.Reason =
                error.reason == .varintTooLong ? .varintTooLong : .truncated(needed: remaining + 1, remaining: remaining)
            throw ThriftDecodeError(reason, at: error.offset)
        }
    }

    /// `count` bytes in place; `lengthOffset` names the length prefix in errors.
    mutating func readBytes(_ count: Int64, lengthOffset: Int) throws(ThriftDecodeError) -> UnsafeRawBufferPointer {
        guard count >= 0 else { throw ThriftDecodeError(.negativeLength(count), at: lengthOffset) }
        guard count <= Int64(remaining) else {
            throw ThriftDecodeError(.lengthPastEnd(length: count, remaining: remaining), at: lengthOffset)
        }
        defer { position &+= Int(count) }
        return UnsafeRawBufferPointer(start: base + position, count: Int(count))
    }

    /// Checks a collection size against the bytes left, given each element's smallest encoding,
    /// so a forged count can neither loop long nor make a caller reserve much memory.
    func checkCount(_ count: Int64, _ type: ThriftType, minimumSize: Int, at offset: Int) throws(ThriftDecodeError) -> Int {
        guard count >= 0 else { throw ThriftDecodeError(.negativeLength(count), at: offset) }
        guard count <= Int64(remaining / max(minimumSize, 1)) else {
            throw ThriftDecodeError(.countPastEnd(count: count, elementType: type, remaining: remaining), at: offset)
        }
        return Int(count)
    }
}
