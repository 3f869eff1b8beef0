import Config
import Diagnostics
import Pipeline
import Transport

/// `bearertokenauth` extension, as upstream's `bearertokenauthextension`: a server
/// authenticator that accepts a request whose `header` field is `scheme token` for one of the
/// tokens, and a client authenticator that sends the first token so on every request. With
/// `filename`, the tokens are the file's lines, read again when the file changes.
public final class BearerTokenAuthExtension: ServerAuthenticator, ClientAuthenticator {
    public static let factory = ComponentFactory.extension("bearertokenauth", .beta, parse: Config.parse) { context, config in
        BearerTokenAuthExtension(config, logger: context.logger)
    }

    public let config: Config
    private let file: BearerTokenFile?

    init(_ config: Config, logger: Logger) {
        self.config = config
        file = config.filename.map { BearerTokenFile(path: $0, logger: logger) }
        if config.filename != nil, !config.tokens.isEmpty {
            logger.warn("a filename is specified. Configured token(s) is ignored!")
        }
    }

    public func start() throws {
        try file?.load()
    }

    public func shutdown() {}

    /// The field values accepted, and sent (the first).
    var values: [String] {
        (file?.tokens() ?? config.tokens).map { config.scheme.isEmpty ? $0 : config.scheme + " " + $0 }
    }

    public func authenticate(_ headers: HTTPHeaders) -> Bool {
        guard let received = headers[config.header] else { return false }
        let bytes = Array(received.utf8)
        var accepted = false
        for value in values where Digest.constantTimeEquals(Array(value.utf8), bytes) { accepted = true }
        return accepted
    }

    public func requestHeaders() -> [(String, String)] {
        values.first.map { [(config.header, $0)] } ?? []
    }
}
