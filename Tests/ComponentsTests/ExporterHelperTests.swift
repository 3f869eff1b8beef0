@testable import Components
import Config
import Dispatch
import Foundation
import Pipeline
import Synchronization
import Testing
import Transport
import WireFormats

/// A sender whose outcomes the test scripts, one per attempt, in order.
final class ScriptedSender: ExportSender, Sendable {
    private let script: Mutex<[SendOutcome]>
    let attempts = Atomic<Int>(0)
    let held = Mutex<[@Sendable () -> Void]>([])
    let bodies = Mutex<[[UInt8]]>([])
    let holdAll: Bool
    let completesInline: Bool

    init(_ outcomes: [SendOutcome], holdAll: Bool = false, completesInline: Bool = false) {
        script = Mutex(outcomes)
        self.holdAll = holdAll
        self.completesInline = completesInline
    }

    func send(_ request: ExportRequest, completion: @escaping @Sendable (SendOutcome) -> Void) {
        attempts.add(1, ordering: .relaxed)
        bodies.withLock { $0.append(request.body) }
        let outcome = script.withLock { $0.isEmpty ? .success : $0.removeFirst() }
        if holdAll {
            held.withLock { $0.append { completion(outcome) } }
        } else if completesInline {
            completion(outcome)
        } else {
            DispatchQueue.global().async { completion(outcome) }
        }
    }

    func releaseAll() {
        for c in held.withLock({ h in defer { h.removeAll() }; return h }) { c() }
    }

    func close() {}
}

private func sender(_ outcomes: [SendOutcome], queue: QueueSettings = QueueSettings(), retry: RetrySettings = fastRetry(),
                    holdAll: Bool = false, completesInline: Bool = false) -> (QueuedRetrySender, ScriptedSender, ExporterMetrics) {
    let scripted = ScriptedSender(outcomes, holdAll: holdAll, completesInline: completesInline)
    let metrics = ExporterMetrics(context("otlp", .exporter))
    return (QueuedRetrySender(sender: scripted, queue: queue, retry: retry, logger: CapturedLog().logger(), metrics: metrics), scripted, metrics)
}

private func fastRetry() -> RetrySettings {
    var r = RetrySettings()
    r.initialInterval = .milliseconds(10)
    r.maxInterval = .milliseconds(20)
    r.maxElapsedTime = .seconds(2)
    return r
}

@Test func queuedSender_retriesRetryableFailures_untilSuccess() {
    let (q, scripted, metrics) = sender([.retryable("down", retryAfter: nil), .retryable("down", retryAfter: .milliseconds(5)), .success])
    try? q.submit(ExportRequest(body: [1], spans: 4))
    #expect(eventually { metrics.sent.current == 4 })
    #expect(scripted.attempts.load(ordering: .relaxed) == 3 && metrics.sendFailed.current == 0)
    q.shutdown(deadline: 1)
}

@Test func queuedSender_dropsPermanentFailures_withoutRetrying() {
    let (q, scripted, metrics) = sender([.permanent("bad data")])
    try? q.submit(ExportRequest(body: [1], spans: 2))
    #expect(eventually { metrics.sendFailed.current == 2 })
    #expect(scripted.attempts.load(ordering: .relaxed) == 1)
    q.shutdown(deadline: 1)
}

@Test func queuedSender_givesUp_afterMaxElapsedTime() {
    var retry = fastRetry()
    retry.maxElapsedTime = .milliseconds(500)
    // Each attempt fails inside `send`, so the first failure is judged microseconds after the first
    // try however loaded the machine is: the second try is certain, the give-up comes after 500 ms.
    let (q, scripted, metrics) = sender(Array(repeating: .retryable("down", retryAfter: nil), count: 1000), retry: retry,
                                        completesInline: true)
    try? q.submit(ExportRequest(body: [1], spans: 1))
    #expect(eventually(seconds: 5) { metrics.sendFailed.current == 1 })
    #expect(scripted.attempts.load(ordering: .relaxed) > 1)
    q.shutdown(deadline: 1)
}

