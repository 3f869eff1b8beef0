import CSSLLoader

/// OpenSSL is loaded on first use (`CSSLLoader`): a process without TLS, auth or digests never maps it.
public enum OpenSSLLibrary {
    /// Loads libssl.so.3 if it is not yet loaded; throws saying why when it cannot be.
    public static func load() throws(TLSError) {
        var message = [CChar](repeating: 0, count: 512)
        guard swiftlet_ssl_load(&message, UInt(message.count)) == 1 else {
            throw TLSError(message.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
        }
    }
}
