import Components
import Config

/// Turns `--config` sources and `--set` values into one expanded config tree and then a typed
/// `CollectorConfig`.
public struct ConfigAssembly: Sendable {
    public let options: CommandLineOptions
    public let environment: [String: String]

    public init(options: CommandLineOptions, environment: [String: String]) {
        self.options = options
        self.environment = environment
    }

    /// The name errors carry: the only config file, or all of them.
    public var sourceName: String {
        options.configURIs.isEmpty ? "<default config>" : options.configURIs.joined(separator: ", ")
    }

    /// Merged (maps merge, lists replace) over the embedded default when no source is given,
    /// `--set` applied, `${…}` expanded.
    public func effectiveNode() throws(ConfigError) -> ConfigNode {
        let base = options.configURIs.isEmpty ? try YAMLParser.parse(DefaultConfig.yaml, file: sourceName) : .null
        return try ConfigSource.resolve(
            base: base, uris: options.configURIs, sets: options.sets, environment: environment,
            readFile: { path throws in try ConfigSource.readFileContents(path) })
    }

    public func collectorConfig() throws(ConfigProblems) -> CollectorConfig {
        let node: ConfigNode
        do { node = try effectiveNode() } catch { throw ConfigProblems(errors: [error]) }
        return try CollectorConfig.load(node, file: sourceName)
    }
}
