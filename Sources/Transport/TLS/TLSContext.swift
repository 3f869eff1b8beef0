import CSSL
import Diagnostics
import Synchronization

/// One side's TLS settings made into an OpenSSL context, shared by every connection of a listener
/// or a client. With `reloadInterval` the files are checked for new content at most that often, on
/// the next connection after it passed; new content makes a new context for connections from then
/// on (a rotated certificate is picked up without a restart), a bad one is logged and the old
/// context kept.
public final class TLSContext: Sendable {
    public enum Role: Sendable {
        case server, client
    }

    public let role: Role
    public let configuration: TLSConfiguration
    /// ALPN protocol ids, most preferred first: what a client offers, what a server accepts.
    let alpn: [String]
    private let logger: Logger?
    private let state: Mutex<(handle: Handle, material: Material, nextCheck: UInt64)>

    /// Reads every file and checks it (present, parsed, in date, key matching certificate).
    public init(_ configuration: TLSConfiguration, role: Role, alpn: [String], logger: Logger? = nil) throws(TLSError) {
        self.role = role
        self.configuration = configuration
        self.alpn = alpn
        self.logger = logger
        let material = try Material.read(configuration)
        let handle = try Self.build(role: role, configuration, material, alpn: alpn)
        state = Mutex((handle, material, WallClock.monotonicNano() + configuration.reloadInterval.nanoseconds))
    }

    /// Checks a configuration as `init` does, without keeping anything (for `validate`).
    public static func check(_ configuration: TLSConfiguration, role: Role) throws(TLSError) {
        _ = try build(role: role, configuration, try Material.read(configuration), alpn: [])
    }

    /// A new session for one connection; `serverName` is the host a client connects to.
    func makeSession(serverName: String? = nil) throws(TLSError) -> TLSSession {
        try TLSSession(context: currentHandle(), role: role, serverName: configuration.serverNameOverride ?? serverName,
                       verifyName: !configuration.insecureSkipVerify, alpn: role == .client ? alpn : [])
    }

    private func currentHandle() -> Handle {
        guard configuration.reloadInterval > 0 else { return state.withLock { $0.handle } }
        let now = WallClock.monotonicNano()
        let due = state.withLock { s -> Bool in
            guard now >= s.nextCheck else { return false }
            s.nextCheck = now + configuration.reloadInterval.nanoseconds
            return true
        }
        if due { reloadIfChanged() }
        return state.withLock { $0.handle }
    }

    private func reloadIfChanged() {
        do throws(TLSError) {
            let material = try Material.read(configuration)
            guard material != state.withLock({ $0.material }) else { return }
            let handle = try Self.build(role: role, configuration, material, alpn: alpn)
            state.withLock { $0.handle = handle; $0.material = material }
            logger?.info("TLS certificates reloaded", ["files": configuration.files.map(\.path).joined(separator: ", ")])
        } catch {
            logger?.error("TLS certificates not reloaded, keeping the previous ones", ["error": error.description])
        }
    }
}

extension TLSContext {
    /// An `SSL_CTX`, freed when the last user lets go (sessions hold their own reference).
    final class Handle: @unchecked Sendable {
        let ctx: OpaquePointer

        init(_ ctx: OpaquePointer) {
            self.ctx = ctx
        }

        deinit { SSL_CTX_free(ctx) }
    }

    /// The PEM bytes of the certificate, key and CA, read from files or given inline.
    struct Material: Equatable {
        var certificate: [UInt8]?
        var key: [UInt8]?
        var ca: [UInt8]?

        static func read(_ c: TLSConfiguration) throws(TLSError) -> Material {
            Material(certificate: try load(c.certificate, key: "cert_file"), key: try load(c.key, key: "key_file"),
                     ca: try load(c.ca, key: "ca_file"))
        }

        private static func load(_ source: TLSConfiguration.Source?, key: String) throws(TLSError) -> [UInt8]? {
            switch source {
            case nil: return nil
            case let .pem(text): return Array(text.utf8)
            case let .file(path): return try readFile(path, key: key)
            }
        }

        private static func readFile(_ path: String, key: String) throws(TLSError) -> [UInt8] {
            switch FileContents.read(path) {
            case let .success(bytes): return bytes
            case let .failure(error): throw TLSError("\(key) \(path): \(error.reason)")
            }
        }
    }
}
