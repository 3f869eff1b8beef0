import Dispatch
import Diagnostics
import Synchronization
import WireFormats

/// Keeps a local view of one kind of object by list + watch, as client-go's reflector does: list
/// (in pages), then watch from the list's `resourceVersion`; a watch that ends is resumed from the
/// last version seen; `410 Gone` (an expired version) means list again; failures back off from 1 s
/// to 30 s. Changes go to `onChange` on the informer's own queue, in order.
public final class KubernetesInformer: @unchecked Sendable {
    public enum Change: Sendable {
        /// The whole set, after a (re)list.
        case replaced([JSONValue])
        case upserted(JSONValue)
        case deleted(JSONValue)
    }

    public struct Resource: Sendable {
        /// `/api/v1/pods`, `/apis/apps/v1/replicasets`, `/api/v1/namespaces/x/pods`.
        public var path: String
        public var labelSelector = ""
        public var fieldSelector = ""

        public init(path: String, labelSelector: String = "", fieldSelector: String = "") {
            self.path = path
            self.labelSelector = labelSelector
            self.fieldSelector = fieldSelector
        }
    }

    private let client: KubernetesClient
    private let resource: Resource
    private let logger: Logger
    private let onChange: @Sendable (Change) -> Void
    private let queue: DispatchQueue
    // Guarded by `queue`.
    private var resourceVersion = ""
    private var stopped = false
    private var backoff = 1.0
    private var failures = 0
    private let synced = Atomic<Bool>(false)
    private let syncSignal = DispatchSemaphore(value: 0)

    static let pageSize = 500
    static let requestTimeout = 60.0

    public init(client: KubernetesClient, resource: Resource, logger: Logger, onChange: @escaping @Sendable (Change) -> Void) {
        self.client = client
        self.resource = resource
        self.logger = logger
        self.onChange = onChange
        queue = DispatchQueue(label: "swiftlet.kubernetes.informer")
    }

    /// Whether the first list has been delivered.
    public var hasSynced: Bool { synced.load(ordering: .acquiring) }

    public func start() { queue.async { self.list(continuing: nil, items: []) } }

    public func stop() {
        queue.sync { stopped = true }
        syncSignal.signal()
    }

    /// Blocks the caller (a start-up, never a pool thread serving requests) until synced or `timeout`.
    public func waitForSync(timeout: Double) -> Bool {
        if hasSynced { return true }
        _ = syncSignal.wait(timeout: .now() + timeout)
        if hasSynced { syncSignal.signal() }
        return hasSynced
    }

    private func query(_ extra: [(String, String)]) -> String {
        var items = extra
        if !resource.labelSelector.isEmpty { items.append(("labelSelector", resource.labelSelector)) }
        if !resource.fieldSelector.isEmpty { items.append(("fieldSelector", resource.fieldSelector)) }
        return resource.path + "?" + items.map { "\($0.0)=\(Self.percentEncoded($0.1))" }.joined(separator: "&")
    }

    private func list(continuing token: String?, items: [JSONValue]) {
        guard !stopped else { return }
        var parameters = [("limit", "\(Self.pageSize)")]
        if let token { parameters.append(("continue", token)) }
        client.get(query(parameters), timeout: Self.requestTimeout) { result in
            self.queue.async { self.listed(result, items: items) }
        }
    }

    private func listed(_ result: Result<JSONValue, KubernetesError>, items: [JSONValue]) {
        guard !stopped else { return }
        switch result {
        case let .failure(error):
            // An expired `continue` token is a 410 too: start the list over.
            failed("list", error) { self.list(continuing: nil, items: []) }
        case let .success(page):
            let all = items + (page["items"]?.array ?? [])
            if let token = page["metadata", "continue"]?.string, !token.isEmpty {
                return list(continuing: token, items: all)
            }
            resourceVersion = page["metadata", "resourceVersion"]?.string ?? ""
            onChange(.replaced(all))
            // A list of a large cluster is megabytes of JSON trees, freed once this block ends:
            // give the pages back then rather than keep them resident for the life of the watch.
            queue.async { Heap.returnFreePages() }
            if !synced.exchange(true, ordering: .acquiringAndReleasing) { syncSignal.signal() }
            succeeded()
            watch()
        }
    }

    private func watch() {
        guard !stopped else { return }
        // client-go picks a timeout between 5 and 10 minutes, so watches of many clients spread out.
        let seconds = Int.random(in: 300...600)
        let path = query([("watch", "1"), ("allowWatchBookmarks", "true"), ("resourceVersion", resourceVersion), ("timeoutSeconds", "\(seconds)")])
        let expired = Atomic<Bool>(false)
        client.watch(path, timeout: Double(seconds) + 30, onEvent: { event in
            self.queue.async { if self.apply(event) { expired.store(true, ordering: .relaxed) } }
        }, completion: { result in
            self.queue.async { self.watchEnded(result, expired: expired.load(ordering: .relaxed)) }
        })
    }

    /// Applies one event; true for an ERROR event saying the version expired.
    private func apply(_ event: KubernetesWatchEvent) -> Bool {
        guard !stopped else { return false }
        switch event.type {
        case "ADDED", "MODIFIED":
            onChange(.upserted(event.object))
        case "DELETED":
            onChange(.deleted(event.object))
        case "BOOKMARK":
            break
        case "ERROR":
            let code = event.object["code"]?.int
            logger.debug("Kubernetes watch error event", ["resource": resource.path, "code": code ?? 0, "message": event.object["message"]?.string ?? ""])
            return code == 410
        default:
            return false
        }
        if let version = event.object["metadata", "resourceVersion"]?.string { resourceVersion = version }
        return false
    }

    private func watchEnded(_ result: Result<Void, KubernetesError>, expired: Bool) {
        guard !stopped else { return }
        if expired { return list(continuing: nil, items: []) }
        switch result {
        case .success:
            succeeded()
            watch()
        case let .failure(error):
            if error.status == 410 { return list(continuing: nil, items: []) }
            failed("watch", error) { self.watch() }
        }
    }

    private func succeeded() {
        if failures > 0 { logger.info("Kubernetes API reachable again", ["resource": resource.path]) }
        failures = 0
        backoff = 1
    }

    private func failed(_ what: String, _ error: KubernetesError, retry: @escaping @Sendable () -> Void) {
        failures += 1
        // The first failure of a run is a warning; the retries that follow, debug.
        if failures == 1 {
            logger.warn("Kubernetes \(what) failed", ["resource": resource.path, "error": error.description, "retry_in_s": backoff])
        } else {
            logger.debug("Kubernetes \(what) failed", ["resource": resource.path, "error": error.description, "retry_in_s": backoff])
        }
        queue.asyncAfter(deadline: .now() + backoff) { retry() }
        backoff = min(backoff * 2, 30)
    }

    /// RFC 3986 percent-encoding of a query value: all but the unreserved characters.
    static func percentEncoded(_ value: String) -> String {
        var out = ""
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".utf8)
                out += "%" + String(decoding: [hex[Int(byte >> 4)], hex[Int(byte & 15)]], as: UTF8.self)
            }
        }
        return out
    }
}
