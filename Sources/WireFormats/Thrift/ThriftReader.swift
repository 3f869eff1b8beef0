/// A reader of one Thrift protocol over an input buffer. Struct decoders are generic over it, so
/// one decoder serves the binary and the compact protocol. Every read checks the bytes left and
/// throws `ThriftDecodeError`; nothing traps on input.
public protocol ThriftReader {
    static var protocolKind: ThriftProtocolKind { get }

    /// Offset of the next unread byte from the start of the input.
    var offset: Int { get }
    var remaining: Int { get }
    /// The bytes not read yet, for a decoder's fast path over a layout it expects; it moves on
    /// with `advance(by:)` past what it read.
    var unreadBytes: UnsafeRawBufferPointer { get }
    mutating func advance(by count: Int)

    mutating func readMessageHeader() throws(ThriftDecodeError) -> ThriftMessageHeader
    /// Enters a struct (counting nesting depth); pair with `endStruct`.
    mutating func beginStruct() throws(ThriftDecodeError) -> ThriftStructMark
    mutating func endStruct(_ mark: ThriftStructMark)
    /// The next field's header, or nil at the STOP that ends the struct.
    mutating func readFieldHeader() throws(ThriftDecodeError) -> ThriftFieldHeader?

    mutating func readBool() throws(ThriftDecodeError) -> Bool
    mutating func readByte() throws(ThriftDecodeError) -> Int8
    mutating func readI16() throws(ThriftDecodeError) -> Int16
    mutating func readI32() throws(ThriftDecodeError) -> Int32
    mutating func readI64() throws(ThriftDecodeError) -> Int64
    mutating func readDouble() throws(ThriftDecodeError) -> Double
    mutating func readUUID() throws(ThriftDecodeError) -> (high: UInt64, low: UInt64)
    /// A binary or string value, in place: valid as long as the input buffer is.
    mutating func readBinary() throws(ThriftDecodeError) -> UnsafeRawBufferPointer

    mutating func readListHeader() throws(ThriftDecodeError) -> ThriftListHeader
    mutating func readSetHeader() throws(ThriftDecodeError) -> ThriftListHeader
    mutating func readMapHeader() throws(ThriftDecodeError) -> ThriftMapHeader

    /// Enters a list, set or map while skipping (counting nesting depth); pair with `leaveContainer`.
    mutating func enterContainer() throws(ThriftDecodeError)
    mutating func leaveContainer()
}

/// How deeply structs and containers may nest before input is refused.
public let thriftDefaultMaxDepth = 64

extension ThriftReader {
    /// A UTF-8 string.
    public mutating func readString() throws(ThriftDecodeError) -> String {
        let start = offset
        let bytes = try readBinary()
        if bytes.isEmpty { return "" }
        guard let string = UTF8Text.string(bytes.assumingMemoryBound(to: UInt8.self)) else {
            throw ThriftDecodeError(.invalidUTF8, at: start)
        }
        return string
    }

    /// A binary value copied out.
    public mutating func readBytes() throws(ThriftDecodeError) -> [UInt8] {
        [UInt8](try readBinary())
    }

    /// Checks that a known field has the type the IDL gives it.
    @inline(__always)
    public func expect(_ field: ThriftFieldHeader, _ type: ThriftType) throws(ThriftDecodeError) {
        guard field.type == type else {
            throw ThriftDecodeError(.wrongFieldType(expected: type, got: field.type), at: field.offset)
        }
    }

    /// A list header whose elements must have `type`.
    public mutating func readListHeader(of type: ThriftType) throws(ThriftDecodeError) -> Int {
        let start = offset
        let header = try readListHeader()
        guard header.elementType == type || header.count == 0 else {
            throw ThriftDecodeError(.wrongElementType(expected: type, got: header.elementType), at: start)
        }
        return header.count
    }

    /// Reads past one value of `type`, recursively for structs and containers.
    public mutating func skip(_ type: ThriftType) throws(ThriftDecodeError) {
        switch type {
        case .bool: _ = try readBool()
        case .byte: _ = try readByte()
        case .i16: _ = try readI16()
        case .i32: _ = try readI32()
        case .i64: _ = try readI64()
        case .double: _ = try readDouble()
        case .binary: _ = try readBinary()
        case .uuid: _ = try readUUID()
        case .struct:
            let mark = try beginStruct()
            while let field = try readFieldHeader() { try skip(field.type) }
            endStruct(mark)
        case .list, .set:
            let header = type == .list ? try readListHeader() : try readSetHeader()
            try enterContainer()
            for _ in 0..<header.count { try skip(header.elementType) }
            leaveContainer()
        case .map:
            let header = try readMapHeader()
            try enterContainer()
            for _ in 0..<header.count {
                try skip(header.keyType)
                try skip(header.valueType)
            }
            leaveContainer()
        case .stop:
            throw ThriftDecodeError(.invalidElementType(.stop), at: offset)
        }
    }
}
