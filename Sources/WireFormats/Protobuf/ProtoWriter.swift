/// Writes protobuf back to front into one buffer of a size computed beforehand (the Go pdata
/// technique): a message's body is written first, so its length is known when its prefix is.
struct ProtoWriter {
    private let base: UnsafeMutableRawPointer
    /// Index of the first written byte; writing moves it towards 0.
    private(set) var position: Int

    init(base: UnsafeMutableRawPointer, capacity: Int) {
        self.base = base
        self.position = capacity
    }

    /// Allocates exactly `size` bytes once and lets `body` fill them back to front.
    static func withBuffer(size: Int, _ body: (inout ProtoWriter) -> Void) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            guard let address = buffer.baseAddress, size > 0 else {
                count = 0
                return
            }
            var writer = ProtoWriter(base: UnsafeMutableRawPointer(address), capacity: size)
            body(&writer)
            precondition(writer.position == 0, "protobuf size pass and write pass disagree")
            count = size
        }
    }

    /// Fills all of `buffer`, back to front, as `withBuffer` fills the bytes it allocates.
    static func fill(_ buffer: inout [UInt8], _ body: (inout ProtoWriter) -> Void) {
        let size = buffer.count
        buffer.withUnsafeMutableBytes { bytes in
            guard let address = bytes.baseAddress, size > 0 else { return }
            var writer = ProtoWriter(base: address, capacity: size)
            body(&writer)
            precondition(writer.position == 0, "protobuf size pass and write pass disagree")
        }
    }

    @inline(__always)
    private mutating func reserve(_ count: Int) {
        precondition(position >= count, "protobuf write past the computed size")
        position &-= count
    }

    @inline(__always)
    mutating func writeByte(_ byte: UInt8) {
        reserve(1)
        base.storeBytes(of: byte, toByteOffset: position, as: UInt8.self)
    }

    /// Tags and most lengths take one byte: that case is inlined, the rest is a call.
    @inline(__always)
    mutating func writeVarint(_ value: UInt64) {
        if value < 0x80 { return writeByte(UInt8(truncatingIfNeeded: value)) }
        writeLongVarint(value)
    }

    private mutating func writeLongVarint(_ value: UInt64) {
        let size = ProtoSize.varint(value)
        reserve(size)
        var v = value
        var offset = position
        while v >= 0x80 {
            base.storeBytes(of: UInt8(truncatingIfNeeded: v) | 0x80, toByteOffset: offset, as: UInt8.self)
            v >>= 7
            offset &+= 1
        }
        base.storeBytes(of: UInt8(truncatingIfNeeded: v), toByteOffset: offset, as: UInt8.self)
    }

    mutating func writeTag(_ field: UInt32, _ wireType: UInt8) {
        writeVarint(UInt64(field) << 3 | UInt64(wireType))
    }

    mutating func writeFixed32(_ value: UInt32) {
        reserve(4)
        base.storeBytes(of: value.littleEndian, toByteOffset: position, as: UInt32.self)
    }

    mutating func writeFixed64(_ value: UInt64) {
        reserve(8)
        base.storeBytes(of: value.littleEndian, toByteOffset: position, as: UInt64.self)
    }

    mutating func writeRaw(_ bytes: UnsafeRawBufferPointer) {
        reserve(bytes.count)
        if let source = bytes.baseAddress, bytes.count > 0 {
            (base + position).copyMemory(from: source, byteCount: bytes.count)
        }
    }

    // MARK: Whole fields. Callers skip proto3 defaults before calling these.

    mutating func writeVarintField(_ field: UInt32, _ value: UInt64) {
        writeVarint(value)
        writeTag(field, WireType.varint)
    }

    mutating func writeFixed32Field(_ field: UInt32, _ value: UInt32) {
        writeFixed32(value)
        writeTag(field, WireType.i32)
    }

    mutating func writeFixed64Field(_ field: UInt32, _ value: UInt64) {
        writeFixed64(value)
        writeTag(field, WireType.i64)
    }

    mutating func writeStringField(_ field: UInt32, _ value: String) {
        var value = value
        value.withUTF8 { writeRaw(UnsafeRawBufferPointer($0)) }
        writeVarint(UInt64(value.utf8.count))
        writeTag(field, WireType.len)
    }

    mutating func writeBytesField(_ field: UInt32, _ value: [UInt8]) {
        value.withUnsafeBytes { writeRaw($0) }
        writeVarint(UInt64(value.count))
        writeTag(field, WireType.len)
    }

    mutating func writeBytesField(_ field: UInt32, _ value: UnsafeRawBufferPointer) {
        writeRaw(value)
        writeVarint(UInt64(value.count))
        writeTag(field, WireType.len)
    }

    /// Writes a sub-message: `body` writes the content (back to front), then the length and tag.
    mutating func writeMessageField(_ field: UInt32, _ body: (inout ProtoWriter) -> Void) {
        let end = position
        body(&self)
        writeVarint(UInt64(end - position))
        writeTag(field, WireType.len)
    }
}

/// Encoded sizes, for the size pass.
enum ProtoSize {
    @inline(__always)
    static func varint(_ value: UInt64) -> Int {
        // 1 byte per 7 significant bits, at least 1.
        let bits = 64 - (value | 1).leadingZeroBitCount
        return (bits + 6) / 7
    }

    @inline(__always)
    static func tag(_ field: UInt32) -> Int { varint(UInt64(field) << 3) }

    @inline(__always)
    static func varintField(_ field: UInt32, _ value: UInt64) -> Int { tag(field) + varint(value) }
    @inline(__always)
    static func fixed32Field(_ field: UInt32) -> Int { tag(field) + 4 }
    @inline(__always)
    static func fixed64Field(_ field: UInt32) -> Int { tag(field) + 8 }
    @inline(__always)
    static func lengthDelimited(_ field: UInt32, _ payload: Int) -> Int { tag(field) + varint(UInt64(payload)) + payload }
}
