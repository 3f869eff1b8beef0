/// TCompactProtocol (the Thrift compact protocol specification): zigzag varints, field ids as
/// deltas within a struct, bool values folded into the field header, short list headers.
public struct ThriftCompactReader: ThriftReader {
    private var cursor: ThriftCursor
    /// The id of the last field read in the current struct; deltas count from it.
    private var lastFieldID: Int16 = 0
    /// A bool field's value, carried by its header, until `readBool` takes it.
    private var pendingBool: Bool?

    /// `bytes` must stay valid while the reader and any buffer it returned are in use.
    public init(_ bytes: UnsafeRawBufferPointer, maxDepth: Int = thriftDefaultMaxDepth) {
        cursor = ThriftCursor(bytes, maxDepth: maxDepth)
    }

    public static var protocolKind: ThriftProtocolKind { .compact }
    public var offset: Int { cursor.position }
    public var remaining: Int { cursor.remaining }
    public var unreadBytes: UnsafeRawBufferPointer { cursor.unread }
    public mutating func advance(by count: Int) { cursor.advance(by: count) }

    static let protocolID: UInt8 = 0x82
    static let version: UInt8 = 1

    /// Protocol id `0x82`, then `type << 5 | version`, the sequence id as a plain varint, the name.
    public mutating func readMessageHeader() throws(ThriftDecodeError) -> ThriftMessageHeader {
        let start = offset
        let protocolID = try cursor.readUInt8()
        guard protocolID == Self.protocolID else {
            throw ThriftDecodeError(.badMessageHeader("protocol id 0x\(String(protocolID, radix: 16)), expected 0x82"), at: start)
        }
        let versionAndType = try cursor.readUInt8()
        guard versionAndType & 0x1F == Self.version else {
            throw ThriftDecodeError(.badMessageHeader("version \(versionAndType & 0x1F), expected 1"), at: start + 1)
        }
        let typeBits = versionAndType >> 5
        guard let type = ThriftMessageType(rawValue: typeBits) else {
            throw ThriftDecodeError(.badMessageHeader("unknown message type \(typeBits)"), at: start + 1)
        }
        let sequenceID = Int32(truncatingIfNeeded: try cursor.readVarint())
        let name = try readString()
        return ThriftMessageHeader(name: name, type: type, sequenceID: sequenceID)
    }

    public mutating func beginStruct() throws(ThriftDecodeError) -> ThriftStructMark {
        try enterContainer()
        defer { lastFieldID = 0 }
        return ThriftStructMark(savedFieldID: lastFieldID)
    }

    public mutating func endStruct(_ mark: ThriftStructMark) {
        leaveContainer()
        lastFieldID = mark.savedFieldID
    }

    public mutating func enterContainer() throws(ThriftDecodeError) { try cursor.enterNesting() }
    public mutating func leaveContainer() { cursor.leaveNesting() }

    public mutating func readFieldHeader() throws(ThriftDecodeError) -> ThriftFieldHeader? {
        let start = offset
        let byte = try cursor.readUInt8()
        if byte == 0 { return nil }
        let compactType = byte & 0x0F
        let type = try Self.type(compactType, at: start)
        let delta = Int16(byte >> 4)
        let id: Int16 = delta == 0 ? try readI16() : lastFieldID &+ delta
        lastFieldID = id
        if type == .bool { pendingBool = compactType == 1 }
        return ThriftFieldHeader(type: type, id: id, offset: start)
    }

    /// Compact type ids: 1/2 bool true/false, 3 i8, 4 i16, 5 i32, 6 i64, 7 double, 8 binary,
    /// 9 list, 10 set, 11 map, 12 struct, 13 uuid.
    static func type(_ compact: UInt8, at offset: Int) throws(ThriftDecodeError) -> ThriftType {
        switch compact {
        case 1, 2: return .bool
        case 3: return .byte
        case 4: return .i16
        case 5: return .i32
        case 6: return .i64
        case 7: return .double
        case 8: return .binary
        case 9: return .list
        case 10: return .set
        case 11: return .map
        case 12: return .struct
        case 13: return .uuid
        default: throw ThriftDecodeError(.invalidType(compact), at: offset)
        }
    }

    /// A bool field's value comes from its header; a bool element is one byte (1 is true).
    public mutating func readBool() throws(ThriftDecodeError) -> Bool {
        if let value = pendingBool {
            pendingBool = nil
            return value
        }
        return try cursor.readUInt8() == 1
    }

    public mutating func readByte() throws(ThriftDecodeError) -> Int8 { try cursor.readInt8() }
    public mutating func readI16() throws(ThriftDecodeError) -> Int16 { Int16(truncatingIfNeeded: try readZigzag()) }
    public mutating func readI32() throws(ThriftDecodeError) -> Int32 { Int32(truncatingIfNeeded: try readZigzag()) }
    public mutating func readI64() throws(ThriftDecodeError) -> Int64 { try readZigzag() }

    private mutating func readZigzag() throws(ThriftDecodeError) -> Int64 {
        let n = try cursor.readVarint()
        return Int64(bitPattern: (n >> 1) ^ (0 &- (n & 1)))
    }

    /// Little-endian, unlike the binary protocol.
    public mutating func readDouble() throws(ThriftDecodeError) -> Double {
        Double(bitPattern: try cursor.readLittleEndian(UInt64.self))
    }

    public mutating func readUUID() throws(ThriftDecodeError) -> (high: UInt64, low: UInt64) { try cursor.readUUID() }

    public mutating func readBinary() throws(ThriftDecodeError) -> UnsafeRawBufferPointer {
        let start = offset
        let length = try cursor.readVarint()
        return try cursor.readBytes(Int64(clamping: length), lengthOffset: start)
    }

    /// Size 0–14 in the high nibble of one byte; 15 there means a varint size follows.
    public mutating func readListHeader() throws(ThriftDecodeError) -> ThriftListHeader {
        let start = offset
        let byte = try cursor.readUInt8()
        let type = try Self.type(byte & 0x0F, at: start)
        var count = Int64(byte >> 4)
        if count == 15 { count = Int64(Int32(truncatingIfNeeded: try cursor.readVarint())) }
        return ThriftListHeader(elementType: type, count: try cursor.checkCount(count, type, minimumSize: Self.minimumSize(type), at: start))
    }

    public mutating func readSetHeader() throws(ThriftDecodeError) -> ThriftListHeader { try readListHeader() }

    /// An empty map is a single 0; otherwise a varint size, then one byte of key and value types.
    public mutating func readMapHeader() throws(ThriftDecodeError) -> ThriftMapHeader {
        let start = offset
        let count = Int64(Int32(truncatingIfNeeded: try cursor.readVarint()))
        if count == 0 { return ThriftMapHeader(keyType: .stop, valueType: .stop, count: 0) }
        let typeOffset = offset
        let types = try cursor.readUInt8()
        let keyType = try Self.type(types >> 4, at: typeOffset)
        let valueType = try Self.type(types & 0x0F, at: typeOffset)
        let size = Self.minimumSize(keyType) + Self.minimumSize(valueType)
        return ThriftMapHeader(
            keyType: keyType, valueType: valueType,
            count: try cursor.checkCount(count, keyType, minimumSize: size, at: start))
    }

    /// The fewest bytes one value of `type` takes in this protocol.
    static func minimumSize(_ type: ThriftType) -> Int {
        switch type {
        case .double: 8
        case .uuid: 16
        default: 1
        }
    }
}
