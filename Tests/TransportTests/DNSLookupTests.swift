import Diagnostics
import Dispatch
import Foundation
import Glibc
import Synchronization
import Testing
@testable import Transport

@Suite(.serialized) struct DNSLookupTests {
    @Test func resolvConf_readsServersSearchAndOptions_asGoDoes() {
        let settings = DNSResolverSettings.parse(resolvConf: """
            # written by kubelet
            ; another comment
            nameserver 10.96.0.10
            nameserver fd00::a
            nameserver not-an-address
            domain example.com
            search default.svc.cluster.local svc.cluster.local. cluster.local
            options ndots:5 attempts:3 timeout:1 rotate
            """)
        #expect(settings == DNSResolverSettings(nameservers: ["10.96.0.10", "fd00::a"],
                                                search: ["default.svc.cluster.local", "svc.cluster.local", "cluster.local"],
                                                ndots: 5, attempts: 3))
        let clamped = DNSResolverSettings.parse(resolvConf: "search a\ndomain b\noptions ndots:99 attempts:0\n"
            + "nameserver 1.1.1.1\nnameserver 2.2.2.2\nnameserver 3.3.3.3\nnameserver 4.4.4.4")
        #expect(clamped == DNSResolverSettings(nameservers: ["1.1.1.1", "2.2.2.2", "3.3.3.3"], search: ["b"], ndots: 15, attempts: 1))
        #expect(DNSResolverSettings.parse(resolvConf: "") == DNSResolverSettings(nameservers: ["127.0.0.1:53"]))
    }

    @Test func systemSettings_takeTheNameserversOfSWIFTLET_DNS_SERVER() {
        setenv(DNSResolverSettings.nameserverOverrideVariable, "127.0.0.1:53535, [::1]:53", 1)
        defer { unsetenv(DNSResolverSettings.nameserverOverrideVariable) }
        #expect(DNSResolverSettings.system().nameservers == ["127.0.0.1:53535", "[::1]:53"])
    }

    @Test func nameCandidates_followGosNameList() {
        let settings = DNSResolverSettings(search: ["ns.svc.cluster.local", "svc.cluster.local"], ndots: 2)
        #expect(settings.nameCandidates(for: "collector.ns") == ["collector.ns.ns.svc.cluster.local.", "collector.ns.svc.cluster.local.", "collector.ns."])
        #expect(settings.nameCandidates(for: "a.b.c") == ["a.b.c.", "a.b.c.ns.svc.cluster.local.", "a.b.c.svc.cluster.local."])
        #expect(settings.nameCandidates(for: "absolute.name.") == ["absolute.name."])
        #expect(settings.nameCandidates(for: "hidden.onion") == ["hidden.onion.ns.svc.cluster.local.", "hidden.onion.svc.cluster.local."])
        #expect(settings.nameCandidates(for: "hidden.onion.").isEmpty && settings.nameCandidates(for: "").isEmpty)
        #expect(settings.nameCandidates(for: String(repeating: "a", count: 254)).isEmpty)
        let long = String(repeating: "a.", count: 120) + "b"
        #expect(settings.nameCandidates(for: long) == [long + "."])
    }

    /// Byte by byte, as Go reads them: Character-wise, "\u{600}." (a prepended mark and the dot) is
    /// one Character that is not ".", and " \u{301}" (a blank and a combining accent) is no blank.
    @Test func namesAndFields_areReadByTheByte_notByTheCharacter() {
        let settings = DNSResolverSettings.parse(resolvConf: "search a\u{600}. \u{301}b\n")
        #expect(settings.search == ["a\u{600}", "\u{301}b"])
        #expect(settings.nameCandidates(for: "web.svc") == ["web.svc.", "web.svc.a\u{600}.", "web.svc.\u{301}b."])
        #expect(settings.nameCandidates(for: "x\u{600}.") == ["x\u{600}."])
        #expect(settings.nameCandidates(for: "hidden\u{600}.onion") == ["hidden\u{600}.onion.a\u{600}.", "hidden\u{600}.onion.\u{301}b."])
        #expect(HostsFile.addresses(of: "web.svc", in: "10.0.0.1 \u{301}x WEB.svc.\n") == [[10, 0, 0, 1]])
        // Only ASCII letters fold: the Kelvin sign is not "k".
        #expect(HostsFile.addresses(of: "k", in: "10.0.0.3 \u{212A}\n").isEmpty)
    }

    @Test func nameservers_takeAnIPAndAnOptionalPort() {
        #expect(DNSServerAddress("10.96.0.10")?.description == "10.96.0.10:53")
        #expect(DNSServerAddress("[fd00::a]:5353")?.description == "[fd00::a]:5353")
        #expect(DNSServerAddress("fd00::a")?.description == "[fd00::a]:53")
        #expect(DNSServerAddress("dns.example:53") == nil && DNSServerAddress("10.0.0.1:99999") == nil)
    }

    @Test func query_isEncodedByteForByte() throws {
        let query = try #require(DNSQuery(id: 0xBEEF, name: "Example.com.", type: .aaaa))
        let expected: [UInt8] = [0xBE, 0xEF, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1]
            + [7] + Array("Example".utf8) + [3] + Array("com".utf8) + [0, 0, 28, 0, 1]
            + [0, 0, 41, 0x10, 0x00, 0, 0, 0, 0, 0, 0]
        #expect(query.message == expected)
        #expect(query.name == [7] + Array("example".utf8) + [3] + Array("com".utf8) + [0])
        #expect(DNSQuery(id: 1, name: "a..b", type: .a) == nil)
        #expect(DNSQuery(id: 1, name: String(repeating: "x", count: 64) + ".com", type: .a) == nil)
        #expect(DNSQuery(id: 1, name: String(repeating: "x", count: 63) + ".com", type: .a) != nil)
    }

    @Test func response_followsCompressionPointers_throughACNAMEChain() throws {
        let response = try DNSResponse.decode(DNSTestMessages.cnameThenA)
        #expect(response.id == 0x1234 && response.responseCode == 0 && !response.isTruncated)
        #expect(response.questionName == [3] + Array("web".utf8) + [7] + Array("example".utf8) + [0] && response.questionType == 1)
        #expect(DNSLookup.texts(response.addresses) == ["192.0.2.7"])
        let query = try #require(DNSQuery(id: 0x1234, name: "WEB.example.", type: .a))
        #expect(query.isAnswered(by: response))
        #expect(!(try #require(DNSQuery(id: 0x1235, name: "web.example.", type: .a))).isAnswered(by: response))
    }

    @Test func response_readsAAAA_andNXDOMAIN() throws {
        let aaaa = try DNSResponse.decode(DNSTestMessages.response(id: 7, name: "v6.test", type: 28, addresses: ["fd00::1", "2001:db8::a:0:0:1"]))
        #expect(DNSLookup.texts(aaaa.addresses) == ["fd00::1", "2001:db8::a:0:0:1"])
        let missing = try DNSResponse.decode(DNSTestMessages.response(id: 8, name: "gone.test", type: 1, responseCode: 3, addresses: []))
        #expect(missing.responseCode == DNSResponse.nameError && missing.addresses.isEmpty)
    }

    @Test func response_rejectsPointerLoops_queriesAndEveryTruncation() {
        #expect(throws: DNSDecodingError.pointerLoop) { try DNSResponse.decode(DNSTestMessages.pointerLoop) }
        var query = DNSTestMessages.cnameThenA
        query[2] &= 0x7F
        #expect(throws: DNSDecodingError.notAResponse) { try DNSResponse.decode(query) }
        let whole = DNSTestMessages.cnameThenA
        for length in 0..<whole.count {
            #expect(throws: DNSDecodingError.truncated) { try DNSResponse.decode(Array(whole.prefix(length))) }
        }
    }

    /// TC set: the records that arrived whole are used (no TCP retry).
    @Test func truncatedFlag_keepsTheWholeAnswers() throws {
        var message = DNSTestMessages.response(id: 9, name: "many.test", type: 1, addresses: ["10.0.0.1", "10.0.0.2"])
        message[2] |= 0x02
        let response = try DNSResponse.decode(Array(message.dropLast(3)))
        #expect(response.isTruncated && DNSLookup.texts(response.addresses) == ["10.0.0.1"])
    }

    @Test func hostsFile_andIPLiterals_needNoServer() throws {
        let hosts = try TemporaryFile("127.0.0.1 localhost\n10.1.2.3 myhost alias # comment\n# 10.9.9.9 myhost\nfd00::0:5%eth0 MyHost.\n")
        let server = try TestDNSServer(records: [:])
        server.silent = true
        defer { server.stop() }
        let resolver = DNSLookup(settings: DNSResolverSettings(nameservers: ["127.0.0.1:\(server.port)"]), hostsFile: hosts.path)
        #expect(try lookup(resolver, "myhost.").get() == ["10.1.2.3", "fd00::5"])
        #expect(try lookup(resolver, "ALIAS").get() == ["10.1.2.3"])
        #expect(try lookup(resolver, "FD00:0:0::1").get() == ["fd00::1"])
        #expect(try lookup(resolver, "::ffff:10.0.0.1").get() == ["10.0.0.1"])
        #expect(server.queries.load(ordering: .relaxed) == 0)
    }

    @Test func live_answersAAndAAAA_viaTheSearchList() throws {
        let server = try TestDNSServer(records: ["collector.ns.svc": ["10.0.0.1", "fd00::1", "10.0.0.2"]])
        defer { server.stop() }
        let settings = DNSResolverSettings(nameservers: ["127.0.0.1:\(server.port)"], search: ["other.svc", "ns.svc"], ndots: 2)
        let resolver = DNSLookup(settings: settings, hostsFile: "/nonexistent")
        #expect(try lookup(resolver, "collector").get() == ["10.0.0.1", "10.0.0.2", "fd00::1"])
        #expect(server.queries.load(ordering: .relaxed) == 4)  // A and AAAA for collector.other.svc, then collector.ns.svc
        let missing = lookup(resolver, "absent")
        #expect((try? missing.get()) == nil)
        if case .failure(let error) = missing {
            #expect(error.isNotFound && error.description == "lookup absent on 127.0.0.1:\(server.port): no such host")
        }
    }

    @Test func live_serverFailure_movesOnToTheNextServer() throws {
        let failing = try TestDNSServer(records: ["web.test": ["10.0.0.9"]])
        failing.responseCode = 2
        let good = try TestDNSServer(records: ["web.test": ["10.0.0.9"]])
        defer { failing.stop(); good.stop() }
        let settings = DNSResolverSettings(nameservers: ["127.0.0.1:\(failing.port)", "127.0.0.1:\(good.port)"], attempts: 1)
        #expect(try lookup(DNSLookup(settings: settings, hostsFile: "/nonexistent"), "web.test.").get() == ["10.0.0.9"])
        let onlyFailing = DNSResolverSettings(nameservers: ["127.0.0.1:\(failing.port)"], attempts: 1)
        if case .failure(let error) = lookup(DNSLookup(settings: onlyFailing, hostsFile: "/nonexistent"), "web.test.") {
            #expect(error.reason == .serverFailure(responseCode: 2))
            #expect(error.description.hasSuffix("server misbehaving (SERVFAIL)"))
        } else {
            Issue.record("a SERVFAIL answer gave addresses")
        }
    }

    @Test func live_silentServer_timesOut() throws {
        let server = try TestDNSServer(records: ["web.test": ["10.0.0.9"]])
        server.silent = true
        defer { server.stop() }
        let resolver = DNSLookup(settings: DNSResolverSettings(nameservers: ["127.0.0.1:\(server.port)"]), hostsFile: "/nonexistent")
        let started = DispatchTime.now()
        let result = lookup(resolver, "web.test", timeout: 0.5)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
        if case .failure(let error) = result { #expect(error.isTimeout) } else { Issue.record("a silent server gave \(result)") }
        #expect(seconds >= 0.4 && seconds < 2)
        #expect(server.queries.load(ordering: .relaxed) >= 2)
    }

    @Test func manyLookups_closeEverySocket() throws {
        let server = try TestDNSServer(records: ["web.test": ["10.0.0.9"]])
        defer { server.stop() }
        let refusing = try TestDNSServer(records: [:])
        let closedPort = refusing.port
        refusing.stop()
        let resolvers = [server.port, closedPort].map {
            DNSLookup(settings: DNSResolverSettings(nameservers: ["127.0.0.1:\($0)"]), hostsFile: "/nonexistent")
        }
        let before = openDescriptors()
        var found = 0
        for round in 0..<60 {
            let result = lookup(resolvers[round % 3 == 2 ? 1 : 0], round % 3 == 1 ? "absent.test" : "web.test", timeout: 1)
            if (try? result.get()) == ["10.0.0.9"] { found += 1 }
        }
        #expect(found == 20 && server.queries.load(ordering: .relaxed) == 80)
        // Sockets close in their sources' cancel handlers, just after the completion; other suites
        // may hold a few descriptors of their own meanwhile.
        #expect(waitUntil { openDescriptors() <= before + 5 })
    }

    /// Fuzz/Seeds/FuzzDNS holds these messages (first byte 0: a response; 1: resolv.conf text).
    /// SWIFTLET_WRITE_FUZZ_SEEDS=1 writes them.
    @Test func fuzzSeeds_areTheseTestMessages() throws {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Fuzz/Seeds/FuzzDNS")
        let seeds: [String: [UInt8]] = [
            "cname-then-a": [0] + DNSTestMessages.cnameThenA,
            "aaaa": [0] + DNSTestMessages.response(id: 7, name: "v6.test", type: 28, addresses: ["fd00::1", "::ffff:10.0.0.1"]),
            "nxdomain": [0] + DNSTestMessages.response(id: 8, name: "gone.test", type: 1, responseCode: 3, addresses: []),
            "resolv-conf": [1] + Array("nameserver 10.96.0.10\nsearch ns.svc.cluster.local svc.cluster.local\noptions ndots:5\n10.0.0.1 host\n".utf8),
        ]
        for (name, bytes) in seeds {
            let file = directory.appendingPathComponent(name)
            if ProcessInfo.processInfo.environment["SWIFTLET_WRITE_FUZZ_SEEDS"] == "1" {
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                try Data(bytes).write(to: file)
            }
            #expect([UInt8](try Data(contentsOf: file)) == bytes, "\(name)")
        }
    }
}

