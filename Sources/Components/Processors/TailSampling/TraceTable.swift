import TraceModel
import WireFormats

/// The traces a tail sampler holds, at most `capacity` of them, decided or not, in arrival order.
/// Each undecided trace keeps its spans' records as received, beside the resource and scope
/// records it shares with the other traces of its request, and a few bytes of bookkeeping. A decided trace keeps
/// only its decision, for spans that come late, until newer traces push it out. Not thread-safe:
/// the processor guards it.
struct TraceTable {
    struct Entry {
        var sequence: UInt64
        var arrival: UInt64
        var spanCount: Int
        /// Its spans, as they came; emptied at the decision.
        var parts: [TraceSlicePart]
        /// How many of `parts` a decision in progress took.
        var taken = 0
        var sampled: Bool?
        var decidedAt: UInt64 = 0
    }

    /// A trace taken for a decision.
    struct Due {
        var id: TraceID
        var sequence: UInt64
        var spanCount: Int
        var parts: [TraceSlicePart]
    }

    /// What became of spans filed for one trace.
    enum Filing: Equatable {
        case newTrace
        case added
        /// The trace was decided already: the late spans follow that decision.
        case late(sampled: Bool, decidedAt: UInt64)
    }

    /// A trace pushed out to make room: its arrival, and whether it was still undecided.
    struct Removal: Equatable {
        var arrival: UInt64
        var undecided: Bool
    }

    let capacity: Int
    private(set) var entries: [TraceID: Entry] = [:]
    /// Every trace filed, in arrival order, by sequence number (a trace filed again after it left
    /// gets a new one); slots of traces that left are skipped.
    private var order: [(id: TraceID, sequence: UInt64)] = []
    /// `order[head...]` may be live; `order[head..<next]` were taken for a decision or decided,
    /// `order[next...]` wait for theirs.
    private var head = 0
    private var next = 0
    private var sequence: UInt64 = 0

    init(capacity: Int, expected: Int = 0) {
        self.capacity = max(1, capacity)
        entries.reserveCapacity(min(self.capacity, expected))
    }

    var count: Int { entries.count }

    /// Files one trace's slice arrived at `now`; a new trace first pushes the oldest out while the
    /// table is full (appended to `removed`).
    mutating func file(_ slice: TraceSlice, now: UInt64, removed: inout [Removal]) -> Filing {
        if let entry = entries[slice.traceID] {
            if let sampled = entry.sampled { return .late(sampled: sampled, decidedAt: entry.decidedAt) }
            entries[slice.traceID]!.parts.append(contentsOf: slice.parts)
            entries[slice.traceID]!.spanCount += slice.spanCount
            return .added
        }
        while entries.count >= capacity, let removal = removeOldest() { removed.append(removal) }
        sequence += 1
        entries[slice.traceID] = Entry(sequence: sequence, arrival: now, spanCount: slice.spanCount, parts: slice.parts)
        order.append((slice.traceID, sequence))
        return .newTrace
    }

    /// Takes every undecided trace that arrived at or before `cutoff`, oldest first. Their spans
    /// stay filed until `settle`, and spans arriving meanwhile join them.
    mutating func takeDue(arrivedBy cutoff: UInt64) -> [Due] {
        var due: [Due] = []
        while next < order.count {
            let (id, sequence) = order[next]
            if let entry = entries[id], entry.sequence == sequence {
                guard entry.arrival <= cutoff else { break }
                entries[id]!.taken = entry.parts.count
                due.append(Due(id: id, sequence: sequence, spanCount: entry.spanCount, parts: entry.parts))
            }
            next += 1
        }
        return due
    }

    /// Records the decision on a trace `takeDue` gave; returns the spans that joined it since,
    /// to follow the decision. `forget`: remove the trace at once (a decision cache remembers it).
    mutating func settle(_ due: Due, sampled: Bool, now: UInt64, forget: Bool) -> [TraceSlicePart] {
        guard let entry = entries[due.id], entry.sequence == due.sequence else { return [] }
        let joined = Array(entry.parts[entry.taken...])
        if forget {
            entries[due.id] = nil
            skipLeftHead()
        } else {
            entries[due.id]!.parts = []
            entries[due.id]!.sampled = sampled
            entries[due.id]!.decidedAt = now
        }
        return joined
    }

    private func isLive(_ slot: (id: TraceID, sequence: UInt64)) -> Bool { entries[slot.id]?.sequence == slot.sequence }

    private mutating func removeOldest() -> Removal? {
        skipLeftHead()
        guard head < order.count else { return nil }
        let slot = order[head]
        let entry = entries.removeValue(forKey: slot.id)!
        let undecided = head >= next
        head += 1
        next = max(next, head)
        compact()
        return Removal(arrival: entry.arrival, undecided: undecided)
    }

    private mutating func skipLeftHead() {
        while head < order.count, !isLive(order[head]) {
            head += 1
            next = max(next, head)
        }
        compact()
    }

    /// Drops the slots before `head` once they are most of the array.
    private mutating func compact() {
        guard head > 1024, head * 2 > order.count else { return }
        order.removeFirst(head)
        next -= head
        head = 0
    }
}
