/// The record types a stub resolver asks for (RFC 1035 §3.2.2, RFC 3596 §2.1).
enum DNSRecordType: UInt16, Sendable {
    case a = 1
    case aaaa = 28
}

/// One question sent: its ID, type and name in wire form, and the datagram carrying it.
struct DNSQuery: Sendable {
    let id: UInt16
    let type: DNSRecordType
    /// The question name as encoded, lower-cased: what the response's question must repeat.
    let name: [UInt8]
    let message: [UInt8]

    /// Nil when `name` is not a valid domain name.
    init?(id: UInt16, name: String, type: DNSRecordType) {
        guard let encodedName = Self.encode(name: name) else { return nil }
        self.id = id
        self.type = type
        self.name = DNSMessageReader.lowercased(encodedName)
        message = Self.message(id: id, encodedName: encodedName, type: type)
    }

    /// RFC 1035 §4.1.1 header (recursion desired, one question, one additional record), the
    /// §4.1.2 question of class IN, and the RFC 6891 §6.1.2 OPT record: root owner, type 41, the
    /// UDP payload size in the class field, a zero TTL (extended RCODE, version 0, no DO bit), no data.
    private static func message(id: UInt16, encodedName: [UInt8], type: DNSRecordType) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(12 + encodedName.count + 4 + 11)
        for field in [id, recursionDesired, 1, 0, 0, 1] { append(field, to: &bytes) }
        bytes += encodedName
        append(type.rawValue, to: &bytes)
        append(classIN, to: &bytes)
        bytes.append(0)
        for field in [optType, advertisedPayloadSize, 0, 0, 0] { append(field, to: &bytes) }
        return bytes
    }

    static let recursionDesired: UInt16 = 0x0100
    static let classIN: UInt16 = 1
    static let optType: UInt16 = 41
    static let advertisedPayloadSize: UInt16 = 4096

    /// RFC 1035 §3.1: labels of 1 to 63 bytes, each after its length, ending with the root's zero
    /// length; 255 bytes at most. A final "." (an absolute name) is the root.
    static func encode(name: String) -> [UInt8]? {
        var labels = name.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        if labels.count > 1, labels.last?.isEmpty == true { labels.removeLast() }
        var wire: [UInt8] = []
        for label in labels {
            guard !label.isEmpty, label.count <= 63 else { return nil }
            wire.append(UInt8(label.count))
            wire += label
        }
        wire.append(0)
        return wire.count <= 255 ? wire : nil
    }

    private static func append(_ value: UInt16, to bytes: inout [UInt8]) {
        bytes.append(UInt8(value >> 8))
        bytes.append(UInt8(truncatingIfNeeded: value))
    }

    /// Whether `response` answers this question: same ID and the same question, names compared
    /// without regard to ASCII case (RFC 4343 §3).
    func isAnswered(by response: DNSResponse) -> Bool {
        response.id == id && response.questionName == name && response.questionType == type.rawValue
            && response.questionClass == Self.classIN
    }
}
