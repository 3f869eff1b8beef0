#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Diagnostics

/// The entry point of the persistent queue's libFuzzer harness in `Fuzz/` (SPI, not API).
@_spi(Fuzzing) public enum QueueSegmentFuzzer {
    /// One scratch directory per process, emptied after each input; in memory (/dev/shm) where
    /// there is one, as the files are written and removed for every input.
    private static let directory: String? = {
        let parent = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp"
        var template = Array("\(parent)/swiftlet-fuzz-queue-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { return nil }
        atexit { if let directory = QueueSegmentFuzzer.directory { _ = rmdir(directory) } }
        return String(cString: made)
    }()

    /// Scans `input` as a segment and checks what the scan claims; then recovers a queue directory
    /// holding `input` as one segment, a prefix of it (cut where the first byte says) as the
    /// newest, and `input` again as the first segment's acknowledgements, and reads back every
    /// record recovery hands out.
    public static func run(_ input: UnsafeRawBufferPointer) {
        checkScan(input)
        guard let directory else { return }
        let cut = input.isEmpty ? 0 : Int(input[0]) * input.count / 256
        let bytes = Array(input)
        let files = [(PersistentRequestQueue.fileName(1, "seg"), bytes), (PersistentRequestQueue.fileName(1, "ack"), bytes),
                     (PersistentRequestQueue.fileName(2, "seg"), Array(bytes[..<cut]))]
        for (name, content) in files {
            let fd = open(directory + "/" + name, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            guard fd >= 0 else { return }
            try? PosixFile.write(fd, content, at: 0, path: name)
            _ = close(fd)
        }
        recover(directory)
        for name in (try? PosixFile.list(directory)) ?? [] { _ = unlink(directory + "/" + name) }
    }

    private static func checkScan(_ input: UnsafeRawBufferPointer) {
        let scan = QueueRecordFormat.scan(input)
        var covered = 0
        for record in scan.records {
            let end = record.offset + record.size
            let decoded = QueueRecordFormat.decode(Array(input[record.offset..<end]))
            precondition(decoded?.spans == record.spans, "a record the scan kept does not decode")
            // The body is checked too, not only the count: besides being the point of a record, a
            // decoded body left unused was released before it was filled by the -O build with ASan
            // (Swift 6.3.1), which ASan reported as a heap-use-after-free in this harness.
            let payload = input[(record.offset + QueueRecordFormat.headerSize + QueueRecordFormat.spanCountSize)..<end]
            precondition(decoded?.body.elementsEqual(payload) == true, "a record's body does not read back")
            covered += record.size
        }
        covered += scan.skipped.reduce(0) { $0 + $1.bytes }
        precondition(covered == input.count, "the scan lost bytes")
        _ = QueueAckFormat.decode(Array(input))
    }

    private static func recover(_ directory: String) {
        let quiet = Logger(component: "fuzz", sink: LogSink(level: .error) { _ in })
        let settings = PersistentRequestQueue.Settings(directory: directory, maxRequests: 1 << 20, maxBytes: 1 << 30,
                                                       fsync: false, timeout: .milliseconds(10))
        guard let queue = try? PersistentRequestQueue(settings: settings, logger: quiet, metrics: PersistentQueueMetrics(SelfMetrics(), exporter: "fuzz")) else { return }
        while let entry = queue.takeNext() {
            precondition(queue.load(entry) != nil, "a recovered record does not read back")
            queue.acknowledge(entry)
        }
        _ = queue.close()
    }
}
