import Config
import Pipeline
import TraceModel

/// `tracestore` exporter: keeps recent traces in memory for the `trace_query` extension (Tempo's
/// HTTP API). Consuming never fails and never waits: a full store evicts its oldest traces.
public final class TraceStoreExporter: Component, TraceConsumer {
    public static let factory = ComponentFactory.exporter("tracestore", .development, parse: Config.parse) { ctx, config in
        TraceStoreExporter(id: ctx.id, config: config)
    }

    public let id: ComponentID
    public let store: TraceStore

    init(id: ComponentID, config: Config) {
        self.id = id
        store = TraceStore(limits: config.limits)
    }

    public func start() {
        TraceStoreDirectory.shared.register(store, as: id)
    }

    public func consume(_ batch: TraceBatch) throws(ConsumerError) {
        store.insert(batch)
    }

    public func shutdown() {
        TraceStoreDirectory.shared.unregister(store, as: id)
    }
}
