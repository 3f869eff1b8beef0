import Diagnostics
import Dispatch
import Foundation
import Glibc
import Synchronization
import Testing
@testable import Transport

/// Certificates made once with the `openssl` CLI: a CA, a server certificate for localhost and
/// 127.0.0.1, and a client certificate of that CA.
final class TestPKI: Sendable {
    static let shared = TestPKI()
    let directory: String

    private init() {
        directory = NSTemporaryDirectory() + "swiftlet-tls-tests-\(getpid())"
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
        try? "subjectAltName=DNS:localhost,IP:127.0.0.1\n".write(toFile: path("ext.cnf"), atomically: true, encoding: .utf8)
        run(["req", "-x509"] + ec + ["-subj", "/CN=test-ca", "-keyout", path("ca.key"), "-out", path("ca.crt"), "-days", "2"])
        for (name, extensions) in [("server", true), ("client", false)] {
            run(["req"] + ec + ["-subj", "/CN=\(name)", "-keyout", path("\(name).key"), "-out", path("\(name).csr")])
            run(["x509", "-req", "-in", path("\(name).csr"), "-CA", path("ca.crt"), "-CAkey", path("ca.key"), "-CAcreateserial",
                 "-out", path("\(name).crt"), "-days", "2"] + (extensions ? ["-extfile", path("ext.cnf")] : []))
        }
    }

    func path(_ name: String) -> String { directory + "/" + name }

    private func run(_ arguments: [String]) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.standardError = FileHandle.nullDevice
        try? process.run()
        process.waitUntilExit()
    }

    func server(clientCA: Bool = false) -> TLSConfiguration {
        var c = TLSConfiguration()
        c.certificate = .file(path("server.crt"))
        c.key = .file(path("server.key"))
        if clientCA { c.ca = .file(path("ca.crt")) }
        return c
    }

    func client(certificate: Bool = false, serverName: String? = nil) -> TLSConfiguration {
        var c = TLSConfiguration()
        c.ca = .file(path("ca.crt"))
        c.serverNameOverride = serverName
        if certificate {
            c.certificate = .file(path("client.crt"))
            c.key = .file(path("client.key"))
        }
        return c
    }
}

private let logger = Logger(component: "test", sink: LogSink(level: .error))

/// Sends one POST with `client` and waits for the outcome.
private func exchange(_ send: (@escaping HTTPClientCompletion) -> Void) -> Result<HTTPClientResponse, HTTPClientError>? {
    let outcome = Mutex<Result<HTTPClientResponse, HTTPClientError>?>(nil)
    let done = DispatchSemaphore(value: 0)
    send { result in
        outcome.withLock { $0 = result }
        done.signal()
    }
    _ = done.wait(timeout: .now() + 10)
    return outcome.withLock { $0 }
}

@Suite(.serialized) struct TLSTests {
    let pki = TestPKI.shared

