/// One growable byte buffer per connection that socket reads land in directly; consumed from the front.
/// Not thread-safe: owned by one connection queue.
final class InboundBuffer {
    private var storage: UnsafeMutableRawBufferPointer
    private var start = 0
    private var end = 0
    private let initialCapacity: Int

    /// 64 KiB: an export request of the usual size (tens of KiB) comes in one read. Pages are
    /// touched only as bytes land, so an idle connection costs little of it.
    init(capacity: Int = 64 * 1024) {
        initialCapacity = capacity
        storage = .allocate(byteCount: capacity, alignment: 16)
    }

    deinit { storage.deallocate() }

    var readable: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: storage[start..<end]) }
    var isEmpty: Bool { start == end }
    var count: Int { end - start }

    func consume(_ n: Int) {
        start = min(start + n, end)
        if start == end { reset() }
    }

    /// Drops all bytes and gives back memory a large head may have made it grow to.
    func reset() {
        start = 0
        end = 0
        if storage.count > 4 * initialCapacity {
            storage.deallocate()
            storage = .allocate(byteCount: initialCapacity, alignment: 16)
        }
    }

    /// Free space for one read: at least `minimum` bytes (compacting or growing), at most `maximum`.
    func writable(minimum: Int, maximum: Int) -> UnsafeMutableRawBufferPointer {
        if storage.count - end < minimum {
            if start > 0, let base = storage.baseAddress {
                (base).copyMemory(from: base + start, byteCount: end - start)
                end -= start
                start = 0
            }
            if storage.count - end < minimum { grow(to: max(storage.count * 2, end + minimum)) }
        }
        return UnsafeMutableRawBufferPointer(rebasing: storage[end..<min(storage.count, end + maximum)])
    }

    func commit(_ n: Int) { end = min(end + n, storage.count) }

    private func grow(to capacity: Int) {
        let bigger = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 16)
        bigger.copyMemory(from: UnsafeRawBufferPointer(rebasing: storage[0..<end]))
        storage.deallocate()
        storage = bigger
    }
}
