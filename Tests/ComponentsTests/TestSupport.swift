import Components
import Config
import Diagnostics
import Foundation
import Pipeline
import Synchronization
import TraceModel

/// Loads a YAML config text with the built-in registry.
func loadConfig(_ yaml: String, file: String = "test.yaml") throws -> CollectorConfig {
    try CollectorConfig.load(try YAMLParser.parse(yaml, file: file), file: file)
}

/// The problems a config has, as one string (empty when it loads).
func problems(_ yaml: String) -> String {
    do {
        _ = try loadConfig(yaml)
        return ""
    } catch let e as ConfigProblems {
        return e.description
    } catch {
        return "\(error)"
    }
}

/// A log sink whose lines tests can read.
final class CapturedLog: Sendable {
    final class Lines: Sendable {
        let value = Mutex<[String]>([])
    }
    private let lines = Lines()
    let sink: LogSink

    init(level: LogLevel = .debug) {
        let lines = self.lines
        sink = LogSink(level: level) { text in lines.value.withLock { $0.append(text) } }
    }

    var text: String { lines.value.withLock { $0.joined() } }
    func logger(_ component: String = "test") -> Logger { Logger(component: component, sink: sink) }
}

func context(_ id: String, _ kind: ComponentKind, log: CapturedLog = CapturedLog(), status: ServiceStatus = ServiceStatus()) -> ComponentContext {
    ComponentContext(id: try! ComponentID(parsing: id), kind: kind, logger: log.logger(id), status: status)
}

/// A small but complete batch: `count` spans under one resource and scope.
func sampleBatch(spans count: Int, firstID: UInt64 = 1) -> TraceBatch {
    TraceBatch(resourceSpans: [ResourceSpans(
        resource: Resource(attributes: [KeyValue("service.name", .string("checkout"))]),
        scopeSpans: [ScopeSpans(scope: InstrumentationScope(name: "io.example", version: "1.0"), spans: (0..<UInt64(count)).map { i in
            Span(traceID: TraceID(high: 7, low: firstID + i), spanID: SpanID(firstID + i), name: "op\(firstID + i)", kind: .server,
                 startTimeUnixNano: 1_700_000_000_000_000_000, endTimeUnixNano: 1_700_000_000_250_000_000)
        })])])
}

func spanIDs(_ batches: [TraceBatch]) -> [UInt64] {
    batches.flatMap { $0.resourceSpans.flatMap { $0.scopeSpans.flatMap { $0.spans.map(\.spanID.value) } } }
}

/// Polls `condition` every 10 ms for at most `seconds`.
func eventually(seconds: Double = 5, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        Thread.sleep(forTimeInterval: 0.01)
    }
    return condition()
}

/// The repository root, found from this file's path.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
