#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Synchronization

/// The process's listening sockets, by transport and address, so that a config reload hands a
/// socket from the listener of the old configuration to the one of the new without closing it:
/// connections waiting in the accept backlog and datagrams in the receive buffer stay where they
/// are, and a client never meets a refused connect.
///
/// A listener gets a duplicate of the socket the registry keeps (`dup` shares the open file
/// description, so either descriptor accepts from the same backlog) and closes only its duplicate.
/// Outside a handover the registry closes a socket with its last listener, and a second listener
/// on a held address binds for itself (and meets "address in use" as before).
public final class ListeningSockets: Sendable {
    public static let shared = ListeningSockets()

    public enum Transport: String, Sendable { case tcp, udp }

    private struct Held {
        var fd: Int32
        var port: Int
        var listeners: Int
        /// Taken over by a listener of the configuration being started (once per handover).
        var takenOver: Bool
    }

    private struct State {
        var handingOver = false
        var held: [String: Held] = [:]
    }

    private let state = Mutex(State())

    init() {}

    /// A descriptor for `endpoint`: a duplicate of the held socket during a handover, else one
    /// `bind` makes (then held too). Endpoints on port 0 are never shared.
    func open(_ transport: Transport, _ endpoint: Endpoint,
              bind: () throws(SocketError) -> (fd: Int32, port: Int)) throws(SocketError) -> (fd: Int32, port: Int) {
        let key = "\(transport.rawValue) \(endpoint.description)"
        let shared: (fd: Int32, port: Int)? = state.withLock { s in
            guard s.handingOver, endpoint.port != 0, var held = s.held[key], !held.takenOver else { return nil }
            let copy = fcntl(held.fd, F_DUPFD_CLOEXEC, 0)
            guard copy >= 0 else { return nil }
            held.listeners += 1
            held.takenOver = true
            s.held[key] = held
            return (copy, held.port)
        }
        if let shared { return shared }
        let bound = try bind()
        guard endpoint.port != 0 else { return bound }
        let copy = fcntl(bound.fd, F_DUPFD_CLOEXEC, 0)
        guard copy >= 0 else { return bound }
        let displaced: Int32? = state.withLock { s in
            // Another listener already holds this address and bind succeeded anyway (SO_REUSEPORT
            // elsewhere, or a port freed meanwhile): keep the newest.
            let old = s.held[key].map(\.fd)
            s.held[key] = Held(fd: bound.fd, port: bound.port, listeners: 1, takenOver: s.handingOver)
            return old
        }
        if let displaced { _ = close(displaced) }
        return (copy, bound.port)
    }

    /// A listener on `endpoint` closed its descriptor; the socket closes with its last listener
    /// unless a handover is under way.
    func release(_ transport: Transport, _ endpoint: Endpoint) {
        guard endpoint.port != 0 else { return }
        let key = "\(transport.rawValue) \(endpoint.description)"
        let toClose: Int32? = state.withLock { s in
            guard var held = s.held[key] else { return nil }
            held.listeners -= 1
            guard held.listeners <= 0, !s.handingOver else {
                s.held[key] = held
                return nil
            }
            s.held[key] = nil
            return held.fd
        }
        if let toClose { _ = close(toClose) }
    }

    /// From now until `endHandover`, sockets stay open without listeners and a new listener on a
    /// held address takes it over.
    public func beginHandover() {
        state.withLock { s in
            s.handingOver = true
            for key in s.held.keys { s.held[key]?.takenOver = false }
        }
    }

    /// Closes the sockets no listener took over.
    public func endHandover() {
        let unused: [Int32] = state.withLock { s in
            s.handingOver = false
            let idle = s.held.filter { $0.value.listeners <= 0 }
            for key in idle.keys { s.held[key] = nil }
            return idle.values.map(\.fd)
        }
        for fd in unused { _ = close(fd) }
    }
}