private func lookup(_ resolver: DNSLookup, _ host: String, timeout: Double = 2) -> Result<[String], DNSLookupError> {
    let done = DispatchSemaphore(value: 0)
    let result = Mutex<Result<[String], DNSLookupError>?>(nil)
    resolver.lookupIPAddresses(host, timeout: timeout) { answer in
        result.withLock { $0 = answer }
        done.signal()
    }
    _ = done.wait(timeout: .now() + timeout + 5)
    return result.withLock { $0 } ?? .failure(DNSLookupError(host: host, reason: .invalidName))
}

private func openDescriptors() -> Int {
    (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0
}

private func waitUntil(seconds: Double = 5, _ condition: () -> Bool) -> Bool {
    let end = DispatchTime.now() + seconds
    while DispatchTime.now() < end {
        if condition() { return true }
        usleep(10_000)
    }
    return condition()
}

private struct TemporaryFile: ~Copyable {
    let path: String

    init(_ contents: String) throws {
        path = NSTemporaryDirectory() + "dns-test-\(UUID().uuidString)"
        try contents.write(toFile: path, atomically: true, encoding: .utf8)
    }

    deinit { unlink(path) }
}

/// DNS messages made by hand for the decoder tests and the test server.
enum DNSTestMessages {
    /// web.example. A → CNAME real.example. → A 192.0.2.7; every name after the question is
    /// spelled with pointers.
    static let cnameThenA: [UInt8] = {
        var m: [UInt8] = [0x12, 0x34, 0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 0]
        m += [3] + Array("web".utf8) + [7] + Array("example".utf8) + [0, 0, 1, 0, 1]  // "example" at 16
        m += [0xC0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 7]  // CNAME, data at 41
        m += [4] + Array("real".utf8) + [0xC0, 16]
        m += [0xC0, 41, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 7]
        return m
    }()

    /// An answer whose owner name is a pointer to itself.
    static let pointerLoop: [UInt8] = {
        var m: [UInt8] = [0, 1, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0]
        m += [1] + Array("a".utf8) + [0, 0, 1, 0, 1]
        m += [0xC0, UInt8(m.count), 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 0, 1]
        return m
    }()

    /// A response to a query of `type` for `name` answering `addresses`, owners pointing at the question.
    static func response(id: UInt16, name: String, type: UInt16, responseCode: UInt8 = 0, addresses: [String]) -> [UInt8] {
        let question = DNSQuery.encode(name: name)! + [UInt8(type >> 8), UInt8(type & 0xFF), 0, 1]
        return response(id: id, question: question, responseCode: responseCode, addresses: addresses)
    }

    static func response(id: UInt16, question: [UInt8], responseCode: UInt8, addresses: [String]) -> [UInt8] {
        let records = addresses.compactMap { text in
            var text = text
            return text.withUTF8 { IPAddressText.parse(UnsafeRawBufferPointer($0)) }
        }
        var m: [UInt8] = [UInt8(id >> 8), UInt8(id & 0xFF), 0x81, 0x80 | responseCode, 0, 1, 0, UInt8(records.count), 0, 0, 0, 0]
        m += question
        for data in records {
            let type: UInt8 = data.count == 4 ? 1 : 28
            m += [0xC0, 12, 0, type, 0, 1, 0, 0, 0, 30, 0, UInt8(data.count)] + data
        }
        return m
    }
}

/// A UDP DNS server on a free loopback port, on its own queue: answers A and AAAA queries from
/// `records` (name without the final dot → addresses), NXDOMAIN for other names.
final class TestDNSServer: @unchecked Sendable {
    let port: Int
    let queries = Atomic<Int>(0)
    private let fd: Int32
    private let queue = DispatchQueue(label: "test-dns-server")
    private let source: any DispatchSourceRead
    private let records: [String: [String]]
    private let state = Mutex<(silent: Bool, responseCode: UInt8)>((false, 0))

    var silent: Bool {
        get { state.withLock { $0.silent } }
        set { state.withLock { $0.silent = newValue } }
    }

    var responseCode: UInt8 {
        get { state.withLock { $0.responseCode } }
        set { state.withLock { $0.responseCode = newValue } }
    }

    init(records: [String: [String]]) throws {
        let bound = try UDPSocket.bind(Endpoint(host: "127.0.0.1", port: 0), receiveBufferSize: 0)
        (fd, port) = (bound.fd, bound.port)
        self.records = records
        source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
        let fd = fd
        source.setEventHandler { [unowned self] in answerAll() }
        source.setCancelHandler { close(fd) }
        source.resume()
    }

    func stop() {
        source.cancel()
        queue.sync {}
    }

    private func answerAll() {
        let capacity = 4096
        var buffer = [UInt8](repeating: 0, count: capacity)
        var peer = sockaddr_storage()
        var peerLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
        while true {
            let count = withUnsafeMutablePointer(to: &peer) { address in
                address.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fd, &buffer, capacity, 0, $0, &peerLength) }
            }
            guard count > 0 else { return }
            queries.add(1, ordering: .relaxed)
            guard !silent, let answer = answer(Array(buffer[0..<count])) else { continue }
            _ = withUnsafeMutablePointer(to: &peer) { address in
                address.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, answer, answer.count, 0, $0, peerLength) }
            }
        }
    }

    private func answer(_ query: [UInt8]) -> [UInt8]? {
        var labels: [String] = []
        var position = 12
        while position < query.count, query[position] != 0 {
            let length = Int(query[position])
            guard position + 1 + length <= query.count else { return nil }
            labels.append(String(decoding: query[(position + 1)...(position + length)], as: UTF8.self))
            position += 1 + length
        }
        guard position + 5 <= query.count else { return nil }
        let question = Array(query[12...(position + 4)])
        let type = query[position + 2]
        let id = UInt16(query[0]) << 8 | UInt16(query[1])
        guard let known = records[labels.joined(separator: ".").lowercased()] else {
            return DNSTestMessages.response(id: id, question: question, responseCode: 3, addresses: [])
        }
        let wanted = known.filter { $0.contains(":") == (type == 28) }
        return DNSTestMessages.response(id: id, question: question, responseCode: responseCode, addresses: wanted)
    }
}
