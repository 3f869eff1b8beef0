#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Diagnostics

extension PersistentRequestQueue {
    /// Reads every segment an earlier run left, oldest first: records that check out and are not
    /// acknowledged wait again in order; torn or corrupt regions are skipped, counted and logged
    /// with their segment and offset; segments with nothing left, and orphaned `.ack` files, are
    /// deleted. New appends go to a new segment, so a torn tail is never written after.
    static func recover(_ directory: String, logger: Logger, metrics: PersistentQueueMetrics) throws(FileError) -> State {
        let names = try PosixFile.list(directory)
        let numbers = names.compactMap { segmentNumber($0, suffix: ".seg") }.sorted()
        var s = State()
        s.nextNumber = (numbers.last ?? 0) + 1
        for name in names {
            if let number = segmentNumber(name, suffix: ".ack"), !numbers.contains(number) {
                try PosixFile.remove(directory + "/" + name)
            }
        }
        var recovered = 0
        var spans = 0
        for number in numbers {
            guard let (segment, segmentSpans) = try recoverSegment(number, directory: directory, logger: logger, metrics: metrics, into: &s) else { continue }
            recovered += segment.live
            spans += segmentSpans
            s.segments[number] = segment
            s.diskBytes += segment.size + segment.ackSize
        }
        if recovered > 0 {
            logger.info("Recovered the persistent sending queue", ["requests": recovered, "spans": spans, "directory": directory])
        }
        return s
    }

    /// The live part of one segment and its spans, or nil when nothing in it is left to send (it
    /// is deleted).
    private static func recoverSegment(_ number: UInt64, directory: String, logger: Logger, metrics: PersistentQueueMetrics,
                                       into s: inout State) throws(FileError) -> (Segment, Int)? {
        let path = directory + "/" + fileName(number, "seg")
        let ack = directory + "/" + fileName(number, "ack")
        let bytes = try PosixFile.readAll(path)
        let scan = bytes.withUnsafeBytes { QueueRecordFormat.scan($0) }
        for region in scan.skipped {
            metrics.corruptRecords.add(1)
            logger.warn("Skipped a torn or corrupt record in the persistent sending queue",
                        ["segment": path, "offset": region.offset, "bytes": region.bytes])
        }
        let (acknowledged, ackSize) = try readAcknowledgements(ack)
        let live = scan.records.filter { !acknowledged.contains($0.offset) }
        guard !live.isEmpty else {
            try PosixFile.remove(path)
            try PosixFile.remove(ack)
            return nil
        }
        for record in live { s.waiting.append(RecordAddress(segment: number, record: record)) }
        return (Segment(number: number, size: bytes.count, ackSize: ackSize, live: live.count), live.reduce(0) { $0 + $1.spans })
    }

    /// The acknowledged offsets, after cutting a torn last entry off so later entries stay aligned.
    private static func readAcknowledgements(_ path: String) throws(FileError) -> (Set<Int>, Int) {
        guard access(path, F_OK) == 0 else { return ([], 0) }
        let bytes = try PosixFile.readAll(path)
        let whole = bytes.count - bytes.count % QueueAckFormat.entrySize
        if whole != bytes.count, truncate(path, off_t(whole)) != 0 { throw FileError("truncate", path) }
        return (QueueAckFormat.decode(Array(bytes[..<whole])), whole)
    }

    private static func segmentNumber(_ name: String, suffix: String) -> UInt64? {
        guard name.hasSuffix(suffix) else { return nil }
        return UInt64(name.dropLast(suffix.count))
    }
}
