#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CSSL
import CSSLLoader
import Diagnostics

/// OpenSSL is loaded on first use (`CSSLLoader`): a process without TLS, auth or digests never maps it.
public enum OpenSSLLibrary {
    /// Loads libssl.so.3 if it is not yet loaded; throws saying why when it cannot be.
    public static func load() throws(TLSError) {
        var message = [CChar](repeating: 0, count: 512)
        guard swiftlet_ssl_load(&message, UInt(message.count)) == 1 else {
            throw TLSError(message.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
        }
        _ = initialized
    }

    /// OpenSSL's start-up without the system's openssl.cnf (Swiftlet's settings are configtls's,
    /// as Go's are, whatever the machine's defaults) and without its error strings, which are
    /// loaded when an error is first put into words (`loadErrorStrings`).
    private static let initialized: Bool = {
        let options = UInt64(OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS) | UInt64(OPENSSL_INIT_NO_LOAD_SSL_STRINGS)
        return OPENSSL_init_ssl(options, nil) == 1
    }()

    /// Before an OpenSSL error is put into words.
    static func loadErrorStrings() {
        _ = OPENSSL_init_ssl(UInt64(OPENSSL_INIT_LOAD_CRYPTO_STRINGS) | UInt64(OPENSSL_INIT_LOAD_SSL_STRINGS), nil)
    }

    /// Gives back the resident pages of OpenSSL's code and read-only data once its start-up is
    /// over (`StartupPages`). Making a context (SSL_CTX_new fetches every algorithm of the default
    /// provider) runs code all over libcrypto: about 2 MiB stays resident that handshakes and
    /// records never run again.
    public static func releaseStartupPages() {
        guard swiftlet_ssl_loaded() == 1 else { return }
        StartupPages.release { path in path.ends(with: "libcrypto.so.3") || path.ends(with: "libssl.so.3") }
    }
}

private extension ArraySlice where Element == UInt8 {
    func ends(with suffix: String) -> Bool { self.count >= suffix.utf8.count && self.suffix(suffix.utf8.count).elementsEqual(suffix.utf8) }
}
