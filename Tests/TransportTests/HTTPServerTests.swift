import Glibc
import Testing
import Dispatch
@testable import Transport

@Suite struct HTTPServerTests {
    @Test func keepAlive_reusesConnection_whenTwoRequestsSent() throws {
        try withServer { server in
            let client = try TestClient(port: server.boundPort)
            client.send(request(body: "one"))
            let first = client.readResponse()
            client.send(request("GET", "/second?x=1"))
            let second = client.readResponse()
            #expect(first?.status == 200)
            #expect(first?.text == "one")
            #expect(first?.headers["connection"] == nil)
            #expect(second?.headers["x-path"] == "/second")
            #expect(second?.headers["x-query"] == "x=1")
        }
    }

    @Test func http10_closesConnection_whenNoKeepAliveRequested() throws {
        try withServer { server in
            let client = try TestClient(port: server.boundPort)
            client.send("GET /old HTTP/1.0\r\n\r\n")
            let response = client.readResponse()
            #expect(response?.status == 200)
            #expect(response?.headers["connection"] == "close")
            #expect(client.isClosedByPeer())
        }
    }

    @Test func pipelining_answersInOrder_whenThreeRequestsInOneWrite() throws {
        try withServer { server in
            let client = try TestClient(port: server.boundPort)
            client.send(request(body: "a") + request("GET", "/b") + request(body: "c"))
            let responses = (0..<3).map { _ in client.readResponse() }
            #expect(responses.map { $0?.status } == [200, 200, 200])
            #expect(responses[0]?.text == "a")
            #expect(responses[1]?.headers["x-path"] == "/b")
            #expect(responses[2]?.text == "c")
        }
    }

    @Test func chunkedBody_isReassembled_whenExtensionsAndTrailersSent() throws {
        try withServer { server in
            let client = try TestClient(port: server.boundPort)
            client.send("POST /c HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5;name=value\r\nhello\r\n")
            usleep(20_000)
            client.send("6\r\n world\r\n0\r\nX-Trailer: yes\r\n\r\n")
            let response = client.readResponse()
            #expect(response?.status == 200)
            #expect(response?.text == "hello world")
        }
    }

    @Test func gzipBody_isInflated_whenContentEncodingGzip() throws {
        try withServer { server in
            let payload = Array(String(repeating: "trace span ", count: 500).utf8)
            let compressed = Decompression.compress(payload, format: .gzip)
            let client = try TestClient(port: server.boundPort)
            client.send(requestHead(contentLength: compressed.count, headers: ["Content-Encoding: gzip"]))
            client.send(compressed)
            let response = client.readResponse()
            #expect(response?.status == 200)
            #expect(response?.body == payload)
        }
    }

    @Test func deflateBody_isInflated_whenZlibWrappedOrRaw() throws {
        try withServer { server in
            let payload = Array("deflated payload, deflated payload".utf8)
            let client = try TestClient(port: server.boundPort)
            for format in [Decompression.Format.zlib, .rawDeflate] {
                let compressed = Decompression.compress(payload, format: format)
                client.send(requestHead(contentLength: compressed.count, headers: ["Content-Encoding: deflate"]))
                client.send(compressed)
                let response = client.readResponse()
                #expect(response?.status == 200)
                #expect(response?.body == payload)
            }
        }
    }

    @Test func contentEncoding_gets400_whenUnknownOrCorrupt() throws {
        try withServer { server in
            let unknown = try TestClient(port: server.boundPort)
            unknown.send(request(body: "x", headers: ["Content-Encoding: br"]))
            let first = unknown.readResponse()
            #expect(first?.status == 400)
            #expect(first?.text.contains("unsupported Content-Encoding") == true)
            let corrupt = try TestClient(port: server.boundPort)
            corrupt.send(request(body: "definitely not gzip", headers: ["Content-Encoding: gzip"]))
            #expect(corrupt.readResponse()?.status == 400)
        }
    }

    @Test func contentLength_gets413_whenOverLimit() throws {
        try withServer({ $0.maxRequestBodySize = 1000 }) { server in
            let client = try TestClient(port: server.boundPort)
            client.send(requestHead(contentLength: 5000))
            client.send([UInt8](repeating: 65, count: 5000))
            let response = client.readResponse()
            #expect(response?.status == 413)
            #expect(response?.text == "request body too large")
            #expect(response?.headers["connection"] == "close")
            #expect(client.isClosedByPeer())
        }
    }

    @Test func chunkedBody_gets413_whenGrowingOverLimit() throws {
        try withServer({ $0.maxRequestBodySize = 1000 }) { server in
            let client = try TestClient(port: server.boundPort)
            let chunk = String(repeating: "z", count: 400)
            client.send("POST /c HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n")
            for _ in 0..<3 { client.send("190\r\n\(chunk)\r\n") }
            let response = client.readResponse()
            #expect(response?.status == 413)
            #expect(response?.headers["connection"] == "close")
        }
    }

