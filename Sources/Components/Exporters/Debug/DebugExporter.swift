import Diagnostics
import Pipeline
import Synchronization
import TraceModel

/// `debug` exporter: logs a summary line per batch (`Traces` with the resource span and span
/// counts) and, at verbosity normal or detailed, the spans in the OpenTelemetry Collector's text
/// formats. Sampled per second like the collector's zap sampler.
public final class DebugExporter: Component, TraceConsumer {
    public static let factory = ComponentFactory.exporter("debug", .development, parse: Config.parse) { ctx, config in
        DebugExporter(ctx, config)
    }

    /// The `logging` exporter, removed upstream in v0.111.0; kept so existing configs load.
    public static let loggingFactory = ComponentFactory.exporter("logging", .deprecated, parse: Config.parseLogging) { ctx, config in
        ctx.logger.warn("The 'logging' exporter is deprecated; use the 'debug' exporter (verbosity replaces loglevel)")
        return DebugExporter(ctx, config)
    }

    private let config: Config
    private let logger: Logger
    private let sampler: LogSampler

    init(_ context: ComponentContext, _ config: Config) {
        self.config = config
        logger = context.logger
        sampler = LogSampler(initial: config.samplingInitial, thereafter: config.samplingThereafter)
    }

    public func start() {}
    public func shutdown() {}

    public func consume(_ batch: TraceBatch) throws(ConsumerError) {
        guard sampler.shouldLog() else { return }
        let block: String? = switch config.verbosity {
        case .basic: nil
        case .normal: DebugTraceFormatter.normal(batch)
        case .detailed: DebugTraceFormatter.detailed(batch)
        }
        if config.useInternalLogger {
            let sink = logger.sink
            guard sink.isEnabled(.info) else { return }
            var text = sink.format(.info, logger.component, "Traces", [("resource_spans", String(batch.resourceSpans.count)), ("spans", String(batch.spanCount))])
            if let block {
                // On the console the block follows its line as it is; in JSON it is a record of its own, as upstream logs it.
                text += sink.encoding.name == "json" ? sink.format(.info, logger.component, block, []) : block
            }
            sink.write(text)
        } else if let block {
            LogSink.writeToStdout(block)
        }
    }
}

/// zap's sampler: in each one-second window the first `initial` messages pass, then every
/// `thereafter`-th.
final class LogSampler: Sendable {
    private let initial: Int
    private let thereafter: Int
    private let window = Mutex<(second: UInt64, count: Int)>((0, 0))

    init(initial: Int, thereafter: Int) {
        self.initial = initial
        self.thereafter = max(1, thereafter)
    }

    func shouldLog(now: UInt64 = WallClock.monotonicNano()) -> Bool {
        let second = now / 1_000_000_000
        let n: Int = window.withLock { w in
            if w.second != second { w = (second, 0) }
            w.count += 1
            return w.count
        }
        return n <= initial || (n - initial) % thereafter == 0
    }
}
