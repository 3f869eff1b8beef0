import Config
import Diagnostics
import Pipeline
import Transport

/// How far along a component type is, as upstream labels it.
public enum Stability: String, Sendable {
    case development, alpha, beta, stable, deprecated
}

/// What a component is given when it is made.
public struct ComponentContext: Sendable {
    public let id: ComponentID
    public let kind: ComponentKind
    public let logger: Logger
    public let status: ServiceStatus
    /// The collector's own metrics, for counters a component keeps beyond the ones the service
    /// keeps for it (per transport, dropped datagrams).
    public let metrics: SelfMetrics
    /// The service's cap on request bytes held at once, shared by every receiver's listeners.
    public let admission: AdmissionBudget?

    public init(id: ComponentID, kind: ComponentKind, logger: Logger, status: ServiceStatus, metrics: SelfMetrics = SelfMetrics(),
                admission: AdmissionBudget? = nil) {
        self.id = id
        self.kind = kind
        self.logger = logger
        self.status = status
        self.metrics = metrics
        self.admission = admission
    }
}

/// One component type: its name as upstream spells it, how to read its config and how to make it.
/// Configs are carried type-erased between the two steps; each factory made by the static
/// constructors below casts back to its own `Config`.
public struct ComponentFactory: Sendable {
    public let type: String
    public let kind: ComponentKind
    public let stability: Stability
    /// Reads and validates a config; the caller checks for unknown keys afterwards.
    public let parseConfig: @Sendable (ConfigReader) throws(ConfigError) -> any Sendable
    /// Makes the component. `next` is nil for exporters and extensions.
    public let make: @Sendable (ComponentContext, any Sendable, (any TraceConsumer)?) throws -> any Component

    public static func receiver<C: Sendable>(
        _ type: String, _ stability: Stability, parse: @escaping @Sendable (ConfigReader) throws(ConfigError) -> C,
        make: @escaping @Sendable (ComponentContext, C, any TraceConsumer) throws -> any Component
    ) -> ComponentFactory {
        ComponentFactory(type: type, kind: .receiver, stability: stability, parseConfig: { r throws(ConfigError) in try parse(r) }) {
            ctx, config, next in try make(ctx, config as! C, next!)
        }
    }

    public static func processor<C: Sendable>(
        _ type: String, _ stability: Stability, parse: @escaping @Sendable (ConfigReader) throws(ConfigError) -> C,
        make: @escaping @Sendable (ComponentContext, C, any TraceConsumer) throws -> any Component & TraceConsumer
    ) -> ComponentFactory {
        ComponentFactory(type: type, kind: .processor, stability: stability, parseConfig: { r throws(ConfigError) in try parse(r) }) {
            ctx, config, next in try make(ctx, config as! C, next!)
        }
    }

    public static func exporter<C: Sendable>(
        _ type: String, _ stability: Stability, parse: @escaping @Sendable (ConfigReader) throws(ConfigError) -> C,
        make: @escaping @Sendable (ComponentContext, C) throws -> any Component & TraceConsumer
    ) -> ComponentFactory {
        ComponentFactory(type: type, kind: .exporter, stability: stability, parseConfig: { r throws(ConfigError) in try parse(r) }) {
            ctx, config, _ in try make(ctx, config as! C)
        }
    }

    public static func `extension`<C: Sendable>(
        _ type: String, _ stability: Stability, parse: @escaping @Sendable (ConfigReader) throws(ConfigError) -> C,
        make: @escaping @Sendable (ComponentContext, C) throws -> any Component
    ) -> ComponentFactory {
        ComponentFactory(type: type, kind: .extension, stability: stability, parseConfig: { r throws(ConfigError) in try parse(r) }) {
            ctx, config, _ in try make(ctx, config as! C)
        }
    }
}
