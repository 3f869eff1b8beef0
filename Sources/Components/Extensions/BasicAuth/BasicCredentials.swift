import WireFormats

/// A user and password as `Authorization: Basic` carries them (RFC 7617 §2).
public struct BasicCredentials: Sendable, Equatable {
    public var user: String
    public var password: String

    public init(user: String, password: String) {
        self.user = user
        self.password = password
    }

    /// The field value: `Basic base64(user:password)`.
    var authorization: String {
        "Basic " + String(decoding: Base64.encode(Array("\(user):\(password)".utf8)), as: UTF8.self)
    }

    /// Reads a field value as Go's `Request.BasicAuth` does: the scheme in any case, one space,
    /// padded standard base-64, split at the first colon; nil otherwise.
    init?(authorization value: String) {
        let prefix = "basic "
        guard value.utf8.count > prefix.utf8.count, value.prefix(prefix.count).lowercased() == prefix else { return nil }
        let encoded = value.dropFirst(prefix.count)
        guard encoded.utf8.count % 4 == 0, !encoded.contains("-"), !encoded.contains("_"),
              let decoded = Base64.decode(String(encoded).utf8),
              let colon = decoded.firstIndex(of: UInt8(ascii: ":"))
        else { return nil }
        user = String(decoding: decoded[..<colon], as: UTF8.self)
        password = String(decoding: decoded[(colon + 1)...], as: UTF8.self)
    }
}
