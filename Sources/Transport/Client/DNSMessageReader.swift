/// Reads the fields of a DNS message front to back, each read checked against the message's end.
struct DNSMessageReader {
    let message: [UInt8]
    private(set) var offset = 0

    init(message: [UInt8]) {
        self.message = message
    }

    /// A name may be spelled with at most this many pointers: enough for any real message, and
    /// what ends a pointer loop.
    static let maxPointers = 64

    mutating func uint16() throws(DNSDecodingError) -> UInt16 {
        guard offset + 2 <= message.count else { throw .truncated }
        defer { offset += 2 }
        return UInt16(message[offset]) << 8 | UInt16(message[offset + 1])
    }

    mutating func skip(_ count: Int) throws(DNSDecodingError) {
        guard offset + count <= message.count else { throw .truncated }
        offset += count
    }

    mutating func take(_ count: Int) throws(DNSDecodingError) -> [UInt8] {
        guard offset + count <= message.count else { throw .truncated }
        defer { offset += count }
        return Array(message[offset..<offset + count])
    }

    /// A domain name in wire form without pointers, lower-cased. RFC 1035 §4.1.4: a length byte
    /// with the two high bits set starts a two-byte pointer to where the rest of the name is; the
    /// message continues after the first pointer. 0x40 and 0x80 label types are not in use
    /// (RFC 6891 §5).
    mutating func name() throws(DNSDecodingError) -> [UInt8] {
        var wire: [UInt8] = []
        var position = offset
        var resumeAt: Int?
        var pointers = 0
        while true {
            guard position < message.count else { throw .truncated }
            let length = Int(message[position])
            switch length & 0xC0 {
            case 0xC0:
                guard position + 1 < message.count else { throw .truncated }
                pointers += 1
                guard pointers <= Self.maxPointers else { throw .pointerLoop }
                if resumeAt == nil { resumeAt = position + 2 }
                position = (length & 0x3F) << 8 | Int(message[position + 1])
            case 0:
                guard length > 0 else {
                    offset = resumeAt ?? position + 1
                    return Self.lowercased(wire + [0])
                }
                guard position + 1 + length <= message.count else { throw .truncated }
                guard wire.count + 1 + length < 255 else { throw .nameTooLong }
                wire += message[position...(position + length)]
                position += 1 + length
            default:
                throw .badLabelType
            }
        }
    }

    /// ASCII letters lower-cased; length bytes (at most 63) are below "A" and stay as they are.
    static func lowercased(_ wire: [UInt8]) -> [UInt8] {
        wire.map(asciiLower)
    }
}
