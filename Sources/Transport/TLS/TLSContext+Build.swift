import CSSL
import Diagnostics

extension TLSContext {
    static func build(role: Role, _ c: TLSConfiguration, _ m: Material, alpn: [String]) throws(TLSError) -> Handle {
        try OpenSSLLibrary.load()
        ERR_clear_error()
        guard let ctx = SSL_CTX_new(role == .server ? TLS_server_method() : TLS_client_method()) else {
            throw openSSLError("SSL_CTX_new")
        }
        let handle = Handle(ctx)
        try setVersions(ctx, c)
        // The output buffer may move between a retried SSL_write and the next; idle connections
        // give their record buffers back.
        _ = swiftlet_SSL_CTX_set_mode(ctx, Int(SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS))
        // The server's order decides, as Go's crypto/tls does; OpenSSL is started without the
        // system's openssl.cnf, so Debian's security level 2 is set here.
        _ = swiftlet_SSL_CTX_set_options(ctx, Int(swiftlet_SSL_OP_NO_RENEGOTIATION() | swiftlet_SSL_OP_CIPHER_SERVER_PREFERENCE()))
        SSL_CTX_set_security_level(ctx, 2)
        guard SSL_CTX_set_ciphersuites(ctx, defaultTLS13Suites) == 1 else { throw openSSLError("TLS 1.3 cipher suites") }
        try setCipherSuites(ctx, c.cipherSuites)
        if let certificate = m.certificate {
            try useCertificate(ctx, certificate, key: m.key, c)
        } else if role == .server {
            throw TLSError("a server needs cert_file (or cert_pem)")
        } else if m.key != nil {
            throw TLSError("key_file is set without cert_file")
        }
        switch role {
        case .server: try configureServer(ctx, c, m)
        case .client: try configureClient(ctx, c, m)
        }
        return handle
    }

    private static func setVersions(_ ctx: OpaquePointer, _ c: TLSConfiguration) throws(TLSError) {
        if let max = c.maxVersion, max < c.minVersion {
            throw TLSError("min_version must not be greater than max_version")
        }
        guard swiftlet_SSL_CTX_set_min_proto_version(ctx, c.minVersion.rawValue) == 1,
              swiftlet_SSL_CTX_set_max_proto_version(ctx, c.maxVersion?.rawValue ?? 0) == 1
        else { throw openSSLError("setting the TLS versions") }
    }

    /// Go's order with AES hardware: AES-128-GCM costs least per byte and is as strong as needed.
    private static let defaultTLS13Suites = "TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_256_GCM_SHA384"

    /// `configtls` takes IANA names; TLS 1.3 suites go to their own list, as OpenSSL keeps them apart.
    private static func setCipherSuites(_ ctx: OpaquePointer, _ names: [String]) throws(TLSError) {
        guard !names.isEmpty else { return }
        var legacy: [String] = [], modern: [String] = []
        for name in names {
            if name.hasPrefix("TLS_AES_") || name.hasPrefix("TLS_CHACHA20_") {
                modern.append(name)
                continue
            }
            guard let found = OPENSSL_cipher_name(name).map({ String(cString: $0) }), found != "(NONE)" else {
                throw TLSError("cipher_suites: unknown or unsupported cipher suite \"\(name)\"")
            }
            legacy.append(found)
        }
        if !legacy.isEmpty, SSL_CTX_set_cipher_list(ctx, legacy.joined(separator: ":")) != 1 {
            throw openSSLError("cipher_suites")
        }
        if !modern.isEmpty, SSL_CTX_set_ciphersuites(ctx, modern.joined(separator: ":")) != 1 {
            throw openSSLError("cipher_suites")
        }
    }

    private static func useCertificate(_ ctx: OpaquePointer, _ pem: [UInt8], key: [UInt8]?, _ c: TLSConfiguration) throws(TLSError) {
        let what = "cert_file \(c.certificate!)"
        let certificates = try certificates(pem, what: what)
        try withExtendedLifetime(certificates) { () throws(TLSError) in
            let chain = certificates.items
            try checkInDate(chain[0], what: what)
            guard SSL_CTX_use_certificate(ctx, chain[0]) == 1 else { throw openSSLError(what) }
            for extra in chain.dropFirst() {
                guard swiftlet_SSL_CTX_add1_chain_cert(ctx, extra) == 1 else { throw openSSLError(what) }
            }
        }
        guard let key else { throw TLSError("cert_file is set without key_file") }
        let keyWhat = "key_file \(c.key!)"
        let pkey = try withBIO(key) { bio in PEM_read_bio_PrivateKey(bio, nil, nil, nil) }
        guard let pkey else { throw openSSLError("\(keyWhat): no private key found") }
        defer { EVP_PKEY_free(pkey) }
        guard SSL_CTX_use_PrivateKey(ctx, pkey) == 1, SSL_CTX_check_private_key(ctx) == 1 else {
            ERR_clear_error()
            throw TLSError("\(keyWhat) does not match \(what)")
        }
    }

