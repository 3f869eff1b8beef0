@testable import Components
import Diagnostics
import Dispatch
import Foundation
import Pipeline
import Testing

/// A fresh directory under the system's temporary directory.
func temporaryDirectory(_ name: String = #function) -> String {
    let path = NSTemporaryDirectory() + "swiftlet-pq-\(name.filter(\.isLetter))-\(UUID().uuidString.prefix(8))"
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

private func files(_ directory: String, _ suffix: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(suffix) }.sorted()
}

private func diskBytes(_ directory: String) -> Int {
    files(directory, "").filter { $0 != "lock" }.reduce(0) { total, name in
        total + ((try? FileManager.default.attributesOfItem(atPath: directory + "/" + name)[.size] as? Int) ?? 0)
    }
}

/// Appends `bytes` to the file at `path`, as a write cut short by a crash leaves them.
private func append(_ bytes: [UInt8], to path: String) throws {
    let handle = try #require(FileHandle(forWritingAtPath: path))
    handle.seekToEndOfFile()
    handle.write(Data(bytes))
    handle.closeFile()
}

private struct Opened {
    let queue: PersistentRequestQueue
    let metrics: PersistentQueueMetrics
    let log: CapturedLog
}

private func open(_ directory: String, maxRequests: Int = 1000, maxBytes: Int = 1 << 20, fsync: Bool = false) throws -> Opened {
    let log = CapturedLog()
    let metrics = PersistentQueueMetrics(SelfMetrics(), exporter: "otlp")
    let settings = PersistentRequestQueue.Settings(directory: directory, maxRequests: maxRequests, maxBytes: maxBytes,
                                                   fsync: fsync, timeout: .seconds(1))
    return Opened(queue: try PersistentRequestQueue(settings: settings, logger: log.logger(), metrics: metrics), metrics: metrics, log: log)
}

private func request(_ n: Int, bytes: Int = 100) -> ExportRequest {
    ExportRequest(body: [UInt8](repeating: UInt8(truncatingIfNeeded: n), count: bytes), spans: n)
}

/// Takes every waiting request, returning each with its span count read back from disk.
private func drain(_ queue: PersistentRequestQueue) -> [(QueuedRequest, ExportRequest)] {
    var out: [(QueuedRequest, ExportRequest)] = []
    while let entry = queue.takeNext() {
        if let request = queue.load(entry) { out.append((entry, request)) }
    }
    return out
}

@Test func persistentQueue_handsOutInOrder_andRecoversWhatWasNotAcknowledged() throws {
    let dir = temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    var first = try open(dir)
    for n in 1...6 { _ = try first.queue.append(request(n)) }
    let taken = drain(first.queue)
    #expect(taken.map(\.1.spans) == [1, 2, 3, 4, 5, 6])
    #expect(taken.allSatisfy { $0.1.body == request($0.1.spans).body })
    for (entry, request) in taken where request.spans % 2 == 0 { first.queue.acknowledge(entry) }
    _ = first.queue.close()

    first = try open(dir)
    let again = drain(first.queue)
    #expect(again.map(\.1.spans) == [1, 3, 5])
    for (entry, _) in again { first.queue.acknowledge(entry) }
    _ = first.queue.close()

    let last = try open(dir)
    #expect(last.queue.waiting == 0)
    #expect(files(dir, ".seg").isEmpty && files(dir, ".ack").isEmpty)
    _ = last.queue.close()
}

@Test func persistentQueue_deletesASegment_onceEveryRecordInItIsAcknowledged() throws {
    let dir = temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let q = try open(dir, maxBytes: 1 << 20).queue
    // 64 KiB segments: 3 requests of 30 KB fill two segments.
    for n in 1...3 { _ = try q.append(request(n, bytes: 30_000)) }
    #expect(files(dir, ".seg").count == 2)
    let taken = drain(q)
    q.acknowledge(taken[1].0)
    #expect(files(dir, ".seg").count == 2 && files(dir, ".ack").count == 1)
    q.acknowledge(taken[0].0)
    #expect(files(dir, ".seg").count == 1 && files(dir, ".ack").isEmpty)
    q.acknowledge(taken[2].0)
    #expect(files(dir, ".seg").isEmpty && diskBytes(dir) == 0)
    _ = q.close()
}

@Test func persistentQueue_refusesRetryably_atTheRequestCap() throws {
    let dir = temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let q = try open(dir, maxRequests: 3).queue
    for n in 1...3 { _ = try q.append(request(n)) }
    #expect(throws: ConsumerError.retryable("sending queue is full")) { _ = try q.append(request(4)) }
    _ = q.takeNext()
    _ = try q.append(request(4))
    _ = q.close()
}

