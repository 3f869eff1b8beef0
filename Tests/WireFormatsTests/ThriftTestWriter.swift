@testable import WireFormats

/// Writes Thrift bytes in either protocol, for fixtures that need exact control over the wire.
struct ThriftTestWriter {
    let kind: ThriftProtocolKind
    var bytes: [UInt8] = []
    /// Compact field-id tracking: one entry per open struct.
    private var lastFieldIDs: [Int16] = [0]

    init(_ kind: ThriftProtocolKind) { self.kind = kind }

    static func compactType(_ type: ThriftType, bool value: Bool = true) -> UInt8 {
        switch type {
        case .stop: 0
        case .bool: value ? 1 : 2
        case .byte: 3
        case .i16: 4
        case .i32: 5
        case .i64: 6
        case .double: 7
        case .binary: 8
        case .list: 9
        case .set: 10
        case .map: 11
        case .struct: 12
        case .uuid: 13
        }
    }

    static func varint(_ value: UInt64) -> [UInt8] { ProtoBytes.varint(value) }
    static func zigzag(_ v: Int64) -> UInt64 { UInt64(bitPattern: (v << 1) ^ (v >> 63)) }

    // Fields and structs

    mutating func field(_ type: ThriftType, _ id: Int16, boolValue: Bool = true) {
        switch kind {
        case .binary:
            bytes.append(type.rawValue)
            i16(id)
        case .compact:
            let delta = Int(id) - Int(lastFieldIDs[lastFieldIDs.count - 1])
            let t = Self.compactType(type, bool: boolValue)
            if delta > 0 && delta <= 15 {
                bytes.append(UInt8(delta) << 4 | t)
            } else {
                bytes.append(t)
                i16(id)
            }
            lastFieldIDs[lastFieldIDs.count - 1] = id
        }
    }

    mutating func stop() { bytes.append(0) }

    /// A nested struct's fields: `body`, then STOP.
    mutating func structBody(_ body: (inout ThriftTestWriter) -> Void) {
        lastFieldIDs.append(0)
        body(&self)
        stop()
        lastFieldIDs.removeLast()
    }

    mutating func structField(_ id: Int16, _ body: (inout ThriftTestWriter) -> Void) {
        field(.struct, id)
        structBody(body)
    }

    mutating func boolField(_ id: Int16, _ value: Bool) {
        field(.bool, id, boolValue: value)
        if kind == .binary { bytes.append(value ? 1 : 0) }
    }

    mutating func i32Field(_ id: Int16, _ v: Int32) { field(.i32, id); i32(v) }
    mutating func i64Field(_ id: Int16, _ v: Int64) { field(.i64, id); i64(v) }
    mutating func stringField(_ id: Int16, _ s: String) { field(.binary, id); binary(Array(s.utf8)) }
    mutating func doubleField(_ id: Int16, _ v: Double) { field(.double, id); double(v) }
    mutating func binaryField(_ id: Int16, _ b: [UInt8]) { field(.binary, id); binary(b) }

    mutating func listField(_ id: Int16, _ type: ThriftType, count: Int, _ body: (inout ThriftTestWriter) -> Void) {
        field(.list, id)
        listHeader(type, count)
        body(&self)
    }

    /// A list of structs, each written by `element(i)`.
    mutating func structListField(_ id: Int16, count: Int, _ element: (inout ThriftTestWriter, Int) -> Void) {
        listField(id, .struct, count: count) { w in
            for i in 0..<count { w.structBody { element(&$0, i) } }
        }
    }

    // Values

    mutating func byte(_ v: Int8) { bytes.append(UInt8(bitPattern: v)) }

    mutating func i16(_ v: Int16) {
        switch kind {
        case .binary: bytes += [UInt8(truncatingIfNeeded: v >> 8), UInt8(truncatingIfNeeded: v)]
        case .compact: bytes += Self.varint(Self.zigzag(Int64(v)))
        }
    }

    mutating func i32(_ v: Int32) {
        switch kind {
        case .binary: byteSwapped(UInt64(UInt32(bitPattern: v)), width: 4)
        case .compact: bytes += Self.varint(Self.zigzag(Int64(v)))
        }
    }

    mutating func i64(_ v: Int64) {
        switch kind {
        case .binary: byteSwapped(UInt64(bitPattern: v), width: 8)
        case .compact: bytes += Self.varint(Self.zigzag(v))
        }
    }

    mutating func double(_ v: Double) {
        switch kind {
        case .binary: byteSwapped(v.bitPattern, width: 8)
        case .compact: withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes += $0 }
        }
    }

    mutating func rawI32BigEndian(_ v: Int32) { byteSwapped(UInt64(UInt32(bitPattern: v)), width: 4) }

    private mutating func byteSwapped(_ v: UInt64, width: Int) {
        for i in (0..<width).reversed() { bytes.append(UInt8(truncatingIfNeeded: v >> UInt64(8 * i))) }
    }

    mutating func binary(_ b: [UInt8]) {
        switch kind {
        case .binary: rawI32BigEndian(Int32(b.count))
        case .compact: bytes += Self.varint(UInt64(b.count))
        }
        bytes += b
    }

    mutating func listHeader(_ type: ThriftType, _ count: Int) {
        switch kind {
        case .binary:
            bytes.append(type.rawValue)
            rawI32BigEndian(Int32(truncatingIfNeeded: count))
        case .compact:
            let t = Self.compactType(type)
            if count < 15 {
                bytes.append(UInt8(count) << 4 | t)
            } else {
                bytes.append(0xF0 | t)
                bytes += Self.varint(UInt64(UInt32(truncatingIfNeeded: count)))
            }
        }
    }

    mutating func mapHeader(_ key: ThriftType, _ value: ThriftType, _ count: Int) {
        switch kind {
        case .binary:
            bytes += [key.rawValue, value.rawValue]
            rawI32BigEndian(Int32(count))
        case .compact:
            bytes += Self.varint(UInt64(count))
            if count > 0 { bytes.append(Self.compactType(key) << 4 | Self.compactType(value)) }
        }
    }

    /// A message header: strict (binary) unless `strict` is false; the compact one has no variant.
    mutating func messageHeader(_ name: String, _ type: ThriftMessageType, sequenceID: Int32 = 1, strict: Bool = true) {
        switch kind {
        case .binary where strict:
            rawI32BigEndian(Int32(bitPattern: 0x8001_0000 | UInt32(type.rawValue)))
            binary(Array(name.utf8))
            rawI32BigEndian(sequenceID)
        case .binary:
            binary(Array(name.utf8))
            bytes.append(type.rawValue)
            rawI32BigEndian(sequenceID)
        case .compact:
            bytes += [0x82, type.rawValue << 5 | 1]
            bytes += Self.varint(UInt64(UInt32(bitPattern: sequenceID)))
            binary(Array(name.utf8))
        }
    }
}

extension ThriftProtocolKind {
    /// Runs `body` with a reader of this protocol over `bytes`.
    func withReader<T>(_ bytes: [UInt8], maxDepth: Int = thriftDefaultMaxDepth,
                       _ body: (inout any ThriftReader) throws -> T) throws -> T {
        try bytes.withUnsafeBytes { raw in
            var reader: any ThriftReader = self == .binary
                ? ThriftBinaryReader(raw, maxDepth: maxDepth) : ThriftCompactReader(raw, maxDepth: maxDepth)
            return try body(&reader)
        }
    }
}
