import Config
import Dispatch

/// Calls `onChange` on `queue` when the contents of a config file change, checked once a second.
/// Contents, not modification times: a Kubernetes ConfigMap volume swaps a symlink to a new
/// directory, which leaves the path's own times alone, and an editor may keep the size.
final class ConfigFileWatcher: Sendable {
    /// Set once in init; kept alive here.
    private nonisolated(unsafe) let timer: any DispatchSourceTimer

    init(paths: [String], queue: DispatchQueue, interval: DispatchTimeInterval = .seconds(1),
         onChange: @escaping @Sendable () -> Void) {
        func snapshot() -> [String] {
            paths.map { path in
                do { return try ConfigSource.readFileContents(path) } catch { return "\u{0}unreadable: \(error)" }
            }
        }
        nonisolated(unsafe) var last = snapshot()
        timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now() + interval, repeating: interval)
        timer.setEventHandler {
            let now = snapshot()
            guard now != last else { return }
            last = now
            onChange()
        }
        timer.resume()
    }
}
