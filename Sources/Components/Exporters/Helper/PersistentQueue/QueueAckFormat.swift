/// A segment's acknowledgements live beside it in `<number>.ack`: one 12-byte entry per record the
/// backend took (or that was dropped), the record's offset (u64 LE) and the CRC-32 of those 8
/// bytes (u32 LE). Appending keeps the segment itself append-only; an entry that does not check out
/// (a torn write) acknowledges nothing.
enum QueueAckFormat {
    static let entrySize = 12

    static func encode(offset: Int) -> [UInt8] {
        var out: [UInt8] = []
        withUnsafeBytes(of: UInt64(offset).littleEndian) { out += $0 }
        QueueRecordFormat.appendUInt32(&out, CRC32.checksum(out))
        return out
    }

    /// The acknowledged offsets; a partial last entry is ignored.
    static func decode(_ bytes: [UInt8]) -> Set<Int> {
        var offsets = Set<Int>()
        bytes.withUnsafeBytes { raw in
            var at = 0
            while raw.count - at >= entrySize {
                let value = UnsafeRawBufferPointer(rebasing: raw[at..<(at + 8)])
                var offset: UInt64 = 0
                for i in 0..<8 { offset |= UInt64(raw[at + i]) << (8 * UInt64(i)) }
                if CRC32.update(0, value) == QueueRecordFormat.readUInt32(raw, at: at + 8), offset <= UInt64(Int.max) {
                    offsets.insert(Int(offset))
                }
                at += entrySize
            }
        }
        return offsets
    }
}