    @Test func context_namesTheFileAndWhy_whenMissingOrMismatched() {
        var missing = pki.server()
        missing.certificate = .file(pki.path("absent.crt"))
        #expect(throws: TLSError("cert_file \(pki.path("absent.crt")): No such file or directory")) {
            try TLSContext.check(missing, role: .server)
        }
        var mismatched = pki.server()
        mismatched.key = .file(pki.path("client.key"))
        do {
            try TLSContext.check(mismatched, role: .server)
            Issue.record("a key of another certificate was accepted")
        } catch {
            #expect(error.description.contains("key_file \(pki.path("client.key")) does not match"))
        }
    }

    @Test func context_refusesBadVersionsAndSuites() {
        var c = pki.server()
        c.minVersion = .v1_3
        c.maxVersion = .v1_2
        #expect(throws: TLSError("min_version must not be greater than max_version")) { try TLSContext.check(c, role: .server) }
        c.maxVersion = nil
        c.cipherSuites = ["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_NOT_A_SUITE"]
        do {
            try TLSContext.check(c, role: .server)
            Issue.record("an unknown cipher suite was accepted")
        } catch {
            #expect(error.description.contains("\"TLS_NOT_A_SUITE\""))
        }
        c.cipherSuites = ["TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_AES_128_GCM_SHA256"]
        #expect(throws: Never.self) { try TLSContext.check(c, role: .server) }
    }

    @Test func http1AndHTTP2_byALPN_onOneTLSPort() throws {
        let serverTLS = try TLSContext(pki.server(), role: .server, alpn: [])
        try withServer({ $0.tls = serverTLS }) { server in
            let endpoint = ClientEndpoint(host: "localhost", port: server.boundPort)
            let h1 = HTTP1Client(endpoint: endpoint, tls: try TLSContext(pki.client(), role: .client, alpn: ["http/1.1"]), logger: logger)
            defer { h1.close() }
            let first = exchange { h1.send(HTTPClientRequest(path: "/one", body: Array("hello".utf8)), timeout: 5, completion: $0) }
            #expect((try? first?.get())?.body == Array("hello".utf8))
            let h2 = HTTP2Client(endpoint: endpoint, tls: try TLSContext(pki.client(), role: .client, alpn: ["h2"]), logger: logger)
            defer { h2.close() }
            // Two requests before the handshake ends: both wait for it.
            let results = [Array("a".utf8), Array("b".utf8)].map { body in
                exchange { h2.send(HTTPClientRequest(path: "/two", body: body), timeout: 5, completion: $0) }
            }
            #expect(results.map { (try? $0?.get())?.body } == [Array("a".utf8), Array("b".utf8)])
        }
    }

    @Test func client_failsNamingTheReason_whenTheNameDoesNotMatch() throws {
        let serverTLS = try TLSContext(pki.server(), role: .server, alpn: [])
        try withServer({ $0.tls = serverTLS }) { server in
            let endpoint = ClientEndpoint(host: "127.0.0.1", port: server.boundPort)
            let client = HTTP1Client(endpoint: endpoint, tls: try TLSContext(pki.client(serverName: "elsewhere.example"), role: .client,
                                                                              alpn: ["http/1.1"]), logger: logger)
            defer { client.close() }
            let result = exchange { client.send(HTTPClientRequest(path: "/"), timeout: 5, completion: $0) }
            guard case let .failure(error)? = result else {
                Issue.record("expected a failure, got \(String(describing: result))")
                return
            }
            #expect(error.description.contains("hostname mismatch"), "\(error)")
        }
    }

    @Test func insecureSkipVerify_acceptsAServerNoTrustedCASigned() throws {
        let serverTLS = try TLSContext(pki.server(), role: .server, alpn: [])
        try withServer({ $0.tls = serverTLS }) { server in
            let endpoint = ClientEndpoint(host: "localhost", port: server.boundPort)
            var systemOnly = TLSConfiguration()  // the system's CAs, which never signed the test CA
            let refusing = HTTP1Client(endpoint: endpoint, tls: try TLSContext(systemOnly, role: .client, alpn: []), logger: logger)
            defer { refusing.close() }
            let refused = exchange { refusing.send(HTTPClientRequest(path: "/"), timeout: 5, completion: $0) }
            guard case let .failure(error)? = refused else {
                Issue.record("expected a failure, got \(String(describing: refused))")
                return
            }
            #expect(error.description.contains("certificate verify failed"), "\(error)")
            systemOnly.insecureSkipVerify = true
            let trusting = HTTP1Client(endpoint: endpoint, tls: try TLSContext(systemOnly, role: .client, alpn: []), logger: logger)
            defer { trusting.close() }
            let served = exchange { trusting.send(HTTPClientRequest(path: "/"), timeout: 5, completion: $0) }
            #expect((try? served?.get())?.status == 200)
        }
    }

    @Test func mutualTLS_refusesAClientWithoutCertificate_andServesOneWith() throws {
        let serverTLS = try TLSContext(pki.server(clientCA: true), role: .server, alpn: [])
        try withServer({ $0.tls = serverTLS }) { server in
            let endpoint = ClientEndpoint(host: "localhost", port: server.boundPort)
            let anonymous = HTTP1Client(endpoint: endpoint, tls: try TLSContext(pki.client(), role: .client, alpn: []), logger: logger)
            defer { anonymous.close() }
            let refused = exchange { anonymous.send(HTTPClientRequest(path: "/"), timeout: 5, completion: $0) }
            #expect((try? refused?.get()) == nil)
            let known = HTTP1Client(endpoint: endpoint, tls: try TLSContext(pki.client(certificate: true), role: .client, alpn: []),
                                    logger: logger)
            defer { known.close() }
            let served = exchange { known.send(HTTPClientRequest(path: "/"), timeout: 5, completion: $0) }
            #expect((try? served?.get())?.status == 200)
        }
    }

    @Test func stalledHandshake_isClosedAfterTheHeaderTimeout() throws {
        let serverTLS = try TLSContext(pki.server(), role: .server, alpn: [])
        try withServer({ $0.tls = serverTLS; $0.headerReadTimeout = 0.3 }) { server in
            let client = try TestClient(port: server.boundPort)
            client.send([0x16, 0x03, 0x01, 0x00, 0x80, 0x01])  // a ClientHello's first bytes, then nothing
            let started = monotonicSeconds()
            #expect(client.isClosedByPeer())
            #expect(monotonicSeconds() - started < 3)
        }
    }
}
