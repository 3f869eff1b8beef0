import Config

extension DebugExporter {
    /// `exporters::debug` (and the removed `logging` exporter, read through `parseLogging`).
    public struct Config: Sendable, Equatable {
        public var verbosity: DebugVerbosity = .basic
        /// Messages logged in each second before sampling starts.
        public var samplingInitial = 2
        /// After that, one message in this many is logged (1 = all).
        public var samplingThereafter = 1
        /// True: through the internal logger (stderr, leveled). False: plain text to stdout.
        public var useInternalLogger = true

        public init(verbosity: DebugVerbosity = .basic, samplingInitial: Int = 2, samplingThereafter: Int = 1, useInternalLogger: Bool = true) {
            self.verbosity = verbosity
            self.samplingInitial = samplingInitial
            self.samplingThereafter = samplingThereafter
            self.useInternalLogger = useInternalLogger
        }

        public static func parse(_ r: ConfigReader) throws(ConfigError) -> Config {
            var c = Config()
            if let v = try r.string("verbosity") { c.verbosity = try verbosity(v, r) }
            try c.readSampling(r)
            c.useInternalLogger = try r.bool("use_internal_logger") ?? true
            if let paths = try r.stringList("output_paths"), paths != ["stdout"] {
                throw r.error("output_paths", "only [stdout] is supported")
            }
            return c
        }

        /// The `logging` exporter's keys and defaults (verbosity normal, sampling_thereafter 500);
        /// `loglevel` maps debug → detailed, info → normal, warn/error → basic.
        public static func parseLogging(_ r: ConfigReader) throws(ConfigError) -> Config {
            var c = Config(verbosity: .normal, samplingThereafter: 500)
            let level = try r.string("loglevel")
            let verbosity = try r.string("verbosity")
            if level != nil && verbosity != nil {
                throw r.error("loglevel", "setting both loglevel and verbosity is an error; use verbosity")
            }
            if let level {
                switch level.lowercased() {
                case "debug": c.verbosity = .detailed
                case "info": c.verbosity = .normal
                case "warn", "error", "dpanic", "panic", "fatal": c.verbosity = .basic
                default: throw r.error("loglevel", "expected one of debug, info, warn, error, got '\(level)'")
                }
            }
            if let verbosity { c.verbosity = try Config.verbosity(verbosity, r) }
            try c.readSampling(r)
            return c
        }

        mutating func readSampling(_ r: ConfigReader) throws(ConfigError) {
            samplingInitial = try r.int("sampling_initial") ?? samplingInitial
            samplingThereafter = try r.int("sampling_thereafter") ?? samplingThereafter
            guard samplingInitial >= 0 else { throw r.error("sampling_initial", "must not be negative") }
            guard samplingThereafter >= 1 else { throw r.error("sampling_thereafter", "must be at least 1") }
        }

        static func verbosity(_ text: String, _ r: ConfigReader) throws(ConfigError) -> DebugVerbosity {
            guard let v = DebugVerbosity(rawValue: text.lowercased()) else {
                throw r.error("verbosity", "expected one of basic, normal, detailed, got '\(text)'")
            }
            return v
        }
    }
}
