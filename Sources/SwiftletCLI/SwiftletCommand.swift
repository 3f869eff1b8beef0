#if canImport(Glibc)
import Glibc
#endif
import Components
import Config
import Diagnostics
import Dispatch
import Pipeline
import Synchronization
import Transport

/// The `swiftlet` program.
public enum SwiftletCommand {
    public static let version = "0.1.0"

    public static func main(_ argv: [String]) -> Never {
        let options: CommandLineOptions
        do { options = try CommandLineOptions.parse(Array(argv.dropFirst())) } catch {
            fail(2, "\(error)")
        }
        let assembly = ConfigAssembly(options: options, environment: processEnvironment())
        switch options.command {
        case .help:
            LogSink.writeToStdout(CommandLineOptions.help)
            exit(0)
        case .version:
            LogSink.writeToStdout("swiftlet version \(version)\n")
            exit(0)
        case .components:
            LogSink.writeToStdout(componentsListing())
            exit(0)
        case .validate:
            let config = load(assembly)
            printWarnings(config)
            exit(0)
        case .printConfig:
            let node: ConfigNode
            do { node = try assembly.effectiveNode() } catch { fail(2, "\(error)") }
            _ = load(assembly)
            LogSink.writeToStdout(YAMLEmitter.emit(node))
            exit(0)
        case .run:
            run(load(assembly), assembly)
        }
    }

    static func load(_ assembly: ConfigAssembly) -> CollectorConfig {
        do { return try assembly.collectorConfig() } catch {
            for w in error.warnings { LogSink.writeToStderr("swiftlet: warning: \(w)\n") }
            for e in error.errors.dropLast() { LogSink.writeToStderr("swiftlet: invalid configuration: \(e)\n") }
            fail(2, "invalid configuration: \(error.errors.last.map(\.description) ?? "")")
        }
    }

    static func printWarnings(_ config: CollectorConfig) {
        for w in config.warnings { LogSink.writeToStderr("swiftlet: warning: \(w)\n") }
    }

