#if canImport(Glibc)
import Glibc
#endif
import Diagnostics
import Pipeline
import Synchronization
import TraceModel

/// The collector's own metrics, in the Prometheus text format 0.0.4 with upstream's metric names
/// (no `_total` suffix, as the collector's default reader writes them). Updating a series is one
/// relaxed atomic add; only making a series and rendering take the lock.
public final class SelfMetrics: Sendable {
    public final class Counter: Sendable {
        private let value = Atomic<Int>(0)
        public func add(_ n: Int) { value.add(n, ordering: .relaxed) }
        public var current: Int { value.load(ordering: .relaxed) }
    }

    /// A value that goes up and down (queue size, requests in flight).
    public final class Gauge: Sendable {
        private let value = Atomic<Int>(0)
        public func set(_ n: Int) { value.store(n, ordering: .relaxed) }
        public func add(_ n: Int) { value.add(n, ordering: .relaxed) }
        public var current: Int { value.load(ordering: .relaxed) }
    }

    /// Observations counted into fixed buckets (cumulative when rendered, as Prometheus wants).
    public final class Histogram: Sendable {
        let bounds: [Double]
        /// One per bucket, the last for values above every bound.
        private let counts: [Counter]
        private let sum = Counter()

        init(bounds: [Double]) {
            self.bounds = bounds
            counts = (0...bounds.count).map { _ in Counter() }
        }

        public func observe(_ value: Int) {
            let bucket = bounds.firstIndex { Double(value) <= $0 } ?? bounds.count
            counts[bucket].add(1)
            sum.add(value)
        }

        fileprivate func render(_ name: String, _ labels: String) -> String {
            var out = ""
            var cumulative = 0
            let prefix = labels.isEmpty ? "" : labels + ","
            for (i, bound) in bounds.enumerated() {
                cumulative += counts[i].current
                out += "\(name)_bucket{\(prefix)le=\"\(SelfMetrics.number(bound))\"} \(cumulative)\n"
            }
            cumulative += counts[bounds.count].current
            out += "\(name)_bucket{\(prefix)le=\"+Inf\"} \(cumulative)\n"
            out += "\(name)_sum\(labels.isEmpty ? "" : "{\(labels)}") \(sum.current)\n"
            out += "\(name)_count\(labels.isEmpty ? "" : "{\(labels)}") \(cumulative)\n"
            return out
        }
    }

    private enum Value {
        case counter(Counter), gauge(Gauge), histogram(Histogram)

        var type: String {
            switch self {
            case .counter: "counter"
            case .gauge: "gauge"
            case .histogram: "histogram"
            }
        }
    }

    private struct Series {
        let name: String
        let help: String
        let labels: String
        let value: Value
    }

    private let series = Mutex<[Series]>([])
    private let startedMonotonic = WallClock.monotonicNano()

    public init() {}

    /// The counter for this name and label set, made on first use.
    public func counter(_ name: String, help: String, labels: KeyValuePairs<String, String>) -> Counter {
        let made = register(name, help, labels) { .counter(Counter()) }
        if case let .counter(c) = made { return c }
        return Counter()
    }

    /// The gauge for this name and label set, made on first use.
    public func gauge(_ name: String, help: String, labels: KeyValuePairs<String, String>) -> Gauge {
        let made = register(name, help, labels) { .gauge(Gauge()) }
        if case let .gauge(g) = made { return g }
        return Gauge()
    }

    /// The histogram for this name and label set, made on first use with these bucket bounds.
    public func histogram(_ name: String, help: String, labels: KeyValuePairs<String, String>, bounds: [Double]) -> Histogram {
        let made = register(name, help, labels) { .histogram(Histogram(bounds: bounds)) }
        if case let .histogram(h) = made { return h }
        return Histogram(bounds: bounds)
    }

    private func register(_ name: String, _ help: String, _ labels: KeyValuePairs<String, String>, _ make: () -> Value) -> Value {
        let labelText = labels.map { "\($0.key)=\"\(Self.escapeLabelValue($0.value))\"" }.joined(separator: ",")
        return series.withLock { all in
            if let s = all.first(where: { $0.name == name && $0.labels == labelText }) { return s.value }
            let s = Series(name: name, help: help, labels: labelText, value: make())
            all.append(s)
            return s.value
        }
    }

    /// The exposition text: every series by name, then the process metrics.
    public func render() -> String {
        var out = ""
        var described = Set<String>()
        for s in series.withLock({ $0 }).sorted(by: { ($0.name, $0.labels) < ($1.name, $1.labels) }) {
            if described.insert(s.name).inserted {
                out += "# HELP \(s.name) \(s.help)\n# TYPE \(s.name) \(s.value.type)\n"
            }
            switch s.value {
            case let .counter(c): out += "\(s.name){\(s.labels)} \(c.current)\n"
            case let .gauge(g): out += "\(s.name){\(s.labels)} \(g.current)\n"
            case let .histogram(h): out += h.render(s.name, s.labels)
            }
        }
        let uptime = Double(WallClock.monotonicNano() - startedMonotonic) / 1e9
        out += processMetric("otelcol_process_uptime", "Uptime of the process in seconds", uptime, type: "counter")
        out += processMetric("otelcol_process_memory_rss", "Total physical memory (resident set size) in bytes", Double(Heap.residentBytes()))
        out += processMetric("otelcol_process_cpu_seconds", "Total CPU user and system time in seconds", SelfMetrics.cpuSeconds(), type: "counter")
        out += processMetric("swiftlet_log_records_dropped", "Log records dropped because stderr, a pipe or socket nobody read, would have blocked",
                             Double(LogSink.droppedRecords), type: "counter")
        return out
    }

    private func processMetric(_ name: String, _ help: String, _ value: Double, type: String = "gauge") -> String {
        "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n\(name) \(value)\n"
    }

    /// Backslash, double quote and line feed escaped, as the text format 0.0.4 requires.
    static func escapeLabelValue(_ value: String) -> String {
        guard value.utf8.contains(where: { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\"") || $0 == 0x0A }) else { return value }
        var out = ""
        for ch in value.unicodeScalars {
            switch ch {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }

    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }

    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }
}

/// Counts the spans a consumer accepted, refused (retryable) and failed (permanently).
struct CountingConsumer: TraceConsumer {
    let next: any TraceConsumer
    let accepted: SelfMetrics.Counter
    let refused: SelfMetrics.Counter
    var failed: SelfMetrics.Counter?

    func consume(_ batch: TraceBatch) throws(ConsumerError) {
        let spans = batch.spanCount
        do throws(ConsumerError) {
            try next.consume(batch)
            accepted.add(spans)
        } catch {
            if error.isPermanent, let failed { failed.add(spans) } else { refused.add(spans) }
            throw error
        }
    }

    var forwardsOTLPEncoding: Bool { next.forwardsOTLPEncoding }
}

/// Counts every span handed on, for a processor's incoming and outgoing items.
struct ItemCounter: TraceConsumer {
    let next: any TraceConsumer
    let items: SelfMetrics.Counter

    func consume(_ batch: TraceBatch) throws(ConsumerError) {
        items.add(batch.spanCount)
        try next.consume(batch)
    }

    var forwardsOTLPEncoding: Bool { next.forwardsOTLPEncoding }
}
