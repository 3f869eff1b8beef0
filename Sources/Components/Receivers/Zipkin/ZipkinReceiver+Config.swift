import Config
import Pipeline

extension ZipkinReceiver.Config: ReferencesExtensions {
    var extensionIDs: [ComponentID] { server.auth.map { [$0.authenticator] } ?? [] }
}

extension ZipkinReceiver {
    /// `receivers::zipkin`: the confighttp server options plus `parse_string_tags`.
    public struct Config: Sendable, Equatable {
        public var server = HTTPServerSettings(endpoint: "localhost:9411")
        /// String tags that read as int, float or bool become typed attributes.
        public var parseStringTags = false

        public init() {}

        public static func parse(_ r: ConfigReader) throws(ConfigError) -> Config {
            var c = Config()
            c.server = try HTTPServerSettings.parse(r, defaultEndpoint: c.server.endpoint)
            c.parseStringTags = try r.bool("parse_string_tags") ?? c.parseStringTags
            return c
        }
    }
}
