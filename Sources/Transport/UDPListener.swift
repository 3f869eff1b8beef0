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

/// A UDP socket whose datagrams are read in bulk (`recvmmsg`) on the listener's own serial queue,
/// queued in a bounded queue and handed to at most `workers` jobs on the shared Dispatch pool.
/// Reading never waits for a consumer: when the queue is full a datagram is dropped and counted,
/// as the kernel would drop it anyway.
public final class UDPListener: @unchecked Sendable {
    public struct Configuration: Sendable {
        public var endpoint: Endpoint
        /// Datagrams longer than this are dropped (counted as `tooLarge`).
        public var maxPacketSize: Int
        /// Datagrams waiting for a worker; beyond this they are dropped.
        public var queueSize: Int
        /// Jobs consuming the queue at once.
        public var workers: Int
        /// `SO_RCVBUF`; 0 keeps the system default.
        public var socketBufferSize: Int
        /// Datagrams read per `recvmmsg` call.
        public var readBatch: Int

        public init(endpoint: Endpoint, maxPacketSize: Int = 65_000, queueSize: Int = 1_000, workers: Int = 10,
                    socketBufferSize: Int = 0, readBatch: Int = 16) {
            self.endpoint = endpoint
            self.maxPacketSize = maxPacketSize
            self.queueSize = queueSize
            self.workers = workers
            self.socketBufferSize = socketBufferSize
            self.readBatch = readBatch
        }
    }

    public enum DropReason: String, Sendable, CaseIterable {
        /// The bounded queue was full.
        case queueFull = "queue_full"
        /// The kernel dropped it: the socket's receive buffer was full (`SO_RXQ_OVFL`).
        case socketBuffer = "socket_buffer"
        /// Longer than `maxPacketSize`.
        case tooLarge = "too_large"
    }

    /// Counters the owner keeps; called from the listener's queue.
    public struct Observer: Sendable {
        public var received: @Sendable (Int) -> Void
        public var dropped: @Sendable (DropReason, Int) -> Void

        public init(received: @escaping @Sendable (Int) -> Void = { _ in },
                    dropped: @escaping @Sendable (DropReason, Int) -> Void = { _, _ in }) {
            self.received = received
            self.dropped = dropped
        }
    }

    private let configuration: Configuration
    private let logger: Logger
    private let observer: Observer
    private let handler: @Sendable ([UInt8]) -> Void
    private let queue: DispatchQueue
    private let pending: Mutex<DatagramQueue>
    private let workersDone = DispatchGroup()
    private let port = Atomic<Int>(0)
    /// Signalled once the descriptor is closed (and re-signalled by each waiter).
    private let closed = DispatchSemaphore(value: 0)
    /// Guarded by `queue`.
    private var fd: Int32 = -1
    /// Guarded by `queue`.
    private var readiness: (any FDReadiness)?
    /// Guarded by `queue`.
    private var receiveBuffers: DatagramReceiveBuffers?
    /// Guarded by `queue`.
    private var state = State.idle

    private enum State { case idle, running, stopped }

    /// `handler` gets each datagram on a pool thread; it must not wait.
    public init(configuration: Configuration, logger: Logger, observer: Observer = Observer(),
                handler: @escaping @Sendable ([UInt8]) -> Void) {
        self.configuration = configuration
        self.logger = logger
        self.observer = observer
        self.handler = handler
        pending = Mutex(DatagramQueue(capacity: max(1, configuration.queueSize)))
        queue = DispatchQueue(label: "swiftlet.udp.\(configuration.endpoint)")
    }

    /// The port actually bound (useful with port 0); 0 before `start`.
    public var boundPort: Int { port.load(ordering: .relaxed) }

    /// Binds before returning, so "address in use" is reported here; then reads.
    public func start() throws(SocketError) {
        let (endpoint, bufferSize) = (configuration.endpoint, configuration.socketBufferSize)
        let bound = try ListeningSockets.shared.open(.udp, endpoint) { () throws(SocketError) in
            try UDPSocket.bind(endpoint, receiveBufferSize: bufferSize)
        }
        port.store(bound.port, ordering: .relaxed)
        let buffers = DatagramReceiveBuffers(count: max(1, configuration.readBatch), size: max(1, configuration.maxPacketSize))
        queue.sync {
            guard state == .idle else {
                _ = close(bound.fd)
                ListeningSockets.shared.release(.udp, endpoint)
                return
            }
            state = .running
            fd = bound.fd
            receiveBuffers = buffers
            let handlers = FDEventHandlers(onReadable: { [self] in readAvailable() }, onClosed: { [self] in
                ListeningSockets.shared.release(.udp, endpoint)
                closed.signal()
            })
            readiness = Readiness.watch(fd: bound.fd, queue: queue, handlers: handlers)
        }
        logger.info("UDP listener listening", ["endpoint": configuration.endpoint.description, "port": bound.port])
    }

