import Config

extension BasicAuthExtension {
    /// `extensions::basicauth`: `htpasswd` (server) or `client_auth` (client), exactly one.
    public struct Config: Sendable, Equatable {
        public enum Role: Sendable, Equatable {
            case server(HtpasswdSettings)
            case client(BasicCredentials)
        }

        public var role: Role

        public static func parse(_ r: ConfigReader) throws(ConfigError) -> Config {
            let server = try r.child("htpasswd").map { r throws(ConfigError) in try HtpasswdSettings.parse(r) }
            let client = try r.child("client_auth").map { r throws(ConfigError) in try parseClient(r) }
            switch (server, client) {
            case let (server?, nil): return Config(role: .server(server))
            case let (nil, client?): return Config(role: .client(client))
            case (.some, .some): throw r.error(nil, "only one of `htpasswd` or `client_auth` can be specified")
            case (nil, nil): throw r.error(nil, "no credential source provided")
            }
        }

        /// `client_auth`: `username` and `password`; a colon cannot be in a Basic user name.
        private static func parseClient(_ r: ConfigReader) throws(ConfigError) -> BasicCredentials {
            let credentials = BasicCredentials(user: try r.string("username") ?? "", password: try r.string("password") ?? "")
            guard !credentials.user.contains(":") else { throw r.error("username", "invalid authorization format: must not contain ':'") }
            try r.finish()
            return credentials
        }
    }

    /// `htpasswd`: the path of an htpasswd file, entries inline, or both.
    public struct HtpasswdSettings: Sendable, Equatable {
        public var file: String?
        public var inline: String?

        public init(file: String? = nil, inline: String? = nil) {
            self.file = file
            self.inline = inline
        }

        static func parse(_ r: ConfigReader) throws(ConfigError) -> HtpasswdSettings {
            let settings = HtpasswdSettings(file: try r.string("file").flatMap { $0.isEmpty ? nil : $0 },
                                            inline: try r.string("inline").flatMap { $0.isEmpty ? nil : $0 })
            guard settings.file != nil || settings.inline != nil else {
                throw r.error(nil, "no credential source provided: set file, inline or both")
            }
            try r.finish()
            return settings
        }
    }
}
