import Synchronization

/// A cap on request bytes being read and decoded at once, shared by every listener of the
/// service. Memory limits that sample RSS see a request only after it is in memory; this one
/// refuses to read more once the cap is reached (`service::admission_limit_mib`).
public final class AdmissionBudget: Sendable {
    public let capacity: Int
    private let inUse = Atomic<Int>(0)

    public init(capacity: Int) {
        self.capacity = capacity
    }

    /// Takes `bytes` if they fit; a request alone may take more than the capacity when nothing
    /// else is held (it is bounded by its own size limit).
    public func tryReserve(_ bytes: Int) -> Bool {
        guard bytes > 0 else { return true }
        var current = inUse.load(ordering: .relaxed)
        while true {
            guard current == 0 || current + bytes <= capacity else { return false }
            let (exchanged, actual) = inUse.compareExchange(expected: current, desired: current + bytes, ordering: .relaxed)
            if exchanged { return true }
            current = actual
        }
    }

    public func release(_ bytes: Int) {
        if bytes > 0 { inUse.subtract(bytes, ordering: .relaxed) }
    }

    public var bytesInUse: Int { inUse.load(ordering: .relaxed) }
}
