#if canImport(Glibc)
import Glibc
#endif
import Diagnostics
import Dispatch
import Pipeline
import Synchronization
import TraceModel

/// `memory_limiter` processor: checks the process's resident memory every `check_interval` and,
/// while it is above the soft limit (limit − spike), refuses data with a retryable error that
/// receivers turn into 429 / RESOURCE_EXHAUSTED. Above the hard limit it also returns freed heap
/// to the system (`malloc_trim`), Swift's closest thing to the Go collector's forced GC.
public final class MemoryLimiter: Component, TraceConsumer {
    public static let factory = ComponentFactory.processor("memory_limiter", .beta, parse: Config.parse) { ctx, config, next in
        try MemoryLimiter(ctx, config, next: next)
    }

    private let next: any TraceConsumer
    private let logger: Logger
    private let checkInterval: Duration
    let limits: Limits
    private let refusing = Atomic<Bool>(false)
    /// Made and resumed by `start`, cancelled by `shutdown`. A Dispatch source must not be released
    /// while suspended, so none exists before `start`.
    /// The service calls `start` and `shutdown` one after the other from one thread.
    private nonisolated(unsafe) var timer: (any DispatchSourceTimer)?
    private let readRSS: @Sendable () -> UInt64

    struct Limits: Equatable {
        var hardBytes: UInt64
        var softBytes: UInt64
    }

    init(_ context: ComponentContext, _ config: Config, next: any TraceConsumer,
         totalMemory: UInt64 = MemoryLimiter.availableMemory(), readRSS: @escaping @Sendable () -> UInt64 = MemoryLimiter.residentBytes) throws {
        self.next = next
        logger = context.logger
        checkInterval = config.checkInterval
        limits = try config.limits(totalMemory: totalMemory)
        self.readRSS = readRSS
    }

    public func start() {
        let source = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "swiftlet.memory_limiter"))
        source.schedule(deadline: .now(), repeating: checkInterval.dispatchInterval)
        source.setEventHandler { [weak self] in self?.check() }
        source.resume()
        timer = source
        logger.info("Memory limiter configured", ["limit_mib": limits.hardBytes >> 20, "spike_limit_mib": (limits.hardBytes - limits.softBytes) >> 20])
    }

    public func shutdown() {
        timer?.cancel()
    }

    func check() {
        let rss = readRSS()
        if rss >= limits.hardBytes { Heap.returnFreePages() }
        let over = rss >= limits.softBytes
        let was = refusing.exchange(over, ordering: .relaxed)
        if over && !was {
            logger.warn("Memory usage is above the soft limit. Refusing data.", ["cur_mem_mib": rss >> 20])
        } else if !over && was {
            logger.info("Memory usage back within limits. Resuming normal operation.", ["cur_mem_mib": rss >> 20])
        }
    }

    public func consume(_ batch: TraceBatch) throws(ConsumerError) {
        if refusing.load(ordering: .relaxed) {
            let delay = max(1, Int(checkInterval.components.seconds))
            throw ConsumerError.refused("data refused due to high memory usage", retryAfterSeconds: delay)
        }
        try next.consume(batch)
    }

    public var forwardsOTLPEncoding: Bool { next.forwardsOTLPEncoding }

    @Sendable static func residentBytes() -> UInt64 {
        UInt64(Heap.residentBytes())
    }

    /// The cgroup v2 (or v1) memory limit if there is one, else the machine's physical memory.
    static func availableMemory() -> UInt64 {
        for path in ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"] {
            if let text = readSmallFile(path), let v = UInt64(text.trimmingWhiteSpace()), v < (1 << 60) { return v }
        }
        return UInt64(sysconf(Int32(_SC_PHYS_PAGES))) * UInt64(sysconf(Int32(_SC_PAGESIZE)))
    }
}

/// Reads a small text file (procfs, sysfs) without Foundation.
func readSmallFile(_ path: String) -> String? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var buffer = [UInt8](repeating: 0, count: 4096)
    let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
    guard n > 0 else { return nil }
    return String(decoding: buffer[0..<n], as: UTF8.self)
}