    private static func configureServer(_ ctx: OpaquePointer, _ c: TLSConfiguration, _ m: Material) throws(TLSError) {
        // Session resumption with client certificates needs a session id context (RFC 5246 §7.4.1.2).
        let contextID: [UInt8] = Array("swiftlet".utf8)
        _ = SSL_CTX_set_session_id_context(ctx, contextID, UInt32(contextID.count))
        SSL_CTX_set_alpn_select_cb(ctx, selectALPN, nil)
        guard let ca = m.ca else { return }
        let what = "client_ca_file \(c.ca!)"
        try forEachCA(ca, what: what) { x throws(TLSError) in
            guard X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), x) == 1, SSL_CTX_add_client_CA(ctx, x) == 1 else {
                throw openSSLError(what)
            }
        }
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nil)
    }

    private static func configureClient(_ ctx: OpaquePointer, _ c: TLSConfiguration, _ m: Material) throws(TLSError) {
        if let ca = m.ca {
            let what = "ca_file \(c.ca!)"
            try forEachCA(ca, what: what) { x throws(TLSError) in
                guard X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), x) == 1 else { throw openSSLError(what) }
            }
        }
        if m.ca == nil || c.includeSystemCACertsPool {
            guard SSL_CTX_set_default_verify_paths(ctx) == 1 else { throw openSSLError("loading the system's CA certificates") }
        }
        SSL_CTX_set_verify(ctx, c.insecureSkipVerify ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, nil)
    }

    /// Each CA certificate in `pem`, checked to be in date.
    private static func forEachCA(_ pem: [UInt8], what: String, _ body: (OpaquePointer) throws(TLSError) -> Void) throws(TLSError) {
        let cas = try certificates(pem, what: what)
        try withExtendedLifetime(cas) { () throws(TLSError) in
            for x in cas.items {
                try checkInDate(x, what: what)
                try body(x)
            }
        }
    }

    /// Certificates read from PEM, freed with the list (OpenSSL's adding functions take their own
    /// references), so that a check failing half-way leaks none.
    final class Certificates {
        let items: [OpaquePointer]

        init(_ items: [OpaquePointer]) {
            self.items = items
        }

        deinit { items.forEach { X509_free($0) } }
    }

    /// Every certificate in a PEM text, in order; at least one.
    static func certificates(_ pem: [UInt8], what: String) throws(TLSError) -> Certificates {
        let found = Certificates(try withBIO(pem) { bio in
            var found: [OpaquePointer] = []
            while let x = PEM_read_bio_X509(bio, nil, nil, nil) { found.append(x) }
            return found
        })
        // The loop ends on a "no start line" error at the end of the text.
        ERR_clear_error()
        guard !found.items.isEmpty else { throw TLSError("\(what): no PEM certificate found") }
        return found
    }

    private static func checkInDate(_ x: OpaquePointer, what: String) throws(TLSError) {
        if X509_cmp_current_time(X509_get0_notAfter(x)) < 0 {
            throw TLSError("\(what): certificate \(subject(x)) expired at \(timeText(X509_get0_notAfter(x)))")
        }
        if X509_cmp_current_time(X509_get0_notBefore(x)) > 0 {
            throw TLSError("\(what): certificate \(subject(x)) is not valid before \(timeText(X509_get0_notBefore(x)))")
        }
    }

    static func subject(_ x: OpaquePointer) -> String {
        guard let name = X509_NAME_oneline(X509_get_subject_name(x), nil, 0) else { return "?" }
        defer { CRYPTO_free(name, #file, #line) }
        return String(cString: name)
    }

    private static func timeText(_ time: UnsafePointer<ASN1_TIME>?) -> String {
        var t = tm()
        guard let time, ASN1_TIME_to_tm(time, &t) == 1 else { return "?" }
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(t.tm_year + 1900)-\(two(t.tm_mon + 1))-\(two(t.tm_mday))T\(two(t.tm_hour)):\(two(t.tm_min)):\(two(t.tm_sec))Z"
    }

    private static func withBIO<R>(_ bytes: [UInt8], _ body: (OpaquePointer) -> R) throws(TLSError) -> R {
        // The BIO reads `bytes` in place: it must not outlive this closure.
        let result: R? = bytes.withUnsafeBytes { raw in
            guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else { return nil }
            defer { BIO_free(bio) }
            return body(bio)
        }
        guard let result else { throw openSSLError("BIO_new_mem_buf") }
        return result
    }

    /// The oldest error OpenSSL queued on this thread, with `operation`; the queue is emptied.
    static func openSSLError(_ operation: String) -> TLSError {
        let code = ERR_get_error()
        ERR_clear_error()
        guard code != 0 else { return TLSError(operation) }
        OpenSSLLibrary.loadErrorStrings()
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        let text = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        return TLSError("\(operation): \(text)")
    }
}

/// The protocols a server accepts by ALPN, most preferred first, in wire form (RFC 7301 §3.1).
private let serverALPN: [UInt8] = [2] + Array("h2".utf8) + [8] + Array("http/1.1".utf8)

/// Picks the server's most preferred protocol the client offers; none in common: no ALPN, and
/// the listener's own protocol is spoken.
private func selectALPN(_ ssl: OpaquePointer?, _ out: UnsafeMutablePointer<UnsafePointer<UInt8>?>?,
                        _ outLength: UnsafeMutablePointer<UInt8>?, _ offered: UnsafePointer<UInt8>?, _ offeredLength: UInt32,
                        _ arg: UnsafeMutableRawPointer?) -> Int32 {
    guard let offered, let out, let outLength else { return SSL_TLSEXT_ERR_NOACK }
    var s = 0
    while s < serverALPN.count {
        let length = Int(serverALPN[s])
        let wanted = serverALPN[(s + 1)..<(s + 1 + length)]
        var c = 0
        while c < Int(offeredLength) {
            let l = Int(offered[c])
            if c + 1 + l <= Int(offeredLength), l == length,
               (0..<l).allSatisfy({ offered[c + 1 + $0] == wanted[wanted.startIndex + $0] }) {
                out.pointee = offered + c + 1
                outLength.pointee = UInt8(l)
                return SSL_TLSEXT_ERR_OK
            }
            c += 1 + l
        }
        s += 1 + length
    }
    return SSL_TLSEXT_ERR_NOACK
}
