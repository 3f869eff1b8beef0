@testable import Components
import Config
import Dispatch
import Foundation
import Pipeline
import Synchronization
import Testing

/// A sender that records what it was sent and answers as told.
private final class RecordingSender: ExportSender, Sendable {
    let outcome: Mutex<SendOutcome>
    let sent = Mutex<[Int]>([])

    init(_ outcome: SendOutcome) { self.outcome = Mutex(outcome) }

    func send(_ request: ExportRequest, completion: @escaping @Sendable (SendOutcome) -> Void) {
        let outcome = self.outcome.withLock { $0 }
        if outcome == .success { sent.withLock { $0.append(request.spans) } }
        DispatchQueue.global().async { completion(outcome) }
    }

    func close() {}
}

private struct Host: ComponentHost {
    let extensions: [ComponentID: any Component]
    func `extension`(_ id: ComponentID) -> (any Component)? { extensions[id] }
}

private func persistentSender(_ dir: String, _ backend: RecordingSender, consumers: Int = 1) throws -> (QueuedRetrySender, ExporterMetrics) {
    var queue = QueueSettings()
    queue.numConsumers = consumers
    var retry = RetrySettings()
    retry.initialInterval = .milliseconds(10)
    retry.maxInterval = .milliseconds(20)
    retry.maxElapsedTime = .zero
    let metrics = ExporterMetrics(context("otlp", .exporter))
    let sender = QueuedRetrySender(sender: backend, queue: queue, retry: retry, logger: CapturedLog().logger(), metrics: metrics)
    let settings = PersistentRequestQueue.Settings(directory: dir, maxRequests: 1000, maxBytes: 1 << 20, fsync: false, timeout: .seconds(1))
    sender.use(try PersistentRequestQueue(settings: settings, logger: CapturedLog().logger(),
                                          metrics: PersistentQueueMetrics(SelfMetrics(), exporter: "otlp")))
    return (sender, metrics)
}

@Test func persistentSendingQueue_keepsWhatTheBackendRefused_andSendsItAfterARestart_inOrder() throws {
    let dir = temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let down = RecordingSender(.retryable("unavailable", retryAfter: nil))
    let (first, firstMetrics) = try persistentSender(dir, down)
    for n in 1...20 { try first.submit(ExportRequest(body: [UInt8(n)], spans: n)) }
    #expect(eventually { firstMetrics.queueSize.current == 19 })
    first.shutdown(deadline: 2)
    #expect(firstMetrics.sendFailed.current == 0)

    let up = RecordingSender(.success)
    let (second, metrics) = try persistentSender(dir, up)
    #expect(eventually { metrics.sent.current == (1...20).reduce(0, +) })
    #expect(up.sent.withLock { $0 } == Array(1...20))
    #expect(metrics.queueSize.current == 0)
    second.shutdown(deadline: 2)
    #expect(!FileManager.default.fileExists(atPath: dir + "/00000000000000000001.seg"))
}

@Test func persistentSendingQueue_acknowledgesPermanentFailures_soTheyAreNotSentAgain() throws {
    let dir = temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let bad = RecordingSender(.permanent("bad data"))
    let (first, metrics) = try persistentSender(dir, bad, consumers: 4)
    for n in 1...5 { try first.submit(ExportRequest(body: [1], spans: n)) }
    #expect(eventually { metrics.sendFailed.current == 15 })
    first.shutdown(deadline: 2)
    let up = RecordingSender(.success)
    let (second, _) = try persistentSender(dir, up)
    usleep(100_000)
    #expect(up.sent.withLock { $0 }.isEmpty)
    second.shutdown(deadline: 1)
}

@Test func queueSettings_readStorage_andTheByteCap() throws {
    func parse(_ yaml: String) throws -> QueueSettings {
        try QueueSettings.parse(try ConfigReader(try YAMLParser.parse(yaml, file: "t"), path: "sending_queue", file: "t"))
    }
    let settings = try parse("storage: file_storage/queue\nmax_size_bytes: 1048576\n")
    #expect(settings.storage == ComponentID(type: "file_storage", name: "queue") && settings.maxSizeBytes == 1 << 20)
    #expect(try parse("queue_size: 5\n").maxSizeBytes == 512 << 20)
    #expect(throws: ConfigError.self) { try parse("storage: file_storage\nenabled: false\n") }
    #expect(throws: ConfigError.self) { try parse("storage: \"file storage\"\n") }
    #expect(throws: ConfigError.self) { try parse("max_size_bytes: 10\n") }
}

