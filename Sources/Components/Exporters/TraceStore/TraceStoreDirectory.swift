import Pipeline
import Synchronization

/// Where `trace_query` finds the stores: extensions start before exporters, so the extension
/// cannot be handed a store at start; it looks the store up here on each request instead.
/// Process-wide, keyed by the exporter's id; a store that is replaced (a reload) stays
/// registered until the replacement registers.
public final class TraceStoreDirectory: Sendable {
    public static let shared = TraceStoreDirectory()

    private let stores = Mutex<[ComponentID: TraceStore]>([:])

    public init() {}

    public func register(_ store: TraceStore, as id: ComponentID) {
        stores.withLock { $0[id] = store }
    }

    /// Removes the entry only while it is still this store.
    public func unregister(_ store: TraceStore, as id: ComponentID) {
        stores.withLock { if $0[id] === store { $0[id] = nil } }
    }

    public enum Lookup {
        case found(TraceStore)
        case missing(String)
    }

    /// The store of exporter `id`; without an id, the only store there is.
    public func store(_ id: ComponentID?) -> Lookup {
        stores.withLock { stores in
            if let id {
                return stores[id].map(Lookup.found) ?? .missing("no tracestore exporter \(id) is running")
            }
            switch stores.count {
            case 0: return .missing("no tracestore exporter is running")
            case 1: return .found(stores.first!.value)
            default:
                let ids = stores.keys.map(\.description).sorted().joined(separator: ", ")
                return .missing("several tracestore exporters run (\(ids)); set trace_query's store")
            }
        }
    }
}
