import Diagnostics
import Synchronization

/// Where the service is in its life, shared with the health check.
public final class ServiceStatus: Sendable {
    public enum Phase: Int, Sendable { case starting, ready, stopping }

    private let phaseValue = Atomic<Int>(Phase.starting.rawValue)
    private let readySince = Atomic<UInt64>(0)  // wall-clock ns when ready
    private let readySinceMonotonic = Atomic<UInt64>(0)

    public init() {}

    public var phase: Phase { Phase(rawValue: phaseValue.load(ordering: .acquiring)) ?? .starting }

    public func markReady() {
        readySince.store(WallClock.nowUnixNano(), ordering: .relaxed)
        readySinceMonotonic.store(WallClock.monotonicNano(), ordering: .relaxed)
        phaseValue.store(Phase.ready.rawValue, ordering: .releasing)
    }

    public func markStopping() { phaseValue.store(Phase.stopping.rawValue, ordering: .releasing) }

    /// Wall-clock time (ns since the epoch) when the service became ready; 0 if it is not ready.
    public var upSinceUnixNano: UInt64 { phase == .ready ? readySince.load(ordering: .relaxed) : 0 }

    /// Nanoseconds since the service became ready; 0 if it is not ready.
    public var uptimeNano: UInt64 {
        guard phase == .ready else { return 0 }
        return WallClock.monotonicNano() &- readySinceMonotonic.load(ordering: .relaxed)
    }
}
