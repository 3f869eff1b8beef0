import Config
import Pipeline

/// `basicauth` extension: HTTP Basic authentication (RFC 7617), as upstream's
/// `basicauthextension`. With `htpasswd` it checks the credentials of a receiver's requests
/// against htpasswd entries; with `client_auth` it gives an exporter's requests
/// `Authorization: Basic …`. One instance is one or the other.
public enum BasicAuthExtension {
    public static let factory = ComponentFactory.extension("basicauth", .beta, parse: Config.parse) { context, config in
        switch config.role {
        case let .server(htpasswd): BasicAuthServer(htpasswd, logger: context.logger)
        case let .client(credentials): BasicAuthClient(credentials)
        }
    }
}
