#if canImport(Glibc)
import Glibc
#endif
import Diagnostics
import Pipeline
import Synchronization
import TraceModel

/// The collector's own counters, in the Prometheus text format with upstream's metric names
/// (no `_total` suffix, as the collector's default reader writes them).
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

    private struct Series {
        let name: String
        let help: String
        let labels: String
        let counter: Counter
    }

    private struct GaugeSeries {
        let name: String
        let help: String
        let labels: String
        let gauge: Gauge
    }

    private let series = Mutex<[Series]>([])
    private let gauges = Mutex<[GaugeSeries]>([])
    private let startedMonotonic = WallClock.monotonicNano()

    public init() {}

    /// The counter for this name and label set, made on first use.
    public func counter(_ name: String, help: String, labels: KeyValuePairs<String, String>) -> Counter {
        let labelText = labels.map { "\($0.key)=\"\($0.value)\"" }.joined(separator: ",")
        return series.withLock { all in
            if let s = all.first(where: { $0.name == name && $0.labels == labelText }) { return s.counter }
            let s = Series(name: name, help: help, labels: labelText, counter: Counter())
            all.append(s)
            return s.counter
        }
    }

    /// The gauge for this name and label set, made on first use.
    public func gauge(_ name: String, help: String, labels: KeyValuePairs<String, String>) -> Gauge {
        let labelText = labels.map { "\($0.key)=\"\($0.value)\"" }.joined(separator: ",")
        return gauges.withLock { all in
            if let g = all.first(where: { $0.name == name && $0.labels == labelText }) { return g.gauge }
            let g = GaugeSeries(name: name, help: help, labels: labelText, gauge: Gauge())
            all.append(g)
            return g.gauge
        }
    }

    /// The exposition text: counters, gauges, then process gauges.
    public func render() -> String {
        var out = ""
        var described = Set<String>()
        for s in series.withLock({ $0 }).sorted(by: { ($0.name, $0.labels) < ($1.name, $1.labels) }) {
            if described.insert(s.name).inserted {
                out += "# HELP \(s.name) \(s.help)\n# TYPE \(s.name) counter\n"
            }
            out += "\(s.name){\(s.labels)} \(s.counter.current)\n"
        }
        described.removeAll()
        for g in gauges.withLock({ $0 }).sorted(by: { ($0.name, $0.labels) < ($1.name, $1.labels) }) {
            if described.insert(g.name).inserted {
                out += "# HELP \(g.name) \(g.help)\n# TYPE \(g.name) gauge\n"
            }
            out += "\(g.name){\(g.labels)} \(g.gauge.current)\n"
        }
        let uptime = Double(WallClock.monotonicNano() - startedMonotonic) / 1e9
        out += gauge("otelcol_process_uptime", "Uptime of the process in seconds", uptime, type: "counter")
        out += gauge("otelcol_process_memory_rss", "Total physical memory (resident set size) in bytes", Double(MemoryLimiter.residentBytes()))
        out += gauge("otelcol_process_cpu_seconds", "Total CPU user and system time in seconds", SelfMetrics.cpuSeconds(), type: "counter")
        return out
    }

    private func gauge(_ name: String, _ help: String, _ value: Double, type: String = "gauge") -> String {
        "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n\(name) \(value)\n"
    }

    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }
}

/// Counts the spans a consumer accepted and refused, for a receiver's or exporter's metrics.
struct CountingConsumer: TraceConsumer {
    let next: any TraceConsumer
    let accepted: SelfMetrics.Counter
    let refused: SelfMetrics.Counter

    func consume(_ batch: TraceBatch) throws(ConsumerError) {
        let spans = batch.spanCount
        do throws(ConsumerError) {
            try next.consume(batch)
            accepted.add(spans)
        } catch {
            refused.add(spans)
            throw error
        }
    }
}
