#if canImport(Glibc)
@preconcurrency import Dispatch
import Glibc
#elseif canImport(Musl)
@preconcurrency import Dispatch
import Musl
#else
import Dispatch
#endif

/// Readiness notifications for one descriptor, delivered on one serial queue. This is the seam where
/// Dispatch sources could be replaced by an epoll thread without touching the HTTP code.
/// All methods must be called on the queue given at creation.
protocol FDReadiness: AnyObject {
    /// Whether "readable" events are delivered (on at creation).
    func setReadInterest(_ enabled: Bool)
    /// Whether "writable" events are delivered (off at creation).
    func setWriteInterest(_ enabled: Bool)
    /// Stops all events; the descriptor is closed once no event can arrive any more, then `onClosed` runs.
    func cancel()
}

struct FDEventHandlers {
    var onReadable: () -> Void
    var onWritable: () -> Void = {}
    var onClosed: () -> Void = {}
}

enum Readiness {
    /// Level-triggered Dispatch sources: listeners and datagram sockets.
    static func watch(fd: Int32, queue: DispatchQueue, handlers: FDEventHandlers) -> any FDReadiness {
        DispatchReadiness(fd: fd, queue: queue, handlers: handlers)
    }

    /// A connected stream socket: edge-triggered epoll (`EpollReadiness`), whose owner reads until
    /// EAGAIN or a short read, or comes back by itself.
    static func watchStream(fd: Int32, queue: DispatchQueue, handlers: FDEventHandlers) -> any FDReadiness {
        #if canImport(Glibc)
        EpollReadiness(fd: fd, queue: queue, handlers: handlers)
        #else
        DispatchReadiness(fd: fd, queue: queue, handlers: handlers)
        #endif
    }
}

/// Dispatch read and write sources on one descriptor. The descriptor is closed only in the last cancel
/// handler: closing it earlier races with descriptor reuse (Apple's `dispatch_source_cancel` notes).
final class DispatchReadiness: FDReadiness, @unchecked Sendable {
    private let fd: Int32
    private let queue: DispatchQueue
    private let readSource: any DispatchSourceRead
    private let writeSource: any DispatchSourceWrite
    /// Guarded by `queue`.
    private var readSuspended = false
    /// Guarded by `queue`. The write source starts suspended (never resumed).
    private var writeSuspended = true
    /// Guarded by `queue`.
    private var cancelled = false
    /// Guarded by `queue`. Cancel handlers still to run before the descriptor may be closed.
    private var pendingCancelHandlers = 2

    init(fd: Int32, queue: DispatchQueue, handlers: FDEventHandlers) {
        self.fd = fd
        self.queue = queue
        readSource = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
        writeSource = DispatchSource.makeWriteSource(fileDescriptor: fd, queue: queue)
        readSource.setEventHandler(handler: handlers.onReadable)
        writeSource.setEventHandler(handler: handlers.onWritable)
        let onClosed = handlers.onClosed
        readSource.setCancelHandler { [self] in self.cancelHandlerRan(onClosed) }
        writeSource.setCancelHandler { [self] in self.cancelHandlerRan(onClosed) }
        readSource.resume()
    }

    func setReadInterest(_ enabled: Bool) {
        guard !cancelled, enabled == readSuspended else { return }
        readSuspended = !enabled
        if enabled { readSource.resume() } else { readSource.suspend() }
    }

    func setWriteInterest(_ enabled: Bool) {
        guard !cancelled, enabled == writeSuspended else { return }
        writeSuspended = !enabled
        if enabled { writeSource.resume() } else { writeSource.suspend() }
    }

    func cancel() {
        guard !cancelled else { return }
        cancelled = true
        readSource.cancel()
        writeSource.cancel()
        // A suspended source never runs its cancel handler and must not be released suspended.
        if readSuspended { readSource.resume() }
        if writeSuspended { writeSource.resume() }
    }

    private func cancelHandlerRan(_ onClosed: () -> Void) {
        pendingCancelHandlers -= 1
        guard pendingCancelHandlers == 0 else { return }
        _ = close(fd)
        readSource.setEventHandler(handler: nil)
        writeSource.setEventHandler(handler: nil)
        onClosed()
    }
}
