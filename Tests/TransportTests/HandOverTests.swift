import Dispatch
import Glibc
import Testing
@testable import Transport

/// `HTTPServer.handOver`, as a reload that replaces a receiver calls it: no open connection is
/// closed under a request the client may be sending.
@Suite struct HandOverTests {
    @Test func http1_keepsAnIdleConnection_andAnswersItsNextRequestWithClose() throws {
        let server = try makeServer(handler: EchoHandler(sleepMillis: 100))
        defer { server.shutdown(deadlineSeconds: 1) }
        let port = server.boundPort
        let idle = try TestClient(port: port)
        idle.send(request(body: "before"))
        #expect(idle.readResponse()?.headers["connection"] == nil)
        let busy = try TestClient(port: port)
        busy.send(request(body: "in flight"))
        usleep(30_000)

        server.handOver()
        let inFlight = busy.readResponse()
        #expect(inFlight?.text == "in flight")
        #expect(inFlight?.headers["connection"] == "close")
        #expect(busy.isClosedByPeer())
        #expect(throws: SocketError.self) { _ = try TestClient(port: port) }

        // Well past the grace a shutdown gives new connections: still open, and served.
        usleep(300_000)
        idle.send(request(body: "after"))
        let after = idle.readResponse()
        #expect(after?.text == "after")
        #expect(after?.headers["connection"] == "close")
        #expect(idle.isClosedByPeer())
        for _ in 0..<200 where server.openConnections > 0 { usleep(5_000) }
        #expect(server.openConnections == 0)
    }

    /// RFC 9113 §6.8: GOAWAY with the highest stream id and a PING; a stream the client opens
    /// before it answers the PING is still served; then GOAWAY names it, and the connection ends
    /// once the answer, which the handler gives after the final GOAWAY, is out.
    @Test func http2_saysGoAwayInTwoSteps_andServesTheStreamOpenedBetween() throws {
        let server = try makeServer({ $0.httpVersion = .http2 }, handler: EchoHandler(sleepMillis: 200))
        defer { server.shutdown(deadlineSeconds: 1) }
        let client = try TestClient(port: server.boundPort)
        client.send(Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8) + H2Frame(type: 4, flags: 0, stream: 0, payload: []).bytes)
        #expect(client.readFrame()?.type == 4)  // the server's SETTINGS
        for _ in 0..<200 where server.openConnections == 0 { usleep(5_000) }

        server.handOver()
        var frames: [H2Frame] = []
        for _ in 0..<10 where !frames.contains(where: { $0.type == 6 }) {
            guard let frame = client.readFrame() else { break }
            frames.append(frame)
        }
        let noticeAt = try #require(frames.firstIndex { $0.type == 7 }, "no GOAWAY before the PING")
        #expect(frames[noticeAt].lastStreamID == 0x7fff_ffff)
        let pingAt = try #require(frames.firstIndex { $0.type == 6 })
        let ping = frames[pingAt]
        #expect(ping.flags & 1 == 0)
        #expect(noticeAt < pingAt)

        // POST / with no body. HPACK (RFC 7541): :method POST, :scheme http, :path / from the
        // static table; :authority "test", a literal without indexing.
        client.send(H2Frame(type: 1, flags: 0x4 | 0x1, stream: 1, payload: [0x83, 0x86, 0x84, 0x01, 0x04] + Array("test".utf8)).bytes)
        client.send(H2Frame(type: 6, flags: 1, stream: 0, payload: ping.payload).bytes)

        var answered = false, finalGoAway: Int32?, reset = false
        for _ in 0..<20 {
            guard let frame = client.readFrame() else { break }
            switch frame.type {
            case 1 where frame.stream == 1: answered = true
            case 3 where frame.stream == 1: reset = true
            case 7: finalGoAway = frame.lastStreamID
            default: break
            }
        }
        #expect(answered)
        #expect(!reset)
        #expect(finalGoAway == 1)
        #expect(client.isClosedByPeer())
    }
}

/// One HTTP/2 frame (RFC 9113 §4.1).
struct H2Frame {
    var type: UInt8
    var flags: UInt8
    var stream: UInt32
    var payload: [UInt8]

    var bytes: [UInt8] {
        let n = payload.count
        return [UInt8(n >> 16 & 0xff), UInt8(n >> 8 & 0xff), UInt8(n & 0xff), type, flags,
                UInt8(stream >> 24 & 0x7f), UInt8(stream >> 16 & 0xff), UInt8(stream >> 8 & 0xff), UInt8(stream & 0xff)] + payload
    }

    /// A GOAWAY's last stream id.
    var lastStreamID: Int32? {
        guard type == 7, payload.count >= 8 else { return nil }
        return Int32(payload[0] & 0x7f) << 24 | Int32(payload[1]) << 16 | Int32(payload[2]) << 8 | Int32(payload[3])
    }
}

extension TestClient {
    func readFrame() -> H2Frame? {
        guard let head = readBytes(9) else { return nil }
        let length = Int(head[0]) << 16 | Int(head[1]) << 8 | Int(head[2])
        guard let payload = length == 0 ? [] : readBytes(length) else { return nil }
        let stream = UInt32(head[5] & 0x7f) << 24 | UInt32(head[6]) << 16 | UInt32(head[7]) << 8 | UInt32(head[8])
        return H2Frame(type: head[3], flags: head[4], stream: stream, payload: payload)
    }
}