    /// Stops reading and closes the socket, then lets the workers finish what is queued (until
    /// the deadline). Blocks until done; safe to call more than once and without `start`.
    public func stop(deadlineSeconds: Double = 5) {
        let wasRunning: Bool = queue.sync {
            defer { state = .stopped }
            guard state == .running, let readiness else { return false }
            readiness.cancel()
            return true
        }
        if wasRunning {
            closed.wait()
            closed.signal()
        }
        if workersDone.wait(timeout: .now() + max(0, deadlineSeconds)) == .timedOut {
            let discarded = pending.withLock { $0.removeAll() }
            logger.warn("UDP listener stopped with datagrams still queued", ["discarded": discarded])
        }
        queue.sync { receiveBuffers = nil }
    }

    /// Reads until EAGAIN, at most `maxReadsPerWakeup` batches: the read source fires again while
    /// data is left, and a bound keeps one busy socket from holding the queue.
    private func readAvailable() {
        dispatchPrecondition(condition: .onQueue(queue))
        guard state == .running, let buffers = receiveBuffers else { return }
        for _ in 0..<Self.maxReadsPerWakeup {
            let result = buffers.receive(fd)
            switch result {
            case .datagrams(let count):
                deliver(buffers, count)
                if count < buffers.count { return }
            case .wouldBlock:
                return
            case .failed(let code):
                logger.debug("UDP receive failed", ["error": SocketError.errnoText(code)])
                return
            }
        }
    }

    private static let maxReadsPerWakeup = 16

    private func deliver(_ buffers: DatagramReceiveBuffers, _ count: Int) {
        observer.received(count)
        var kernelDrops = 0
        var tooLarge = 0
        var queueFull = 0
        var startWorkers = 0
        for i in 0..<count {
            kernelDrops = max(kernelDrops, buffers.kernelDropDelta(i))
            if buffers.isTruncated(i) {
                tooLarge += 1
                continue
            }
            let datagram = [UInt8](buffers.datagram(i))
            let outcome = pending.withLock { $0.push(datagram, maxWorkers: configuration.workers) }
            switch outcome {
            case .dropped: queueFull += 1
            case .queued(let startWorker): if startWorker { startWorkers += 1 }
            }
        }
        buffers.commitKernelDrops()
        if tooLarge > 0 { observer.dropped(.tooLarge, tooLarge) }
        if queueFull > 0 { observer.dropped(.queueFull, queueFull) }
        if kernelDrops > 0 { observer.dropped(.socketBuffer, kernelDrops) }
        for _ in 0..<startWorkers {
            workersDone.enter()
            DispatchQueue.global().async { [self] in drain() }
        }
    }

    /// One worker: consumes until the queue is empty, then ends.
    private func drain() {
        while let datagram = pending.withLock({ $0.popOrRetire() }) {
            handler(datagram)
        }
        workersDone.leave()
    }
}

/// The bounded FIFO between the reading queue and the workers, with the count of live workers.
struct DatagramQueue {
    private var slots: [[UInt8]?]
    private var head = 0
    private(set) var count = 0
    private var workers = 0

    init(capacity: Int) {
        slots = Array(repeating: nil, count: capacity)
    }

    enum PushOutcome { case dropped, queued(startWorker: Bool) }

    /// Queues the datagram unless full; says whether a new worker should start.
    mutating func push(_ datagram: [UInt8], maxWorkers: Int) -> PushOutcome {
        guard count < slots.count else { return .dropped }
        slots[(head + count) % slots.count] = datagram
        count += 1
        guard workers < max(1, maxWorkers) else { return .queued(startWorker: false) }
        workers += 1
        return .queued(startWorker: true)
    }

    /// The oldest datagram, or nil, and then the calling worker counts as ended.
    mutating func popOrRetire() -> [UInt8]? {
        guard count > 0 else {
            workers -= 1
            return nil
        }
        let datagram = slots[head]
        slots[head] = nil
        head = (head + 1) % slots.count
        count -= 1
        return datagram
    }

