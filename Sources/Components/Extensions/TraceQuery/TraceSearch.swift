import TraceModel

/// One search over the store: the newest traces first (by arrival), stopping at `limit`
/// matches, so a common query answers after inspecting few traces; answers sorted by start time,
/// newest first, as Tempo's.
struct TraceSearch {
    var query: TraceQLQuery = .filter(.always(true))
    var limit = 20
    var spansPerSpanSet = 3
    /// Unix seconds, both 0 for any time; a trace matches when it overlaps [start, end].
    var startSeconds: UInt32 = 0
    var endSeconds: UInt32 = 0
    /// Trace duration bounds in milliseconds, 0 for none (Tempo's minDuration / maxDuration).
    var minDurationMs: UInt64 = 0
    var maxDurationMs: UInt64 = 0

    struct Match {
        var trace: StoredTrace
        /// Positions in `StoredTrace.forEachSpan` order.
        var spans: [Int]
    }

    struct Result {
        var matches: [Match]
        var inspectedTraces: Int
        var inspectedSpans: Int
        var inspectedBytes: Int
    }

    func run(over traces: [StoredTrace]) -> Result {
        var result = Result(matches: [], inspectedTraces: 0, inspectedSpans: 0, inspectedBytes: 0)
        let requirement = query.requirement
        for trace in traces.reversed() where result.matches.count < limit {
            guard inTimeRange(trace), inDurationRange(trace), requirement.mayHold(trace) else { continue }
            result.inspectedTraces += 1
            result.inspectedSpans += trace.spanCount
            result.inspectedBytes += trace.bytes
            if let spans = query.matchingSpans(in: trace) { result.matches.append(Match(trace: trace, spans: spans)) }
        }
        result.matches.sort { $0.trace.startUnixNano > $1.trace.startUnixNano }
        return result
    }

    private func inTimeRange(_ trace: StoredTrace) -> Bool {
        guard startSeconds != 0 || endSeconds != 0 else { return true }
        return trace.endUnixNano >= UInt64(startSeconds) * 1_000_000_000 && trace.startUnixNano <= UInt64(endSeconds) * 1_000_000_000
    }

    private func inDurationRange(_ trace: StoredTrace) -> Bool {
        let ms = trace.durationNanos / 1_000_000
        return (minDurationMs == 0 || ms >= minDurationMs) && (maxDurationMs == 0 || ms <= maxDurationMs)
    }
}
