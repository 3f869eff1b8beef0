import Synchronization

/// Byte buffers of megabytes, used again instead of allocated per request (export requests and
/// their compressed form). A full batch (8192 spans) is about 4 MB encoded, above glibc's mmap
/// threshold (`Heap.tune`), so a fresh buffer is mapped pages that each fault in as they are
/// written and go back to the kernel when freed: flat out, about 10 page faults per request of
/// 100 spans, a tenth of the CPU. A buffer given back while something else still holds it is
/// copied when next written (arrays are values), so giving back early costs the reuse, never the
/// bytes.
public final class ByteBufferPool: Sendable {
    private let buffers = Mutex<[[UInt8]]>([])
    /// How many buffers are kept, and the capacities worth keeping: smaller ones come from the
    /// allocator's arenas anyway, larger ones would hold memory after a burst.
    public let maxBuffers: Int
    public let keptCapacities: ClosedRange<Int>

    public init(maxBuffers: Int = 4, keptCapacities: ClosedRange<Int> = (256 << 10)...(16 << 20)) {
        self.maxBuffers = maxBuffers
        self.keptCapacities = keptCapacities
    }

    /// A buffer of `count` bytes whose values are unspecified: a kept one when there is one.
    public func take(count: Int) -> [UInt8] {
        guard var buffer = buffers.withLock({ $0.popLast() }) else { return Self.fresh(count: count) }
        if buffer.count >= count {
            buffer.removeLast(buffer.count - count)
        } else {
            buffer.append(contentsOf: repeatElement(0, count: count - buffer.count))
        }
        return buffer
    }

    /// A new buffer of `count` bytes left as the allocator gives them, for a caller that writes
    /// every byte before reading any.
    public static func fresh(count: Int) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
    }

    /// Keeps `buffer` for a later `take` if its capacity is worth keeping and there is room.
    public func give(_ buffer: consuming [UInt8]) {
        guard keptCapacities.contains(buffer.capacity) else { return }
        let kept = buffer
        buffers.withLock { if $0.count < maxBuffers { $0.append(kept) } }
    }

    /// Buffers kept now.
    public var count: Int { buffers.withLock { $0.count } }
}
