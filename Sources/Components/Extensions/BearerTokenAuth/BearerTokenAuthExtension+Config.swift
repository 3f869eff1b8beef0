import Config

extension BearerTokenAuthExtension {
    /// `extensions::bearertokenauth`.
    public struct Config: Sendable, Equatable {
        /// The field the token travels in.
        public var header = "Authorization"
        /// Put before the token with a space; empty sends the token alone.
        public var scheme = "Bearer"
        /// `token`, or the list `tokens`; the client sends the first.
        public var tokens: [String] = []
        /// A file whose lines are the tokens; it replaces `token`/`tokens`.
        public var filename: String?

        public init() {}

        public static func parse(_ r: ConfigReader) throws(ConfigError) -> Config {
            var c = Config()
            c.header = try r.string("header") ?? c.header
            guard !c.header.isEmpty else { throw r.error("header", "must not be empty") }
            c.scheme = try r.string("scheme") ?? c.scheme
            let token = try r.string("token") ?? ""
            let tokens = try r.stringList("tokens") ?? []
            c.filename = try r.string("filename").flatMap { $0.isEmpty ? nil : $0 }
            guard !token.isEmpty || !tokens.isEmpty || c.filename != nil else { throw r.error(nil, "no bearer token provided") }
            guard token.isEmpty || tokens.isEmpty else { throw r.error("tokens", "either tokens or token should be provided, not both") }
            c.tokens = token.isEmpty ? tokens : [token]
            return c
        }
    }
}