@Test func persistentQueue_staysUnderTheByteCap_andGivesSpaceBackOnAcknowledgement() throws {
    let dir = temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let opened = try open(dir, maxBytes: 256 << 10)
    var accepted = 0
    for n in 0..<100 {
        do {
            _ = try opened.queue.append(request(n, bytes: 10_000))
            accepted += 1
        } catch {
            #expect(!error.isPermanent && error.message.contains("full"))
        }
    }
    #expect(accepted > 10 && accepted < 100)
    #expect(diskBytes(dir) <= 256 << 10)
    #expect(opened.metrics.sizeBytes.current == diskBytes(dir) && opened.metrics.capacityBytes.current == 256 << 10)
    for (entry, _) in drain(opened.queue) { opened.queue.acknowledge(entry) }
    #expect(diskBytes(dir) == 0 && opened.metrics.sizeBytes.current == 0)
    _ = try opened.queue.append(request(1, bytes: 10_000))
    _ = opened.queue.close()
}

@Test func persistentQueue_recoversEveryCompleteRecord_pastATornTail() throws {
    let dir = temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let q = try open(dir).queue
    for n in 1...5 { _ = try q.append(request(n)) }
    _ = q.close()
    let newest = dir + "/" + (try #require(files(dir, ".seg").last))
    let half = QueueRecordFormat.encode(request(9))
    try append(Array(half.prefix(half.count / 2)), to: newest)
    let size = diskBytes(dir)

    let reopened = try open(dir)
    #expect(drain(reopened.queue).map(\.1.spans) == [1, 2, 3, 4, 5])
    #expect(reopened.metrics.corruptRecords.current == 1)
    #expect(reopened.log.text.contains("Skipped a torn or corrupt record") && reopened.log.text.contains(newest))
    #expect(reopened.log.text.contains("offset=\(size - half.count / 2)"))
    // New records go to a new segment, never after the torn bytes.
    _ = try reopened.queue.append(request(6))
    #expect(files(dir, ".seg").count == 2)
    _ = reopened.queue.close()
}

@Test func persistentQueue_recovers_whenAnAcknowledgementWasTorn() throws {
    let dir = temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let q = try open(dir).queue
    for n in 1...3 { _ = try q.append(request(n)) }
    let taken = drain(q)
    q.acknowledge(taken[0].0)
    _ = q.close()
    let ack = dir + "/" + files(dir, ".ack")[0]
    try append([1, 2, 3, 4, 5], to: ack)

    let reopened = try open(dir).queue
    let again = drain(reopened)
    #expect(again.map(\.1.spans) == [2, 3])
    reopened.acknowledge(again[0].0)
    _ = reopened.close()
    #expect(try open(dir).queue.waiting == 1)
}

@Test func persistentQueue_removesSegmentsWithNothingLeft_andOrphanedAcknowledgements() throws {
    let dir = temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    _ = FileManager.default.createFile(atPath: dir + "/00000000000000000007.seg", contents: Data([0x53, 0x51, 0x52]))
    _ = FileManager.default.createFile(atPath: dir + "/00000000000000000009.ack", contents: Data(QueueAckFormat.encode(offset: 0)))
    let opened = try open(dir)
    #expect(opened.queue.waiting == 0 && opened.metrics.corruptRecords.current == 1)
    #expect(files(dir, ".seg").isEmpty && files(dir, ".ack").isEmpty)
    _ = try opened.queue.append(request(1))
    #expect(files(dir, ".seg") == ["00000000000000000008.seg"])
    _ = opened.queue.close()
}

@Test func persistentQueue_withFsync_acceptsConcurrentAppends_inOneOrder() throws {
    let dir = temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let q = try open(dir, fsync: true).queue
    // Threads of their own: fsync waits must not hold the shared pool other tests' senders use.
    let finished = DispatchGroup()
    for t in 0..<8 {
        finished.enter()
        Thread.detachNewThread {
            for k in 1...5 { #expect((try? q.waitUntilDurable(q.append(request(t * 5 + k)))) != nil) }
            finished.leave()
        }
    }
    #expect(finished.wait(timeout: .now() + 30) == .success)
    let taken = drain(q)
    #expect(Set(taken.map(\.1.spans)) == Set(1...40))
    _ = q.close()
    #expect(try open(dir).queue.waiting == 40)
}

@Test func persistentQueue_refusesASecondOpener_ofTheSameDirectory() throws {
    let dir = temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let first = try open(dir).queue
    #expect(throws: FileError.self) { _ = try open(dir) }
    _ = first.close()
    _ = try open(dir).queue.close()
}

@Test func persistentQueue_holdsOneSegmentOpen_howeverManyItKeeps() throws {
    let dir = temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    /// This process's descriptors open on files in `dir` (other tests run alongside).
    func descriptorsInDirectory() -> [String] {
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return fds.compactMap { try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + $0) }.filter { $0.hasPrefix(dir) }
    }
    let q = try open(dir).queue
    // 64 KiB segments of three 20 KB requests each: fourteen segments, one request left in each.
    for n in 1...40 { _ = try q.append(request(n, bytes: 20_000)) }
    let taken = drain(q)
    for (entry, _) in taken where entry.spans % 3 != 0 { q.acknowledge(entry) }
    _ = q.close()
    let reopened = try open(dir).queue
    #expect(files(dir, ".seg").count > 10 && reopened.waiting == 13)
    #expect(descriptorsInDirectory() == [dir + "/lock"])
    _ = reopened.close()
    #expect(descriptorsInDirectory().isEmpty)
}
