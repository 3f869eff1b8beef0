/// One record as a segment holds it: where it starts, its size with the header, its span count.
struct StoredRecord: Equatable, Sendable {
    var offset: Int
    var size: Int
    var spans: Int
}

/// A run of bytes recovery could not read as records: a torn tail, or corruption up to the next
/// record that checks out.
struct SkippedRegion: Equatable, Sendable {
    var offset: Int
    var bytes: Int
}

/// What a segment's bytes hold.
struct SegmentScan: Equatable, Sendable {
    var records: [StoredRecord] = []
    var skipped: [SkippedRegion] = []
}

/// The persistent queue's record: `"SQR1"`, the payload length (u32 LE), the CRC-32 of the length
/// bytes and the payload (u32 LE), then the payload: the span count (u32 LE) and the encoded
/// export request. The magic lets recovery find the next record after a corrupt one; the length
/// is checked against what is left before anything is read.
enum QueueRecordFormat {
    static let magic: [UInt8] = Array("SQR1".utf8)
    static let headerSize = 12
    static let spanCountSize = 4

    static func encode(_ request: ExportRequest) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(headerSize + spanCountSize + request.body.count)
        out += magic
        appendUInt32(&out, UInt32(spanCountSize + request.body.count))
        appendUInt32(&out, 0)
        appendUInt32(&out, UInt32(clamping: request.spans))
        out += request.body
        let crc = out.withUnsafeBytes { CRC32.update(0, UnsafeRawBufferPointer(rebasing: $0[4..<8])) }
        let checked = out.withUnsafeBytes { CRC32.update(crc, UnsafeRawBufferPointer(rebasing: $0[headerSize...])) }
        withUnsafeBytes(of: checked.littleEndian) { out.replaceSubrange(8..<12, with: $0) }
        return out
    }

    /// The request in a whole record (header included), or nil when it does not check out.
    static func decode(_ record: [UInt8]) -> ExportRequest? {
        record.withUnsafeBytes { bytes in
            guard let size = recordSize(bytes, at: 0), size == bytes.count else { return nil }
            let spans = Int(readUInt32(bytes, at: headerSize))
            return ExportRequest(body: Array(bytes[(headerSize + spanCountSize)...]), spans: spans)
        }
    }

    /// Every record that checks out, in order, and the regions between them that do not.
    static func scan(_ bytes: UnsafeRawBufferPointer) -> SegmentScan {
        var scan = SegmentScan()
        var at = 0
        var badStart: Int?
        while at < bytes.count {
            if let size = recordSize(bytes, at: at) {
                if let start = badStart { scan.skipped.append(SkippedRegion(offset: start, bytes: at - start)) }
                badStart = nil
                scan.records.append(StoredRecord(offset: at, size: size, spans: Int(readUInt32(bytes, at: at + headerSize))))
                at += size
            } else {
                if badStart == nil { badStart = at }
                at = nextMagic(bytes, after: at) ?? bytes.count
            }
        }
        if let start = badStart { scan.skipped.append(SkippedRegion(offset: start, bytes: bytes.count - start)) }
        return scan
    }

    /// The size of the record at `at` when its magic, length and checksum check out.
    static func recordSize(_ bytes: UnsafeRawBufferPointer, at: Int) -> Int? {
        guard at >= 0, bytes.count - at >= headerSize + spanCountSize else { return nil }
        for i in 0..<magic.count where bytes[at + i] != magic[i] { return nil }
        let length = Int(readUInt32(bytes, at: at + 4))
        guard length >= spanCountSize, length <= bytes.count - at - headerSize else { return nil }
        let lengthBytes = UnsafeRawBufferPointer(rebasing: bytes[(at + 4)..<(at + 8)])
        let payload = UnsafeRawBufferPointer(rebasing: bytes[(at + headerSize)..<(at + headerSize + length)])
        guard CRC32.update(CRC32.update(0, lengthBytes), payload) == readUInt32(bytes, at: at + 8) else { return nil }
        return headerSize + length
    }

    private static func nextMagic(_ bytes: UnsafeRawBufferPointer, after: Int) -> Int? {
        var i = after + 1
        while i + magic.count <= bytes.count {
            if bytes[i] == magic[0], bytes[i + 1] == magic[1], bytes[i + 2] == magic[2], bytes[i + 3] == magic[3] { return i }
            i += 1
        }
        return nil
    }

    static func readUInt32(_ bytes: UnsafeRawBufferPointer, at: Int) -> UInt32 {
        UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
    }

    static func appendUInt32(_ out: inout [UInt8], _ value: UInt32) {
        withUnsafeBytes(of: value.littleEndian) { out += $0 }
    }
}