@Test func queuedSender_refusesAtOnce_whenTheQueueIsFull_andSendsWhatItTook() {
    var queue = QueueSettings()
    queue.numConsumers = 2
    queue.queueSize = 3
    let (q, scripted, metrics) = sender([], queue: queue, holdAll: true)
    var accepted = 0, refused = 0
    for _ in 0..<10 {
        do {
            try q.submit(ExportRequest(body: [1], spans: 1))
            accepted += 1
        } catch {
            #expect(!error.isPermanent && error.message.contains("sending queue is full"))
            refused += 1
        }
    }
    #expect(accepted == 5 && refused == 5)
    #expect(metrics.queueSize.current == 3 && metrics.queueCapacity.current == 3 && metrics.inFlight.current == 2)
    for _ in 0..<4 { scripted.releaseAll(); usleep(20_000) }
    #expect(eventually { metrics.sent.current == 5 })
    q.shutdown(deadline: 1)
}

@Test func queuedSender_retire_handsBackTheQueued_andTheInFlightOnesWhenTheirTryFails_neverRetrying() {
    var queue = QueueSettings()
    queue.numConsumers = 2
    queue.queueSize = 5
    // Two in flight: the first will fail (retryable), the second succeed; three wait in the queue.
    let (q, scripted, metrics) = sender([.retryable("down", retryAfter: nil), .success], queue: queue, holdAll: true)
    for n in 1...5 { try? q.submit(ExportRequest(body: [UInt8(n)], spans: n)) }
    let handedBack = Mutex<[Int]>([])
    q.retire { request in handedBack.withLock { $0.append(request.spans) } }
    #expect(handedBack.withLock { $0 } == [3, 4, 5])
    #expect(throws: ConsumerError.self) { try q.submit(ExportRequest(body: [9], spans: 9)) }
    scripted.releaseAll()
    #expect(eventually { handedBack.withLock { $0.count } == 4 && metrics.sent.current == 2 })
    #expect(handedBack.withLock { $0 } == [3, 4, 5, 1])
    #expect(scripted.attempts.load(ordering: .relaxed) == 2 && q.isSettled)
    q.shutdown(deadline: 1)
    #expect(metrics.sendFailed.current == 0)
}

@Test func queuedSender_preparesEachRequestOnce_offTheSubmittingThread_andRetriesTheSameBytes() {
    let scripted = ScriptedSender([.retryable("down", retryAfter: nil), .retryable("down", retryAfter: nil), .success])
    let metrics = ExporterMetrics(context("otlp", .exporter))
    let prepared = Mutex<[pthread_t]>([])
    let q = QueuedRetrySender(sender: scripted, queue: QueueSettings(), retry: fastRetry(), logger: CapturedLog().logger(),
                              metrics: metrics) { request in
        prepared.withLock { $0.append(pthread_self()) }
        return request.preparedForWire(encode: { _ in [9, 9] }) { $0 + [7] }
    }
    try? q.submit(ExportRequest(batch: sampleBatch(spans: 3)))
    try? q.submit(ExportRequest(body: [1], spans: 2))
    #expect(eventually { metrics.sent.current == 5 && scripted.attempts.load(ordering: .relaxed) == 4 })
    let threads = prepared.withLock { $0 }
    #expect(threads.count == 2 && !threads.contains { pthread_equal($0, pthread_self()) != 0 })
    let bodies = scripted.bodies.withLock { $0 }
    #expect(bodies.filter { $0 == [9, 9, 7] }.count + bodies.filter { $0 == [1, 7] }.count == 4)
    #expect(bodies.contains([1, 7]) && bodies.contains([9, 9, 7]))
    q.shutdown(deadline: 1)
}

@Test func queuedSender_recyclesTheBodiesOfSettledRequests_sentOrDropped_notThoseRetried() {
    let scripted = ScriptedSender([.retryable("down", retryAfter: nil), .success, .permanent("bad")])
    let metrics = ExporterMetrics(context("otlp", .exporter))
    let recycled = Mutex<[[UInt8]]>([])
    let q = QueuedRetrySender(sender: scripted, queue: QueueSettings(), retry: fastRetry(), logger: CapturedLog().logger(),
                              metrics: metrics, recycle: { body in recycled.withLock { $0.append(body) } })
    try? q.submit(ExportRequest(body: [1], spans: 1))
    #expect(eventually { metrics.sent.current == 1 })
    try? q.submit(ExportRequest(body: [2], spans: 1))
    #expect(eventually { metrics.sendFailed.current == 1 })
    #expect(recycled.withLock { $0 } == [[1], [2]])
    q.shutdown(deadline: 1)
}

