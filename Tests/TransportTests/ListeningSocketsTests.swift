import Glibc
import Testing
@testable import Transport

/// A port that was free a moment ago, and a plain blocking connect to it.
private func freeLoopbackPort() throws -> Int {
    let (fd, port) = try Socket.listen(on: Endpoint(host: "127.0.0.1", port: 0))
    close(fd)
    return port
}

private func connects(to port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
    }
}

private func acceptOne(_ fd: Int32) -> Bool {
    for _ in 0..<200 {
        if let (client, _) = Socket.accept(fd) {
            close(client)
            return true
        }
        usleep(5000)
    }
    return false
}

@Suite struct ListeningSocketsTests {
    @Test func secondListener_bindsForItself_outsideAHandover() throws {
        let sockets = ListeningSockets()
        let endpoint = Endpoint(host: "127.0.0.1", port: try freeLoopbackPort())
        let first = try sockets.open(.tcp, endpoint) { () throws(SocketError) in try Socket.listen(on: endpoint) }
        #expect(throws: SocketError.self) {
            _ = try sockets.open(.tcp, endpoint) { () throws(SocketError) in try Socket.listen(on: endpoint) }
        }
        close(first.fd)
        sockets.release(.tcp, endpoint)
        #expect(!connects(to: endpoint.port))
    }

    @Test func handover_keepsTheBacklog_whenTheOldListenerCloses() throws {
        let sockets = ListeningSockets()
        let endpoint = Endpoint(host: "127.0.0.1", port: try freeLoopbackPort())
        let old = try sockets.open(.tcp, endpoint) { () throws(SocketError) in try Socket.listen(on: endpoint) }
        sockets.beginHandover()
        var binds = 0
        let new = try sockets.open(.tcp, endpoint) { () throws(SocketError) in
            binds += 1
            return try Socket.listen(on: endpoint)
        }
        #expect(binds == 0 && new.fd != old.fd && new.port == endpoint.port)
        // A connection waiting in the backlog when the old listener closes is accepted by the new one.
        #expect(connects(to: endpoint.port))
        close(old.fd)
        sockets.release(.tcp, endpoint)
        sockets.endHandover()
        #expect(acceptOne(new.fd))
        #expect(connects(to: endpoint.port) && acceptOne(new.fd))
        close(new.fd)
        sockets.release(.tcp, endpoint)
        #expect(!connects(to: endpoint.port))
    }

    @Test func handover_closesSockets_thatNoListenerTookOver() throws {
        let sockets = ListeningSockets()
        let endpoint = Endpoint(host: "127.0.0.1", port: try freeLoopbackPort())
        let old = try sockets.open(.tcp, endpoint) { () throws(SocketError) in try Socket.listen(on: endpoint) }
        sockets.beginHandover()
        close(old.fd)
        sockets.release(.tcp, endpoint)
        #expect(connects(to: endpoint.port))  // held open until the handover ends
        sockets.endHandover()
        #expect(!connects(to: endpoint.port))
    }
}