private func exporter(_ storage: String) throws -> any Component & TraceConsumer {
    let yaml = "endpoint: 127.0.0.1:1\ntls:\n  insecure: true\nsending_queue:\n  storage: \(storage)\n"
    let config = try OTLPGRPCExporter.Config.parse(try ConfigReader(try YAMLParser.parse(yaml, file: "t"), path: "otlp", file: "t"))
    return try OTLPGRPCExporter.make(context("otlp/persist", .exporter), config)
}

@Test func otlpExporter_failsToStart_whenItsStorageExtensionIsMissing() throws {
    let component = try exporter("file_storage/missing")
    #expect { try component.start(host: Host(extensions: [:])) } throws: { "\($0)".contains("file_storage/missing") }
    component.shutdown()
}

@Test func otlpExporter_queuesOnDisk_inTheDirectoryTheExtensionGivesIt() throws {
    let dir = temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    var config = FileStorageExtension.Config()
    config.directory = dir
    let storage = FileStorageExtension(config)
    try storage.start()
    let component = try exporter("file_storage")
    try component.start(host: Host(extensions: [ComponentID(type: "file_storage"): storage]))
    try component.consume(sampleBatch(spans: 3))
    let queueDir = dir + "/exporter_otlp.persist"
    #expect(eventually { ((try? FileManager.default.contentsOfDirectory(atPath: queueDir)) ?? []).contains { $0.hasSuffix(".seg") } })
    component.shutdown(deadline: 0)
}

@Test func fileStorage_refusesAMissingDirectory_unlessItMayCreateIt() throws {
    let parent = temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: parent) }
    var config = FileStorageExtension.Config()
    config.directory = parent + "/a/b"
    #expect { try FileStorageExtension(config).start() } throws: { "\($0)".contains("create_directory") && "\($0)".contains(parent + "/a/b") }
    config.createDirectory = true
    try FileStorageExtension(config).start()
    var isDirectory: ObjCBool = false
    #expect(FileManager.default.fileExists(atPath: parent + "/a/b", isDirectory: &isDirectory) && isDirectory.boolValue)
    _ = FileManager.default.createFile(atPath: parent + "/file", contents: Data())
    config.directory = parent + "/file"
    #expect(throws: FileStorageError.self) { try FileStorageExtension(config).start() }
}

@Test(.enabled(if: getuid() != 0, "root writes anywhere"))
func fileStorage_refusesADirectoryItCannotWrite() throws {
    let dir = temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    chmod(dir, 0o500)
    defer { chmod(dir, 0o700) }
    var config = FileStorageExtension.Config()
    config.directory = dir
    #expect { try FileStorageExtension(config).start() } throws: { "\($0)".contains("not usable") }
}

@Test func fileStorage_givesEachComponentItsOwnDirectoryName() {
    #expect(FileStorageExtension.directoryName(for: ComponentID(type: "otlp_grpc"), kind: .exporter) == "exporter_otlp_grpc")
    #expect(FileStorageExtension.directoryName(for: ComponentID(type: "otlp", name: "grpc"), kind: .exporter) == "exporter_otlp.grpc")
    #expect(FileStorageExtension.directoryName(for: ComponentID(type: "otlp", name: "../x_y"), kind: .exporter) == "exporter_otlp.%2E%2E%2Fx%5Fy")
}

@Test func fileStorageConfig_acceptsUpstreamKeys() throws {
    let yaml = "directory: /tmp/x\ntimeout: 2s\nfsync: true\ncreate_directory: true\ndirectory_permissions: \"0700\"\ncompaction:\n  on_start: true\n  on_rebound: true\n  directory: /tmp\n  max_transaction_size: 65536\n  rebound_needed_threshold_mib: 100\n  rebound_trigger_threshold_mib: 10\n  check_interval: 5s\n"
    let reader = try ConfigReader(try YAMLParser.parse(yaml, file: "t"), path: "file_storage", file: "t")
    let config = try FileStorageExtension.Config.parse(reader)
    try reader.finish()
    #expect(config.fsync && config.createDirectory && config.timeout == .seconds(2) && config.directoryPermissions == 0o700)
}