    @Test func gzipBomb_gets413_whenInflatingPastLimit() throws {
        try withServer({ $0.maxRequestBodySize = 1 << 20 }) { server in
            let bomb = Decompression.compress([UInt8](repeating: 0, count: 10 << 20), format: .gzip, level: 9)
            #expect(bomb.count < 1 << 20)
            let client = try TestClient(port: server.boundPort)
            client.send(requestHead(contentLength: bomb.count, headers: ["Content-Encoding: gzip"]))
            client.send(bomb)
            let response = client.readResponse()
            #expect(response?.status == 413)
        }
    }

    @Test func hugeHeaders_get431() throws {
        try withServer({ $0.maxHeaderBytes = 4096 }) { server in
            let client = try TestClient(port: server.boundPort)
            client.send("GET / HTTP/1.1\r\nHost: t\r\nX-Big: \(String(repeating: "b", count: 8000))\r\n\r\n")
            let response = client.readResponse()
            #expect(response?.status == 431)
            #expect(response?.headers["connection"] == "close")
        }
    }

    @Test func contentLengthAndTransferEncoding_get400AndClose() throws {
        try withServer { server in
            let client = try TestClient(port: server.boundPort)
            client.send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
            let response = client.readResponse()
            #expect(response?.status == 400)
            #expect(response?.headers["connection"] == "close")
            #expect(client.isClosedByPeer())
        }
    }

    /// Found by the hostile HTTP/1.1 suite: a chunk-size line ended by a bare LF was accepted.
    @Test func chunkedFramingLinesEndedByBareLF_get400AndClose() throws {
        try withServer { server in
            for bad in ["1\na\r\n0\r\n\r\n", "1\r\na\n0\r\n\r\n", "0\n\r\n"] {
                let client = try TestClient(port: server.boundPort)
                client.send("POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n" + bad)
                let response = client.readResponse()
                #expect(response?.status == 400, "\(bad.debugDescription)")
                #expect(client.isClosedByPeer(), "\(bad.debugDescription)")
            }
        }
    }

    @Test func malformedRequests_get400() throws {
        try withServer { server in
            for bad in ["GET /\r\n\r\n", "POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n", "GET / HTTP/1.1\r\nBad Name: v\r\n\r\n",
                        "GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n"] {
                let client = try TestClient(port: server.boundPort)
                client.send(bad)
                #expect(client.readResponse()?.status == 400, "\(bad)")
            }
            let client = try TestClient(port: server.boundPort)
            client.send("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n")
            #expect(client.readResponse()?.status == 501)
        }
    }

    @Test func expectContinue_sends100_beforeReadingBody() throws {
        try withServer { server in
            let client = try TestClient(port: server.boundPort)
            client.send(requestHead(contentLength: 5, headers: ["Expect: 100-continue"]))
            let interim = client.readResponse()
            #expect(interim?.status == 100)
            client.send("hello")
            let response = client.readResponse()
            #expect(response?.status == 200)
            #expect(response?.text == "hello")
        }
    }

    @Test func expectContinue_gets413Directly_whenContentLengthOverLimit() throws {
        try withServer({ $0.maxRequestBodySize = 10 }) { server in
            let client = try TestClient(port: server.boundPort)
            client.send(requestHead(contentLength: 11, headers: ["Expect: 100-continue"]))
            #expect(client.readResponse()?.status == 413)
        }
    }

    @Test func headerTimeout_dropsStalledClient_whileOthersAreServed() throws {
        try withServer({ $0.headerReadTimeout = 0.3 }) { server in
            let stalled = try TestClient(port: server.boundPort)
            let start = monotonicSeconds()
            stalled.send("POST /slow HTTP/1.1\r\nHost: t\r\n")
            let other = try TestClient(port: server.boundPort)
            other.send(request(body: "fast"))
            #expect(other.readResponse()?.text == "fast")
            #expect(monotonicSeconds() - start < 0.3)
            #expect(stalled.isClosedByPeer())
            let elapsed = monotonicSeconds() - start
            #expect(elapsed >= 0.25 && elapsed < 3)
        }
    }

    @Test func idleTimeout_closesKeepAliveConnection() throws {
        try withServer({ $0.idleTimeout = 0.3 }) { server in
            let client = try TestClient(port: server.boundPort)
            client.send(request(body: "x"))
            #expect(client.readResponse()?.status == 200)
            let start = monotonicSeconds()
            #expect(client.isClosedByPeer())
            let elapsed = monotonicSeconds() - start
            #expect(elapsed >= 0.2 && elapsed < 3)
        }
    }

    @Test func concurrentConnections_allGet200_whenThousandOpenAtOnce() throws {
        try withServer { server in
            var clients: [TestClient] = []
            for _ in 0..<1000 { clients.append(try TestClient(port: server.boundPort, timeout: 10)) }
            for (i, client) in clients.enumerated() { client.send(request(body: "n\(i)")) }
            let failed = clients.indices.filter { clients[$0].readResponse()?.text != "n\($0)" }
            #expect(failed.isEmpty)
        }
    }

