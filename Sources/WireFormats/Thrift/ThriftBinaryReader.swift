/// TBinaryProtocol (the Thrift binary protocol specification): big-endian fixed-width integers,
/// i32 length prefixes, a type byte and an i16 id per field.
public struct ThriftBinaryReader: ThriftReader {
    private var cursor: ThriftCursor

    /// `bytes` must stay valid while the reader and any buffer it returned are in use.
    public init(_ bytes: UnsafeRawBufferPointer, maxDepth: Int = thriftDefaultMaxDepth) {
        cursor = ThriftCursor(bytes, maxDepth: maxDepth)
    }

    public static var protocolKind: ThriftProtocolKind { .binary }
    public var offset: Int { cursor.position }
    public var remaining: Int { cursor.remaining }
    public var unreadBytes: UnsafeRawBufferPointer { cursor.unread }
    public mutating func advance(by count: Int) { cursor.advance(by: count) }

    /// Strict headers start with the version word `0x8001_00tt`; old (non-strict) ones with the
    /// name's length, then the type byte. The top bit tells them apart.
    public mutating func readMessageHeader() throws(ThriftDecodeError) -> ThriftMessageHeader {
        let start = offset
        let first = try cursor.readBigEndian(Int32.self)
        let name: String
        let typeByte: UInt8
        if first < 0 {
            let word = UInt32(bitPattern: first)
            guard word & 0xFFFF_0000 == 0x8001_0000 else {
                throw ThriftDecodeError(.badMessageHeader("bad version word 0x\(String(word, radix: 16))"), at: start)
            }
            typeByte = UInt8(truncatingIfNeeded: word)
            name = try readString()
        } else {
            name = try utf8(cursor.readBytes(Int64(first), lengthOffset: start), at: start + 4)
            typeByte = try cursor.readUInt8()
        }
        guard let type = ThriftMessageType(rawValue: typeByte) else {
            throw ThriftDecodeError(.badMessageHeader("unknown message type \(typeByte)"), at: start)
        }
        let sequenceID = try cursor.readBigEndian(Int32.self)
        return ThriftMessageHeader(name: name, type: type, sequenceID: sequenceID)
    }

    private func utf8(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(ThriftDecodeError) -> String {
        guard let s = UTF8Text.string(bytes.assumingMemoryBound(to: UInt8.self)) else {
            throw ThriftDecodeError(.invalidUTF8, at: offset)
        }
        return s
    }

    public mutating func beginStruct() throws(ThriftDecodeError) -> ThriftStructMark {
        try enterContainer()
        return ThriftStructMark(savedFieldID: 0)
    }

    public mutating func endStruct(_ mark: ThriftStructMark) { leaveContainer() }

    public mutating func enterContainer() throws(ThriftDecodeError) { try cursor.enterNesting() }
    public mutating func leaveContainer() { cursor.leaveNesting() }

    public mutating func readFieldHeader() throws(ThriftDecodeError) -> ThriftFieldHeader? {
        let start = offset
        let type = try readType()
        if type == .stop { return nil }
        let id = try cursor.readBigEndian(Int16.self)
        return ThriftFieldHeader(type: type, id: id, offset: start)
    }

    private mutating func readType() throws(ThriftDecodeError) -> ThriftType {
        let start = offset
        let raw = try cursor.readUInt8()
        guard let type = ThriftType(rawValue: raw) else { throw ThriftDecodeError(.invalidType(raw), at: start) }
        return type
    }

    private mutating func readElementType() throws(ThriftDecodeError) -> ThriftType {
        let start = offset
        let type = try readType()
        guard type != .stop else { throw ThriftDecodeError(.invalidElementType(.stop), at: start) }
        return type
    }

    public mutating func readBool() throws(ThriftDecodeError) -> Bool { try cursor.readUInt8() == 1 }
    public mutating func readByte() throws(ThriftDecodeError) -> Int8 { try cursor.readInt8() }
    public mutating func readI16() throws(ThriftDecodeError) -> Int16 { try cursor.readBigEndian(Int16.self) }
    public mutating func readI32() throws(ThriftDecodeError) -> Int32 { try cursor.readBigEndian(Int32.self) }
    public mutating func readI64() throws(ThriftDecodeError) -> Int64 { try cursor.readBigEndian(Int64.self) }

    public mutating func readDouble() throws(ThriftDecodeError) -> Double {
        Double(bitPattern: try cursor.readBigEndian(UInt64.self))
    }

    public mutating func readUUID() throws(ThriftDecodeError) -> (high: UInt64, low: UInt64) { try cursor.readUUID() }

    public mutating func readBinary() throws(ThriftDecodeError) -> UnsafeRawBufferPointer {
        let start = offset
        let length = try cursor.readBigEndian(Int32.self)
        return try cursor.readBytes(Int64(length), lengthOffset: start)
    }

    public mutating func readListHeader() throws(ThriftDecodeError) -> ThriftListHeader {
        let start = offset
        let type = try readElementType()
        let count = try cursor.readBigEndian(Int32.self)
        return ThriftListHeader(elementType: type, count: try cursor.checkCount(Int64(count), type, minimumSize: Self.minimumSize(type), at: start))
    }

    public mutating func readSetHeader() throws(ThriftDecodeError) -> ThriftListHeader { try readListHeader() }

    public mutating func readMapHeader() throws(ThriftDecodeError) -> ThriftMapHeader {
        let start = offset
        let keyType = try readElementType()
        let valueType = try readElementType()
        let count = try cursor.readBigEndian(Int32.self)
        let size = Self.minimumSize(keyType) + Self.minimumSize(valueType)
        return ThriftMapHeader(
            keyType: keyType, valueType: valueType,
            count: try cursor.checkCount(Int64(count), keyType, minimumSize: size, at: start))
    }

    /// The fewest bytes one value of `type` takes in this protocol.
    static func minimumSize(_ type: ThriftType) -> Int {
        switch type {
        case .stop, .bool, .byte, .struct: 1
        case .i16: 2
        case .i32, .binary: 4
        case .i64, .double: 8
        case .list, .set: 5
        case .map: 6
        case .uuid: 16
        }
    }
}
