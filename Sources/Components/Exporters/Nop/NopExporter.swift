import Config
import Pipeline
import TraceModel

/// `nop` exporter, as upstream's: accepts every batch and drops it. A sink for benchmarks and
/// for pipelines whose only purpose is a receiver's side effects.
public final class NopExporter: Component, TraceConsumer {
    public static let factory = ComponentFactory.exporter("nop", .beta, parse: { (_: ConfigReader) throws(ConfigError) in NopExporter.Config() }) { _, _ in
        NopExporter()
    }

    public struct Config: Sendable, Equatable {}

    public func start() {}
    public func consume(_ batch: TraceBatch) throws(ConsumerError) {}
    public func shutdown() {}
}