    /// Empties the queue; returns how many datagrams were discarded.
    mutating func removeAll() -> Int {
        let discarded = count
        for i in slots.indices { slots[i] = nil }
        head = 0
        count = 0
        return discarded
    }
}

/// Receive buffers for one `recvmmsg` call: `count` datagram buffers of `size` bytes, their
/// `iovec`s and `mmsghdr`s, and room per message for the `SO_RXQ_OVFL` control message.
/// Used only on the listener's queue.
final class DatagramReceiveBuffers {
    let count: Int
    private let size: Int
    private let data: UnsafeMutableRawPointer
    private let control: UnsafeMutableRawPointer
    private let iovecs: UnsafeMutablePointer<iovec>
    /// `struct mmsghdr` is a `msghdr` followed by the received length (`unsigned int`); Glibc's
    /// module map hides the type (it needs _GNU_SOURCE), so the array is laid out by hand.
    private let headers: UnsafeMutableRawPointer
    private static let headerStride = (MemoryLayout<msghdr>.size + MemoryLayout<UInt32>.size + 7) & ~7
    /// `CMSG_SPACE(sizeof(uint32_t))` on 64-bit Linux is 24; a little more is harmless.
    private static let controlSize = 32
    /// The socket's cumulative kernel drop counter as last reported.
    private var kernelDropCounter: UInt32 = 0
    private var newestKernelDropCounter: UInt32 = 0

    init(count: Int, size: Int) {
        self.count = count
        self.size = size
        data = .allocate(byteCount: count * size, alignment: 16)
        control = .allocate(byteCount: count * Self.controlSize, alignment: 16)
        iovecs = .allocate(capacity: count)
        headers = .allocate(byteCount: count * Self.headerStride, alignment: 16)
    }

    deinit {
        data.deallocate()
        control.deallocate()
        iovecs.deallocate()
        headers.deallocate()
    }

    enum ReceiveResult { case datagrams(Int), wouldBlock, failed(Int32) }

    func receive(_ fd: Int32) -> ReceiveResult {
        for i in 0..<count { reset(i) }
        while true {
            let n: Int32
            if let recvmmsg = Self.recvmmsg {
                n = recvmmsg(fd, headers, UInt32(count), 0, nil)
            } else {
                n = receiveOneByOne(fd)
            }
            if n > 0 { return .datagrams(Int(n)) }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            case let code: return .failed(code)
            }
        }
    }

    /// Without `recvmmsg` (not found at run time): `recvmsg` per buffer until EAGAIN.
    private func receiveOneByOne(_ fd: Int32) -> Int32 {
        var received: Int32 = 0
        for i in 0..<count {
            let n = recvmsg(fd, header(i), 0)
            if n < 0 { return received > 0 ? received : -1 }
            (headers + i * Self.headerStride + MemoryLayout<msghdr>.size).storeBytes(of: UInt32(n), as: UInt32.self)
            received += 1
        }
        return received
    }

    private func header(_ i: Int) -> UnsafeMutablePointer<msghdr> {
        (headers + i * Self.headerStride).assumingMemoryBound(to: msghdr.self)
    }

    private func reset(_ i: Int) {
        iovecs[i] = iovec(iov_base: data + i * size, iov_len: size)
        var h = msghdr()
        h.msg_iov = iovecs + i
        h.msg_iovlen = 1
        h.msg_control = control + i * Self.controlSize
        h.msg_controllen = Self.controlSize
        header(i).pointee = h
        (headers + i * Self.headerStride + MemoryLayout<msghdr>.size).storeBytes(of: UInt32(0), as: UInt32.self)
    }

    func datagram(_ i: Int) -> UnsafeRawBufferPointer {
        let length = (headers + i * Self.headerStride + MemoryLayout<msghdr>.size).load(as: UInt32.self)
        return UnsafeRawBufferPointer(start: data + i * size, count: min(Int(length), size))
    }

    func isTruncated(_ i: Int) -> Bool { header(i).pointee.msg_flags & Int32(MSG_TRUNC) != 0 }

    /// Datagrams the kernel dropped before message `i` arrived, since the last commit: read from
    /// the `SO_RXQ_OVFL` control message, which carries a cumulative counter when it is non-zero.
    func kernelDropDelta(_ i: Int) -> Int {
        let h = header(i).pointee
        let headerSize = 16  // sizeof(struct cmsghdr) on 64-bit Linux: size_t len, int level, int type
        guard h.msg_controllen >= headerSize + 4, let cmsg = h.msg_control else { return 0 }
        let level = cmsg.load(fromByteOffset: 8, as: Int32.self)
        let type = cmsg.load(fromByteOffset: 12, as: Int32.self)
        guard level == SOL_SOCKET, type == UDPSocket.rxqOverflowOption else { return 0 }
        let counter = cmsg.load(fromByteOffset: headerSize, as: UInt32.self)
        newestKernelDropCounter = max(newestKernelDropCounter, counter)
        return Int(counter &- kernelDropCounter)
    }

    func commitKernelDrops() { kernelDropCounter = max(kernelDropCounter, newestKernelDropCounter) }

    private typealias RecvMMsg = @convention(c) (Int32, UnsafeMutableRawPointer?, UInt32, Int32, UnsafeMutableRawPointer?) -> Int32

    /// Looked up once at run time, as `accept4` is, since Glibc's module map hides it.
    private static let recvmmsg: RecvMMsg? = {
        guard MemoryLayout<Int>.size == 8, let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "recvmmsg") else { return nil }
        return unsafeBitCast(symbol, to: RecvMMsg.self)
    }()
}

