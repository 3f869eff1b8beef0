#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Config
import Pipeline

/// `file_storage` extension: a directory on local disk where components keep state across
/// restarts, each in a directory of its own (the OTLP exporters' persistent sending queue). Upstream
/// keeps a bbolt database per component; Swiftlet keeps the queue's segment files, which need no
/// compaction, so `compaction` is accepted and has nothing to do.
public final class FileStorageExtension: Component {
    public static let factory = ComponentFactory.extension("file_storage", .beta, parse: Config.parse) { _, config in
        FileStorageExtension(config)
    }

    public struct Config: Sendable, Equatable {
        public var directory = "/var/lib/otelcol/file_storage"
        /// The longest a component waits for its directory's lock, or for a durable write.
        public var timeout: Duration = .seconds(1)
        /// Whether a write returns only once it is on stable storage.
        public var fsync = false
        public var createDirectory = false
        public var directoryPermissions: UInt32 = 0o750

        public init() {}

        public static func parse(_ r: ConfigReader) throws(ConfigError) -> Config {
            var c = Config()
            c.directory = try r.string("directory") ?? c.directory
            guard !c.directory.isEmpty else { throw r.error("directory", "must not be empty") }
            c.timeout = try r.duration("timeout") ?? c.timeout
            guard c.timeout > .zero else { throw r.error("timeout", "must be greater than 0") }
            c.fsync = try r.bool("fsync") ?? c.fsync
            c.createDirectory = try r.bool("create_directory") ?? c.createDirectory
            if let text = try r.string("directory_permissions") {
                guard let mode = UInt32(text, radix: 8), mode <= 0o7777 else {
                    throw r.error("directory_permissions", "expected octal permissions such as 0750, got \"\(text)\"")
                }
                c.directoryPermissions = mode
            }
            if let compaction = try r.child("compaction") {
                for key in ["on_start", "on_rebound", "cleanup_on_start"] { _ = try compaction.bool(key) }
                for key in ["max_transaction_size", "rebound_needed_threshold_mib", "rebound_trigger_threshold_mib"] { _ = try compaction.int(key) }
                _ = try compaction.string("directory")
                _ = try compaction.duration("check_interval")
                try compaction.finish()
            }
            return c
        }
    }

    public let config: Config

    init(_ config: Config) {
        self.config = config
    }

    /// Checks (or makes, with `create_directory`) the directory, so an unusable one stops the
    /// start-up with its reason rather than the first write.
    public func start() throws {
        if !PosixFile.isDirectory(config.directory) {
            guard config.createDirectory else {
                throw FileStorageError("directory \(config.directory) must exist and be a directory (set create_directory: true to create it)")
            }
            do { try PosixFile.makeDirectories(config.directory, mode: mode_t(config.directoryPermissions)) } catch {
                throw FileStorageError("cannot create directory \(config.directory): \(error)")
            }
        }
        guard access(config.directory, R_OK | W_OK | X_OK) == 0 else {
            throw FileStorageError("directory \(config.directory) is not usable: \(FileError("access", config.directory).description)")
        }
    }

    public func shutdown() {}

    /// The directory of component `id` of `kind`, made if needed: `<directory>/<kind>_<type>[.<name>]`,
    /// the name with every byte outside `[A-Za-z0-9-]` written `%XX`, so two ids never share one.
    func directory(for id: ComponentID, kind: ComponentKind) throws(FileStorageError) -> String {
        let path = config.directory + "/" + Self.directoryName(for: id, kind: kind)
        do { try PosixFile.makeDirectories(path, mode: mode_t(config.directoryPermissions)) } catch {
            throw FileStorageError("cannot create the storage directory for \(id): \(error)")
        }
        return path
    }

    static func directoryName(for id: ComponentID, kind: ComponentKind) -> String {
        var name = "\(kind.rawValue)_\(id.type)"
        guard !id.name.isEmpty else { return name }
        name += "."
        for byte in id.name.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"):
                name.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".utf8)
                name += "%" + String(decoding: [hex[Int(byte >> 4)], hex[Int(byte & 15)]], as: UTF8.self)
            }
        }
        return name
    }
}

public struct FileStorageError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
