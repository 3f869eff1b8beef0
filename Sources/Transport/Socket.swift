#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The outcome of one non-blocking read or write.
enum IOResult {
    case bytes(Int)
    case endOfFile
    case wouldBlock
    case failed(Int32)
}

/// Thin wrappers over POSIX socket calls. Descriptors are plain `Int32`s owned by their caller.
enum Socket {
    /// Binds and listens on `endpoint`; returns the descriptor (non-blocking, close-on-exec) and the bound port.
    static func listen(on endpoint: Endpoint, backlog: Int32 = SOMAXCONN) throws(SocketError) -> (fd: Int32, port: Int) {
        if endpoint.host.isEmpty {
            // All interfaces: one dual-stack IPv6 socket, or IPv4 only where IPv6 is unavailable.
            do throws(SocketError) {
                return try listen(host: "::", port: endpoint.port, display: endpoint.description, dualStack: true, backlog: backlog)
            } catch {
                return try listen(host: "0.0.0.0", port: endpoint.port, display: endpoint.description, dualStack: false, backlog: backlog)
            }
        }
        return try listen(host: endpoint.host, port: endpoint.port, display: endpoint.description, dualStack: false, backlog: backlog)
    }

    private static func listen(host: String, port: Int, display: String, dualStack: Bool, backlog: Int32) throws(SocketError) -> (fd: Int32, port: Int) {
        let addresses = try resolve(host: host, port: port)
        var firstError: SocketError?
        for address in addresses {
            do throws(SocketError) {
                return try listen(address: address, display: display, dualStack: dualStack, backlog: backlog)
            } catch {
                if firstError == nil { firstError = error }
            }
        }
        throw firstError ?? .resolution(host: host, message: "no addresses")
    }

    private static func listen(address: [UInt8], display: String, dualStack: Bool, backlog: Int32) throws(SocketError) -> (fd: Int32, port: Int) {
        let family = address.withUnsafeBytes { Int32($0.load(as: sockaddr.self).sa_family) }
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .system(operation: "socket \(display)", errno: errno) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        if family == AF_INET6 {
            var v6only: Int32 = dualStack ? 0 : 1
            setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &v6only, socklen_t(MemoryLayout<Int32>.size))
        }
        let bound = address.withUnsafeBytes { raw in
            bind(fd, raw.baseAddress?.assumingMemoryBound(to: sockaddr.self), socklen_t(raw.count))
        }
        guard bound == 0 else {
            let code = errno
            close(fd)
            throw .system(operation: "bind \(display)", errno: code)
        }
        guard Glibc.listen(fd, backlog) == 0 else {
            let code = errno
            close(fd)
            throw .system(operation: "listen \(display)", errno: code)
        }
        return (fd, localPort(fd))
    }

    /// Resolves a numeric or named host; IPv4 addresses first (as Go does for "localhost").
    static func resolve(host: String, port: Int, passive: Bool = true) throws(SocketError) -> [[UInt8]] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = (passive ? AI_PASSIVE : 0) | AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0 else {
            let message = gai_strerror(rc).map { String(cString: $0) } ?? "error \(rc)"
            throw .resolution(host: host, message: message)
        }
        defer { freeaddrinfo(list) }
        var v4: [[UInt8]] = []
        var v6: [[UInt8]] = []
        var node = list
        while let info = node {
            if let addr = info.pointee.ai_addr {
                let bytes = Array(UnsafeRawBufferPointer(start: addr, count: Int(info.pointee.ai_addrlen)))
                if info.pointee.ai_family == AF_INET { v4.append(bytes) } else if info.pointee.ai_family == AF_INET6 { v6.append(bytes) }
            }
            node = info.pointee.ai_next
        }
        return v4 + v6
    }

    static func localPort(_ fd: Int32) -> Int {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let rc = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard rc == 0 else { return 0 }
        return addressAndPort(storage).port
    }

    /// Accepts one connection as non-blocking and close-on-exec.
    static func accept(_ listener: Int32) -> (fd: Int32, remote: String)? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let fd = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { acceptNonBlocking(listener, $0, &length) }
        }
        guard fd >= 0 else { return nil }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        let (host, port) = addressAndPort(storage)
        return (fd, host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)")
    }

    private typealias Accept4 = @convention(c) (Int32, UnsafeMutablePointer<sockaddr>?, UnsafeMutablePointer<socklen_t>?, Int32) -> Int32

    /// Glibc's module map hides `accept4` (it needs _GNU_SOURCE), so look it up once at run time.
    private static let accept4: Accept4? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "accept4") else { return nil }
        return unsafeBitCast(symbol, to: Accept4.self)
    }()

    private static func acceptNonBlocking(_ listener: Int32, _ address: UnsafeMutablePointer<sockaddr>, _ length: UnsafeMutablePointer<socklen_t>) -> Int32 {
        if let accept4 {
            return accept4(listener, address, length, Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue))
        }
        let fd = Glibc.accept(listener, address, length)
        if fd >= 0 {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        return fd
    }

    static func addressAndPort(_ storage: sockaddr_storage) -> (host: String, port: Int) {
        var storage = storage
        let family = Int32(storage.ss_family)
        return withUnsafeBytes(of: &storage) { raw -> (String, Int) in
            switch family {
            case AF_INET:
                var address = raw.load(as: sockaddr_in.self)
                return (numericText(AF_INET, &address.sin_addr), Int(UInt16(bigEndian: address.sin_port)))
            case AF_INET6:
                var address = raw.load(as: sockaddr_in6.self)
                return (numericText(AF_INET6, &address.sin6_addr), Int(UInt16(bigEndian: address.sin6_port)))
            default:
                return ("", 0)
            }
        }
    }

    private static func numericText(_ family: Int32, _ address: UnsafeRawPointer) -> String {
        var text = [UInt8](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        let ok = text.withUnsafeMutableBytes { out in
            inet_ntop(family, address, out.baseAddress?.assumingMemoryBound(to: CChar.self), socklen_t(out.count)) != nil
        }
        guard ok else { return "" }
        return String(decoding: text.prefix { $0 != 0 }, as: UTF8.self)
    }

    static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) -> IOResult {
        while true {
            let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if n > 0 { return .bytes(n) }
            if n == 0 { return .endOfFile }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            case let code: return .failed(code)
            }
        }
    }

    /// MSG_NOSIGNAL: a peer that reset the connection must give EPIPE, not kill the process with SIGPIPE.
    static func write(_ fd: Int32, from buffer: UnsafeRawBufferPointer) -> IOResult {
        while true {
            let n = send(fd, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL))
            if n >= 0 { return .bytes(n) }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            case let code: return .failed(code)
            }
        }
    }
}