@Test func queuedSender_shutdownWaitsForInFlight_thenRefuses() {
    let (q, scripted, metrics) = sender([], holdAll: true)
    try? q.submit(ExportRequest(body: [1], spans: 3))
    DispatchQueue.global().asyncAfter(deadline: .now() + 0.2) { scripted.releaseAll() }
    q.shutdown(deadline: 5)
    #expect(metrics.sent.current == 3)
    #expect(throws: ConsumerError.self) { try q.submit(ExportRequest(body: [1], spans: 1)) }
}

@Test func retryBackoff_growsByTheMultiplier_withinTheJitterAndTheCap() {
    var r = RetrySettings()
    r.initialInterval = .seconds(1)
    r.maxInterval = .seconds(4)
    r.multiplier = 2
    r.randomizationFactor = 0.5
    #expect(r.backoff(attempt: 1, random: 0) == .milliseconds(500))
    #expect(r.backoff(attempt: 1, random: 1) == .milliseconds(1500))
    #expect(r.backoff(attempt: 2, random: 0.5) == .seconds(2))
    #expect(r.backoff(attempt: 10, random: 0.5) == .seconds(4))
}

@Test func grpcOutcome_followsTheOTLPRetryRules_andHonoursRetryInfo() {
    #expect(OTLPGRPCSender.outcome(GRPCStatus(.unavailable, "x")) == .retryable("rpc error: code = unavailable desc = x", retryAfter: nil))
    #expect(OTLPGRPCSender.outcome(GRPCStatus(.invalidArgument, "x")) == .permanent("rpc error: code = invalidArgument desc = x"))
    #expect(OTLPGRPCSender.outcome(GRPCStatus(.resourceExhausted, "x")) == .permanent("rpc error: code = resourceExhausted desc = x"))
    let details = OTLPProtoEncoder.encodeStatus(code: 8, message: "slow down", details: [
        (typeURL: "type.googleapis.com/google.rpc.RetryInfo", value: OTLPProtoEncoder.encodeRetryInfo(delaySeconds: 7))])
    let status = GRPCStatus(.resourceExhausted, "x", detailsBase64: String(decoding: Base64.encode(details), as: UTF8.self))
    #expect(OTLPGRPCSender.outcome(status) == .retryable("rpc error: code = resourceExhausted desc = x", retryAfter: .seconds(7)))
}

@Test func httpOutcome_retriesOnlyTheRetryableStatuses_withRetryAfter() {
    func outcome(_ status: Int, _ headers: [(String, String)] = []) -> SendOutcome {
        OTLPHTTPSender.outcome(HTTPClientResponse(status: status, headers: HTTPHeaders(headers)))
    }
    #expect(outcome(200) == .success)
    #expect(outcome(503, [("Retry-After", "3")]) == .retryable("HTTP 503: ", retryAfter: .seconds(3)))
    #expect(outcome(429) == .retryable("HTTP 429: ", retryAfter: nil))
    #expect(outcome(502) != .success && outcome(504) != .success)
    #expect(outcome(400) == .permanent("HTTP 400: "))
    #expect(outcome(500) == .permanent("HTTP 500: "))
}

@Test func exporterURL_splitsSchemeHostPortAndPath() throws {
    let plain = try ClientURL(parsing: "tempo.monitoring:4317", defaultPort: nil)
    #expect(plain.scheme == nil && plain.host == "tempo.monitoring" && plain.port == 4317 && plain.path == "")
    let url = try ClientURL(parsing: "http://[::1]:4318/base", defaultPort: nil)
    #expect(url.scheme == "http" && url.host == "::1" && url.port == 4318 && url.path == "/base")
    #expect(try ClientURL(parsing: "http://collector", defaultPort: nil).port == 80)
    #expect(throws: ClientURLError.self) { try ClientURL(parsing: "tempo", defaultPort: nil) }
    #expect(throws: ClientURLError.self) { try ClientURL(parsing: "tempo:99999", defaultPort: nil) }
}

