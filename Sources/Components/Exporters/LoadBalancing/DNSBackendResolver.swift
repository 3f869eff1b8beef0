import Diagnostics
import Dispatch
import Synchronization
import Transport

/// `dns`: every `interval`, all A and AAAA records of `hostname` (a headless Service's pods), as
/// `ip:port` (`[ip]:port` for IPv6; the bare address when `port` is empty, as upstream, which then
/// sends to port 4317). A failed lookup keeps the last list.
/// `@unchecked Sendable`: the timer source is made once, and Dispatch sources may be resumed and
/// cancelled from any thread.
final class DNSBackendResolver: BackendResolver, @unchecked Sendable {
    private let hostname: String
    private let port: String
    private let interval: Duration
    private let timeout: Duration
    private let publisher: BackendListPublisher
    private let logger: Logger
    private let lookup: DNSLookup
    private let queue = DispatchQueue(label: "swiftlet.loadbalancing.dns")
    private let timer: any DispatchSourceTimer
    private let started = Atomic<Bool>(false)

    init(hostname: String, port: String, interval: Duration, timeout: Duration, publisher: BackendListPublisher, logger: Logger,
         lookup: DNSLookup = DNSLookup()) {
        self.hostname = hostname
        self.port = port
        self.interval = interval
        self.timeout = timeout
        self.publisher = publisher
        self.logger = logger
        self.lookup = lookup
        timer = DispatchSource.makeTimerSource(queue: queue)
    }

    func start(onChange: @escaping @Sendable ([String]) -> Void) throws {
        publisher.connect(onChange)
        timer.schedule(deadline: .now(), repeating: interval.dispatchInterval)
        timer.setEventHandler { [weak self] in self?.resolve() }
        started.store(true, ordering: .releasing)
        timer.resume()
        logger.debug("DNS resolver started", ["hostname": hostname, "port": port, "interval": "\(interval)", "timeout": "\(timeout)"])
    }

    private func resolve() {
        lookup.lookupIPAddresses(hostname, timeout: timeout.seconds) { [self] result in
            switch result {
            case let .success(addresses):
                publisher.resolved(addresses.map(endpoint))
            case let .failure(error):
                publisher.failed()
                logger.warn("failed to resolve", ["hostname": hostname, "error": error.description])
            }
        }
    }

    private func endpoint(_ address: String) -> String {
        let host = address.contains(":") ? "[\(address)]" : address
        return port.isEmpty ? host : "\(host):\(port)"
    }

    func shutdown() {
        publisher.disconnect()
        // A source never resumed must not be cancelled before it is (Dispatch's rule): resume it first.
        if !started.exchange(true, ordering: .acquiringAndReleasing) { timer.resume() }
        timer.cancel()
    }
}