    /// Found by the hostile-client suite: 10,000 idle keep-alive connections held every slot and
    /// a new client was refused; now the oldest idle one makes room.
    @Test func connectionLimit_closesTheOldestIdleConnection_toLetANewClientIn() throws {
        try withServer({ $0.maxConnections = 2 }) { server in
            let first = try TestClient(port: server.boundPort)
            let second = try TestClient(port: server.boundPort)
            first.send(request(body: "1"))
            second.send(request(body: "2"))
            #expect(first.readResponse()?.status == 200)
            #expect(second.readResponse()?.status == 200)
            let third = try TestClient(port: server.boundPort)
            third.send(request(body: "3"))
            #expect(third.readResponse()?.status == 200)
            #expect(first.isClosedByPeer())
        }
    }

    /// Connections up to a limit of 2 and its eviction margin, each in the middle of a request head:
    /// a head in progress is not idle, even while its bytes still wait in the socket.
    private func busyClientsFillingTheMargin(_ server: HTTPServer) throws -> [TestClient] {
        try (0..<(2 + ServerContext.evictionMargin)).map { _ in
            let client = try TestClient(port: server.boundPort)
            client.send("POST /echo HTTP/1.1\r\nHost: t\r\n")
            return client
        }
    }

    @Test func connectionLimit_refusesNewConnections_whenNoneIsIdle() throws {
        try withServer({ $0.maxConnections = 2 }) { server in
            let busy = try busyClientsFillingTheMargin(server)
            let late = try TestClient(port: server.boundPort)
            late.send(request(body: "late"))
            #expect(late.isClosedByPeer())
            busy[0].send("Content-Length: 4\r\n\r\nbusy")
            #expect(busy[0].readResponse()?.status == 200)
        }
    }

    /// Room made a moment after a client arrives at the limit (a connection closing on its own
    /// queue) lets that client in: it waits in the backlog instead of being refused at once.
    @Test func connectionLimit_holdsANewClientInTheBacklog_untilRoomIsMade() throws {
        try withServer({ $0.maxConnections = 2 }) { server in
            var busy = try busyClientsFillingTheMargin(server)
            for _ in 0..<200 where server.openConnections < busy.count { usleep(5_000) }
            let late = try TestClient(port: server.boundPort)
            late.send(request(body: "late"))
            usleep(200_000)
            busy.removeLast()  // closed by its client: one slot free
            #expect(late.readResponse()?.text == "late")
        }
    }

    /// A client that connected just before a shutdown (or a reload handing the listener over)
    /// and sends its request a moment later is answered, not cut off as an idle connection.
    @Test func shutdown_answersAJustConnectedClient_thatSendsWithinTheGrace() throws {
        let server = try makeServer(handler: EchoHandler())
        let client = try TestClient(port: server.boundPort)
        usleep(20_000)  // accepted and started
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            server.shutdown(deadlineSeconds: 5)
            done.signal()
        }
        // Shutdown has begun once the listener refuses (the flag is set before it stops).
        for _ in 0..<160 where (try? TestClient(port: server.boundPort)) != nil { usleep(5_000) }
        #expect(throws: SocketError.self) { _ = try TestClient(port: server.boundPort) }
        client.send(request(body: "late but welcome"))
        let response = client.readResponse()
        #expect(response?.text == "late but welcome")
        #expect(response?.headers["connection"] == "close")
        #expect(done.wait(timeout: .now() + 5) == .success)
    }

    @Test func shutdown_finishesInFlightRequest_thenRefusesNewConnections() throws {
        let server = try makeServer(handler: EchoHandler(sleepMillis: 200))
        let port = server.boundPort
        let idle = try TestClient(port: port)
        let busy = try TestClient(port: port)
        busy.send(request(body: "in flight"))
        usleep(50_000)
        let start = monotonicSeconds()
        server.shutdown(deadlineSeconds: 5)
        let elapsed = monotonicSeconds() - start
        let response = busy.readResponse()
        #expect(response?.text == "in flight")
        #expect(response?.headers["connection"] == "close")
        #expect(idle.isClosedByPeer())
        #expect(elapsed < 2)
        #expect(throws: SocketError.self) { _ = try TestClient(port: port) }
    }

    @Test(.enabled(if: ipv6LoopbackAvailable(), "this host has no IPv6 loopback address"))
    func ipv6Loopback_serves_whenAvailable() throws {
        let server = try makeServer(host: "::1")
        defer { server.shutdown(deadlineSeconds: 1) }
        let client = try TestClient(port: server.boundPort, host: "::1")
        client.send(request(body: "v6"))
        #expect(client.readResponse()?.text == "v6")
    }

    @Test func start_throwsAddressInUse_whenPortTaken() throws {
        try withServer { server in
            let second = HTTPServer(configuration: .init(endpoint: Endpoint(host: "127.0.0.1", port: server.boundPort)),
                                    logger: .init(), handler: EchoHandler())
            #expect(throws: SocketError.system(operation: "bind 127.0.0.1:\(server.boundPort)", errno: EADDRINUSE)) {
                try second.start()
            }
        }
    }
}

/// True when a socket can bind to [::1] here.
func ipv6LoopbackAvailable() -> Bool {
    let fd = socket(AF_INET6, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var address = sockaddr_in6()
    address.sin6_family = sa_family_t(AF_INET6)
    address.sin6_addr = in6addr_loopback
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) == 0 }
    }
}
