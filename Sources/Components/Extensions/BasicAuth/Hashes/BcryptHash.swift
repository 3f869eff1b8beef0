import Transport

/// A bcrypt hash, `$2<minor>$<cost>$<22 salt characters><31 hash characters>`.
struct BcryptHash: Sendable, Equatable {
    static let prefixes = ["$2a$", "$2b$", "$2x$", "$2y$"]
    /// Costs bcrypt allows: 2^4 ... 2^31 rounds.
    static let costs = 4...31

    let cost: Int
    let salt: [UInt8]
    /// The stored hash characters.
    let hash: [UInt8]

    /// nil unless the text is a whole bcrypt hash with a cost in `costs`.
    init?(parsing text: [UInt8]) {
        guard text.count == 60, text[6] == UInt8(ascii: "$"),
              let cost = Int(String(decoding: text[4..<6], as: UTF8.self)), Self.costs.contains(cost),
              let salt = BcryptBase64.decode(text[7..<29]), salt.count == 16
        else { return nil }
        self.cost = cost
        self.salt = salt
        hash = Array(text[29...])
    }

    /// Every minor version is hashed alike, as Go's `x/crypto/bcrypt` does.
    func matches(_ password: [UInt8]) -> Bool {
        let computed = Bcrypt.hash(password, salt: salt, cost: cost)
        return Digest.constantTimeEquals(BcryptBase64.encode(computed), hash)
    }
}
