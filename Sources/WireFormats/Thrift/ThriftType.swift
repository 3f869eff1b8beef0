/// A Thrift value type, numbered as the binary protocol numbers it (the Thrift binary protocol
/// specification); the compact reader maps its own type ids onto these.
public enum ThriftType: UInt8, Sendable, CustomStringConvertible {
    case stop = 0
    case bool = 2
    case byte = 3
    case double = 4
    case i16 = 6
    case i32 = 8
    case i64 = 10
    /// STRING and BINARY share one type id.
    case binary = 11
    case `struct` = 12
    case map = 13
    case set = 14
    case list = 15
    case uuid = 16

    public var description: String {
        switch self {
        case .stop: "stop"
        case .bool: "bool"
        case .byte: "byte"
        case .double: "double"
        case .i16: "i16"
        case .i32: "i32"
        case .i64: "i64"
        case .binary: "string"
        case .struct: "struct"
        case .map: "map"
        case .set: "set"
        case .list: "list"
        case .uuid: "uuid"
        }
    }
}

/// A field header: the value's type and the field id.
public struct ThriftFieldHeader: Sendable, Equatable {
    public var type: ThriftType
    public var id: Int16
    /// Offset of the header's first byte, for error messages.
    public var offset: Int
}

/// A list or set header. `count` is non-negative and was checked against the bytes left.
public struct ThriftListHeader: Sendable, Equatable {
    public var elementType: ThriftType
    public var count: Int
}

/// A map header. For an empty map the compact protocol writes no types; both are then `.stop`.
public struct ThriftMapHeader: Sendable, Equatable {
    public var keyType: ThriftType
    public var valueType: ThriftType
    public var count: Int
}

/// The message types of the Thrift RPC specification.
public enum ThriftMessageType: UInt8, Sendable {
    case call = 1, reply = 2, exception = 3, oneway = 4
}

public struct ThriftMessageHeader: Sendable, Equatable {
    public var name: String
    public var type: ThriftMessageType
    public var sequenceID: Int32
}

/// Where a nested struct's field-id tracking resumes once the struct ends (the compact protocol
/// encodes field ids as deltas within each struct); opaque to callers.
public struct ThriftStructMark: Sendable {
    let savedFieldID: Int16
}
