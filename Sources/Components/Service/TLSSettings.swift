import Config
import Transport

/// The Collector's `configtls` block: read, turned into a `TLSConfiguration` and checked as
/// `validate` checks it (every file read, certificates in date, key matching its certificate).
enum TLSSettings {
    /// A server's `tls`; nil when absent.
    static func parseServer(_ r: ConfigReader) throws(ConfigError) -> TLSConfiguration? {
        guard let t = try r.child("tls") else { return nil }
        var c = try parseCommon(t)
        c.ca = try source(t, file: "client_ca_file", pem: nil)
        // Upstream reloads the client CA when its file changes; here every file is checked at
        // reload_interval, once a second when only this is asked for.
        if try t.bool("client_ca_file_reload") == true, c.reloadInterval == 0 { c.reloadInterval = 1 }
        // Upstream loads `ca_file`/`ca_pem` on a server into a pool no server handshake uses.
        _ = try source(t, file: "ca_file", pem: "ca_pem")
        _ = try t.bool("include_system_ca_certs_pool")
        guard c.certificate != nil, c.key != nil else {
            throw t.error(nil, "a server needs cert_file (or cert_pem) and key_file (or key_pem)")
        }
        try check(c, role: .server, t)
        return c
    }

    /// A client's `tls` for an endpoint whose URL scheme is `scheme`; nil means plain text: gRPC
    /// with `insecure: true` and no CA (configgrpc), or an `http://` URL.
    static func parseClient(_ r: ConfigReader, scheme: String?, insecureKeyDecides: Bool) throws(ConfigError) -> TLSConfiguration? {
        guard let t = try r.child("tls") else {
            return scheme == "http" ? nil : TLSConfiguration()
        }
        var c = try parseCommon(t)
        c.ca = try source(t, file: "ca_file", pem: "ca_pem")
        c.includeSystemCACertsPool = try t.bool("include_system_ca_certs_pool") ?? false
        c.insecureSkipVerify = try t.bool("insecure_skip_verify") ?? false
        c.serverNameOverride = try t.string("server_name_override").flatMap { $0.isEmpty ? nil : $0 }
        let insecure = try t.bool("insecure") ?? false
        if scheme == "http" { return nil }
        if insecureKeyDecides, insecure, c.ca == nil {
            // configgrpc: plain text, unless the endpoint says https://, which gets TLS's defaults.
            return scheme == "https" ? TLSConfiguration() : nil
        }
        try check(c, role: .client, t)
        return c
    }

    private static func parseCommon(_ t: ConfigReader) throws(ConfigError) -> TLSConfiguration {
        var c = TLSConfiguration()
        c.certificate = try source(t, file: "cert_file", pem: "cert_pem")
        c.key = try source(t, file: "key_file", pem: "key_pem")
        c.minVersion = try version(t, "min_version") ?? .v1_2
        c.maxVersion = try version(t, "max_version")
        c.cipherSuites = try t.stringList("cipher_suites") ?? []
        c.reloadInterval = try t.duration("reload_interval")?.seconds ?? 0
        guard c.reloadInterval >= 0 else { throw t.error("reload_interval", "must not be negative") }
        return c
    }

    private static func source(_ t: ConfigReader, file: String, pem: String?) throws(ConfigError) -> TLSConfiguration.Source? {
        let path = try t.string(file).flatMap { $0.isEmpty ? nil : $0 }
        let text = try pem.flatMap { key throws(ConfigError) in try t.string(key) }.flatMap { $0.isEmpty ? nil : $0 }
        if path != nil, text != nil, let pem {
            throw t.error(file, "set \(file) or \(pem), not both")
        }
        return path.map { .file($0) } ?? text.map { .pem($0) }
    }

    private static func version(_ t: ConfigReader, _ key: String) throws(ConfigError) -> TLSConfiguration.Version? {
        guard let text = try t.string(key), !text.isEmpty else { return nil }
        guard let version = TLSConfiguration.Version(configValue: text) else {
            throw t.error(key, "unsupported TLS version \"\(text)\" (expected 1.0, 1.1, 1.2 or 1.3)")
        }
        return version
    }

    private static func check(_ c: TLSConfiguration, role: TLSContext.Role, _ t: ConfigReader) throws(ConfigError) {
        do throws(TLSError) {
            try TLSContext.check(c, role: role)
        } catch {
            throw t.error(nil, error.description)
        }
    }
}
