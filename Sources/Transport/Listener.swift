#if canImport(Glibc)
@preconcurrency import Dispatch
import Glibc
#elseif canImport(Musl)
@preconcurrency import Dispatch
import Musl
#else
import Dispatch
#endif
import Diagnostics
import Synchronization

/// A listening socket that accepts connections on its own serial queue and hands each one over.
final class Listener: @unchecked Sendable {
    let port: Int
    private let endpoint: Endpoint
    private let fd: Int32
    private let queue: DispatchQueue
    private let logger: Logger
    private let onAccept: (Int32, String) -> Void
    private let hasRoom: () -> Bool
    /// Guarded by `queue`: since when `hasRoom` has said no; nil while there is room.
    private var fullSince: UInt64?
    /// Guarded by `queue`.
    private var readiness: (any FDReadiness)?
    /// Guarded by `queue`.
    private var stopped = false
    /// Signalled once the descriptor is closed (and re-signalled by each waiter).
    private let closed = DispatchSemaphore(value: 0)

    /// How long new clients wait in the backlog for room before they are accepted to be refused;
    /// Go's `http.Server` backs off accepting for up to a second when it runs out of descriptors.
    static let roomWaitNanos: UInt64 = 1_000_000_000

    /// `hasRoom` is asked on the listener's queue before each accept.
    init(endpoint: Endpoint, logger: Logger, hasRoom: @escaping () -> Bool = { true },
         onAccept: @escaping (Int32, String) -> Void) throws(SocketError) {
        let (fd, port) = try ListeningSockets.shared.open(.tcp, endpoint) { () throws(SocketError) in try Socket.listen(on: endpoint) }
        self.endpoint = endpoint
        self.fd = fd
        self.port = port
        self.logger = logger
        self.onAccept = onAccept
        self.hasRoom = hasRoom
        queue = DispatchQueue(label: "swiftlet.listener.\(port)")
    }

    func start() {
        queue.async { [self] in
            guard !stopped else { return }
            let handlers = FDEventHandlers(onReadable: { [self] in acceptAll() }, onClosed: { [self] in descriptorClosed() })
            readiness = Readiness.watch(fd: fd, queue: queue, handlers: handlers)
        }
    }

    /// Stops accepting; returns once the listening descriptor is closed (pending connections are
    /// reset, unless a reload hands the socket over to a new listener).
    func stop() {
        queue.async { [self] in
            guard !stopped else { return }
            stopped = true
            if let readiness {
                readiness.cancel()
            } else {
                _ = close(fd)
                descriptorClosed()
            }
        }
        closed.wait()
        closed.signal()
    }

    /// Our descriptor is closed; the socket itself closes unless a reload hands it over.
    private func descriptorClosed() {
        ListeningSockets.shared.release(.tcp, endpoint)
        closed.signal()
    }

    /// Accepts until EAGAIN: the read source is level-triggered, but draining the backlog per wake-up is cheaper.
    private func acceptAll() {
        while !stopped, !waitsForRoom() {
            guard let (client, remote) = Socket.accept(fd) else {
                handleAcceptError(errno)
                return
            }
            onAccept(client, remote)
        }
    }

    /// At the connection limit, the closes that make room run on each connection's own queue and
    /// take a moment: rather than refuse a client meanwhile, leave it in the kernel's backlog and
    /// look again in 5 ms, for up to `roomWaitNanos`. Past that, clients are accepted (and refused)
    /// until there is room again, so a server whose connections are all busy answers at once.
    private func waitsForRoom() -> Bool {
        guard !hasRoom() else {
            fullSince = nil
            return false
        }
        let now = WallClock.monotonicNano()
        let since = fullSince ?? now
        fullSince = since
        guard now - since < Self.roomWaitNanos else { return false }
        readiness?.setReadInterest(false)
        queue.asyncAfter(deadline: .now() + .milliseconds(5)) { [self] in
            if !stopped { readiness?.setReadInterest(true) }
        }
        return true
    }

    private func handleAcceptError(_ code: Int32) {
        switch code {
        case EAGAIN, EWOULDBLOCK, EINTR, ECONNABORTED:
            return
        case EMFILE, ENFILE, ENOBUFS, ENOMEM:
            // Out of descriptors: the backlog stays readable, so pause instead of spinning.
            logger.warn("accept failed, pausing 100 ms", ["error": SocketError.errnoText(code)])
            readiness?.setReadInterest(false)
            queue.asyncAfter(deadline: .now() + .milliseconds(100)) { [self] in
                if !stopped { readiness?.setReadInterest(true) }
            }
        default:
            logger.error("accept failed", ["error": SocketError.errnoText(code)])
        }
    }
}
