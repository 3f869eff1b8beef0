import Config
import Transport

/// What both OTLP exporters read: headers, compression, timeout, retry, queue and auth.
public struct OTLPExporterSettings: Sendable, Equatable {
    public var headers: [String: String] = [:]
    /// nil: none.
    public var compression: ContentCoding? = .gzip
    /// `compression_params::level`; nil: the coding's default.
    public var compressionLevel: Int32?
    public var timeout: Duration
    public var retry = RetrySettings()
    public var queue = QueueSettings()
    /// `auth`: the client authenticator whose header fields every request carries.
    public var auth: AuthSettings?
    /// nil: plain text.
    public var tls: TLSConfiguration?

    init(timeout: Duration) {
        self.timeout = timeout
    }

    mutating func read(_ r: ConfigReader, compressions: Set<String>) throws(ConfigError) {
        if let headers = try r.child("headers") {
            for key in headers.keys {
                self.headers[key] = try headers.string(key) ?? ""
            }
        }
        if let text = try r.string("compression") {
            guard compressions.contains(text) || text == "none" || text.isEmpty else {
                throw r.error("compression", "unsupported compression \"\(text)\"; Swiftlet supports \(compressions.sorted().joined(separator: ", ")) and none")
            }
            do {
                compression = text == "none" ? nil : try ContentCoding(token: text)
            } catch {
                throw r.error("compression", "\(error)")
            }
        }
        try readCompressionLevel(r)
        timeout = try r.duration("timeout") ?? timeout
        guard timeout > .zero else { throw r.error("timeout", "must be greater than 0") }
        retry = try RetrySettings.parse(r.child("retry_on_failure"))
        queue = try QueueSettings.parse(r.child("sending_queue"))
        auth = try AuthSettings.parse(in: r, requestParams: false)
    }

    /// configcompression's `compression_params`: a level the coding has, and none without one.
    private mutating func readCompressionLevel(_ r: ConfigReader) throws(ConfigError) {
        guard let params = try r.child("compression_params"), let level = try params.int("level") else { return }
        guard let coding = compression else {
            guard level == 0 else { throw r.error("compression_params::level", "unsupported level \(level) without compression") }
            return
        }
        guard let level32 = Int32(exactly: level), coding.accepts(level: level32) else {
            throw r.error("compression_params::level", "unsupported level \(level) for compression \(coding.token); "
                + "gzip and deflate take -1 (default), -2 (Huffman only), 0 (no compression) or 1 to 9")
        }
        compressionLevel = level32
    }

    var metadata: [(String, String)] {
        headers.sorted { $0.key < $1.key }.map { ($0.key.lowercased(), $0.value) }
    }
}