    static func run(_ config: CollectorConfig, _ assembly: ConfigAssembly) -> Never {
        signal(SIGPIPE, SIG_IGN)
        Heap.tune()
        Heap.returnFreePagesPeriodically()
        let sink = LogSink.standardError
        applyLogSettings(config, to: sink)
        let logger = Logger(component: "service", sink: sink)
        for w in config.warnings { logger.warn(w) }
        logger.info("Starting swiftlet", ["version": version])
        let service: Service
        do {
            service = try Service(config: config, logger: logger)
            try service.start()
        } catch {
            fail(1, "\(error)")
        }
        // What starting freed (the config's trees, parsers' buffers) stays below the arenas'
        // trim threshold (`Heap.tune`); give its pages back once, before serving.
        Heap.returnFreePages()
        // Once the threads that built the TLS contexts have ended (OpenSSL's per-thread clean-up
        // runs code of its own then); the binary's start-up code (config, components) with it.
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(250)) {
            OpenSSLLibrary.releaseStartupPages()
            if let executable = StartupPages.executablePath {
                StartupPages.release { $0.elementsEqual(executable) }
            }
            Heap.returnFreePages()
        }
        let reloader = ServiceReloader(running: service, logger: logger)
        // Reloads and the final shutdown run one at a time, in the order asked.
        let control = DispatchQueue(label: "swiftlet.control")
        let reload: @Sendable (String) -> Void = { reason in
            control.async { reloadConfiguration(assembly, reloader, sink: sink, logger: logger, reason: reason) }
        }
        let signals = SignalWaiter(signals: [SIGTERM, SIGINT], queue: control) { signal in
            logger.info("Received signal, shutting down", ["signal": signal == SIGTERM ? "SIGTERM" : "SIGINT"])
            reloader.shutdown()
            exit(0)
        }
        let hangup = SignalWaiter(signals: [SIGHUP], queue: control, repeating: true) { _ in reload("SIGHUP") }
        let watcher = assembly.options.watchConfig
            ? ConfigFileWatcher(paths: assembly.options.configURIs.compactMap(ConfigSource.filePath(of:)), queue: control) {
                reload("config file changed")
            }
            : nil
        withExtendedLifetime((signals, hangup, watcher)) { dispatchMain() }
    }

    /// Reads every config source again and switches to it; an invalid config, or one whose
    /// components fail to build or start, leaves the running one serving.
    static func reloadConfiguration(_ assembly: ConfigAssembly, _ reloader: ServiceReloader, sink: LogSink, logger: Logger, reason: String) {
        logger.info("Reloading the configuration", ["reason": reason])
        let config: CollectorConfig
        do { config = try assembly.collectorConfig() } catch {
            logger.error("The new configuration is invalid; the running one keeps serving",
                         ["error": error.errors.map(\.description).joined(separator: "; ")])
            return
        }
        for w in config.warnings { logger.warn(w) }
        do { try reloader.reload(to: config) } catch {
            logger.error("The new configuration did not start; the running one keeps serving", ["error": "\(error)"])
            return
        }
        applyLogSettings(config, to: sink)
        logger.info("Configuration reloaded")
    }

    static func applyLogSettings(_ config: CollectorConfig, to sink: LogSink) {
        sink.level = config.logLevel
        if config.logEncoding == "json" {
            sink.encoding = .json(initialFields: config.logInitialFields)
        } else if !config.logInitialFields.isEmpty {
            sink.encoding = .consoleWith(initialFields: config.logInitialFields)
        } else {
            sink.encoding = .console
        }
    }

    static func componentsListing() -> String {
        var out = "buildinfo:\n  command: swiftlet\n  description: Swiftlet, an OpenTelemetry-compatible trace collector\n  version: \(version)\n"
        for kind in [ComponentKind.receiver, .processor, .exporter, .extension] {
            let factories = ComponentRegistry.builtin.factories.filter { $0.kind == kind }
            out += "\(kind.section):\n"
            for f in factories {
                out += "  - name: \(f.type)\n    kind: \(kind.rawValue)\n    stability:\n      traces: \(f.stability.rawValue.capitalizedFirst)\n"
            }
        }
        return out
    }

    static func fail(_ code: Int32, _ message: String) -> Never {
        LogSink.writeToStderr("swiftlet: \(message)\n")
        exit(code)
    }

    static func processEnvironment() -> [String: String] {
        var env: [String: String] = [:]
        var p = environ
        while let entry = p.pointee {
            let s = String(cString: entry)
            if let eq = s.firstIndex(of: "=") { env[String(s[..<eq])] = String(s[s.index(after: eq)...]) }
            p += 1
        }
        return env
    }
}

/// Delivers signals on a queue instead of interrupting the process. Unless `repeating`, a second
/// signal while the first is handled ends the process at once with status 1.
final class SignalWaiter: Sendable {
    /// Set once in init; the sources are only kept alive here.
    private nonisolated(unsafe) let sources: [any DispatchSourceSignal]

    init(signals: [Int32], queue: DispatchQueue, repeating: Bool = false, handler: @escaping @Sendable (Int32) -> Void) {
        let handling = ManagedFlag()
        sources = signals.map { sig in
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                if repeating || handling.setOnce() {
                    queue.async { handler(sig) }
                } else {
                    LogSink.writeToStderr("swiftlet: second signal, exiting now\n")
                    exit(1)
                }
            }
            source.resume()
            return source
        }
    }
}

final class ManagedFlag: Sendable {
    private let flag = Synchronization.Atomic<Bool>(false)
    /// True the first time only.
    func setOnce() -> Bool { !flag.exchange(true, ordering: .relaxed) }
}

extension String {
    var capitalizedFirst: String { prefix(1).uppercased() + dropFirst() }
}
