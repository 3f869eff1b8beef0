#if canImport(Glibc)
import CEpoll
@preconcurrency import Dispatch
import Glibc
import Synchronization

/// Readiness for stream connections from one edge-triggered epoll instance, watched by a thread of
/// its own. A descriptor is registered once for input (`EPOLLET`; output only while a writer waits
/// for space) and deregistered at cancel, so an event costs its share of one `epoll_wait` and one
/// hand-off to the connection's queue. Dispatch sources cost five more system calls per event on Linux: the
/// `ioctl(FIONREAD)` behind `dispatch_source_get_data`, an `epoll_ctl` to disarm the one-shot
/// registration and one to re-arm it, and the eventfd write and read that ask the manager thread
/// to re-arm.
///
/// Edge-triggered means an event comes when bytes arrive or space frees, not while they are there.
/// So whoever stops reading before EAGAIN must come back by itself (`Connection` does), and turning
/// read interest back on schedules one read attempt, for bytes that came or stayed meanwhile.
final class EpollReadiness: FDReadiness, @unchecked Sendable {
    private let fd: Int32
    private let queue: DispatchQueue
    private var id: UInt64 = 0
    /// Guarded by `queue`; nil once closed, which also breaks the cycle through the handlers.
    private var handlers: FDEventHandlers?
    /// Guarded by `queue`.
    private var cancelled = false
    private var readInterest = true
    private var writeInterest = false
    /// Events from the epoll thread not yet delivered, and whether a delivery is queued.
    private let pending = Atomic<UInt32>(0)
    static let readable: UInt32 = 1, writable: UInt32 = 2, scheduled: UInt32 = 4

    init(fd: Int32, queue: DispatchQueue, handlers: FDEventHandlers) {
        self.fd = fd
        self.queue = queue
        self.handlers = handlers
        id = EpollLoop.shared.register(self, fd: fd)
    }

    /// From the epoll thread: records `bits` and queues a delivery unless one is queued already.
    func signal(_ bits: UInt32) {
        let before = pending.bitwiseOr(bits | Self.scheduled, ordering: .acquiringAndReleasing).oldValue
        if before & Self.scheduled == 0 { queue.async { [self] in deliver() } }
    }

    private func deliver() {
        let bits = pending.exchange(0, ordering: .acquiringAndReleasing)
        guard !cancelled else { return }
        if bits & Self.writable != 0, writeInterest { handlers?.onWritable() }
        // The write may have closed the connection.
        if bits & Self.readable != 0, readInterest, !cancelled { handlers?.onReadable() }
    }

    func setReadInterest(_ enabled: Bool) {
        guard !cancelled, enabled != readInterest else { return }
        readInterest = enabled
        if enabled { signal(Self.readable) }
    }

    /// Output is watched only while asked for: every ACK that frees buffer space is an edge, and a
    /// connection that writes without EAGAIN would be woken for each. A writer turns this on after
    /// a write returned EAGAIN; `epoll_ctl` then reports the socket at once if it is writable by
    /// now, so no space freed in between is missed.
    func setWriteInterest(_ enabled: Bool) {
        guard !cancelled, enabled != writeInterest else { return }
        writeInterest = enabled
        EpollLoop.shared.watch(id, fd: fd, output: enabled)
    }

    func cancel() {
        guard !cancelled else { return }
        cancelled = true
        // Deregistered before the close, so the number cannot be reused while still watched.
        EpollLoop.shared.deregister(id, fd: fd)
        _ = close(fd)
        queue.async { [self] in
            let onClosed = handlers?.onClosed
            handlers = nil
            onClosed?()
        }
    }
}

/// The epoll instance and the thread that waits on it. Registrations are looked up by a number, not
/// a pointer, so an event read just before a descriptor is deregistered finds nothing.
final class EpollLoop: @unchecked Sendable {
    static let shared = EpollLoop()
    private let epfd: Int32
    private let registrations = Mutex<[UInt64: EpollReadiness]>([:])
    private let nextID = Atomic<UInt64>(1)
    private static let batch = 64

    private init() {
        epfd = epoll_create1(Int32(EPOLL_CLOEXEC))
        precondition(epfd >= 0, "epoll_create1 failed: errno \(errno)")
        var thread = pthread_t()
        let started = pthread_create(&thread, nil, { arg in
            Unmanaged<EpollLoop>.fromOpaque(arg!).takeUnretainedValue().run()
            return nil
        }, Unmanaged.passUnretained(self).toOpaque())
        precondition(started == 0, "pthread_create failed: \(started)")
        _ = pthread_setname_np(thread, "swiftlet-epoll")
        pthread_detach(thread)
    }

    func register(_ readiness: EpollReadiness, fd: Int32) -> UInt64 {
        let id = nextID.wrappingAdd(1, ordering: .relaxed).oldValue
        registrations.withLock { $0[id] = readiness }
        var event = Self.event(id, output: false)
        if epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &event) != 0 {
            // Not a socket epoll can watch (cannot happen for an accepted or connected socket):
            // report it readable once, so the owner's read sees the error and closes.
            readiness.signal(EpollReadiness.readable)
        }
        return id
    }

    /// Watches for input, and for output too when `output`.
    func watch(_ id: UInt64, fd: Int32, output: Bool) {
        var event = Self.event(id, output: output)
        _ = epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &event)
    }

    private static func event(_ id: UInt64, output: Bool) -> epoll_event {
        var event = epoll_event()
        event.events = EPOLLIN.rawValue | EPOLLRDHUP.rawValue | EPOLLET.rawValue | (output ? EPOLLOUT.rawValue : 0)
        event.data.u64 = id
        return event
    }

    func deregister(_ id: UInt64, fd: Int32) {
        _ = epoll_ctl(epfd, EPOLL_CTL_DEL, fd, nil)
        _ = registrations.withLock { $0.removeValue(forKey: id) }
    }

    private func run() {
        let events = UnsafeMutablePointer<epoll_event>.allocate(capacity: Self.batch)
        var ready: [(EpollReadiness, UInt32)] = []
        ready.reserveCapacity(Self.batch)
        while true {
            let n = epoll_wait(epfd, events, Int32(Self.batch), -1)
            guard n > 0 else { continue }  // EINTR
            registrations.withLock { table in
                for i in 0..<Int(n) {
                    guard let r = table[events[i].data.u64] else { continue }
                    ready.append((r, Self.bits(events[i].events)))
                }
            }
            for (r, bits) in ready { r.signal(bits) }
            ready.removeAll(keepingCapacity: true)
        }
    }

    /// Hang-up and error are told as both readable and writable: the read or write sees why.
    private static func bits(_ events: UInt32) -> UInt32 {
        var bits: UInt32 = 0
        let failed = events & (EPOLLHUP.rawValue | EPOLLERR.rawValue) != 0
        if failed || events & (EPOLLIN.rawValue | EPOLLRDHUP.rawValue) != 0 { bits |= EpollReadiness.readable }
        if failed || events & EPOLLOUT.rawValue != 0 { bits |= EpollReadiness.writable }
        return bits
    }
}
#endif
