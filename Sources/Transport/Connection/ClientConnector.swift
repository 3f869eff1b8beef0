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

/// Opens client sockets: resolves the host anew on every call (a backend's address changes when its
/// pod moves), then a non-blocking `connect` to each address in turn within one overall timeout.
enum ClientConnector {
    /// Calls `completion` on `queue` with a connected non-blocking descriptor and its address text.
    static func connect(host: String, port: Int, timeout: Double, queue: DispatchQueue,
                        completion: @escaping @Sendable (Result<(fd: Int32, remote: String), SocketError>) -> Void) {
        queue.async {
            let addresses: [[UInt8]]
            do throws(SocketError) {
                addresses = try Socket.resolve(host: host, port: port, passive: false)
            } catch {
                return completion(.failure(error))
            }
            let deadline = WallClock.monotonicNano() + timeout.nanoseconds
            Attempt(addresses: addresses, display: "\(host):\(port)", deadline: deadline, queue: queue, completion: completion).next(firstError: nil)
        }
    }

    /// One address after another until one connects or the time is up.
    private final class Attempt: @unchecked Sendable {
        private var addresses: [[UInt8]]
        private let display: String
        private let deadline: UInt64
        private let queue: DispatchQueue
        private let completion: @Sendable (Result<(fd: Int32, remote: String), SocketError>) -> Void
        /// Guarded by `queue`.
        private var source: (any DispatchSourceWrite)?
        /// Guarded by `queue`.
        private var timer: (any DispatchSourceTimer)?

        init(addresses: [[UInt8]], display: String, deadline: UInt64, queue: DispatchQueue,
             completion: @escaping @Sendable (Result<(fd: Int32, remote: String), SocketError>) -> Void) {
            self.addresses = addresses
            self.display = display
            self.deadline = deadline
            self.queue = queue
            self.completion = completion
        }

        func next(firstError: SocketError?) {
            let now = WallClock.monotonicNano()
            guard !addresses.isEmpty, now < deadline else {
                let error = now >= deadline ? SocketError.system(operation: "connect \(display)", errno: ETIMEDOUT) : nil
                return completion(.failure(firstError ?? error ?? .resolution(host: display, message: "no addresses")))
            }
            let address = addresses.removeFirst()
            let fd: Int32
            do {
                fd = try Socket.startConnect(address, display: display)
            } catch {
                return next(firstError: firstError ?? error)
            }
            let source = DispatchSource.makeWriteSource(fileDescriptor: fd, queue: queue)
            let timer = DispatchSource.makeTimerSource(queue: queue)
            self.source = source
            self.timer = timer
            var finished = false
            let finish: (SocketError?) -> Void = { [self] error in
                guard !finished else { return }
                finished = true
                timer.cancel()
                source.cancel()
                self.source = nil
                self.timer = nil
                if let error {
                    _ = Glibc.close(fd)
                    next(firstError: firstError ?? error)
                } else {
                    completion(.success((fd, display)))
                }
            }
            source.setEventHandler {
                var code: Int32 = 0
                var length = socklen_t(MemoryLayout<Int32>.size)
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &code, &length)
                finish(code == 0 ? nil : .system(operation: "connect \(self.display)", errno: code))
            }
            timer.setEventHandler { finish(.system(operation: "connect \(self.display)", errno: ETIMEDOUT)) }
            timer.schedule(deadline: .now() + .nanoseconds(Int(deadline - now)))
            timer.resume()
            source.resume()
        }
    }
}

extension Socket {
    /// A non-blocking socket with `connect` started (EINPROGRESS is the normal answer).
    static func startConnect(_ address: [UInt8], display: String) throws(SocketError) -> Int32 {
        let family = address.withUnsafeBytes { Int32($0.load(as: sockaddr.self).sa_family) }
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .system(operation: "socket \(display)", errno: errno) }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        let rc = address.withUnsafeBytes { raw in
            Glibc.connect(fd, raw.baseAddress?.assumingMemoryBound(to: sockaddr.self), socklen_t(raw.count))
        }
        if rc != 0, errno != EINPROGRESS, errno != EINTR {
            let code = errno
            _ = Glibc.close(fd)
            throw .system(operation: "connect \(display)", errno: code)
        }
        return fd
    }
}
