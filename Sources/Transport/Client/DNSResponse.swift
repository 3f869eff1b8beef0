/// The parts of a DNS response (RFC 1035 §4.1) a stub resolver uses.
struct DNSResponse: Sendable, Equatable {
    var id: UInt16
    /// TC: the server cut the message to fit a UDP datagram.
    var isTruncated: Bool
    /// RCODE: 0 no error, 2 server failure, 3 name error (NXDOMAIN), 5 refused, …
    var responseCode: Int
    /// The first question, in wire form and lower-cased; empty when the response repeats none.
    var questionName: [UInt8] = []
    var questionType: UInt16 = 0
    var questionClass: UInt16 = 0
    /// The data of the A (4 bytes) and AAAA (16 bytes) records of class IN in the answer section,
    /// in order. Other records (the CNAMEs of a chain among them) are skipped.
    var addresses: [[UInt8]] = []

    static let noError = 0
    static let nameError = 3

    /// Decodes an untrusted datagram; throws on anything malformed. A truncated (TC) response
    /// keeps the answers that arrived whole: RFC 1035 §4.2.1 would retry over TCP, which this
    /// resolver does not do (addresses for a headless Service fit in 4096 bytes).
    static func decode(_ bytes: [UInt8]) throws(DNSDecodingError) -> DNSResponse {
        var reader = DNSMessageReader(message: bytes)
        let id = try reader.uint16()
        let flags = try reader.uint16()
        guard flags & 0x8000 != 0 else { throw .notAResponse }
        let questionCount = try reader.uint16()
        let answerCount = try reader.uint16()
        try reader.skip(4)  // NSCOUNT, ARCOUNT: the authority and additional sections are not read.
        var response = DNSResponse(id: id, isTruncated: flags & 0x0200 != 0, responseCode: Int(flags & 0x000F))
        for index in 0..<Int(questionCount) {
            let name = try reader.name()
            let type = try reader.uint16()
            let recordClass = try reader.uint16()
            if index == 0 { (response.questionName, response.questionType, response.questionClass) = (name, type, recordClass) }
        }
        do {
            for _ in 0..<Int(answerCount) { try response.readAnswer(&reader) }
        } catch .truncated where response.isTruncated {}
        return response
    }

    /// RFC 1035 §4.1.3: owner name, type, class, TTL, data length, data.
    private mutating func readAnswer(_ reader: inout DNSMessageReader) throws(DNSDecodingError) {
        _ = try reader.name()
        let type = try reader.uint16()
        let recordClass = try reader.uint16()
        try reader.skip(4)
        let length = Int(try reader.uint16())
        let data = try reader.take(length)
        guard recordClass == DNSQuery.classIN else { return }
        switch DNSRecordType(rawValue: type) {
        case .a:
            guard data.count == 4 else { throw .badRecordLength }
            addresses.append(data)
        case .aaaa:
            guard data.count == 16 else { throw .badRecordLength }
            addresses.append(data)
        case nil:
            return
        }
    }
}

/// Why a datagram is not a usable DNS response.
enum DNSDecodingError: Error, Equatable {
    /// The message ends inside a field, name or record.
    case truncated
    /// QR is 0: a query, not a response.
    case notAResponse
    /// Compression pointers followed more than `DNSMessageReader.maxPointers` times.
    case pointerLoop
    /// A name longer than 255 bytes.
    case nameTooLong
    /// A label type other than a length or a pointer.
    case badLabelType
    /// An A record whose data is not 4 bytes, or an AAAA record whose data is not 16.
    case badRecordLength
}
