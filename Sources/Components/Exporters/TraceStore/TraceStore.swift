import Diagnostics
import Synchronization
import TraceModel

/// Recent traces in memory, by trace id, oldest evicted first. A trace is an immutable
/// `StoredTrace`; spans that arrive later replace it with a longer one. Writers hold the lock only
/// to swap records and evict; readers hold it only to copy the list of records, and search that
/// copy without the lock, so a search never delays a write.
public final class TraceStore: Sendable {
    public struct Limits: Sendable, Equatable {
        public var maxBytes = 256 << 20
        public var maxTraces = 1_000_000
        /// Tempo's `max_bytes_per_trace`: spans past it are dropped, which also bounds the copying
        /// a long trace costs (each arrival makes a new record).
        public var maxBytesPerTrace = 5_000_000
        /// 0: kept until evicted for room.
        public var retentionNanos: UInt64 = 0

        public init(maxBytes: Int = 256 << 20, maxTraces: Int = 1_000_000, maxBytesPerTrace: Int = 5_000_000, retentionNanos: UInt64 = 0) {
            self.maxBytes = maxBytes
            self.maxTraces = maxTraces
            self.maxBytesPerTrace = maxBytesPerTrace
            self.retentionNanos = retentionNanos
        }
    }

    public let limits: Limits
    private let state = Mutex(State())
    private let clock: @Sendable () -> UInt64

    public init(limits: Limits = Limits(), clock: @escaping @Sendable () -> UInt64 = WallClock.monotonicNano) {
        self.limits = limits
        self.clock = clock
    }

    /// Records in first-arrival order; `slots[i]` holds the trace with sequence number `base + i`,
    /// nil once evicted.
    struct State {
        var slots: [StoredTrace?] = []
        var head = 0
        var base = 0
        var sequenceByID: [TraceID: Int] = [:]
        var bytes = 0
        var spans = 0
        var evictedTraces = 0
        var droppedSpans = 0
    }

    public struct Usage: Sendable, Equatable {
        public var traces: Int
        public var spans: Int
        public var bytes: Int
        public var evictedTraces: Int
        /// Spans past `maxBytesPerTrace`.
        public var droppedSpans: Int
    }

    public var usage: Usage {
        state.withLock { Usage(traces: $0.sequenceByID.count, spans: $0.spans, bytes: $0.bytes, evictedTraces: $0.evictedTraces,
                                     droppedSpans: $0.droppedSpans) }
    }

    /// Joins each trace's spans to what the store holds of that trace. Spans that would take a
    /// trace past `maxBytesPerTrace` are dropped.
    public func insert(_ batch: TraceBatch) {
        let fragments = TraceFragment.split(batch)
        guard !fragments.isEmpty else { return }
        let now = clock()
        state.withLock { state in
            for fragment in fragments { add(fragment, now: now, &state) }
            evict(now: now, &state)
        }
    }

    public func trace(_ id: TraceID) -> StoredTrace? {
        state.withLock { state in
            state.sequenceByID[id].flatMap { state.slots[$0 - state.base] }
        }
    }

    /// Every trace held, newest first arrival last.
    public func snapshot() -> [StoredTrace] {
        let now = clock()
        return state.withLock { state in
            evict(now: now, &state)
            var out: [StoredTrace] = []
            out.reserveCapacity(state.sequenceByID.count)
            for slot in state.slots[state.head...] { if let slot { out.append(slot) } }
            return out
        }
    }

    private func add(_ fragment: TraceFragment, now: UInt64, _ state: inout State) {
        let old = state.sequenceByID[fragment.traceID].flatMap { state.slots[$0 - state.base] }
        guard (old?.bytes ?? 0) + fragment.bytes <= min(limits.maxBytesPerTrace, limits.maxBytes) else {
            state.droppedSpans += fragment.spanCount
            return
        }
        state.bytes += fragment.bytes
        state.spans += fragment.spanCount
        if let old, let sequence = state.sequenceByID[fragment.traceID] {
            state.slots[sequence - state.base] = old.adding(fragment)
            return
        }
        state.sequenceByID[fragment.traceID] = state.base + state.slots.count
        state.slots.append(StoredTrace(fragment, firstSeenNano: now))
        state.bytes += StoredTrace.recordOverhead
    }

    private func evict(now: UInt64, _ state: inout State) {
        let expiredBefore = limits.retentionNanos > 0 && now > limits.retentionNanos ? now - limits.retentionNanos : 0
        while state.head < state.slots.count {
            guard let oldest = state.slots[state.head] else {
                state.head += 1
                continue
            }
            let over = state.bytes > limits.maxBytes || state.sequenceByID.count > limits.maxTraces
            guard over || oldest.firstSeenNano < expiredBefore else { break }
            state.slots[state.head] = nil
            state.head += 1
            state.sequenceByID[oldest.traceID] = nil
            state.bytes -= oldest.bytes + StoredTrace.recordOverhead
            state.spans -= oldest.spanCount
            state.evictedTraces += 1
        }
        compact(&state)
    }

    /// Drops evicted slots from the front once they are half the array (amortized O(1)).
    private func compact(_ state: inout State) {
        guard state.head >= 1024, state.head * 2 >= state.slots.count else { return }
        state.slots.removeFirst(state.head)
        state.base += state.head
        state.head = 0
    }
}
