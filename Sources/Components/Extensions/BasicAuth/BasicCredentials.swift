import Transport
import WireFormats

/// A user and password as `Authorization: Basic` carries them (RFC 7617 §2). The password is kept
/// as the bytes sent, since a hash in an htpasswd file is of bytes, whatever their encoding.
public struct BasicCredentials: Sendable, Equatable {
    public var user: String
    public var password: [UInt8]

    public init(user: String, password: String) {
        self.init(user: user, password: Array(password.utf8))
    }

    init(user: String, password: [UInt8]) {
        self.user = user
        self.password = password
    }

    /// The field value: `Basic base64(user:password)`.
    var authorization: String {
        "Basic " + String(decoding: Base64.encode(Array(user.utf8) + [UInt8(ascii: ":")] + password), as: UTF8.self)
    }

    /// Reads a field value as Go's `Request.BasicAuth` does, byte by byte: the scheme in any ASCII
    /// case, one space, padded standard base-64, split at the first colon; nil otherwise.
    init?(authorization value: String) {
        guard let encoded = Self.encodedPart(of: value),
              let decoded = Base64.decodeStandardPadded(encoded.utf8),
              let colon = decoded.firstIndex(of: UInt8(ascii: ":"))
        else { return nil }
        user = String(decoding: decoded[..<colon], as: UTF8.self)
        password = Array(decoded[(colon + 1)...])
    }

    /// What follows `Basic ` (in any ASCII case) in a field value, as sent; nil for another scheme.
    static func encodedPart(of value: String) -> Substring? {
        let scheme = "basic ".utf8
        guard value.utf8.count > scheme.count,
              zip(value.utf8, scheme).allSatisfy({ asciiLower($0) == $1 })
        else { return nil }
        return Substring(value.utf8.dropFirst(scheme.count))
    }
}
