import Config
import Diagnostics
import Pipeline

/// A loaded and checked configuration: every component a pipeline or the service uses, typed by
/// its factory, and the pipelines that wire them.
public struct CollectorConfig: Sendable {
    public struct Entry: Sendable {
        public let id: ComponentID
        public let factory: ComponentFactory
        public let config: any Sendable
        /// The section as written (after expansion): a reload keeps a running component whose
        /// section did not change.
        public let node: ConfigNode
    }

    public struct PipelineSpec: Sendable, Equatable {
        public let id: PipelineID
        public var receivers: [ComponentID]
        public var processors: [ComponentID]
        public var exporters: [ComponentID]
    }

    public var receivers: [ComponentID: Entry] = [:]
    public var processors: [ComponentID: Entry] = [:]
    public var exporters: [ComponentID: Entry] = [:]
    public var extensions: [ComponentID: Entry] = [:]
    public var pipelines: [PipelineSpec] = []
    public var serviceExtensions: [ComponentID] = []
    public var logLevel: LogLevel = .info
    /// `service::telemetry::logs::encoding`: console or json.
    public var logEncoding = "console"
    /// `service::telemetry::logs::initial_fields`, added to every record.
    public var logInitialFields: [(String, String)] = []
    /// `service::admission_limit_mib`: request bytes all receivers may hold at once (Swiftlet's
    /// own setting; 0 turns the cap off).
    public var admissionLimitMiB = 64
    /// Where self-metrics are served (`service.telemetry.metrics`); nil when turned off.
    public var metricsEndpoint: String? = "localhost:8888"
    /// Things worth telling the user that do not stop the collector (skipped components …).
    public var warnings: [String] = []

    public func entries(_ kind: ComponentKind) -> [ComponentID: Entry] {
        switch kind {
        case .receiver: receivers
        case .processor: processors
        case .exporter: exporters
        case .extension: extensions
        case .connector: [:]
        }
    }
}

/// Every problem found in a config, so that one `validate` run names all of them.
public struct ConfigProblems: Error, Sendable, CustomStringConvertible {
    public var errors: [ConfigError]
    /// Warnings found on the way, worth printing with the errors.
    public var warnings: [String]
    public init(errors: [ConfigError], warnings: [String] = []) {
        self.errors = errors
        self.warnings = warnings
    }
    public var description: String { errors.map(\.description).joined(separator: "\n") }
}