/// Binding a non-blocking UDP socket.
enum UDPSocket {
    /// `SO_RXQ_OVFL` (Linux): attach the socket's kernel drop counter to received messages.
    static let rxqOverflowOption: Int32 = 40

    /// An empty host means all interfaces: one dual-stack IPv6 socket, or IPv4 only where IPv6 is unavailable.
    static func bind(_ endpoint: Endpoint, receiveBufferSize: Int) throws(SocketError) -> (fd: Int32, port: Int) {
        guard endpoint.host.isEmpty else {
            return try bind(host: endpoint.host, port: endpoint.port, display: endpoint.description, dualStack: false, receiveBufferSize)
        }
        do throws(SocketError) {
            return try bind(host: "::", port: endpoint.port, display: endpoint.description, dualStack: true, receiveBufferSize)
        } catch {
            return try bind(host: "0.0.0.0", port: endpoint.port, display: endpoint.description, dualStack: false, receiveBufferSize)
        }
    }

    private static func bind(host: String, port: Int, display: String, dualStack: Bool, _ receiveBufferSize: Int) throws(SocketError) -> (fd: Int32, port: Int) {
        var firstError: SocketError?
        for address in try resolve(host: host, port: port) {
            do throws(SocketError) {
                return try bind(address: address, display: display, dualStack: dualStack, receiveBufferSize)
            } catch {
                if firstError == nil { firstError = error }
            }
        }
        throw firstError ?? .resolution(host: host, message: "no addresses")
    }

    private static func bind(address: [UInt8], display: String, dualStack: Bool, _ receiveBufferSize: Int) throws(SocketError) -> (fd: Int32, port: Int) {
        let family = address.withUnsafeBytes { Int32($0.load(as: sockaddr.self).sa_family) }
        let fd = socket(family, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .system(operation: "socket udp \(display)", errno: errno) }
        if family == AF_INET6 { setOption(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, dualStack ? 0 : 1) }
        if receiveBufferSize > 0 { setOption(fd, SOL_SOCKET, SO_RCVBUF, Int32(clamping: receiveBufferSize)) }
        setOption(fd, SOL_SOCKET, rxqOverflowOption, 1)
        let bound = address.withUnsafeBytes { raw in
            Glibc.bind(fd, raw.baseAddress?.assumingMemoryBound(to: sockaddr.self), socklen_t(raw.count))
        }
        guard bound == 0 else {
            let code = errno
            close(fd)
            throw .system(operation: "bind udp \(display)", errno: code)
        }
        return (fd, Socket.localPort(fd))
    }

    private static func setOption(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: Int32) {
        var value = value
        setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size))
    }

    /// IPv4 addresses first, as `Socket` resolves for TCP.
    private static func resolve(host: String, port: Int) throws(SocketError) -> [[UInt8]] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0 else { throw .resolution(host: host, message: gai_strerror(rc).map { String(cString: $0) } ?? "error \(rc)") }
        defer { freeaddrinfo(list) }
        var addresses: [(family: Int32, bytes: [UInt8])] = []
        var node = list
        while let info = node {
            if let addr = info.pointee.ai_addr {
                addresses.append((info.pointee.ai_family, Array(UnsafeRawBufferPointer(start: addr, count: Int(info.pointee.ai_addrlen)))))
            }
            node = info.pointee.ai_next
        }
        return addresses.filter { $0.family == AF_INET }.map(\.bytes) + addresses.filter { $0.family == AF_INET6 }.map(\.bytes)
    }
}