@Test func exporterConfigs_readUpstreamKeysAndDefaults() throws {
    let grpc = try loadConfig("""
        receivers: {otlp: {protocols: {grpc: {endpoint: "127.0.0.1:0", max_recv_msg_size_mib: 16}}}}
        exporters:
          otlp:
            endpoint: tempo.monitoring:4317
            tls: {insecure: true}
            headers: {X-Scope-OrgID: tenant}
            compression: zstd
            compression_params: {level: 19}
            timeout: 2s
            retry_on_failure: {initial_interval: 1s, max_elapsed_time: 0s}
            sending_queue: {num_consumers: 4, queue_size: 50}
          otlphttp:
            endpoint: http://tempo:4318
            encoding: json
        service: {pipelines: {traces: {receivers: [otlp], exporters: [otlp, otlphttp]}}}
        """)
    let g = try #require(grpc.exporters[ComponentID(type: "otlp")]?.config as? OTLPGRPCExporter.Config)
    #expect(g.settings.headers == ["X-Scope-OrgID": "tenant"] && g.settings.compression == .zstd && g.settings.timeout == .seconds(2))
    #expect(g.settings.compressionLevel == 19)
    #expect(g.settings.retry.initialInterval == .seconds(1) && g.settings.retry.maxElapsedTime == .zero && g.settings.retry.multiplier == 1.5)
    #expect(g.settings.queue.numConsumers == 4 && g.settings.queue.queueSize == 50)
    let h = try #require(grpc.exporters[ComponentID(type: "otlphttp")]?.config as? OTLPHTTPExporter.Config)
    #expect(h.url?.path == "/v1/traces" && h.encoding == .json && h.settings.compression == .gzip && h.settings.timeout == .seconds(30))
    #expect(h.settings.compressionLevel == nil)
    let r = try #require(grpc.receivers[ComponentID(type: "otlp")]?.config as? OTLPReceiver.Config)
    #expect(r.grpc?.maxRecvMsgSizeMiB == 16 && r.http == nil)
}

@Test func exporterConfigs_areTLSByDefault_andRefuseBadTLSOrWhatIsUnsupported() {
    let base = "service: {pipelines: {traces: {receivers: [otlp], exporters: [otlp]}}}\nreceivers: {otlp: {protocols: {http: }}}\n"
    #expect(problems(base + "exporters: {otlp: {endpoint: tempo:4317}}") == "")
    #expect(problems(base + "exporters: {otlp: {endpoint: 'https://tempo:4317', tls: {insecure: true}}}") == "")
    // configgrpc: `insecure` with a CA still means TLS, so the CA file is read.
    #expect(problems(base + "exporters: {otlp: {endpoint: tempo:4317, tls: {insecure: true, ca_file: x}}}").contains("ca_file x: No such file"))
    #expect(problems(base + "exporters: {otlp: {endpoint: tempo:4317, tls: {max_version: '1.1', min_version: '1.2'}}}")
        .contains("min_version must not be greater than max_version"))
    #expect(problems(base + "exporters: {otlp: {endpoint: tempo:4317, tls: {insecure: true}, compression: snappy}}").contains("snappy"))
    #expect(problems(base + "exporters: {otlp: {tls: {insecure: true}}}").contains("endpoint"))
    // configcompression's ValidateParams: gzip takes -1, -2, 0 and 1 to 9; no level without compression.
    let gzipLevel = { (level: Int) in problems(base + "exporters: {otlp: {endpoint: t:1, compression_params: {level: \(level)}}}") }
    #expect(gzipLevel(-2) == "" && gzipLevel(0) == "" && gzipLevel(9) == "")
    #expect(gzipLevel(10).contains("compression_params::level") && gzipLevel(-3).contains("unsupported level -3"))
    #expect(problems(base + "exporters: {otlp: {endpoint: t:1, compression: none, compression_params: {level: 1}}}")
        .contains("without compression"))
    #expect(problems(base + "exporters: {otlp: {endpoint: t:1, compression_params: {level: 1, strategy: 2}}}").contains("strategy"))
}

@Test func retryInfo_isReadFromAStatus_andGarbageIsIgnored() {
    let status = OTLPProtoEncoder.encodeStatus(code: 14, message: "m", details: [
        (typeURL: "type.googleapis.com/other", value: [1, 2]),
        (typeURL: "type.googleapis.com/google.rpc.RetryInfo", value: OTLPProtoEncoder.encodeRetryInfo(delaySeconds: 12))])
    #expect(OTLPProtoDecoder.retryDelay(status: status) == .seconds(12))
    #expect(OTLPProtoDecoder.retryDelay(status: [0xff, 0xff]) == nil)
    #expect(OTLPProtoDecoder.retryDelay(status: []) == nil)
}
