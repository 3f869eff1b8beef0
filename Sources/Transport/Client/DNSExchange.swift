#if canImport(Glibc)
@preconcurrency import Dispatch
import Glibc
#elseif canImport(Musl)
@preconcurrency import Dispatch
import Musl
#else
import Dispatch
#endif

/// One nameserver asked, over UDP, for the A and AAAA records of one name: a connected
/// non-blocking socket watched by a read source, and a timer for the attempt. Everything runs on
/// the queue given to `start`; the socket is closed by the read source's cancel handler.
final class DNSExchange: @unchecked Sendable {
    struct Outcome {
        /// The responses that answered a query, in arrival order.
        var responses: [DNSResponse]
        /// The timer fired before every query was answered.
        var timedOut: Bool
        /// Receiving failed (ECONNREFUSED: nothing listens on the server's port).
        var receiveError: Int32?
    }

    private let fd: Int32
    private let readSource: any DispatchSourceRead
    private let timer: any DispatchSourceTimer
    private var pending: [DNSQuery]
    private var responses: [DNSResponse] = []
    private var onFinish: ((Outcome) -> Void)?
    /// Room for any UDP datagram: a server may ignore the advertised payload size.
    private var buffer = [UInt8](repeating: 0, count: 65_536)

    private init(fd: Int32, queries: [DNSQuery], queue: DispatchQueue, onFinish: @escaping (Outcome) -> Void) {
        self.fd = fd
        pending = queries
        self.onFinish = onFinish
        readSource = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
        timer = DispatchSource.makeTimerSource(queue: queue)
    }

    /// Sends `queries` to `server` and waits at most `timeout` seconds for their answers.
    static func start(_ queries: [DNSQuery], to server: DNSServerAddress, timeout: Double, queue: DispatchQueue,
                      onFinish: @escaping (Outcome) -> Void) -> Result<DNSExchange, SocketError> {
        dispatchPrecondition(condition: .onQueue(queue))
        let fd: Int32
        switch connectedSocket(to: server) {
        case .success(let socket): fd = socket
        case .failure(let reason): return .failure(reason)
        }
        for query in queries {
            if case .failed(let code) = query.message.withUnsafeBytes({ Socket.write(fd, from: $0) }) {
                close(fd)
                return .failure(.system(operation: "send to \(server.description)", errno: code))
            }
        }
        let exchange = DNSExchange(fd: fd, queries: queries, queue: queue, onFinish: onFinish)
        exchange.watch(timeout: timeout)
        return .success(exchange)
    }

    private static func connectedSocket(to server: DNSServerAddress) -> Result<Int32, SocketError> {
        let fd = socket(server.family, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return .failure(.system(operation: "socket udp", errno: errno)) }
        let connected = server.socketAddress.withUnsafeBytes { raw in
            connect(fd, raw.baseAddress?.assumingMemoryBound(to: sockaddr.self), socklen_t(raw.count))
        }
        guard connected == 0 else {
            let code = errno
            close(fd)
            return .failure(.system(operation: "connect to \(server.description)", errno: code))
        }
        return .success(fd)
    }

    private func watch(timeout: Double) {
        let fd = fd
        readSource.setEventHandler { [self] in readResponses() }
        readSource.setCancelHandler { close(fd) }
        timer.setEventHandler { [self] in finish(timedOut: true) }
        timer.schedule(deadline: .now() + timeout)
        readSource.resume()
        timer.resume()
    }

    /// Stops without reporting: the lookup ended for another reason.
    func cancel() {
        onFinish = nil
        stopSources()
    }

    private func readResponses() {
        while onFinish != nil {
            switch buffer.withUnsafeMutableBytes({ Socket.read(fd, into: $0) }) {
            case .bytes(let count): accept(Array(buffer[0..<count]))
            case .endOfFile: continue
            case .wouldBlock: return
            case .failed(let code): return finish(timedOut: false, receiveError: code)
            }
        }
    }

    /// Datagrams that are not a well-formed answer to a pending query (late answers to an
    /// earlier attempt among them) are dropped, as RFC 5452 §9.1 asks.
    private func accept(_ datagram: [UInt8]) {
        guard let response = try? DNSResponse.decode(datagram),
              let index = pending.firstIndex(where: { $0.isAnswered(by: response) })
        else { return }
        pending.remove(at: index)
        responses.append(response)
        if pending.isEmpty { finish(timedOut: false) }
    }

    private func finish(timedOut: Bool, receiveError: Int32? = nil) {
        guard let onFinish else { return }
        self.onFinish = nil
        stopSources()
        onFinish(Outcome(responses: responses, timedOut: timedOut, receiveError: receiveError))
    }

    private func stopSources() {
        if !readSource.isCancelled { readSource.cancel() }
        if !timer.isCancelled { timer.cancel() }
    }
}
