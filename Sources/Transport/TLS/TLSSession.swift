#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CSSL

/// One connection's TLS state. The connection hands it the ciphertext it read (`withInput`) and
/// writes out what it produces (`takeOutput`), so TLS never touches the socket and never blocks.
/// OpenSSL reads and writes through a BIO of Swiftlet's own (`TLSSession+BIO.swift`) that takes
/// the ciphertext where the connection read it and appends records straight to the output
/// buffer, one copy fewer each way than a pair of memory BIOs. Used on the connection's queue only.
final class TLSSession {
    enum Progress: Equatable {
        /// Done (the handshake) or some bytes (a read).
        case ready(Int)
        /// More input from the peer is needed.
        case needInput
        /// The peer sent close_notify.
        case closed
        case failed(TLSError)
    }

    private let ssl: OpaquePointer
    let role: TLSContext.Role
    /// Ciphertext handed over by `withInput` and not yet read by OpenSSL.
    var input = UnsafeRawBufferPointer(start: nil, count: 0)
    /// Ciphertext OpenSSL did not read before `withInput` returned, read before `input`.
    var carried: [UInt8] = []
    var carriedRead = 0
    /// Ciphertext OpenSSL produced for the peer, not yet taken.
    var output: [UInt8] = []
    private(set) var handshakeDone = false
    private var shutdownSent = false

    init(context: TLSContext.Handle, role: TLSContext.Role, serverName: String?, verifyName: Bool, alpn: [String]) throws(TLSError) {
        ERR_clear_error()
        guard let ssl = SSL_new(context.ctx) else { throw TLSContext.openSSLError("SSL_new") }
        self.ssl = ssl
        self.role = role
        guard let bio = Self.makeBIO(for: self) else { throw TLSContext.openSSLError("BIO_new") }
        // One BIO both ways: SSL_set_bio takes its single reference.
        SSL_set_bio(ssl, bio, bio)
        switch role {
        case .server:
            SSL_set_accept_state(ssl)
        case .client:
            SSL_set_connect_state(ssl)
            try configureClient(serverName: serverName, verifyName: verifyName, alpn: alpn)
        }
    }

    deinit { SSL_free(ssl) }

    private func configureClient(serverName: String?, verifyName: Bool, alpn: [String]) throws(TLSError) {
        if let serverName, !serverName.isEmpty {
            let isAddress = Endpoint.isIPAddress(serverName)
            // RFC 6066 §3: no IP literals in server_name.
            if !isAddress { _ = swiftlet_SSL_set_tlsext_host_name(ssl, serverName) }
            if verifyName {
                let ok = isAddress ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), serverName) : SSL_set1_host(ssl, serverName)
                guard ok == 1 else { throw TLSContext.openSSLError("server name \(serverName)") }
            }
        }
        if !alpn.isEmpty {
            let wire = alpn.flatMap { [UInt8($0.utf8.count)] + Array($0.utf8) }
            // SSL_set_alpn_protos returns 0 on success.
            guard SSL_set_alpn_protos(ssl, wire, UInt32(wire.count)) == 0 else { throw TLSContext.openSSLError("ALPN") }
        }
    }

    /// Makes `bytes`, read from the socket, OpenSSL's input while `body` runs; what OpenSSL has
    /// not read by then is kept for the next time.
    func withInput(_ bytes: UnsafeRawBufferPointer, _ body: () -> Void) {
        if carriedRead < carried.count {
            carried.append(contentsOf: bytes)
        } else {
            input = bytes
        }
        body()
        if !input.isEmpty { carried.append(contentsOf: input) }
        input = UnsafeRawBufferPointer(start: nil, count: 0)
        if carriedRead == carried.count {
            carried.removeAll(keepingCapacity: false)
            carriedRead = 0
        }
    }

    /// Moves what OpenSSL produced for the peer to the end of `buffer`.
    func takeOutput(into buffer: inout [UInt8]) {
        guard !output.isEmpty else { return }
        if buffer.isEmpty {
            swap(&buffer, &output)
        } else {
            buffer.append(contentsOf: output)
            output.removeAll(keepingCapacity: true)
        }
    }

    /// Advances the handshake with the input.
    func handshake() -> Progress {
        guard !handshakeDone else { return .ready(0) }
        ERR_clear_error()
        let rc = SSL_do_handshake(ssl)
        if rc == 1 {
            handshakeDone = true
            return .ready(0)
        }
        return progress(rc, during: "handshake")
    }

    /// Decrypts into `space`.
    func read(into space: UnsafeMutableRawBufferPointer) -> Progress {
        ERR_clear_error()
        let rc = SSL_read(ssl, space.baseAddress, Int32(min(space.count, Int(Int32.max))))
        return rc > 0 ? .ready(Int(rc)) : progress(rc, during: "read")
    }

    /// Encrypts `bytes`; a memory BIO takes everything, so this is all or an error.
    func write(_ bytes: UnsafeRawBufferPointer) -> TLSError? {
        ERR_clear_error()
        let rc = SSL_write(ssl, bytes.baseAddress, Int32(bytes.count))
        if rc > 0 { return nil }
        if case let .failed(error) = progress(rc, during: "write") { return error }
        return TLSError("TLS write did not complete")
    }

    /// Queues close_notify (RFC 8446 §6.1), once.
    func shutdown() {
        guard handshakeDone, !shutdownSent else { return }
        shutdownSent = true
        ERR_clear_error()
        _ = SSL_shutdown(ssl)
        ERR_clear_error()
    }

    /// The protocol ALPN chose, if any.
    var negotiatedProtocol: String? {
        var data: UnsafePointer<UInt8>?
        var length: UInt32 = 0
        SSL_get0_alpn_selected(ssl, &data, &length)
        guard let data, length > 0 else { return nil }
        return String(decoding: UnsafeBufferPointer(start: data, count: Int(length)), as: UTF8.self)
    }

    /// The subject of the certificate the peer presented and OpenSSL verified, if any.
    var peerSubject: String? {
        guard let x = SSL_get1_peer_certificate(ssl) else { return nil }
        defer { X509_free(x) }
        return TLSContext.subject(x)
    }

    private func progress(_ rc: Int32, during operation: String) -> Progress {
        switch SSL_get_error(ssl, rc) {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
            return .needInput
        case SSL_ERROR_ZERO_RETURN:
            return .closed
        default:
            return .failed(failure(operation))
        }
    }

    /// Why the peer or its certificate was refused: the verification result names a certificate
    /// problem (expired, unknown CA, name mismatch) better than the alert that follows it.
    private func failure(_ operation: String) -> TLSError {
        let verify = SSL_get_verify_result(ssl)
        if verify != X509_V_OK, let text = X509_verify_cert_error_string(verify) {
            ERR_clear_error()
            return TLSError("TLS \(operation) failed: certificate verify failed: \(String(cString: text))")
        }
        return TLSContext.openSSLError("TLS \(operation) failed")
    }
}
