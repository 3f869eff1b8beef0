#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CSSL
import Diagnostics

/// The entry points of the TLS libFuzzer harness in `Fuzz/` (SPI, not API).
@_spi(Fuzzing) public enum TLSFuzzer {
    /// `input` split at NUL bytes into certificate, key and CA PEM text, checked as `validate`
    /// checks them, for a server and for a client.
    public static func runPEM(_ input: UnsafeRawBufferPointer) {
        let parts = input.split(separator: 0, maxSplits: 2, omittingEmptySubsequences: false)
            .map { String(decoding: $0, as: UTF8.self) }
        var c = TLSConfiguration()
        c.certificate = .pem(parts[0])
        c.key = parts.count > 1 ? .pem(parts[1]) : nil
        c.ca = parts.count > 2 ? .pem(parts[2]) : nil
        try? TLSContext.check(c, role: .server)
        try? TLSContext.check(c, role: .client)
    }

    /// A client's bytes into a TLS server connection (after the first byte, which picks how the
    /// bytes are cut into reads): the record layer, the handshake, and what follows it.
    public static func runHandshake(_ input: UnsafeRawBufferPointer) {
        guard let first = input.first, let tls = serverContext else { return }
        var fds: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0, &fds) == 0 else { return }
        defer { _ = close(fds[1]) }
        let logger = Logger(component: "fuzz", sink: LogSink(level: .error) { _ in })
        var configuration = HTTPServer.Configuration(endpoint: Endpoint(host: "127.0.0.1", port: 0), maxRequestBodySize: 1 << 16,
                                                     maxHeaderBytes: 8 << 10)
        configuration.handlersInline = true
        let context = ServerContext(configuration: configuration, logger: logger, handler: EchoHandler())
        guard let session = try? tls.makeSession() else { return }
        let connection = Connection(id: 0, fd: fds[0], remoteAddress: "fuzz", logger: logger, tls: session)
        connection.protocolForALPN = { alpn -> any ConnectionProtocol in
            alpn == "h2" ? HTTP2ServerProtocol(context: context) : HTTP1ServerProtocol(context: context)
        }
        let step = Int(first % 32) * 61 + 1
        var rest = UnsafeRawBufferPointer(rebasing: input.dropFirst())
        connection.queue.sync {
            while !rest.isEmpty, !connection.isClosed {
                let n = min(step, rest.count)
                connection.receive(UnsafeRawBufferPointer(rebasing: rest[0..<n]))
                rest = UnsafeRawBufferPointer(rebasing: rest[n...])
                discard(fds[1])
            }
            connection.close()
        }
    }

    private struct EchoHandler: HTTPHandler {
        func handle(_ request: HTTPRequest) -> HTTPResponse { .text(200, "ok") }
    }

    /// A self-signed P-256 certificate for "localhost", made once in memory.
    private static let serverContext: TLSContext? = {
        guard let (certificate, key) = selfSigned() else { return nil }
        var c = TLSConfiguration()
        c.certificate = .pem(certificate)
        c.key = .pem(key)
        return try? TLSContext(c, role: .server, alpn: [])
    }()

    private static func selfSigned() -> (String, String)? {
        guard let keyContext = EVP_PKEY_CTX_new_id(EVP_PKEY_EC, nil) else { return nil }
        defer { EVP_PKEY_CTX_free(keyContext) }
        var pkey: OpaquePointer?
        guard EVP_PKEY_keygen_init(keyContext) == 1, EVP_PKEY_CTX_set_ec_paramgen_curve_nid(keyContext, NID_X9_62_prime256v1) == 1,
              EVP_PKEY_keygen(keyContext, &pkey) == 1, let pkey, let x = X509_new() else { return nil }
        defer { EVP_PKEY_free(pkey); X509_free(x) }
        _ = X509_set_version(x, 2)
        _ = ASN1_INTEGER_set(X509_get_serialNumber(x), 1)
        _ = X509_gmtime_adj(X509_getm_notBefore(x), -3600)
        _ = X509_gmtime_adj(X509_getm_notAfter(x), 3600 * 24 * 365)
        _ = X509_set_pubkey(x, pkey)
        let name = X509_get_subject_name(x)
        _ = "localhost".withCString { X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, UnsafeRawPointer($0).assumingMemoryBound(to: UInt8.self), -1, -1, 0) }
        _ = X509_set_issuer_name(x, name)
        guard X509_sign(x, pkey, EVP_sha256()) > 0 else { return nil }
        return (pem { PEM_write_bio_X509($0, x) }, pem { PEM_write_bio_PrivateKey($0, pkey, nil, nil, 0, nil, nil) })
    }

    private static func pem(_ write: (OpaquePointer) -> Int32) -> String {
        guard let bio = BIO_new(BIO_s_mem()) else { return "" }
        defer { BIO_free(bio) }
        _ = write(bio)
        var bytes: [UInt8] = []
        let pending = Int(swiftlet_BIO_pending(bio))
        bytes = [UInt8](repeating: 0, count: pending)
        _ = BIO_read(bio, &bytes, Int32(pending))
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func discard(_ fd: Int32) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while read(fd, &buffer, buffer.count) > 0 {}
    }
}
