#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Diagnostics
import Pipeline
import Synchronization
import TraceModel

/// What a receiver delivers into: the pipelines of the running configuration. A reload switches
/// it to the new pipelines in one step; a call that entered the old ones is counted by their
/// gate, so they are shut down only once the last such call has returned.
final class SwitchableConsumer: TraceConsumer {
    private struct Target {
        let consumer: any TraceConsumer
        let gate: InFlightGate
    }

    private let target: Mutex<Target>

    init(_ consumer: any TraceConsumer, gate: InFlightGate) {
        target = Mutex(Target(consumer: consumer, gate: gate))
    }

    func consume(_ batch: TraceBatch) throws(ConsumerError) {
        let current = target.withLock { t in
            t.gate.enter()
            return t
        }
        defer { current.gate.leave() }
        try current.consumer.consume(batch)
    }

    var forwardsOTLPEncoding: Bool { target.withLock { $0.consumer.forwardsOTLPEncoding } }

    func switchTo(_ consumer: any TraceConsumer, gate: InFlightGate) {
        target.withLock { $0 = Target(consumer: consumer, gate: gate) }
    }
}

/// Counts the calls inside one configuration's pipelines.
final class InFlightGate: Sendable {
    private let calls = Atomic<Int>(0)

    func enter() { calls.add(1, ordering: .acquiringAndReleasing) }
    func leave() { calls.subtract(1, ordering: .acquiringAndReleasing) }

    /// True once no call is inside; false if `deadline` (monotonic ns) came first.
    func waitUntilIdle(deadline: UInt64) -> Bool {
        while calls.load(ordering: .acquiring) > 0 {
            guard WallClock.monotonicNano() < deadline else { return false }
            usleep(1000)
        }
        return true
    }
}
