import Glibc

/// Sends datagrams to a loopback port over one unconnected UDP socket. For tests.
final class UDPTestSender {
    private let fd: Int32
    private var address = sockaddr_in()

    init(port: Int) {
        fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
    }

    deinit { close(fd) }

    /// True when the kernel took the datagram.
    @discardableResult
    func send(_ bytes: [UInt8]) -> Bool {
        let n = bytes.withUnsafeBytes { raw in
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, raw.baseAddress, raw.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        return n == bytes.count
    }
}
