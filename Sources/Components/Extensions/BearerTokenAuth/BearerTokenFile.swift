import Diagnostics
import Synchronization

/// A token file, read at start and again on use once its device, inode, size or mtime changed
/// (checked at most once a second): a rotated token, a Kubernetes secret's swapped link. Its
/// lines, trimmed, are the tokens; empty lines are none. A file that cannot be read keeps the
/// tokens read before, as upstream.
final class BearerTokenFile: Sendable {
    static let checkInterval: UInt64 = 1_000_000_000

    let path: String
    private let logger: Logger
    private let state = Mutex(State())

    private struct State {
        var identity: FileIdentity?
        var checkedAt: UInt64 = 0
        var tokens: [String] = []
    }

    init(path: String, logger: Logger) {
        self.path = path
        self.logger = logger
    }

    /// Reads the file; a file that cannot be read stops the start-up.
    func load() throws(FileError) {
        let now = WallClock.monotonicNano()
        let identity = try FileIdentity(of: path)
        let tokens = Self.tokens(in: try PosixFile.readAll(path))
        state.withLock { $0 = State(identity: identity, checkedAt: now, tokens: tokens) }
    }

    /// The tokens, read again first when the file changed.
    func tokens(now: UInt64 = WallClock.monotonicNano()) -> [String] {
        state.withLock { state in
            if now &- state.checkedAt >= Self.checkInterval {
                state.checkedAt = now
                refresh(&state)
            }
            return state.tokens
        }
    }

    private func refresh(_ state: inout State) {
        do {
            let identity = try FileIdentity(of: path)
            guard identity != state.identity else { return }
            state.tokens = Self.tokens(in: try PosixFile.readAll(path))
            state.identity = identity
            logger.info("refresh token", ["filename": path])
        } catch {
            logger.error("Cannot read the bearer token file; keeping the tokens read before", ["error": error.description])
        }
    }

    static func tokens(in content: [UInt8]) -> [String] {
        content.split(separator: UInt8(ascii: "\n")).map { String(decoding: $0, as: UTF8.self) }
            .map { String(Substring($0).trimmingWhiteSpace()) }.filter { !$0.isEmpty }
    }
}
