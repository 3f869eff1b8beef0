@testable import Components
import Foundation
import Testing

private func request(_ n: Int, bytes: Int = 20) -> ExportRequest {
    ExportRequest(body: (0..<bytes).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ n) }, spans: n)
}

private func scan(_ bytes: [UInt8]) -> SegmentScan {
    bytes.withUnsafeBytes { QueueRecordFormat.scan($0) }
}

@Test func crc32_matchesTheStandardCheckValues() {
    #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
    #expect(CRC32.checksum([]) == 0)
    #expect(CRC32.checksum(Array("The quick brown fox jumps over the lazy dog".utf8)) == 0x414F_A339)
}

@Test func queueRecord_roundTrips_withItsSpanCount() throws {
    let record = QueueRecordFormat.encode(request(7, bytes: 300))
    #expect(record.count == QueueRecordFormat.headerSize + 4 + 300)
    let decoded = try #require(QueueRecordFormat.decode(record))
    #expect(decoded.spans == 7 && decoded.body == request(7, bytes: 300).body)
}

@Test func queueRecord_isRejected_whenAnyByteChanges() {
    let record = QueueRecordFormat.encode(request(3))
    for i in record.indices {
        var damaged = record
        damaged[i] ^= 0x40
        #expect(QueueRecordFormat.decode(damaged) == nil, "byte \(i) changed and the record still decoded")
    }
    #expect(QueueRecordFormat.decode(Array(record.dropLast())) == nil)
}

@Test func segmentScan_keepsCompleteRecords_andSkipsATornTail() {
    let a = QueueRecordFormat.encode(request(1)), b = QueueRecordFormat.encode(request(2, bytes: 50))
    let c = QueueRecordFormat.encode(request(3))
    let torn = a + b + c.prefix(c.count / 2)
    let result = scan(torn)
    #expect(result.records == [StoredRecord(offset: 0, size: a.count, spans: 1), StoredRecord(offset: a.count, size: b.count, spans: 2)])
    #expect(result.skipped == [SkippedRegion(offset: a.count + b.count, bytes: c.count / 2)])
}

@Test func segmentScan_findsTheNextRecord_afterCorruptionInTheMiddle() {
    let a = QueueRecordFormat.encode(request(1)), b = QueueRecordFormat.encode(request(2)), c = QueueRecordFormat.encode(request(3))
    var bytes = a + b + c
    bytes[a.count + 20] ^= 0xFF
    let result = scan(bytes)
    #expect(result.records.map(\.spans) == [1, 3])
    #expect(result.records.last?.offset == a.count + b.count)
    #expect(result.skipped == [SkippedRegion(offset: a.count, bytes: b.count)])
}

@Test func segmentScan_survivesGarbage_andEveryTruncation() {
    let records = (1...4).flatMap { QueueRecordFormat.encode(request($0, bytes: $0 * 9)) }
    for cut in 0...records.count {
        let result = scan(Array(records.prefix(cut)))
        #expect(result.records.reduce(0) { $0 + $1.size } + result.skipped.reduce(0) { $0 + $1.bytes } == cut)
    }
    var garbage = Array("SQR1".utf8) + [0xFF, 0xFF, 0xFF, 0x7F, 0, 0, 0, 0] + Array("SQR1SQR".utf8)
    garbage += (0..<200).map { UInt8(truncatingIfNeeded: $0 &* 97) }
    let result = scan(garbage)
    #expect(result.records.isEmpty && result.skipped == [SkippedRegion(offset: 0, bytes: garbage.count)])
}

@Test func ackLog_decodesWholeEntries_andIgnoresTornOrDamagedOnes() {
    var log = QueueAckFormat.encode(offset: 0) + QueueAckFormat.encode(offset: 4096)
    var damaged = QueueAckFormat.encode(offset: 77)
    damaged[3] ^= 1
    log += damaged + QueueAckFormat.encode(offset: 1 << 40).prefix(7)
    #expect(QueueAckFormat.decode(log) == [0, 4096])
}

/// The fuzz seeds were written with Python's `zlib.crc32`: the checksums agree with zlib's.
@Test func segmentScan_readsSegmentsChecksummedByZlib() throws {
    let seeds = repositoryRoot.appendingPathComponent("Fuzz/Seeds/FuzzQueueSegment")
    let whole = [UInt8](try Data(contentsOf: seeds.appendingPathComponent("three_records")))
    #expect(scan(whole).records.map(\.spans) == [1, 3, 2] && scan(whole).skipped.isEmpty)
    let torn = [UInt8](try Data(contentsOf: seeds.appendingPathComponent("torn_tail")))
    #expect(scan(torn).records.map(\.spans) == [1, 3] && scan(torn).skipped.count == 1)
}
