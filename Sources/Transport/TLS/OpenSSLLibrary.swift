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
    /// over. Making a context (SSL_CTX_new fetches every algorithm of the default provider) runs
    /// code all over libcrypto, and the kernel maps cached file pages around each fault, so about
    /// 2 MiB of code stays resident that handshakes and records never run again. Only mappings
    /// that are read-only and hold no private copy (`Anonymous: 0`: not the relocated RELRO data)
    /// are dropped; what is used again comes back from the page cache on first touch.
    public static func releaseStartupPages() {
        guard swiftlet_ssl_loaded() == 1, case let .success(bytes) = FileContents.read("/proc/self/smaps") else { return }
        var candidate: (start: UInt, length: Int)?
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            if let mapping = openSSLReadOnlyMapping(line) {
                candidate = mapping
            } else if line.starts(with: Array("Anonymous:".utf8)), let mapping = candidate {
                candidate = nil
                let anonymous = line.drop { !(48...57).contains($0) }.prefix { (48...57).contains($0) }
                guard anonymous.elementsEqual([UInt8(ascii: "0")]) else { continue }
                _ = madvise(UnsafeMutableRawPointer(bitPattern: mapping.start), mapping.length, MADV_DONTNEED)
            } else if line.first.map({ (48...57).contains($0) || (97...102).contains($0) }) == true, line.contains(UInt8(ascii: "-")) {
                candidate = nil
            }
        }
    }

    /// The range of a smaps header line for a mapping of libssl or libcrypto without write permission.
    private static func openSSLReadOnlyMapping(_ line: ArraySlice<UInt8>) -> (start: UInt, length: Int)? {
        let fields = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: true)
        guard fields.count >= 6, let path = fields.last,
              path.ends(with: "libcrypto.so.3") || path.ends(with: "libssl.so.3"),
              !fields[1].contains(UInt8(ascii: "w")) else { return nil }
        let bounds = fields[0].split(separator: UInt8(ascii: "-"))
        guard bounds.count == 2, let start = UInt(String(decoding: bounds[0], as: UTF8.self), radix: 16),
              let end = UInt(String(decoding: bounds[1], as: UTF8.self), radix: 16), end > start else { return nil }
        return (start, Int(end - start))
    }
}

private extension ArraySlice where Element == UInt8 {
    func ends(with suffix: String) -> Bool { self.count >= suffix.utf8.count && self.suffix(suffix.utf8.count).elementsEqual(suffix.utf8) }
}
