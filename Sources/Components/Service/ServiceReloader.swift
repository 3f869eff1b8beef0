import Diagnostics
import Synchronization
import Transport

/// Runs one `Service` at a time and replaces it with one built from a new configuration without
/// losing or refusing a request:
///
/// 1. the new configuration is built over the running one, carrying over unchanged receivers,
///    exporters and extensions; listening sockets are held open meanwhile (`ListeningSockets`), so
///    a receiver whose settings changed takes over its predecessor's socket instead of binding anew;
/// 2. the new components start (a failure stops them again and the old configuration keeps serving);
/// 3. carried-over receivers switch to the new pipelines in one step;
/// 4. the old configuration retires: its other receivers stop accepting and finish what they
///    hold, and once the last call into the old pipelines has returned, its processors flush into
///    their exporters and what the new configuration did not keep shuts down.
///
/// Calls must not overlap (the caller serializes reloads and the final shutdown).
public final class ServiceReloader: Sendable {
    private let current: Mutex<Service>
    private let logger: Logger

    public init(running service: Service, logger: Logger) {
        current = Mutex(service)
        self.logger = logger
    }

    public var service: Service { current.withLock { $0 } }

    /// Switches to `config`; throws (with the old configuration still serving) if it cannot be built or started.
    public func reload(to config: CollectorConfig) throws {
        let old = service
        ListeningSockets.shared.beginHandover()
        defer { ListeningSockets.shared.endHandover() }
        let next = try Service(config: config, logger: logger, shared: old.shared, replacing: old)
        try next.start()
        next.takeOverReceivers()
        current.withLock { $0 = next }
        old.retire(replacedBy: next)
    }

    public func shutdown() {
        service.shutdown()
    }
}
